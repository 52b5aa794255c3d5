/*
 * unikernel/drivers/vmxnet3.c — vmxnet3 as a netdev: BAR1 commands (reset, activate, link, rx
 * mode), the driver shared area and queue descriptors, one TX ring with its completion ring (a
 * frame per descriptor, copied into the descriptor's own buffer, one TXPROD write per batch), one
 * RX ring of 2 KiB buffers (the second, body ring left empty) with its completion ring, the
 * generation bits of every ring checked; one interrupt (MSI-X entry 0, else INTx through ICR),
 * masked by the device after each (autoMask) until a waiter arms. Indexes and lengths the device
 * writes are checked before use: a completion out of order fails the device.
 */
#include "drivers/vmxnet3.h"

#include <stdarg.h>

#include "console/console.h"
#include "drivers/netdev.h"
#include "interrupts/irq.h"
#include "lib/string.h"
#include "memory/memory.h"

#define E_IO    5
#define E_NOMEM 12
#define E_NODEV 19

#define VMW_VENDOR  0x15ad
#define VMXNET3_DEV 0x07b0

/* BAR0 */
#define R_IMR    0x000 /* + 8 * interrupt */
#define R_TXPROD 0x600
#define R_RXPROD 0x800
/* BAR1 */
#define R_VRRS 0x00
#define R_UVRS 0x08
#define R_DSAL 0x10
#define R_DSAH 0x18
#define R_CMD  0x20
#define R_MACL 0x28
#define R_MACH 0x30
#define R_ICR  0x38
#define R_ECR  0x40

#define CMD_ACTIVATE  0xcafe0000u
#define CMD_RESET     0xcafe0002u
#define CMD_RX_MODE   0xcafe0003u
#define CMD_GET_LINK  0xf00d0002u
#define MAGIC         0xbabefee1u
#define ECR_LINK      4u
#define RXM_UCAST     1u
#define RXM_BCAST     4u
#define RXM_ALL_MULTI 8u

#define TX_RING     64
#define RX_RING     128
#define RX_RING2    32 /* the body ring: given no buffers (frames fit one) */
#define RXC_RING    (RX_RING + RX_RING2)
#define BUF         2048
#define TYPE_TXCOMP 0
#define TYPE_RXCOMP 3

/* struct Vmxnet3_DriverShared, as far as we fill it (offsets from QEMU's hw/net/vmxnet3.h). */
struct shared {
    uint32_t magic, pad;
    /* misc */
    uint32_t drv_version, gos, rev_spt, upt_spt;
    uint64_t upt_features, dd_pa, queue_desc_pa;
    uint32_t dd_len, queue_desc_len, mtu;
    uint16_t max_rx_sg;
    uint8_t num_tx, num_rx;
    uint32_t misc_reserved[4];
    /* intrConf */
    uint8_t auto_mask, num_intrs, event_intr, mod_levels[25];
    uint32_t intr_ctrl, intr_reserved[2];
    /* rxFilterConf */
    uint32_t rx_mode;
    uint16_t mf_len, pad1;
    uint64_t mf_pa;
    uint32_t vf_table[128];
    uint8_t var_conf[48]; /* rss, pm, plugin: unused */
    uint32_t ecr, reserved[5];
};
_Static_assert(__builtin_offsetof(struct shared, auto_mask) == 80, "intrConf offset");
_Static_assert(__builtin_offsetof(struct shared, rx_mode) == 120, "rxFilterConf offset");
_Static_assert(__builtin_offsetof(struct shared, ecr) == 696, "ecr offset");

struct txq_desc {
    uint32_t num_deferred, threshold;
    uint64_t reserved0;
    uint64_t ring_pa, data_ring_pa, comp_ring_pa, dd_pa, reserved1;
    uint32_t ring_size, data_ring_size, comp_ring_size, dd_len;
    uint8_t intr_idx, pad[7];
    uint8_t stopped, pad2[3];
    uint32_t error;
    uint8_t stats[80 + 88];
};
struct rxq_desc {
    uint8_t update_prod, pad0[7];
    uint64_t reserved0;
    uint64_t ring_pa[2], comp_ring_pa, dd_pa, reserved1;
    uint32_t ring_size[2], comp_ring_size, dd_len;
    uint8_t intr_idx, pad[7];
    uint8_t stopped, pad2[3];
    uint32_t error;
    uint8_t stats[80 + 88];
};
_Static_assert(sizeof(struct txq_desc) == 256 && sizeof(struct rxq_desc) == 256, "queue desc");

