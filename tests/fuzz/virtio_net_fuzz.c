/*
 * virtio_net_fuzz.c — libFuzzer: the unikernel's virtio-net driver and split virtqueues against a
 * device that lies. The input is a script: what the device offers (features, queue sizes, MTU),
 * then operations — frames "received" (buffer ids, lengths, num_buffers, checksum fields and
 * used-index jumps of the input's choosing), sends, sent frames taken back (any id and length),
 * raw used-ring writes, interrupts, arming. The device's DMA is honest (it writes only into
 * buffers the driver posted: a device that writes anywhere is beyond any driver's defence); what
 * it reports is not. Checks: no access outside a buffer (ASan: every page_alloc/heap_alloc is its
 * own allocation), frames handed up lie inside one receive buffer or the reassembly buffer and
 * are at most NETDEV_FRAME_MAX bytes, and a driver that gives up says why (nd->failed).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/netdev.h"
#include "drivers/virtio/virtio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
static int inside(const void *p, size_t len)
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

static char last_message[256];

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
    return 0;
}

/* --- the input */

static const uint8_t *in;
static size_t in_left;

static uint32_t take(unsigned bytes)
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

struct fake_queue {
    unsigned size;
    struct virtq_desc *desc;
    volatile uint16_t *avail, *used;
    uint16_t last_avail, used_idx;
};

static struct {
    struct virtio_dev v;
    uint8_t status;
    uint64_t offered, features;
    uint8_t config[12];
    unsigned qmax[2];
    struct fake_queue q[2];
    unsigned notifies;
} dev;

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
    return q < 2 ? dev.qmax[q] : 0;
}

