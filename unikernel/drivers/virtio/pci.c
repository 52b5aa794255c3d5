/*
 * unikernel/drivers/virtio/pci.c — the virtio 1.x PCI transport: the common, notify, ISR and
 * device-config structures found through vendor capabilities in memory BARs; MSI-X (a vector for
 * configuration changes, one for the queues) or INTx through the ISR.
 */
#include "console/console.h"
#include "drivers/pci.h"
#include "drivers/virtio/virtio.h"
#include "interrupts/irq.h"
#include "lib/string.h"

#define VIRTIO_PCI_VENDOR 0x1af4

#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR    3
#define CAP_DEVICE 4

/* struct virtio_pci_common_cfg */
#define COMMON_DFSELECT  0
#define COMMON_DF        4
#define COMMON_GFSELECT  8
#define COMMON_GF        12
#define COMMON_MSIX      16
#define COMMON_NUMQ      18
#define COMMON_STATUS    20
#define COMMON_CFGGEN    21
#define COMMON_Q_SELECT  22
#define COMMON_Q_SIZE    24
#define COMMON_Q_MSIX    26
#define COMMON_Q_ENABLE  28
#define COMMON_Q_NOFF    30
#define COMMON_Q_DESCLO  32
#define COMMON_Q_DESCHI  36
#define COMMON_Q_AVAILLO 40
#define COMMON_Q_AVAILHI 44
#define COMMON_Q_USEDLO  48
#define COMMON_Q_USEDHI  52
#define COMMON_LEN       56
#define NO_VECTOR        0xffff

#define VPCI_MAX    8
#define VPCI_QUEUES 4

struct vpci {
    struct virtio_dev v;
    struct pci_dev *pci;
    volatile uint8_t *common, *isr, *device, *notify;
    uint32_t device_len, notify_len, notify_mult;
    volatile uint16_t *queue_notify[VPCI_QUEUES];
    int msix; /* 1: MSI-X, entry 0 for configuration, entry 0 or 1 for the queues */
    unsigned queue_entry;
};

static struct vpci vpcis[VPCI_MAX];
static int nvpci;

static struct vpci *of(struct virtio_dev *v)
{
    return (struct vpci *)v;
}

static uint8_t rd8(volatile uint8_t *b, unsigned off)
{
    return b[off];
}
static uint16_t rd16(volatile uint8_t *b, unsigned off)
{
    return *(volatile uint16_t *)(b + off);
}
static uint32_t rd32(volatile uint8_t *b, unsigned off)
{
    return *(volatile uint32_t *)(b + off);
}
static void wr8(volatile uint8_t *b, unsigned off, uint8_t x)
{
    b[off] = x;
}
static void wr16(volatile uint8_t *b, unsigned off, uint16_t x)
{
    *(volatile uint16_t *)(b + off) = x;
}
static void wr32(volatile uint8_t *b, unsigned off, uint32_t x)
{
    *(volatile uint32_t *)(b + off) = x;
}

static uint8_t get_status(struct virtio_dev *v)
{
    return rd8(of(v)->common, COMMON_STATUS);
}

static void set_status(struct virtio_dev *v, uint8_t s)
{
    wr8(of(v)->common, COMMON_STATUS, s);
}

static uint64_t get_features(struct virtio_dev *v)
{
    volatile uint8_t *c = of(v)->common;
    wr32(c, COMMON_DFSELECT, 0);
    uint64_t lo = rd32(c, COMMON_DF);
    wr32(c, COMMON_DFSELECT, 1);
    return lo | (uint64_t)rd32(c, COMMON_DF) << 32;
}

static void set_features(struct virtio_dev *v, uint64_t f)
{
    volatile uint8_t *c = of(v)->common;
    wr32(c, COMMON_GFSELECT, 0);
    wr32(c, COMMON_GF, (uint32_t)f);
    wr32(c, COMMON_GFSELECT, 1);
    wr32(c, COMMON_GF, (uint32_t)(f >> 32));
}

static uint32_t config_read(struct virtio_dev *v, unsigned off, unsigned width)
{
    struct vpci *p = of(v);
    if (!p->device || off > p->device_len || width > p->device_len - off)
        return 0;
    return width == 1   ? rd8(p->device, off)
           : width == 2 ? rd16(p->device, off)
                        : rd32(p->device, off);
}