/* Every descriptor of every ring: 16 bytes, four little-endian words. */
struct desc {
    uint32_t w[4];
};

struct vmx {
    struct netdev nd; /* first: a struct netdev * is a struct vmx * */
    struct pci_dev *pci;
    volatile uint8_t *bar0, *bar1;
    char where[40];
    volatile struct shared *sh;
    volatile struct txq_desc *txq;
    volatile struct rxq_desc *rxq;
    volatile struct desc *tx, *txc, *rx, *rx2, *rxc;
    uint8_t *tx_bufs, *rx_bufs;
    unsigned tx_fill, tx_done, tx_inflight, txc_next;
    uint32_t tx_gen, txc_gen;
    unsigned rx_next, rx_fill, rxc_next;
    uint32_t rx_gen, rxc_gen;
    int masked, intx, tx_waiting, link_up;
};

static uint32_t rd1(const struct vmx *x, unsigned off)
{
    return *(volatile uint32_t *)(x->bar1 + off);
}

static void wr1(struct vmx *x, unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(x->bar1 + off) = v;
}

static void wr0(struct vmx *x, unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(x->bar0 + off) = v;
}

/* A GET command (or ACTIVATE): written, its answer read back from the same register. */
static uint32_t command(struct vmx *x, uint32_t cmd)
{
    wr1(x, R_CMD, cmd);
    return rd1(x, R_CMD);
}

/* Fails the device with one message (the first), naming what it wrote. */
__attribute__((format(printf, 2, 3))) static int fail(struct vmx *x, const char *fmt, ...)
{
    static char why[96];
    if (!x->nd.failed) {
        va_list ap;
        va_start(ap, fmt);
        uk_vsnprintf(why, sizeof(why), fmt, ap);
        va_end(ap);
        x->nd.failed = why;
        printk("vmxnet3 %s: %s\n", x->where, why);
    }
    return -E_IO;
}

/* Gives RX descriptor rx_fill its buffer (owned by the device from the gen write). */
static void rx_give(struct vmx *x)
{
    volatile struct desc *d = &x->rx[x->rx_fill];
    d->w[0] = (uint32_t)(uintptr_t)(x->rx_bufs + (size_t)x->rx_fill * BUF);
    d->w[1] = (uint32_t)((uint64_t)(uintptr_t)(x->rx_bufs + (size_t)x->rx_fill * BUF) >> 32);
    d->w[3] = 0;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    d->w[2] = BUF | x->rx_gen << 31; /* btype head, dtype 0 */
    if (++x->rx_fill == RX_RING) {
        x->rx_fill = 0;
        x->rx_gen ^= 1;
    }
}

/* Takes back the frames the device has sent (TX completions). 0, or -EIO. */
static int reclaim(struct vmx *x)
{
    for (;;) {
        volatile struct desc *c = &x->txc[x->txc_next];
        uint32_t w3 = c->w[3];
        if ((w3 >> 31) != x->txc_gen)
            return 0;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        unsigned idx = c->w[0] & 0xfff, type = w3 >> 24 & 0x7f;
        if (type != TYPE_TXCOMP)
            return fail(x, "TX completion of type %u at %u", type, x->txc_next);
        if (!x->tx_inflight || idx != x->tx_done)
            return fail(x, "TX completion for descriptor %u, expected %u", idx, x->tx_done);
        x->tx_done = (x->tx_done + 1) % TX_RING;
        x->tx_inflight--;
        if (++x->txc_next == TX_RING) {
            x->txc_next = 0;
            x->txc_gen ^= 1;
        }
    }
}

