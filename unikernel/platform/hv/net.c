/*
 * unikernel/platform/hv/net.c — jeos-hv's NICs as netdevs: batched net_read / net_write hypercalls
 * (one VM exit per batch), checksums in software, and waiting in the host (poll) since the
 * NICs raise no interrupts.
 */
#include "console/console.h"
#include "drivers/netdev.h"
#include "lib/string.h"
#include "memory/memory.h"
#include "platform/hv/hv.h"
#include "time/time.h"

#define HVNET_BATCH JEOS_HV_NET_BATCH /* frames per hypercall: as many as the ABI takes */
#define HVNET_BUF   1536              /* a receive or staging buffer */
#define HVNET_FRAME 1514              /* what jeos-hv carries: Ethernet header and 1500 bytes */

struct hvnet {
    struct netdev nd;
    unsigned dev;
    uint8_t *rx; /* HVNET_BATCH receive buffers */
    uint8_t *tx; /* HVNET_BATCH staging buffers for gathered or checksummed frames */
};

static uint32_t nic_mask; /* the NICs registered, for the host wait */

static int hvnet_send(struct netdev *nd, const struct netdev_frame *f, unsigned n)
{
    struct hvnet *h = (struct hvnet *)nd;
    struct hv_frame out[HVNET_BATCH];
    unsigned which[HVNET_BATCH]; /* the frame each entry of out is */
    unsigned taken = 0;
    while (taken < n) {
        unsigned k = 0;
        for (; taken < n && k < HVNET_BATCH; taken++) {
            const struct netdev_frame *fr = &f[taken];
            uint32_t len = netdev_frame_len(fr);
            if (len < NETDEV_ETH_HLEN || len > HVNET_FRAME) {
                nd->stats.tx_errors++;
                continue;
            }
            if (fr->nseg == 1 && !fr->csum_start) { /* jeos-hv copies it during the call */
                out[k] = (struct hv_frame){(void *)(uintptr_t)fr->seg[0].data, len};
            } else {
                uint8_t *b = h->tx + (size_t)k * HVNET_BUF;
                netdev_frame_copy(b, fr);
                if (fr->csum_start &&
                    netdev_csum_fill(b, len, fr->csum_start, fr->csum_offset) < 0) {
                    nd->stats.tx_errors++;
                    continue;
                }
                out[k] = (struct hv_frame){b, len};
            }
            which[k++] = taken;
        }
        if (!k)
            continue;
        int r = hv_net_send(h->dev, out, k);
        nd->stats.notifies++;
        if (r < 0 && r != JEOS_HV_EAGAIN)
            return -5;
        unsigned sent = r < 0 ? 0 : (unsigned)r;
        nd->stats.tx_frames += sent;
        for (unsigned j = 0; j < sent; j++)
            nd->stats.tx_bytes += out[j].len;
        if (sent < k) { /* the tap's queue is full: the rest of this batch waits */
            nd->stats.tx_full++;
            return (int)which[sent]; /* skipped (bad) frames before it count as taken */
        }
    }
    return (int)taken;
}

static int hvnet_poll(struct netdev *nd, netdev_rx_fn fn, void *arg, unsigned budget)
{
    struct hvnet *h = (struct hvnet *)nd;
    int delivered = 0;
    while ((unsigned)delivered < budget) {
        struct hv_frame in[HVNET_BATCH];
        unsigned want =
            budget - (unsigned)delivered < HVNET_BATCH ? budget - (unsigned)delivered : HVNET_BATCH;
        for (unsigned i = 0; i < want; i++)
            in[i] = (struct hv_frame){h->rx + (size_t)i * HVNET_BUF, HVNET_BUF};
        int r = hv_net_recv(h->dev, in, want);
        if (r < 0)
            return -5;
        for (int i = 0; i < r; i++) {
            if (in[i].len < NETDEV_ETH_HLEN || in[i].len > HVNET_BUF) {
                nd->stats.rx_errors++;
                continue;
            }
            fn(arg, in[i].data, in[i].len, 0);
            nd->stats.rx_frames++;
            nd->stats.rx_bytes += in[i].len;
        }
        delivered += r;
        if ((unsigned)r < want)
            break;
    }
    return delivered;
}

static int hvnet_arm(struct netdev *nd)
{
    (void)nd;
    return 0; /* no interrupts: hvnet_wait looks */
}

static int hvnet_link(struct netdev *nd)
{
    (void)nd;
    return 1;
}

static int hvnet_tx_pending(struct netdev *nd)
{
    (void)nd;
    return 0; /* net_write returns once the frames are on the tap */
}

static int hvnet_wait(struct netdev *nd, uint64_t deadline_ns)
{
    (void)nd;
    uint64_t now = time_monotonic_ns();
    uint64_t timeout = deadline_ns > now ? deadline_ns - now : 0;
    if (timeout > 86400000000000ull) /* jeos-hv sleeps at most a day per call */
        timeout = 86400000000000ull;
    int r = hv_poll(timeout, nic_mask);
    return r > 0;
}

static const struct netdev_ops hvnet_ops = {
    .send = hvnet_send,
    .poll = hvnet_poll,
    .arm = hvnet_arm,
    .link = hvnet_link,
    .tx_pending = hvnet_tx_pending,
    .wait = hvnet_wait,
};

void hv_net_init(void)
{
    for (unsigned i = 0; i < hv_net_count(); i++) {
        struct hvnet *h = heap_alloc(sizeof(*h));
        uint8_t *bufs = page_alloc(2 * HVNET_BATCH * HVNET_BUF / PAGE_SIZE);
        if (!h || !bufs) {
            printk("hv net %u: out of memory\n", i);
            return;
        }
        memset(h, 0, sizeof(*h));
        h->dev = i;
        h->rx = bufs;
        h->tx = bufs + HVNET_BATCH * HVNET_BUF;
        if (hv_net_info(i, h->nd.mac, &h->nd.mtu) < 0) {
            printk("hv net %u: net_info failed\n", i);
            continue;
        }
        h->nd.ops = &hvnet_ops;
        h->nd.driver = "jeos-hv";
        uk_snprintf(h->nd.bus, sizeof(h->nd.bus), "hv %u", i);
        if (netdev_register(&h->nd) == 0)
            nic_mask |= 1u << i;
    }
}
