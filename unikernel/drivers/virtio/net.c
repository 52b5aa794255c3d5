/*
 * unikernel/drivers/virtio/net.c — virtio-net as a netdev: MAC, MTU and link from the device
 * configuration; mergeable receive buffers, re-posted as soon as a frame is handed up (no
 * allocation after start-up); checksum offload both ways where negotiated; sends batched behind
 * one notify; interrupts suppressed through EVENT_IDX. Frame lengths, headers and merge counts
 * written by the device are checked before use.
 */
#include "console/console.h"
#include "drivers/netdev.h"
#include "drivers/virtio/virtio.h"
#include "lib/string.h"
#include "memory/memory.h"

#define NET_F_CSUM       0
#define NET_F_GUEST_CSUM 1
#define NET_F_MTU        3
#define NET_F_MAC        5
#define NET_F_MRG_RXBUF  15
#define NET_F_STATUS     16

#define HDR_F_NEEDS_CSUM 1
#define HDR_F_DATA_VALID 2
#define NET_S_LINK_UP    1

#define CFG_MAC    0
#define CFG_STATUS 6
#define CFG_MTU    10

#define QUEUE_RX 0
#define QUEUE_TX 1
#define RING     128  /* entries per queue */
#define BUF      2048 /* one receive or send buffer: header and a whole frame */

/* struct virtio_net_hdr as virtio 1.x has it (num_buffers always there). */
struct net_hdr {
    uint8_t flags, gso_type;
    uint16_t hdr_len, gso_size, csum_start, csum_offset, num_buffers;
} __attribute__((packed));

/* The header in front of every frame: 12 bytes, 10 on a legacy device without MRG_RXBUF. */
#define HDR_LEN_LEGACY 10

struct vnet {
    struct netdev nd; /* first: a struct netdev * is a struct vnet * */
    struct virtio_dev *v;
    struct virtq rx, tx;
    uint8_t *rx_bufs, *tx_bufs;
    int tx_waiting; /* the send ring filled: its interrupt is on until room comes back */
    uint32_t frame_max;
    uint32_t hdr_len;
    uint8_t frame[NETDEV_FRAME_MAX]; /* a frame the device spread over several buffers */
};

static int failed(struct vnet *vn)
{
    vn->nd.failed = vn->v->failed;
    return -5;
}

static void repost(struct vnet *vn, uint8_t *buf)
{
    struct virtq_seg seg = {(uint64_t)(uintptr_t)buf, BUF, 1};
    virtq_add(&vn->rx, &seg, 1, buf); /* cannot fail: the buffer's descriptor just came back */
}

/* Takes the rest of a frame announced in nbuf buffers, after the first (already in frame unless
 * too_long). Returns 1 when the frame does not fit in frame, 0, or <0 when the device failed. */
static int gather(struct vnet *vn, unsigned nbuf, uint32_t *len, int too_long)
{
    for (unsigned k = 1; k < nbuf; k++) {
        void *ck;
        uint32_t n;
        int head, r = virtq_get(&vn->rx, &ck, &n, &head);
        if (r < 0)
            return failed(vn);
        if (r == 0) {
            virtio_fail(vn->v, "receive: a frame announced in %u buffers, only %u used", nbuf, k);
            return failed(vn);
        }
        if (!too_long && *len <= NETDEV_FRAME_MAX && n <= NETDEV_FRAME_MAX - *len)
            memcpy(vn->frame + *len, ck, n);
        else
            too_long = 1;
        *len += n;
        repost(vn, ck);
    }
    return too_long;
}

