/*
 * xen_front_fuzz.c — libFuzzer: the xen platform's netfront and blkfront response handling
 * (unikernel/platform/xen/netfront.c, blkfront.c) against a backend that writes whatever the input
 * says into the shared rings: responses with any id, offset, flags, status and operation, and
 * rsp_prod set to any value, between sends, submits and polls. Checks: no access outside the ring
 * pages, the buffers and the caller's memory (ASan: each page is its own allocation), a frame
 * handed up is at most NF_RX_MAX bytes, a request completes once with a final status, and a
 * device that stopped says why.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unikernel/drivers/blkdev.c"
#define devs  netdev_list
#define ndevs netdev_n
#define named netdev_named
#include "unikernel/drivers/netdev.c"
#undef devs
#undef ndevs
#undef named
#include "unikernel/platform/xen/blkfront.c"
#include "unikernel/platform/xen/gnttab.c"
#include "unikernel/platform/xen/netfront.c"
#include "unikernel/platform/xen/xenbus.c"
#include "unikernel/platform/xen/xs.c"
#include "tests/unikernel/xen_kernel_stubs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *in;
static size_t left;
static uint32_t take(unsigned bytes)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < bytes && left; i++, in++, left--)
        v = v << 8 | *in;
    return v;
}

static void notify(uint32_t port)
{
    (void)port;
}
static const struct xen_env env = {.notify = notify};

static void rx_fn(void *arg, const void *frame, uint32_t len, unsigned flags)
{
    (void)arg, (void)flags;
    if (len > NF_RX_MAX || len < NETDEV_ETH_HLEN)
        abort();
    volatile uint8_t sum = 0;
    for (uint32_t i = 0; i < len; i++) /* every byte handed up is readable */
        sum ^= ((const uint8_t *)frame)[i];
}

static struct netfront nf;
static void nf_setup(void)
{
    memset(&nf, 0, sizeof(nf));
    nf.env = &env;
    nf.tx = calloc(1, 4096);
    nf.rx = calloc(1, 4096);
    nf.frame = calloc(1, NF_RX_MAX);
    for (unsigned s = 0; s < NF_SLOTS; s++) {
        nf.tx_buf[s] = calloc(1, 4096);
        nf.rx_buf[s] = calloc(1, 4096);
        nf.tx_free[nf.tx_nfree++] = (uint16_t)s;
    }
    nf.sg = 1;
    nf.nd.ops = &nf_ops;
    snprintf(nf.xb.front, sizeof(nf.xb.front), "device/vif/0");
    rx_refill(&nf);
}
static void nf_teardown(void)
{
    free((void *)nf.tx), free((void *)nf.rx), free(nf.frame);
    for (unsigned s = 0; s < NF_SLOTS; s++)
        free(nf.tx_buf[s]), free(nf.rx_buf[s]);
}

static struct blkfront bf;
static struct blkdev_req reqs[BF_SLOTS + 4];
static uint8_t *bufs[BF_SLOTS + 4];
static void bf_setup(void)
{
    memset(&bf, 0, sizeof(bf));
    bf.env = &env;
    bf.ring = calloc(1, 4096);
    for (unsigned s = 0; s < BF_SLOTS; s++)
        bf.slot[s].data = calloc(BF_SEGS, 4096);
    bf.bd.ops = &bf_ops;
    bf.bd.sector_size = 512;
    bf.bd.sectors = 1 << 20;
    bf.bd.max_sectors = BF_SEGS * 8;
    bf.bd.queue_depth = BF_SLOTS;
    bf.bd.caps = BLKDEV_CAP_FLUSH | BLKDEV_CAP_IRQ;
    bf.flush_op = BLKIF_OP_FLUSH_DISKCACHE;
    snprintf(bf.xb.front, sizeof(bf.xb.front), "device/vbd/768");
    for (unsigned i = 0; i < BF_SLOTS + 4; i++) {
        reqs[i].status = 0;
        bufs[i] = calloc(BF_SEGS, 4096);
    }
}
static void bf_teardown(void)
{
    /* a request still pending must be in a slot: nothing completes twice or goes missing */
    for (unsigned i = 0; i < BF_SLOTS + 4; i++) {
        if (reqs[i].status == BLKDEV_PENDING) {
            int found = 0;
            for (unsigned s = 0; s < BF_SLOTS; s++)
                found |= bf.slot[s].req == &reqs[i];
            if (!found)
                abort();
        }
        free(bufs[i]);
    }
    free((void *)bf.ring);
    for (unsigned s = 0; s < BF_SLOTS; s++)
        free(bf.slot[s].data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    in = data, left = size;
    nf_setup();
    bf_setup();
    static uint8_t frame[NETDEV_SEGS][1600];
    while (left) {
        uint32_t op = take(1);
        switch (op % 9) {
        case 0: { /* an rx response */
            volatile struct netif_rx_response *r = &nf.rx->ring[nf.rx->h.rsp_prod & 255].rsp;
            r->id = (uint16_t)take(1), r->offset = (uint16_t)take(2), r->flags = (uint16_t)take(1),
            r->status = (int16_t)take(2);
            nf.rx->h.rsp_prod++;
            break;
        }
        case 1: { /* a tx response */
            volatile struct netif_tx_response *r = &nf.tx->ring[nf.tx->h.rsp_prod & 255].rsp;
            r->id = (uint16_t)take(1), r->status = (int16_t)take(1);
            nf.tx->h.rsp_prod++;
            break;
        }
        case 2: nf.rx->h.rsp_prod = take(4); break;
        case 3: nf.tx->h.rsp_prod = take(4); break;
        case 4: nf.nd.ops->poll(&nf.nd, rx_fn, 0, take(1) % 64); break;
        case 5: { /* a frame in pieces */
            struct netdev_seg sg[NETDEV_SEGS];
            unsigned n = take(1) % NETDEV_SEGS + 1;
            for (unsigned k = 0; k < n; k++)
                sg[k] = (struct netdev_seg){frame[k], take(2) % 1600};
            struct netdev_frame f = {.seg = sg,
                                     .nseg = n,
                                     .csum_start = (uint16_t)(take(1) % 64),
                                     .csum_offset = (uint16_t)(take(1) % 32)};
            nf.nd.ops->send(&nf.nd, &f, 1);
            nf.nd.ops->tx_pending(&nf.nd);
            break;
        }
        case 6: { /* a block request */
            unsigned i = take(1) % (BF_SLOTS + 4);
            if (reqs[i].status == BLKDEV_PENDING)
                break;
            reqs[i] = (struct blkdev_req){.op = take(1) % 3,
                                          .sector = take(1),
                                          .count = take(1) % (BF_SEGS * 8) + 1,
                                          .buf = bufs[i]};
            struct blkdev_req *l[1] = {&reqs[i]};
            bf.bd.ops->submit(&bf.bd, l, 1);
            break;
        }
        case 7: { /* a block response */
            volatile struct blkif_response *r = &bf.ring->ring[bf.ring->h.rsp_prod & 31].rsp;
            r->id = take(1), r->operation = (uint8_t)take(1), r->status = (int16_t)(take(1) - 128);
            bf.ring->h.rsp_prod += take(1) % 8 == 0 ? take(4) : 1;
            bf.bd.ops->poll(&bf.bd);
            break;
        }
        case 8: nf.nd.ops->arm(&nf.nd), bf.bd.ops->arm(&bf.bd); break;
        }
        if ((nf.nd.failed && !nf.nd.failed[0]) || (bf.bd.failed && !bf.bd.failed[0]))
            abort(); /* a device that stopped says why */
    }
    nf_teardown();
    bf_teardown();
    return 0;
}
