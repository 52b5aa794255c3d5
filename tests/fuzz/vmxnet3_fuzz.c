/*
 * vmxnet3_fuzz.c — libFuzzer: the unikernel's vmxnet3 driver's rings (drivers/vmxnet3.c: send,
 * TX completions, receive, RX completions, arm, link) against a device that lies. The input is a
 * script of operations — frames sent (any length, a checksum request anywhere), TX completions
 * the device posts (the descriptor it took or any index, any type, the generation bit right or
 * wrong), frames it receives (honest DMA into a buffer it owns, then a completion with any index,
 * ring, type, length, SOP/EOP, error and checksum bits), polls, arms, link events. Each TX
 * descriptor is checked as the device reads it (its own buffer, the frame's length); each frame
 * handed up lies inside the receive buffers; the driver never holds more than its ring, and once it
 * gives up it says why and every call answers -EIO.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/vmxnet3.c"
#include "tests/fuzz/virtio_fake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vmx *x;
static uint32_t bar0[0x1000 / 4], bar1[0x100 / 4];
static unsigned tx_next, txc_next, rx_next, rxc_next; /* the device's indexes */
static uint32_t tx_gen, txc_gen, rx_gen, rxc_gen;
static unsigned taken; /* TX descriptors the device took and has not completed */
static uint8_t frame[2048];

static void on_rx(void *arg, const void *p, uint32_t len, unsigned flags)
{
    (void)arg, (void)flags;
    const uint8_t *b = p;
    if (b < x->rx_bufs || len > BUF || b + len > x->rx_bufs + (size_t)RX_RING * BUF ||
        (size_t)(b - x->rx_bufs) % BUF)
        abort(); /* a frame outside the receive buffers */
}

static void driver_send(void)
{
    struct netdev_seg segs[3];
    struct netdev_frame f[3];
    unsigned n = take(1) % 3 + 1;
    for (unsigned i = 0; i < n; i++) {
        uint32_t len = take(2) % 1600;
        segs[i] = (struct netdev_seg){.data = frame, .len = len};
        f[i] = (struct netdev_frame){.seg = &segs[i], .nseg = 1};
        if (take(1) & 1)
            f[i].csum_start = (uint16_t)take(2), f[i].csum_offset = (uint16_t)(take(1) % 20);
    }
    int r = x->nd.ops->send(&x->nd, f, n);
    if (r < -5 || (r >= 0 && (unsigned)r > n) || x->tx_inflight > TX_RING - 1)
        abort();
}

/* The device takes the TX descriptors it owns, as it would read them. */
static void device_take(void)
{
    for (;;) {
        volatile struct desc *d = &x->tx[tx_next];
        if ((d->w[2] >> 14 & 1) != tx_gen)
            return;
        uint64_t addr = d->w[0] | (uint64_t)d->w[1] << 32;
        uint32_t len = d->w[2] & 0x3fff;
        if (addr != (uint64_t)(uintptr_t)(x->tx_bufs + (size_t)tx_next * BUF) ||
            len < NETDEV_ETH_HLEN || len > 1500u + NETDEV_ETH_HLEN + 4 || taken >= TX_RING)
            abort();
        taken++;
        if (++tx_next == TX_RING)
            tx_next = 0, tx_gen ^= 1;
    }
}

static void post(volatile struct desc *ring, unsigned *next, uint32_t *gen, unsigned size,
                 uint32_t w0, uint32_t w2, uint32_t w3, int wrong_gen)
{
    volatile struct desc *c = &ring[*next];
    c->w[0] = w0, c->w[1] = 0, c->w[2] = w2;
    c->w[3] = (w3 & 0x7fffffffu) | (uint32_t)(wrong_gen ? !*gen : *gen) << 31;
    if (!wrong_gen && ++*next == size)
        *next = 0, *gen ^= 1;
}