static int queue_enable(struct virtio_dev *v, unsigned q, unsigned size, uint64_t desc,
                        uint64_t avail, uint64_t used)
{
    (void)v;
    if (q > 1 || size == 0 || size > dev.qmax[q] || (size & (size - 1)))
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

static const struct virtio_transport fake = {
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
static int next_avail(struct fake_queue *f)
{
    if (!f->size || f->last_avail == f->avail[1])
        return -1;
    return f->avail[2 + (f->last_avail++ % f->size)];
}

/* The device writes a used entry (id, len) and, with jump, moves the index by any amount. */
static void push_used(struct fake_queue *f, uint32_t id, uint32_t len, int jump)
{
    if (!f->size)
        return;
    volatile uint32_t *e = (volatile uint32_t *)(f->used + 2) + 2 * (f->used_idx % f->size);
    e[0] = id;
    e[1] = len;
    f->used_idx = (uint16_t)(f->used_idx + (jump ? take(2) : 1));
    f->used[1] = f->used_idx;
}

/* Receives: k buffers of one frame, header written into the first; DMA only into posted buffers. */
static void device_receive(void)
{
    struct fake_queue *f = &dev.q[0];
    unsigned k = take(1) % 4 + 1, nbuf = take(1) % 5;
    uint8_t hflags = (uint8_t)take(1);
    uint16_t cstart = (uint16_t)take(2), coff = (uint16_t)take(2);
    for (unsigned i = 0; i < k; i++) {
        int head = next_avail(f);
        uint32_t ctl = take(1);
        uint32_t id = (ctl & 1) || head < 0 ? take(2) : (uint32_t)head;
        uint32_t written = 0;
        if (head >= 0) {
            const struct virtq_desc *d = &f->desc[head % f->size];
            if (!(d->flags & 2) || !inside((void *)(uintptr_t)d->addr, d->len))
                abort(); /* the driver posted a buffer it does not own, or a read-only one */
            uint8_t *b = (uint8_t *)(uintptr_t)d->addr;
            written = take(2) % (d->len + 1);
            memset(b, (int)take(1), written);
            if (i == 0 && d->len >= 12) {
                uint8_t h[12] = {hflags, 0, 0, 0, 0, 0};
                memcpy(h + 6, &cstart, 2);
                memcpy(h + 8, &coff, 2);
                uint16_t nb = (uint16_t)(ctl & 2 ? take(2) : nbuf);
                memcpy(h + 10, &nb, 2);
                memcpy(b, h, 12);
                if (written < 12)
                    written = 12;
                if (written > 14 && take(1) & 1) { /* an IPv4/UDP-looking frame at times */
                    b[12 + 12] = 0x08;
                    b[12 + 13] = 0;
                }
            }
        }
        uint32_t len = ctl & 4 ? take(4) : written;
        push_used(f, id, len, (ctl & 8) != 0);
    }
}

/* Takes back sent frames with ids and lengths of the input's choosing. */
static void device_transmit(void)
{
    struct fake_queue *f = &dev.q[1];
    for (unsigned k = take(1) % 8; k; k--) {
        int head = next_avail(f);
        uint32_t ctl = take(1);
        if (head >= 0) {
            const struct virtq_desc *d = &f->desc[head % f->size];
            if (!inside((void *)(uintptr_t)d->addr, d->len) || d->len < 10)
                abort();
        }
        uint32_t id = (ctl & 1) || head < 0 ? take(2) : (uint32_t)head;
        push_used(f, id, ctl & 2 ? take(4) : 0, (ctl & 4) != 0);
    }
}

/* --- the driver's side */

static void on_frame(void *arg, const void *frame, uint32_t len, unsigned flags)
{
    (void)arg;
    (void)flags;
    /* at most NETDEV_FRAME_MAX bytes after a 10- or 12-byte header: inside one 2 KiB buffer */
    if (len > NETDEV_FRAME_MAX || len < NETDEV_ETH_HLEN || !inside(frame, len))
        abort();
    volatile uint8_t sum = 0;
    for (uint32_t i = 0; i < len; i++)
        sum += ((const uint8_t *)frame)[i];
}

static uint8_t tx_data[4096];

static int driver_send(struct netdev *nd)
{
    struct netdev_seg segs[64][10];
    struct netdev_frame frames[64];
    unsigned n = take(1) % 65;
    for (unsigned i = 0; i < n; i++) {
        unsigned nseg = take(1) % 10 + 1;
        for (unsigned s = 0; s < nseg; s++) {
            unsigned len = take(2) % 1600, off = take(2) % (sizeof(tx_data) - len);
            segs[i][s] = (struct netdev_seg){tx_data + off, len};
        }
        frames[i] = (struct netdev_frame){segs[i], nseg, (uint16_t)take(2), (uint16_t)take(1)};
    }
    return nd->ops->send(nd, frames, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    in = data;
    in_left = size;
    memset(&dev, 0, sizeof(dev));
    dev.v.tr = &fake;
    dev.v.device_id = VIRTIO_ID_NET;
    snprintf(dev.v.where, sizeof(dev.v.where), "fuzz");
    uint32_t lo = take(4), hi = take(4);
    dev.offered = (uint64_t)hi << 32 | lo;
    uint32_t mode = take(1);
    if (!(mode & 1))
        dev.offered |= 1ull << VIRTIO_F_VERSION_1;
    dev.v.legacy = (mode & 6) == 6; /* a virtio-mmio version 1 device: 32 bits, 10-byte headers */
    dev.qmax[0] = take(2) % 1100;
    dev.qmax[1] = take(2) % 1100;
    for (unsigned i = 0; i < sizeof(dev.config); i++)
        dev.config[i] = (uint8_t)take(1);

    struct netdev *nd = NULL;
    unsigned before = netdev_count();
    int r = virtio_net_probe(&dev.v);
    if (netdev_count() > before)
        nd = netdev_get(netdev_count() - 1);
    if (r < 0 && (!dev.v.failed || !dev.v.failed[0]))
        abort(); /* a refusal without a message */
    for (int ops = 0; nd && in_left && ops < 512; ops++) {
        switch (take(1) % 8) {
        case 0: device_receive(); break;
        case 1: r = nd->ops->poll(nd, on_frame, NULL, take(1)); break;
        case 2: r = driver_send(nd); break;
        case 3: device_transmit(); break;
        case 4: { /* the device scribbles on a used ring entry and the index */
            struct fake_queue *f = &dev.q[take(1) & 1];
            if (f->size)
                push_used(f, take(4), take(4), 1);
            r = 0;
            break;
        }
        case 5: dev.v.handler(&dev.v, take(1) & 3); break;
        case 6: r = take(1) & 1 ? nd->ops->arm(nd) : nd->ops->tx_pending(nd); break;
        default: r = nd->ops->link(nd); break;
        }
        if (r < 0 && (!nd->failed || !nd->failed[0] || !dev.v.failed))
            abort(); /* the driver gave up without saying why */
    }
    if (nd)
        netdev_unregister(nd);
    for (int i = 0; i < nallocs; i++)
        free(allocs[i].p);
    nallocs = 0;
    return 0;
}