static int vmx_send(struct netdev *nd, const struct netdev_frame *f, unsigned n)
{
    struct vmx *x = (struct vmx *)nd;
    if (nd->failed || reclaim(x) < 0)
        return -E_IO;
    unsigned i, added = 0;
    for (i = 0; i < n; i++) {
        if (x->tx_inflight == TX_RING - 1) {
            nd->stats.tx_full++;
            x->tx_waiting = 1;
            break;
        }
        uint32_t flen = netdev_frame_len(&f[i]);
        if (flen < NETDEV_ETH_HLEN || flen > nd->mtu + NETDEV_ETH_HLEN + 4u) {
            nd->stats.tx_errors++;
            continue;
        }
        uint8_t *buf = x->tx_bufs + (size_t)x->tx_fill * BUF;
        netdev_frame_copy(buf, &f[i]);
        if (f[i].csum_start) {
            uint32_t start = f[i].csum_start, off = f[i].csum_offset;
            if (netdev_csum_fill(buf, flen, start, off) < 0) {
                nd->stats.tx_errors++;
                continue;
            }
        }
        volatile struct desc *d = &x->tx[x->tx_fill];
        d->w[0] = (uint32_t)(uintptr_t)buf;
        d->w[1] = (uint32_t)((uint64_t)(uintptr_t)buf >> 32);
        d->w[3] = 1u << 12 | 1u << 13; /* EOP, completion wanted */
        __atomic_thread_fence(__ATOMIC_RELEASE);
        d->w[2] = flen | x->tx_gen << 14; /* the device owns it from here */
        if (++x->tx_fill == TX_RING) {
            x->tx_fill = 0;
            x->tx_gen ^= 1;
        }
        x->tx_inflight++;
        added++;
        nd->stats.tx_frames++;
        nd->stats.tx_bytes += flen;
    }
    if (added) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        wr0(x, R_TXPROD, x->tx_fill);
        nd->stats.notifies++;
    }
    return (int)i;
}

static int vmx_poll(struct netdev *nd, netdev_rx_fn fn, void *arg, unsigned budget)
{
    struct vmx *x = (struct vmx *)nd;
    if (nd->failed)
        return -E_IO;
    int delivered = 0;
    unsigned given = 0;
    while ((unsigned)delivered < budget) {
        volatile struct desc *c = &x->rxc[x->rxc_next];
        uint32_t w3 = c->w[3];
        if ((w3 >> 31) != x->rxc_gen)
            break;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        uint32_t w0 = c->w[0], w2 = c->w[2];
        unsigned idx = w0 & 0xfff, ring = w0 >> 16 & 0x3ff, type = w3 >> 24 & 0x7f;
        if (type != TYPE_RXCOMP && type != 0) /* QEMU leaves the type 0 */
            return fail(x, "RX completion of type %u at %u", type, x->rxc_next);
        if (ring != 0)
            return fail(x, "RX completion on ring %u (descriptor %u): we gave it no buffers", ring,
                        idx);
        if (idx != x->rx_next)
            return fail(x, "RX completion for descriptor %u, expected %u", idx, x->rx_next);
        if (++x->rxc_next == RXC_RING) {
            x->rxc_next = 0;
            x->rxc_gen ^= 1;
        }
        x->rx_next = (x->rx_next + 1) % RX_RING;
        uint32_t len = w2 & 0x3fff;
        int sop_eop = (w0 >> 14 & 3) == 3, err = w2 >> 14 & 1;
        if (!sop_eop || err || len < NETDEV_ETH_HLEN || len > BUF) {
            nd->stats.rx_errors++;
        } else {
            unsigned flags = 0;
            if ((x->sh->upt_features & 1) && !(w0 >> 30 & 1) && (w3 >> 16 & 1) &&
                (w3 >> 17 & 3)) /* checksum calculated, TCP/UDP checksum correct */
                flags |= NETDEV_RX_CSUM_OK;
            fn(arg, x->rx_bufs + (size_t)idx * BUF, len, flags);
            nd->stats.rx_frames++;
            nd->stats.rx_bytes += len;
            delivered++;
        }
        rx_give(x); /* the buffer just handed up goes back at the fill point */
        given++;
    }
    if (given && x->rxq->update_prod)
        wr0(x, R_RXPROD, x->rx_fill);
    return delivered;
}

static int vmx_arm(struct netdev *nd)
{
    struct vmx *x = (struct vmx *)nd;
    if (nd->failed)
        return -E_IO;
    if ((x->rxc[x->rxc_next].w[3] >> 31) == x->rxc_gen)
        return 1;
    if (x->tx_waiting && (x->txc[x->txc_next].w[3] >> 31) == x->txc_gen)
        return 1;
    if (x->masked) {
        x->masked = 0;
        wr0(x, R_IMR, 0);
    }
    return 0;
}

static int vmx_link(struct netdev *nd)
{
    struct vmx *x = (struct vmx *)nd;
    if (x->sh->ecr & ECR_LINK) { /* the device said the link changed: ask, then acknowledge */
        wr1(x, R_ECR, ECR_LINK);
        x->link_up = command(x, CMD_GET_LINK) & 1;
    }
    return x->link_up;
}

