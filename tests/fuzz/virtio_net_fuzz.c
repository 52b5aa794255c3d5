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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/netdev.h"
#include "tests/fuzz/virtio_fake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
    fake_reset(data, size, VIRTIO_ID_NET);
    uint32_t lo = take(4), hi = take(4);
    dev.offered = (uint64_t)hi << 32 | lo;
    uint32_t mode = take(1);
    if (!(mode & 1))
        dev.offered |= 1ull << VIRTIO_F_VERSION_1;
    dev.v.legacy = (mode & 6) == 6; /* a virtio-mmio version 1 device: 32 bits, 10-byte headers */
    dev.qmax[0] = take(2) % 1100;
    dev.qmax[1] = take(2) % 1100;
    for (unsigned i = 0; i < 12; i++) /* MAC, status, MTU */
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
    fake_free_all();
    return 0;
}
