/*
 * unikernel/drivers/virtio/mmio.c — the virtio-mmio transport: version 2 (Firecracker, QEMU with
 * virtio-mmio.force-legacy=false) and the legacy version 1 (QEMU -M microvm's default), devices
 * found on the command line (virtio_mmio.device=SIZE@BASE:IRQ, as Linux takes them; QEMU's microvm
 * writes them there with acpi=off) and in the ACPI DSDT (LNRO0005 devices, what microvm describes
 * when ACPI is on).
 */
#include "console/console.h"
#include "drivers/virtio/virtio.h"
#include "exit/acpi.h"
#include "interrupts/irq.h"
#include "lib/string.h"
#include "arch/x86_64/paging.h"

#define MMIO_MAGIC         0x000
#define MMIO_VERSION       0x004
#define MMIO_DEVICE_ID     0x008
#define MMIO_DEV_FEATURES  0x010
#define MMIO_DEV_FEAT_SEL  0x014
#define MMIO_DRV_FEATURES  0x020
#define MMIO_DRV_FEAT_SEL  0x024
#define MMIO_GUEST_PAGE    0x028 /* legacy */
#define MMIO_QUEUE_SEL     0x030
#define MMIO_QUEUE_NUM_MAX 0x034
#define MMIO_QUEUE_NUM     0x038
#define MMIO_QUEUE_ALIGN   0x03c /* legacy */
#define MMIO_QUEUE_PFN     0x040 /* legacy */
#define MMIO_QUEUE_READY   0x044
#define MMIO_QUEUE_NOTIFY  0x050
#define MMIO_IRQ_STATUS    0x060
#define MMIO_IRQ_ACK       0x064
#define MMIO_STATUS        0x070
#define MMIO_QUEUE_DESC    0x080
#define MMIO_QUEUE_DRIVER  0x090
#define MMIO_QUEUE_DEVICE  0x0a0
#define MMIO_CONFIG_GEN    0x0fc
#define MMIO_CONFIG        0x100
#define MMIO_MAGIC_VALUE   0x74726976u /* "virt" */

#define VMMIO_MAX 8

struct vmmio {
    struct virtio_dev v;
    volatile uint8_t *base;
    uint64_t size;
    unsigned gsi;
    int edge, low;
};

static struct vmmio vmmios[VMMIO_MAX];
static int nvmmio;

static struct vmmio *of(struct virtio_dev *v)
{
    return (struct vmmio *)v;
}

static uint32_t rd(struct virtio_dev *v, unsigned off)
{
    return *(volatile uint32_t *)(of(v)->base + off);
}

static void wr(struct virtio_dev *v, unsigned off, uint32_t x)
{
    *(volatile uint32_t *)(of(v)->base + off) = x;
}

static uint8_t get_status(struct virtio_dev *v)
{
    return (uint8_t)rd(v, MMIO_STATUS);
}

static void set_status(struct virtio_dev *v, uint8_t s)
{
    wr(v, MMIO_STATUS, s);
}

static uint64_t get_features(struct virtio_dev *v)
{
    wr(v, MMIO_DEV_FEAT_SEL, 0);
    uint64_t lo = rd(v, MMIO_DEV_FEATURES);
    if (v->legacy)
        return lo;
    wr(v, MMIO_DEV_FEAT_SEL, 1);
    return lo | (uint64_t)rd(v, MMIO_DEV_FEATURES) << 32;
}

static void set_features(struct virtio_dev *v, uint64_t f)
{
    wr(v, MMIO_DRV_FEAT_SEL, 0);
    wr(v, MMIO_DRV_FEATURES, (uint32_t)f);
    wr(v, MMIO_DRV_FEAT_SEL, 1);
    wr(v, MMIO_DRV_FEATURES, (uint32_t)(f >> 32));
}

static uint32_t config_read(struct virtio_dev *v, unsigned off, unsigned width)
{
    struct vmmio *m = of(v);
    uint64_t room = m->size - MMIO_CONFIG;
    if (off > room || width > room - off)
        return 0;
    volatile uint8_t *p = m->base + MMIO_CONFIG + off;
    return width == 1 ? *p : width == 2 ? *(volatile uint16_t *)p : *(volatile uint32_t *)p;
}

static uint32_t config_generation(struct virtio_dev *v)
{
    return v->legacy ? 0 : rd(v, MMIO_CONFIG_GEN); /* legacy: no such register */
}