static int vmx_tx_pending(struct netdev *nd)
{
    struct vmx *x = (struct vmx *)nd;
    if (nd->failed || reclaim(x) < 0)
        return -E_IO;
    if (x->tx_waiting && x->tx_inflight < TX_RING - 1)
        x->tx_waiting = 0;
    return (int)x->tx_inflight;
}

static const struct netdev_ops vmx_ops = {
    .send = vmx_send,
    .poll = vmx_poll,
    .arm = vmx_arm,
    .link = vmx_link,
    .tx_pending = vmx_tx_pending,
};

static void irq_msix(void *arg)
{
    struct vmx *x = arg;
    x->masked = 1; /* autoMask: the device masked it */
    netdev_irq_event(&x->nd);
}

static void irq_intx(void *arg)
{
    struct vmx *x = arg;
    if (!rd1(x, R_ICR)) /* reading clears it and lowers the line */
        return;         /* another function on a shared line */
    x->masked = 1;
    netdev_irq_event(&x->nd);
}

/* Places the shared area, the queue descriptors, the rings and the buffers in `mem`
   (LAYOUT_PAGES pages, zeroed): page 0 shared, 1 queue descriptors, 2-6 rings, then the buffers. */
#define LAYOUT_PAGES (7 + (TX_RING + RX_RING) * BUF / PAGE_SIZE)
static void layout(struct vmx *x, uint8_t *mem)
{
    x->sh = (volatile struct shared *)mem;
    x->txq = (volatile struct txq_desc *)(mem + PAGE_SIZE);
    x->rxq = (volatile struct rxq_desc *)(mem + PAGE_SIZE + sizeof(struct txq_desc));
    x->tx = (volatile struct desc *)(mem + 2 * PAGE_SIZE);
    x->txc = (volatile struct desc *)(mem + 3 * PAGE_SIZE);
    x->rx = (volatile struct desc *)(mem + 4 * PAGE_SIZE);
    x->rx2 = (volatile struct desc *)(mem + 5 * PAGE_SIZE);
    x->rxc = (volatile struct desc *)(mem + 6 * PAGE_SIZE);
    x->tx_bufs = mem + 7 * PAGE_SIZE;
    x->rx_bufs = x->tx_bufs + TX_RING * BUF;
    x->tx_gen = x->txc_gen = x->rx_gen = x->rxc_gen = 1;
}

int vmxnet3_is(const struct pci_dev *d)
{
    return d->header_type == 0 && d->vendor == VMW_VENDOR && d->device == VMXNET3_DEV;
}

static int probe_fail(struct vmx *x, const char *why, int err)
{
    printk("vmxnet3 %s: %s\n", x->where, why);
    return err;
}