static void device_tx_complete(void)
{
    uint32_t ctl = take(1);
    unsigned idx = (tx_next + TX_RING - taken) % TX_RING; /* the oldest taken */
    if (ctl & 1)
        idx = take(2) & 0xfff;
    else if (taken)
        taken--;
    uint32_t type = ctl & 2 ? take(1) & 0x7f : TYPE_TXCOMP;
    post(x->txc, &txc_next, &txc_gen, TX_RING, idx, 0, type << 24, ctl & 4);
}

static void device_receive(void)
{
    uint32_t ctl = take(1);
    volatile struct desc *d = &x->rx[rx_next];
    unsigned idx = rx_next;
    if (d->w[2] >> 31 == rx_gen) { /* a buffer it owns: honest DMA into it */
        uint64_t addr = d->w[0] | (uint64_t)d->w[1] << 32;
        if (addr != (uint64_t)(uintptr_t)(x->rx_bufs + (size_t)rx_next * BUF) ||
            (d->w[2] & 0x3fff) != BUF)
            abort();
        uint32_t n = take(2) % (BUF + 1);
        for (uint32_t i = 0; i < n; i++)
            ((uint8_t *)(uintptr_t)addr)[i] = (uint8_t)take(1);
        if (++rx_next == RX_RING)
            rx_next = 0, rx_gen ^= 1;
    }
    if (ctl & 1)
        idx = take(2) & 0xfff;
    uint32_t ring = ctl & 2 ? take(1) & 0x3ff : 0;
    uint32_t sop_eop = ctl & 4 ? take(1) & 3 : 3;
    uint32_t w0 = idx | sop_eop << 14 | ring << 16 | (ctl & 8 ? 1u << 30 : 0);
    uint32_t w2 = (ctl & 16 ? take(2) : take(2) % (BUF + 1)) & 0x7fff;
    uint32_t w3 = (ctl & 32 ? take(1) & 0x7f : TYPE_RXCOMP) << 24 | (take(1) & 7) << 16;
    post(x->rxc, &rxc_next, &rxc_gen, RXC_RING, w0, w2, w3, ctl & 64);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fake_reset(data, size, 0);
    memset(bar0, 0, sizeof(bar0));
    memset(bar1, 0, sizeof(bar1));
    tx_next = txc_next = rx_next = rxc_next = taken = 0;
    tx_gen = txc_gen = rx_gen = rxc_gen = 1;
    x = heap_alloc(sizeof(*x));
    memset(x, 0, sizeof(*x));
    uint8_t *mem = page_alloc(LAYOUT_PAGES); /* the probe's layout */
    memset(mem, 0, LAYOUT_PAGES * PAGE_SIZE);
    x->bar0 = (volatile uint8_t *)bar0;
    x->bar1 = (volatile uint8_t *)bar1;
    layout(x, mem);
    x->sh->upt_features = take(1) & 1;
    x->rxq->update_prod = take(1) & 1;
    x->nd.mtu = 1500;
    x->nd.ops = &vmx_ops;
    snprintf(x->where, sizeof(x->where), "fuzz");
    for (unsigned i = 0; i < RX_RING - 1; i++)
        rx_give(x);

    for (int steps = 0; in_left && steps < 400; steps++) {
        int r = 0;
        switch (take(1) % 7) {
        case 0: driver_send(); break;
        case 1: device_take(); break;
        case 2: device_tx_complete(); break;
        case 3: device_receive(); break;
        case 4: r = x->nd.ops->poll(&x->nd, on_rx, NULL, take(1) % 70 + 1); break;
        case 5: r = x->nd.ops->arm(&x->nd); break;
        default:
            if (take(1) & 1)
                x->sh->ecr |= ECR_LINK;
            bar1[R_CMD / 4] = take(1);
            r = x->nd.ops->link(&x->nd) | x->nd.ops->tx_pending(&x->nd);
            break;
        }
        if (r < -5 || (x->nd.failed && x->nd.ops->arm(&x->nd) != -5) ||
            x->tx_inflight > TX_RING - 1)
            abort(); /* an answer no caller knows, or a failed device still answering */
    }
    fake_free_all();
    return 0;
}