/* One used receive buffer: checks it, hands the frame to fn. 1 delivered, 0 dropped, <0 failed. */
static int receive(struct vnet *vn, uint8_t *buf, uint32_t len, netdev_rx_fn fn, void *arg)
{
    struct net_hdr h = {0};
    uint32_t hdr_len = vn->hdr_len;
    if (len < hdr_len) {
        repost(vn, buf);
        vn->nd.stats.rx_errors++;
        return 0;
    }
    memcpy(&h, buf, hdr_len); /* read once */
    unsigned nbuf = virtio_has(vn->v, NET_F_MRG_RXBUF) ? h.num_buffers : 1;
    if (nbuf == 0) {
        repost(vn, buf);
        virtio_fail(vn->v, "receive: a frame header says num_buffers 0");
        return failed(vn);
    }
    uint8_t *data = buf + hdr_len;
    uint32_t flen = len - hdr_len;
    if (nbuf > 1) {
        int too_long = flen > NETDEV_FRAME_MAX;
        if (!too_long)
            memcpy(vn->frame, data, flen);
        repost(vn, buf);
        int r = gather(vn, nbuf, &flen, too_long);
        if (r < 0)
            return r;
        data = vn->frame;
        if (r) {
            vn->nd.stats.rx_dropped++;
            return 0;
        }
    }
    int ok = flen >= NETDEV_ETH_HLEN && flen <= vn->frame_max;
    unsigned flags = 0;
    if (ok && (h.flags & HDR_F_NEEDS_CSUM)) /* a partial checksum (from the host): complete it */
        ok = netdev_csum_fill(data, flen, h.csum_start, h.csum_offset) == 0;
    if (ok && (h.flags & (HDR_F_NEEDS_CSUM | HDR_F_DATA_VALID)))
        flags |= NETDEV_RX_CSUM_OK;
    if (ok) {
        fn(arg, data, flen, flags);
        vn->nd.stats.rx_frames++;
        vn->nd.stats.rx_bytes += flen;
    } else {
        vn->nd.stats.rx_errors++;
    }
    if (nbuf == 1)
        repost(vn, buf);
    return ok;
}

static int vnet_poll(struct netdev *nd, netdev_rx_fn fn, void *arg, unsigned budget)
{
    struct vnet *vn = (struct vnet *)nd;
    int delivered = 0;
    for (unsigned i = 0; i < budget; i++) {
        void *ck;
        uint32_t len;
        int head, r = virtq_get(&vn->rx, &ck, &len, &head);
        if (r == 0)
            break;
        if (r > 0)
            r = receive(vn, ck, len, fn, arg);
        if (r < 0)
            return failed(vn);
        delivered += r;
    }
    virtq_kick(&vn->rx); /* the buffers handed back, in one notify if the device wants one */
    return delivered;
}

/* Takes back what the device has sent. */
static int reclaim(struct vnet *vn)
{
    void *ck;
    uint32_t len;
    int head, r;
    while ((r = virtq_get(&vn->tx, &ck, &len, &head)) > 0)
        ;
    return r < 0 ? failed(vn) : 0;
}

static int vnet_send(struct netdev *nd, const struct netdev_frame *f, unsigned n)
{
    struct vnet *vn = (struct vnet *)nd;
    if (reclaim(vn) < 0)
        return -5;
    if (vn->tx_waiting && vn->tx.num_free) {
        vn->tx_waiting = 0;
        virtq_irq_off(&vn->tx);
    }
    unsigned i;
    for (i = 0; i < n; i++) {
        int head = virtq_peek_free(&vn->tx);
        if (head < 0) {
            nd->stats.tx_full++;
            vn->tx_waiting = 1;
            virtq_irq_on_delayed(&vn->tx);
            break;
        }
        uint32_t flen = netdev_frame_len(&f[i]);
        uint8_t *buf = vn->tx_bufs + (size_t)head * BUF;
        struct net_hdr h = {0};
        if (flen < NETDEV_ETH_HLEN || flen > vn->frame_max) {
            nd->stats.tx_errors++;
            continue;
        }
        netdev_frame_copy(buf + vn->hdr_len, &f[i]);
        if (f[i].csum_start) {
            uint32_t start = f[i].csum_start, off = f[i].csum_offset;
            if (start >= flen || off > flen - start || flen - start - off < 2) {
                nd->stats.tx_errors++;
                continue;
            }
            if (virtio_has(vn->v, NET_F_CSUM)) {
                h.flags = HDR_F_NEEDS_CSUM;
                h.csum_start = (uint16_t)start;
                h.csum_offset = (uint16_t)off;
            } else {
                netdev_csum_fill(buf + vn->hdr_len, flen, start, off);
            }
        }
        memcpy(buf, &h, vn->hdr_len);
        struct virtq_seg seg = {(uint64_t)(uintptr_t)buf, vn->hdr_len + flen, 0};
        virtq_add(&vn->tx, &seg, 1, NULL);
        nd->stats.tx_frames++;
        nd->stats.tx_bytes += flen;
    }
    uint64_t before = vn->tx.notifies;
    virtq_kick(&vn->tx);
    if (vn->tx.notifies != before)
        nd->stats.notifies++;
    else
        nd->stats.notifies_suppressed++;
    return (int)i;
}