static uint32_t config_generation(struct virtio_dev *v)
{
    return rd8(of(v)->common, COMMON_CFGGEN);
}

static unsigned queue_max(struct virtio_dev *v, unsigned q)
{
    volatile uint8_t *c = of(v)->common;
    if (q >= VPCI_QUEUES || q >= rd16(c, COMMON_NUMQ))
        return 0;
    wr16(c, COMMON_Q_SELECT, (uint16_t)q);
    return rd16(c, COMMON_Q_SIZE);
}

static int queue_enable(struct virtio_dev *v, unsigned q, unsigned size, uint64_t desc,
                        uint64_t avail, uint64_t used)
{
    struct vpci *p = of(v);
    volatile uint8_t *c = p->common;
    wr16(c, COMMON_Q_SELECT, (uint16_t)q);
    wr16(c, COMMON_Q_SIZE, (uint16_t)size);
    if (p->msix) {
        wr16(c, COMMON_Q_MSIX, (uint16_t)p->queue_entry);
        if (rd16(c, COMMON_Q_MSIX) == NO_VECTOR)
            return -5; /* the device could not take the vector */
    }
    uint64_t noff = (uint64_t)rd16(c, COMMON_Q_NOFF) * p->notify_mult;
    if (noff > p->notify_len || p->notify_len - noff < 2)
        return -34; /* the notify address lies outside its capability */
    p->queue_notify[q] = (volatile uint16_t *)(p->notify + noff);
    wr32(c, COMMON_Q_DESCLO, (uint32_t)desc);
    wr32(c, COMMON_Q_DESCHI, (uint32_t)(desc >> 32));
    wr32(c, COMMON_Q_AVAILLO, (uint32_t)avail);
    wr32(c, COMMON_Q_AVAILHI, (uint32_t)(avail >> 32));
    wr32(c, COMMON_Q_USEDLO, (uint32_t)used);
    wr32(c, COMMON_Q_USEDHI, (uint32_t)(used >> 32));
    wr16(c, COMMON_Q_ENABLE, 1);
    return 0;
}

static void queue_notify(struct virtio_dev *v, unsigned q)
{
    struct vpci *p = of(v);
    if (q < VPCI_QUEUES && p->queue_notify[q])
        *p->queue_notify[q] = (uint16_t)q;
}

static void irq_msix_queue(void *arg)
{
    struct virtio_dev *v = arg;
    v->handler(v, of(v)->queue_entry ? VIRTIO_IRQ_QUEUE : VIRTIO_IRQ_QUEUE | VIRTIO_IRQ_CONFIG);
}

static void irq_msix_config(void *arg)
{
    struct virtio_dev *v = arg;
    v->handler(v, VIRTIO_IRQ_CONFIG);
}

static void irq_intx(void *arg)
{
    struct virtio_dev *v = arg;
    uint8_t isr = rd8(of(v)->isr, 0); /* reading clears it and lowers the line */
    if (!isr)
        return; /* another function on a shared line */
    v->handler(v, (isr & 1 ? VIRTIO_IRQ_QUEUE : 0) | (isr & 2 ? VIRTIO_IRQ_CONFIG : 0));
}

/* MSI-X: entry 0 for configuration changes, entry 1 for the queues (entry 0 for both when the
 * table has one entry). 0, or negative to fall back to INTx. */
static int setup_msix(struct vpci *p)
{
    int entries = pci_msix_enable(p->pci);
    if (entries < 1)
        return -19;
    int vq = irq_claim(irq_msix_queue, &p->v), vc = -1;
    if (vq < 0)
        goto fail;
    p->queue_entry = entries >= 2 ? 1 : 0;
    if (p->queue_entry) {
        vc = irq_claim(irq_msix_config, &p->v);
        if (vc < 0)
            goto fail;
        pci_msix_set(p->pci, 0, vc);
        pci_msix_set(p->pci, 1, vq);
    } else {
        pci_msix_set(p->pci, 0, vq);
    }
    wr16(p->common, COMMON_MSIX, 0);
    if (rd16(p->common, COMMON_MSIX) == NO_VECTOR)
        goto fail;
    p->msix = 1;
    return 0;
fail:
    pci_msix_disable(p->pci); /* the claimed vectors stay unused: there are 192 */
    return -16;
}