static unsigned queue_max(struct virtio_dev *v, unsigned q)
{
    wr(v, MMIO_QUEUE_SEL, q);
    if (rd(v, v->legacy ? MMIO_QUEUE_PFN : MMIO_QUEUE_READY))
        return 0; /* after a reset no queue is in use: this one is not ours to set */
    return rd(v, MMIO_QUEUE_NUM_MAX);
}

static void wr64(struct virtio_dev *v, unsigned off, uint64_t x)
{
    wr(v, off, (uint32_t)x);
    wr(v, off + 4, (uint32_t)(x >> 32));
}

static int queue_enable(struct virtio_dev *v, unsigned q, unsigned size, uint64_t desc,
                        uint64_t avail, uint64_t used)
{
    wr(v, MMIO_QUEUE_SEL, q);
    wr(v, MMIO_QUEUE_NUM, size);
    if (v->legacy) { /* one block from a page frame: avail after desc, used on the next page */
        uint64_t want_used = (avail + 6 + 2 * (uint64_t)size + VIRTQ_LEGACY_ALIGN - 1) &
                             ~(uint64_t)(VIRTQ_LEGACY_ALIGN - 1);
        if ((desc & (VIRTQ_LEGACY_ALIGN - 1)) || avail != desc + 16 * (uint64_t)size ||
            used != want_used || (desc >> 12) > UINT32_MAX)
            return -22;
        wr(v, MMIO_GUEST_PAGE, VIRTQ_LEGACY_ALIGN);
        wr(v, MMIO_QUEUE_ALIGN, VIRTQ_LEGACY_ALIGN);
        wr(v, MMIO_QUEUE_PFN, (uint32_t)(desc >> 12));
        return 0;
    }
    wr64(v, MMIO_QUEUE_DESC, desc);
    wr64(v, MMIO_QUEUE_DRIVER, avail);
    wr64(v, MMIO_QUEUE_DEVICE, used);
    wr(v, MMIO_QUEUE_READY, 1);
    return rd(v, MMIO_QUEUE_READY) == 1 ? 0 : -5;
}

static void queue_notify(struct virtio_dev *v, unsigned q)
{
    wr(v, MMIO_QUEUE_NOTIFY, q);
}

static void irq(void *arg)
{
    struct virtio_dev *v = arg;
    /* until the status reads 0: with an edge-triggered input a bit set meanwhile makes no edge */
    for (int i = 0; i < 16; i++) {
        uint32_t st = rd(v, MMIO_IRQ_STATUS) & 3;
        if (!st)
            break;
        wr(v, MMIO_IRQ_ACK, st);
        v->handler(v, (st & 1 ? VIRTIO_IRQ_QUEUE : 0) | (st & 2 ? VIRTIO_IRQ_CONFIG : 0));
    }
}

static int irq_setup(struct virtio_dev *v)
{
    struct vmmio *m = of(v);
    int vec = irq_claim(irq, v);
    if (vec < 0)
        return vec;
    if (irq_route_gsi_mode(m->gsi, vec, !m->edge, m->low) < 0) {
        printk("virtio %s: interrupt %u is on no IOAPIC\n", v->where, m->gsi);
        return -19;
    }
    return 0;
}

