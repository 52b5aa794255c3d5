/*
 * virtio_fake.c — for the virtio fuzz targets: what the kernel gives a driver (page and heap
 * allocations, each its own so ASan sees every overrun; printk; time), the input as a stream of
 * numbers, and a fake device behind a fake transport whose rings the targets fill as they like.
 */
#include "tests/fuzz/virtio_fake.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- what the kernel gives the driver, for the host */

#define MAX_ALLOCS 64
static struct {
    void *p;
    size_t len;
} allocs[MAX_ALLOCS];
static int nallocs;

static void *track(void *p, size_t len)
{
    if (!p || nallocs == MAX_ALLOCS) {
        free(p);
        return NULL;
    }
    allocs[nallocs].p = p;
    allocs[nallocs++].len = len;
    return p;
}

void *page_alloc(size_t n);
void *page_alloc(size_t n)
{
    return track(aligned_alloc(4096, n * 4096), n * 4096);
}

void page_free(void *p, size_t n);
void page_free(void *p, size_t n)
{
    (void)p;
    (void)n; /* freed with the rest after each input */
}

void *heap_alloc(size_t size);
void *heap_alloc(size_t size)
{
    return track(malloc(size), size);
}

void heap_free(void *p);
void heap_free(void *p)
{
    (void)p;
}

/* Whether [p, p + len) lies inside one allocation. */
int inside(const void *p, size_t len)
{
    for (int i = 0; i < nallocs; i++) {
        const uint8_t *b = allocs[i].p;
        if ((const uint8_t *)p >= b && len <= allocs[i].len &&
            (const uint8_t *)p - b <= (ptrdiff_t)(allocs[i].len - len))
            return 1;
    }
    return 0;
}

int uk_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int uk_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    return vsnprintf(buf, size, fmt, ap);
}

int uk_snprintf(char *buf, size_t size, const char *fmt, ...);
int uk_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

char last_message[256];

int printk(const char *fmt, ...);
int printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(last_message, sizeof(last_message), fmt, ap);
    va_end(ap);
    return n;
}

void time_halt_until(uint64_t deadline_ns);
void time_halt_until(uint64_t deadline_ns)
{
    (void)deadline_ns;
}

void time_sleep_ns(uint64_t ns);
void time_sleep_ns(uint64_t ns)
{
    (void)ns;
}

uint64_t time_monotonic_ns(void);
uint64_t time_monotonic_ns(void)
{
    static uint64_t now;
    return now += 1000000; /* a millisecond per look: a driver waiting for time gives up */
}

/* --- the input */

const uint8_t *in;
size_t in_left;

uint32_t take(unsigned bytes)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        v = v << 8 | (in_left ? *in : 0);
        if (in_left)
            in++, in_left--;
    }
    return v;
}

/* --- the device */

struct fake_dev dev;

static uint8_t get_status(struct virtio_dev *v)
{
    (void)v;
    return dev.status;
}

static void set_status(struct virtio_dev *v, uint8_t s)
{
    (void)v;
    dev.status = s;
}

static uint64_t get_features(struct virtio_dev *v)
{
    (void)v;
    return dev.offered;
}

static void set_features(struct virtio_dev *v, uint64_t f)
{
    (void)v;
    if ((f & ~dev.offered) || (dev.v.legacy && f >> 32))
        abort(); /* the driver asked for what was not offered, or past a legacy device's 32 bits */
    dev.features = f;
}

static uint32_t config_read(struct virtio_dev *v, unsigned off, unsigned width)
{
    (void)v;
    uint32_t x = 0;
    if (off < sizeof(dev.config) && width <= sizeof(dev.config) - off)
        memcpy(&x, dev.config + off, width);
    return x;
}

static uint32_t config_generation(struct virtio_dev *v)
{
    (void)v;
    return 0;
}

static unsigned queue_max(struct virtio_dev *v, unsigned q)
{
    (void)v;
    return q < FAKE_QUEUES ? dev.qmax[q] : 0;
}

static int queue_enable(struct virtio_dev *v, unsigned q, unsigned size, uint64_t desc,
                        uint64_t avail, uint64_t used)
{
    (void)v;
    if (q >= FAKE_QUEUES || size == 0 || size > dev.qmax[q] || (size & (size - 1)))
        abort(); /* a size the device did not allow */
    struct fake_queue *f = &dev.q[q];
    *f = (struct fake_queue){.size = size};
    f->desc = (struct virtq_desc *)(uintptr_t)desc;
    f->avail = (volatile uint16_t *)(uintptr_t)avail;
    f->used = (volatile uint16_t *)(uintptr_t)used;
    if (!inside(f->desc, 16 * size) || !inside((const void *)f->avail, 6 + 2 * size) ||
        !inside((const void *)f->used, 6 + 8 * size))
        abort();
    return 0;
}

static void queue_notify(struct virtio_dev *v, unsigned q)
{
    (void)v;
    (void)q;
    dev.notifies++;
}

static int irq_setup(struct virtio_dev *v)
{
    (void)v;
    return 0;
}