static int vnet_arm(struct netdev *nd)
{
    struct vnet *vn = (struct vnet *)nd;
    if (vn->v->failed)
        return failed(vn);
    virtq_irq_on(&vn->rx);
    /* a register read orders the event index written before the used indexes read after (the
     * fence virtq_irq_on has is not one under QEMU's TCG before 8.1: see KICK_UNASKED), else the
     * device may not interrupt for frames it writes meanwhile and the CPU halts past them */
    (void)vn->v->tr->get_status(vn->v);
    int pending = virtq_pending(&vn->rx);
    if (vn->tx_waiting)
        pending |= virtq_pending(&vn->tx);
    return pending;
}

static int vnet_link(struct netdev *nd)
{
    struct vnet *vn = (struct vnet *)nd;
    if (!virtio_has(vn->v, NET_F_STATUS))
        return 1; /* no status field: up */
    return vn->v->tr->config_read(vn->v, CFG_STATUS, 2) & NET_S_LINK_UP;
}

static int vnet_tx_pending(struct netdev *nd)
{
    struct vnet *vn = (struct vnet *)nd;
    if (reclaim(vn) < 0)
        return -5;
    return vn->tx.size - vn->tx.num_free;
}

static const struct netdev_ops vnet_ops = {
    .send = vnet_send,
    .poll = vnet_poll,
    .arm = vnet_arm,
    .link = vnet_link,
    .tx_pending = vnet_tx_pending,
};

static void vnet_irq(struct virtio_dev *v, unsigned causes)
{
    struct vnet *vn = v->driver;
    if (causes & VIRTIO_IRQ_QUEUE)
        virtq_irq_off(&vn->rx); /* until the stack arms again */
    netdev_irq_event(&vn->nd);
}

/* The MAC from the configuration, read again if it changed meanwhile (generation). */
static void read_mac(struct vnet *vn)
{
    struct virtio_dev *v = vn->v;
    for (int tries = 0; tries < 8; tries++) {
        uint32_t gen = v->tr->config_generation(v);
        for (unsigned i = 0; i < 6; i++)
            vn->nd.mac[i] = (uint8_t)v->tr->config_read(v, CFG_MAC + i, 1);
        if (v->tr->config_generation(v) == gen)
            break;
    }
}

uint64_t virtio_net_refuse;