static const struct virtio_transport mmio_transport = {
    .name = "mmio",
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

static int known(uint64_t base)
{
    for (int i = 0; i < nvmmio; i++)
        if ((uint64_t)(uintptr_t)vmmios[i].base == base)
            return 1;
    return 0;
}

int virtio_mmio_probe(uint64_t base, uint64_t size, unsigned gsi, int edge, int low)
{
    if (nvmmio == VMMIO_MAX) {
        printk("virtio: more than %d MMIO devices; the one at 0x%lx ignored\n", VMMIO_MAX,
               (unsigned long)base);
        return -28;
    }
    if (size < MMIO_CONFIG || paging_map_mmio(base, size) < 0) {
        printk("virtio: MMIO device at 0x%lx+0x%lx cannot be mapped\n", (unsigned long)base,
               (unsigned long)size);
        return -22;
    }
    struct vmmio *m = &vmmios[nvmmio];
    memset(m, 0, sizeof(*m));
    m->base = (volatile uint8_t *)(uintptr_t)base;
    m->size = size;
    m->gsi = gsi;
    m->edge = edge;
    m->low = low;
    m->v.tr = &mmio_transport;
    uk_snprintf(m->v.where, sizeof(m->v.where), "mmio 0x%lx gsi %u", (unsigned long)base, gsi);
    if (rd(&m->v, MMIO_MAGIC) != MMIO_MAGIC_VALUE) {
        printk("virtio %s: no virtio-mmio magic value\n", m->v.where);
        return -19;
    }
    m->v.device_id = rd(&m->v, MMIO_DEVICE_ID);
    if (m->v.device_id == 0)
        return -19; /* a transport with no device behind it */
    uint32_t version = rd(&m->v, MMIO_VERSION);
    if (version != 1 && version != 2) {
        printk("virtio %s: unknown virtio-mmio version %u\n", m->v.where, version);
        return -19;
    }
    m->v.legacy = version == 1; /* QEMU's microvm default (force-legacy=on) */
    if (m->v.legacy) {
        size_t n = strlen(m->v.where);
        uk_snprintf(m->v.where + n, sizeof(m->v.where) - n, " legacy");
    }
    nvmmio++;
    int r = virtio_probe(&m->v);
    if (r == -19)
        printk("virtio %s: device type %u has no driver here\n", m->v.where, m->v.device_id);
    return r;
}

/* A number in decimal or 0x hex, with an optional K/M/G suffix; where it ends in *end (NULL when
 * there is no digit or it does not fit in 48 bits). */
static uint64_t parse_num(const char *s, const char **end, int suffix)
{
    uint64_t v = 0;
    unsigned base = 10, digits = 0;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    for (;; s++, digits++) {
        unsigned d = *s >= '0' && *s <= '9'                 ? (unsigned)(*s - '0')
                     : base == 16 && *s >= 'a' && *s <= 'f' ? (unsigned)(*s - 'a' + 10)
                     : base == 16 && *s >= 'A' && *s <= 'F' ? (unsigned)(*s - 'A' + 10)
                                                            : 99;
        if (d == 99)
            break;
        v = v * base + d;
        if (v >> 48)
            digits = 0, s = "";
    }
    unsigned shift = 0;
    if (suffix && (*s == 'K' || *s == 'k'))
        shift = 10;
    else if (suffix && (*s == 'M' || *s == 'm'))
        shift = 20;
    else if (suffix && (*s == 'G' || *s == 'g'))
        shift = 30;
    if (shift)
        s++;
    v <<= shift;
    *end = digits && !(v >> 48) ? s : NULL;
    return v;
}

#define CMDLINE_KEY "virtio_mmio.device="

int virtio_mmio_probe_all(const char *cmdline)
{
    size_t klen = strlen(CMDLINE_KEY);
    for (const char *p = cmdline; *p;) {
        while (*p == ' ')
            p++;
        const char *word = p;
        while (*p && *p != ' ')
            p++;
        if ((size_t)(p - word) <= klen || memcmp(word, CMDLINE_KEY, klen) != 0)
            continue;
        const char *s = word + klen, *e;
        uint64_t size = parse_num(s, &e, 1), base = 0, gsi = 0;
        if (e && *e == '@')
            base = parse_num(e + 1, &e, 0);
        else
            e = NULL;
        if (e && *e == ':')
            gsi = parse_num(e + 1, &e, 0);
        else
            e = NULL;
        if (!e || (*e != ' ' && *e != ':' && *e != '\0') || gsi > 255) {
            char w[64];
            size_t n = (size_t)(p - word) < sizeof(w) - 1 ? (size_t)(p - word) : sizeof(w) - 1;
            memcpy(w, word, n);
            w[n] = '\0';
            printk("virtio: command line: %s: expected " CMDLINE_KEY "SIZE@BASE:IRQ\n", w);
            continue;
        }
        if (!known(base))
            virtio_mmio_probe(base, size, (unsigned)gsi, 1, 0);
    }
    struct acpi_device devs[VMMIO_MAX];
    int n = acpi_find_devices("LNRO0005", devs, VMMIO_MAX);
    for (int i = 0; i < n; i++) /* a device named on the command line too is probed once */
        if (!known(devs[i].mem_base))
            virtio_mmio_probe(devs[i].mem_base, devs[i].mem_len, devs[i].irq, devs[i].irq_edge,
                              devs[i].irq_low);
    return nvmmio;
}