const struct virtio_transport fake = {
    .name = "fake",
    .get_status = get_status,
    .set_status = set_status,
    .get_features = get_features,
    .set_features = set_features,
    .config_read = config_read,
    .config_generation = config_generation,
    .queue_max = queue_max,
    .queue_enable = queue_enable,
    .queue_notify = queue_notify,
    .irq_setup = irq_setup,
};

/* The next head the driver made available on queue q, or -1 (read as a device would). */
int next_avail(struct fake_queue *f)
{
    if (!f->size || f->last_avail == f->avail[1])
        return -1;
    return f->avail[2 + (f->last_avail++ % f->size)];
}

/* The device writes a used entry (id, len) and, with jump, moves the index by any amount. */
void push_used(struct fake_queue *f, uint32_t id, uint32_t len, int jump)
{
    if (!f->size)
        return;
    volatile uint32_t *e = (volatile uint32_t *)(f->used + 2) + 2 * (f->used_idx % f->size);
    e[0] = id;
    e[1] = len;
    f->used_idx = (uint16_t)(f->used_idx + (jump ? take(2) : 1));
    f->used[1] = f->used_idx;
}

void fake_reset(const uint8_t *data, size_t size, unsigned device_id)
{
    in = data;
    in_left = size;
    memset(&dev, 0, sizeof(dev));
    dev.v.tr = &fake;
    dev.v.device_id = device_id;
    snprintf(dev.v.where, sizeof(dev.v.where), "fuzz");
}

void fake_free_all(void)
{
    for (int i = 0; i < nallocs; i++)
        free(allocs[i].p);
    nallocs = 0;
}

struct blkdev_req fake_reqs[FAKE_NREQ];
unsigned fake_completions[FAKE_NREQ];

void fake_req_done(struct blkdev_req *r)
{
    unsigned i = (unsigned)(r - fake_reqs);
    if (i >= FAKE_NREQ || r->status == BLKDEV_PENDING)
        abort();
    int s = r->status;
    if (s != 0 && s != -5 && s != -22 && s != -30 && s != -95)
        abort(); /* a status no caller knows */
    fake_completions[i]++;
}

void fake_submit(struct blkdev *bd, uint8_t *arena, uint32_t arena_len)
{
    struct blkdev_req *list[FAKE_NREQ];
    unsigned cnt = 0, want = take(1) % 40 + 1;
    for (unsigned i = 0; i < FAKE_NREQ && cnt < want; i++) {
        if (fake_reqs[i].status == BLKDEV_PENDING || (take(1) & 1))
            continue;
        uint32_t ctl = take(1);
        uint64_t sector = ctl & 1 ? (uint64_t)take(4) << 16 | take(2) : take(2);
        uint32_t count = ctl & 2 ? take(4) : take(2) % 600;
        if ((uint64_t)count * bd->sector_size > arena_len)
            count = arena_len / bd->sector_size;
        uint32_t off = take(3) % (arena_len - count * bd->sector_size + 1);
        fake_reqs[i] = (struct blkdev_req){.op = (ctl >> 2) % 5,
                                           .sector = sector,
                                           .count = count,
                                           .buf = arena + off,
                                           .done = fake_req_done};
        fake_completions[i] = 0;
        list[cnt++] = &fake_reqs[i];
    }
    int r = bd->ops->submit(bd, list, cnt);
    if (r < -5 || (r >= 0 && (unsigned)r > cnt))
        abort(); /* took more than it was given, or an error no caller knows */
}

/* What the NVMe and pvscsi drivers need of the PCI and interrupt layers: never reached from the
   I/O paths the targets drive (their probes are not run). */
void pci_enable(const struct pci_dev *d)
{
    (void)d;
    abort();
}
uint64_t pci_bar_map(struct pci_dev *d, int bar, uint64_t off, uint64_t len)
{
    (void)d, (void)bar, (void)off, (void)len;
    abort();
}
int pci_msix_enable(struct pci_dev *d)
{
    (void)d;
    abort();
}
int pci_msix_set(struct pci_dev *d, unsigned entry, int vector)
{
    (void)d, (void)entry, (void)vector;
    abort();
}
int pci_intx_attach(struct pci_dev *d, void (*fn)(void *arg), void *arg)
{
    (void)d, (void)fn, (void)arg;
    abort();
}
int irq_claim(irq_handler_fn fn, void *arg)
{
    (void)fn, (void)arg;
    abort();
}
int pci_count(void)
{
    return 0;
}
struct pci_dev *pci_get(int index)
{
    (void)index;
    return NULL;
}

void fake_check_end(unsigned inflight, int failed)
{
    unsigned pending = 0;
    for (unsigned i = 0; i < FAKE_NREQ; i++) {
        if (fake_completions[i] > 1)
            abort(); /* completed twice */
        pending += fake_reqs[i].status == BLKDEV_PENDING;
    }
    if (pending != inflight || (failed && pending))
        abort(); /* the driver's count is wrong, or it gave up holding requests */
}

void fake_poll_or_arm(struct blkdev *bd)
{
    int r = take(1) & 1 ? bd->ops->poll(bd) : bd->ops->arm(bd);
    if (r < -5)
        abort(); /* an error no caller knows */
}