int virtio_net_probe(struct virtio_dev *v)
{
    uint64_t want = 1ull << NET_F_CSUM | 1ull << NET_F_GUEST_CSUM | 1ull << NET_F_MTU |
                    1ull << NET_F_MAC | 1ull << NET_F_MRG_RXBUF | 1ull << NET_F_STATUS |
                    1ull << VIRTIO_F_EVENT_IDX | 1ull << VIRTIO_F_ACCESS_PLATFORM;
    want &= ~virtio_net_refuse;
    int r = virtio_start(v, want);
    if (r < 0)
        return r;
    if (v->legacy && !virtio_has(v, VIRTIO_F_ANY_LAYOUT)) /* header and frame share a buffer */
        return virtio_fail(v, "legacy device without VIRTIO_F_ANY_LAYOUT: not supported");
    struct vnet *vn = heap_alloc(sizeof(*vn));
    if (!vn)
        return virtio_fail(v, "out of memory");
    memset(vn, 0, sizeof(*vn));
    vn->v = v;
    v->driver = vn;
    v->handler = vnet_irq;
    vn->nd.mtu = 1500;
    if (virtio_has(v, NET_F_MTU)) {
        uint32_t mtu = v->tr->config_read(v, CFG_MTU, 2);
        if (mtu < 68)
            return virtio_fail(v, "MTU %u below IPv4's minimum of 68", mtu);
        if (mtu < vn->nd.mtu)
            vn->nd.mtu = (uint16_t)mtu; /* larger ones: frames stay within our buffers */
    }
    vn->frame_max = vn->nd.mtu + NETDEV_ETH_HLEN + 4u;
    vn->hdr_len = v->legacy && !virtio_has(v, NET_F_MRG_RXBUF) ? HDR_LEN_LEGACY
                                                               : (uint32_t)sizeof(struct net_hdr);
    if (virtio_has(v, NET_F_MAC)) {
        read_mac(vn);
    } else { /* locally administered, from where the device sits */
        uint32_t h = 2166136261u;
        for (const char *p = v->where; *p; p++)
            h = (h ^ (uint8_t)*p) * 16777619u;
        uint8_t mac[6] = {
            0x02, 0x6a, (uint8_t)(h >> 24), (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h};
        memcpy(vn->nd.mac, mac, 6);
    }
    if ((r = v->tr->irq_setup(v)) < 0)
        return virtio_fail(v, "no interrupt (no MSI-X, no routed INTx line: %d)", r);
    if (virtq_init(&vn->rx, v, QUEUE_RX, RING) < 0 || virtq_init(&vn->tx, v, QUEUE_TX, RING) < 0)
        return -5;
    size_t rx_pages = ((size_t)vn->rx.size * BUF + PAGE_SIZE - 1) / PAGE_SIZE;
    size_t tx_pages = ((size_t)vn->tx.size * BUF + PAGE_SIZE - 1) / PAGE_SIZE;
    vn->rx_bufs = page_alloc(rx_pages);
    vn->tx_bufs = page_alloc(tx_pages);
    if (!vn->rx_bufs || !vn->tx_bufs)
        return virtio_fail(v, "out of memory for %u + %u buffers", vn->rx.size, vn->tx.size);
    for (unsigned i = 0; i < vn->rx.size; i++)
        repost(vn, vn->rx_bufs + (size_t)i * BUF);
    virtq_irq_off(&vn->tx);
    virtio_ready(v);
    virtq_kick(&vn->rx);
    virtq_irq_on(&vn->rx);

    struct netdev *nd = &vn->nd;
    nd->ops = &vnet_ops;
    nd->driver = "virtio-net";
    uk_snprintf(nd->bus, sizeof(nd->bus), "%s", v->where);
    nd->caps = NETDEV_CAP_IRQ | (virtio_has(v, NET_F_CSUM) ? NETDEV_CAP_TX_CSUM : 0) |
               (virtio_has(v, NET_F_GUEST_CSUM) ? NETDEV_CAP_RX_CSUM : 0);
    if (netdev_register(nd) < 0)
        return virtio_fail(v, "more than %d network devices", NETDEV_MAX);
    return 0;
}

/* The negotiated virtio-net features by name, for reports ("csum guest_csum mrg_rxbuf ..."). */
int virtio_net_features(const struct netdev *nd, char *buf, size_t size)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {NET_F_CSUM, "csum"},
        {NET_F_GUEST_CSUM, "guest_csum"},
        {NET_F_MTU, "mtu"},
        {NET_F_MAC, "mac"},
        {NET_F_MRG_RXBUF, "mrg_rxbuf"},
        {NET_F_STATUS, "status"},
        {VIRTIO_F_EVENT_IDX, "event_idx"},
    };
    if (!nd || nd->ops != &vnet_ops)
        return -19;
    const struct vnet *vn = (const struct vnet *)nd;
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (virtio_has(vn->v, names[i].bit) && n < size)
            n += (size_t)uk_snprintf(buf + n, size - n, "%s%s", n ? " " : "", names[i].name);
    return 0;
}