static int irq_setup(struct virtio_dev *v)
{
    struct vpci *p = of(v);
    size_t n = strlen(v->where);
    if (setup_msix(p) == 0) {
        uk_snprintf(v->where + n, sizeof(v->where) - n, " msix");
        return 0;
    }
    int gsi = pci_intx_attach(p->pci, irq_intx, v);
    if (gsi < 0)
        return gsi;
    uk_snprintf(v->where + n, sizeof(v->where) - n, " intx gsi %d", gsi);
    return 0;
}

static const struct virtio_transport pci_transport = {
    .name = "pci",
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

/* The structure a vendor capability at cap points to, mapped; its length in *len. */
static volatile uint8_t *map_cap(struct pci_dev *d, unsigned cap, uint32_t *len)
{
    unsigned bar = pci_read(d, cap + 4, 1);
    uint32_t off = pci_read(d, cap + 8, 4);
    *len = pci_read(d, cap + 12, 4);
    if (bar > 5)
        return NULL;
    return (volatile uint8_t *)(uintptr_t)pci_bar_map(d, (int)bar, off, *len);
}

/* The device type of a virtio PCI function (0 when it is not one). */
static unsigned virtio_type(const struct pci_dev *d)
{
    if (d->vendor != VIRTIO_PCI_VENDOR || d->header_type != 0)
        return 0;
    if (d->device >= 0x1040 && d->device <= 0x107f)
        return d->device - 0x1040u;
    if (d->device >= 0x1000 && d->device <= 0x103f) /* transitional: the type in the subsystem */
        return d->subsys_id;
    return 0;
}

int virtio_pci_probe(struct pci_dev *d)
{
    unsigned type = virtio_type(d);
    if (!type)
        return -19;
    if (nvpci == VPCI_MAX) {
        printk("virtio: more than %d PCI devices; %02x:%02x.%x ignored\n", VPCI_MAX, d->bus,
               d->slot, d->fn);
        return -28;
    }
    struct vpci *p = &vpcis[nvpci];
    memset(p, 0, sizeof(*p));
    p->pci = d;
    p->v.tr = &pci_transport;
    p->v.device_id = type;
    uk_snprintf(p->v.where, sizeof(p->v.where), "pci %02x:%02x.%x", d->bus, d->slot, d->fn);
    pci_enable(d);
    uint32_t common_len = 0, isr_len = 0;
    for (unsigned cap = pci_find_cap(d, PCI_CAP_VENDOR, 0); cap;
         cap = pci_find_cap(d, PCI_CAP_VENDOR, cap)) {
        unsigned kind = pci_read(d, cap + 3, 1);
        if (kind == CAP_COMMON && !p->common)
            p->common = map_cap(d, cap, &common_len);
        else if (kind == CAP_NOTIFY && !p->notify) {
            p->notify = map_cap(d, cap, &p->notify_len);
            p->notify_mult = pci_read(d, cap + 16, 4);
        } else if (kind == CAP_ISR && !p->isr)
            p->isr = map_cap(d, cap, &isr_len);
        else if (kind == CAP_DEVICE && !p->device)
            p->device = map_cap(d, cap, &p->device_len);
    }
    if (!p->common || common_len < COMMON_LEN || !p->notify || !p->isr || isr_len < 1) {
        printk(
            "virtio %s: no modern (virtio 1.x) register structures in memory BARs: a legacy-only "
            "device, not supported\n",
            p->v.where);
        return -95;
    }
    d->claimed = 1;
    nvpci++;
    int r = virtio_probe(&p->v);
    if (r == -19)
        printk("virtio %s: device type %u has no driver here\n", p->v.where, type);
    return r;
}

int virtio_pci_probe_all(void)
{
    int found = 0;
    for (int i = 0; i < pci_count(); i++) {
        struct pci_dev *d = pci_get(i);
        if (virtio_type(d) && !d->claimed) {
            virtio_pci_probe(d);
            found++;
        }
    }
    return found;
}