int vmxnet3_probe(struct pci_dev *d)
{
    if (!vmxnet3_is(d))
        return -E_NODEV;
    struct vmx *x = heap_alloc(sizeof(*x));
    if (!x)
        return -E_NOMEM;
    memset(x, 0, sizeof(*x));
    x->pci = d;
    uk_snprintf(x->where, sizeof(x->where), "%02x:%02x.%x", d->bus, d->slot, d->fn);
    d->claimed = 1;
    pci_enable(d);
    x->bar0 = (volatile uint8_t *)(uintptr_t)pci_bar_map(d, 0, 0, 0x1000);
    x->bar1 = (volatile uint8_t *)(uintptr_t)pci_bar_map(d, 1, 0, 0x1000);
    if (!x->bar0 || !x->bar1)
        return probe_fail(x, "BAR0 or BAR1 is not a mapped memory BAR", -E_IO);
    wr1(x, R_CMD, CMD_RESET); /* a loader may have left it running with its own rings */
    if (!(rd1(x, R_VRRS) & 1) || !(rd1(x, R_UVRS) & 1))
        return probe_fail(x, "revision 1 not offered (VRRS/UVRS)", -E_IO);
    wr1(x, R_VRRS, 1);
    wr1(x, R_UVRS, 1);

    size_t pages = LAYOUT_PAGES;
    uint8_t *mem = page_alloc(pages);
    if (!mem)
        return probe_fail(x, "out of memory for rings and buffers", -E_NOMEM);
    memset(mem, 0, pages * PAGE_SIZE);
    layout(x, mem);

    uint32_t macl = rd1(x, R_MACL), mach = rd1(x, R_MACH);
    struct netdev *nd = &x->nd;
    for (int i = 0; i < 4; i++)
        nd->mac[i] = (uint8_t)(macl >> 8 * i);
    nd->mac[4] = (uint8_t)mach;
    nd->mac[5] = (uint8_t)(mach >> 8);
    nd->mtu = 1500;

    /* The interrupt: MSI-X entry 0 (the device's events, TX and RX all on interrupt 0). */
    const char *how = "msix";
    char gsi_text[16] = "";
    if (pci_msix_enable(d) >= 1) {
        int v = irq_claim(irq_msix, x);
        if (v < 0 || pci_msix_set(d, 0, v) < 0)
            return probe_fail(x, "no vector for MSI-X", -E_IO);
    } else {
        int gsi = pci_intx_attach(d, irq_intx, x);
        if (gsi < 0)
            return probe_fail(x, "no interrupt (no MSI-X, no routed INTx line)", -E_IO);
        x->intx = 1;
        how = "intx gsi";
        uk_snprintf(gsi_text, sizeof(gsi_text), " %d", gsi);
    }

    volatile struct shared *sh = x->sh;
    sh->magic = MAGIC;
    sh->drv_version = 1;
    sh->gos = 2 | 1u << 2; /* 64-bit, "Linux" family (what the device knows) */
    sh->rev_spt = 1;
    sh->upt_spt = 1;
    sh->upt_features = 1; /* RXCSUM: the device reports TCP/UDP checksums it checked */
    sh->queue_desc_pa = (uint64_t)(uintptr_t)x->txq;
    sh->queue_desc_len = sizeof(struct txq_desc) + sizeof(struct rxq_desc);
    sh->mtu = nd->mtu;
    sh->max_rx_sg = 1;
    sh->num_tx = 1;
    sh->num_rx = 1;
    sh->auto_mask = 1;
    sh->num_intrs = 1;
    sh->event_intr = 0;
    sh->rx_mode = RXM_UCAST | RXM_BCAST | RXM_ALL_MULTI;
    x->txq->ring_pa = (uint64_t)(uintptr_t)x->tx;
    x->txq->comp_ring_pa = (uint64_t)(uintptr_t)x->txc;
    x->txq->ring_size = TX_RING;
    x->txq->comp_ring_size = TX_RING;
    x->rxq->ring_pa[0] = (uint64_t)(uintptr_t)x->rx;
    x->rxq->ring_pa[1] = (uint64_t)(uintptr_t)x->rx2;
    x->rxq->comp_ring_pa = (uint64_t)(uintptr_t)x->rxc;
    x->rxq->ring_size[0] = RX_RING;
    x->rxq->ring_size[1] = RX_RING2;
    x->rxq->comp_ring_size = RXC_RING;
    for (unsigned i = 0; i < RX_RING - 1; i++)
        rx_give(x);

    uint64_t pa = (uint64_t)(uintptr_t)sh;
    wr1(x, R_DSAL, (uint32_t)pa);
    wr1(x, R_DSAH, (uint32_t)(pa >> 32));
    uint32_t st = command(x, CMD_ACTIVATE);
    if (st != 0)
        return probe_fail(x, "ACTIVATE_DEV refused (the device rejected the shared area)", -E_IO);
    wr1(x, R_CMD, CMD_RX_MODE);
    wr0(x, R_RXPROD, x->rx_fill);
    x->link_up = command(x, CMD_GET_LINK) & 1;
    x->masked = 1; /* unmasked by the first arm */

    nd->ops = &vmx_ops;
    nd->driver = "vmxnet3";
    nd->caps = NETDEV_CAP_IRQ | NETDEV_CAP_RX_CSUM;
    uk_snprintf(nd->bus, sizeof(nd->bus), "pci %s %s%s", x->where, how, gsi_text);
    if (netdev_register(nd) < 0)
        return probe_fail(x, "more than NETDEV_MAX network devices", -E_NODEV);
    return 0;
}

int vmxnet3_probe_all(void)
{
    int found = 0;
    for (int i = 0; i < pci_count(); i++) {
        struct pci_dev *d = pci_get(i);
        if (vmxnet3_is(d) && !d->claimed) {
            vmxnet3_probe(d);
            found++;
        }
    }
    return found;
}
