/* unikernel/platform/xen/netfront.c — the PV network frontend as a netdev (see netfront.h). */
#include "netfront.h"

#include "console/console.h"
#include "lib/string.h"

#define TX_MASK (NF_RING - 1)
#define RX_MASK (NF_RING - 1)

/* The device stops: the backend broke the protocol. */
static int nf_fail(struct netfront *nf, const char *what, unsigned a, unsigned b)
{
    if (!nf->nd.failed) {
        uk_snprintf(nf->failed, sizeof(nf->failed), "netfront %s: %s (%u, %u)", nf->xb.front, what,
                    a, b);
        nf->nd.failed = nf->failed;
    }
    return -5;
}

/* Takes the TX responses: their slots are free again. */
static int tx_collect(struct netfront *nf)
{
    uint32_t prod = __atomic_load_n(&nf->tx->h.rsp_prod, __ATOMIC_ACQUIRE);
    if (prod - nf->tx_cons > nf->tx_prod - nf->tx_cons)
        return nf_fail(nf, "tx rsp_prod is past the requests made (rsp_prod, req_prod)", prod,
                       nf->tx_prod);
    for (; nf->tx_cons != prod; nf->tx_cons++) {
        struct netif_tx_response r = nf->tx->ring[nf->tx_cons & TX_MASK].rsp;
        if (r.id >= NF_SLOTS || !nf->tx_busy[r.id])
            return nf_fail(nf, "tx response for an id not in flight (id, index)", r.id,
                           nf->tx_cons);
        if (r.status < 0)
            nf->nd.stats.tx_errors++;
        nf->tx_busy[r.id] = 0;
        nf->tx_free[nf->tx_nfree++] = r.id;
    }
    return 0;
}

static void tx_put(struct netfront *nf, unsigned slot, uint16_t flags, uint32_t size)
{
    volatile struct netif_tx_request *q = &nf->tx->ring[nf->tx_prod++ & TX_MASK].req;
    q->gref = nf->tx_gref[slot];
    q->offset = 0;
    q->flags = flags;
    q->id = (uint16_t)slot;
    q->size = (uint16_t)size;
    nf->tx_busy[slot] = 1;
}

static int nf_send(struct netdev *nd, const struct netdev_frame *f, unsigned n)
{
    struct netfront *nf = (struct netfront *)nd;
    if (nd->failed || tx_collect(nf) < 0)
        return -5;
    unsigned taken = 0;
    uint32_t start = nf->tx_prod;
    for (; taken < n; taken++) {
        const struct netdev_frame *fr = &f[taken];
        uint32_t len = netdev_frame_len(fr);
        if (len < NETDEV_ETH_HLEN || len > NETDEV_FRAME_MAX) {
            nd->stats.tx_errors++;
            continue;
        }
        /* a frame in pieces goes in one slot per piece when the backend takes that and no
           checksum is to be filled over the whole; else it is gathered into one slot */
        unsigned need = 1;
        int chain = nf->sg && !fr->csum_start && fr->nseg > 1;
        for (unsigned k = 0; chain && k < fr->nseg; k++)
            if (!fr->seg[k].len)
                chain = 0;
        if (chain)
            need = fr->nseg;
        if (nf->tx_nfree < need || NF_RING - (nf->tx_prod - nf->tx_cons) < need) {
            nd->stats.tx_full++;
            break;
        }
        if (!chain) {
            unsigned s = nf->tx_free[--nf->tx_nfree];
            netdev_frame_copy(nf->tx_buf[s], fr);
            if (fr->csum_start &&
                netdev_csum_fill(nf->tx_buf[s], len, fr->csum_start, fr->csum_offset) < 0) {
                nf->tx_free[nf->tx_nfree++] = (uint16_t)s;
                nd->stats.tx_errors++;
                continue;
            }
            tx_put(nf, s, 0, len);
        } else {
            for (unsigned k = 0; k < fr->nseg; k++) {
                unsigned s = nf->tx_free[--nf->tx_nfree];
                memcpy(nf->tx_buf[s], fr->seg[k].data, fr->seg[k].len);
                /* the first slot carries the whole frame's size, the others their own */
                tx_put(nf, s, k + 1 < fr->nseg ? NETTXF_more_data : 0, k ? fr->seg[k].len : len);
            }
        }
        nd->stats.tx_frames++;
        nd->stats.tx_bytes += len;
    }
    if (nf->tx_prod != start) {
        if (xen_ring_push(&nf->tx->h, nf->tx_prod)) {
            nf->env->notify(nf->port);
            nd->stats.notifies++;
        } else {
            nd->stats.notifies_suppressed++;
        }
    }
    return (int)taken;
}

/* Posts every free receive buffer; tells the backend when it asked. */
static void rx_refill(struct netfront *nf)
{
    uint32_t start = nf->rx_prod;
    while (nf->rx_prod - nf->rx_cons < NF_SLOTS) {
        unsigned s = nf->rx_prod & (NF_SLOTS - 1);
        volatile struct netif_rx_request *q = &nf->rx->ring[nf->rx_prod++ & RX_MASK].req;
        q->id = (uint16_t)s;
        q->gref = nf->rx_gref[s];
    }
    if (nf->rx_prod != start && xen_ring_push(&nf->rx->h, nf->rx_prod))
        nf->env->notify(nf->port);
}

static int nf_poll(struct netdev *nd, netdev_rx_fn fn, void *arg, unsigned budget)
{
    struct netfront *nf = (struct netfront *)nd;
    if (nd->failed)
        return -5;
    if (tx_collect(nf) < 0)
        return -5;
    uint32_t prod = __atomic_load_n(&nf->rx->h.rsp_prod, __ATOMIC_ACQUIRE);
    if (prod - nf->rx_cons > nf->rx_prod - nf->rx_cons)
        return nf_fail(nf, "rx rsp_prod is past the buffers posted (rsp_prod, req_prod)", prod,
                       nf->rx_prod);
    unsigned done = 0;
    /* a frame begun is finished past the budget: its slots are already taken */
    while (nf->rx_cons != prod && (done < budget || nf->frame_more)) {
        uint32_t pos = nf->rx_cons++;
        unsigned s = pos & (NF_SLOTS - 1);
        struct netif_rx_response r = nf->rx->ring[pos & RX_MASK].rsp;
        if (r.id != s)
            return nf_fail(nf, "rx response id is not the buffer posted there (id, expected)", r.id,
                           s);
        if (r.flags & NETRXF_extra_info)
            return nf_fail(nf, "rx response with extra info, which was not asked for (flags, id)",
                           r.flags, r.id);
        int more = (r.flags & NETRXF_more_data) != 0, first = !nf->frame_more;
        nf->frame_more = more;
        if (r.status < 0) {
            nf->frame_bad = 1;
        } else if ((uint32_t)r.offset + (uint32_t)r.status > 4096) {
            return nf_fail(nf, "rx response past its page (offset, size)", r.offset,
                           (unsigned)r.status);
        } else if (!more && first) {
            /* the whole frame in one slot: handed over from the buffer itself */
            if ((uint32_t)r.status < NETDEV_ETH_HLEN) {
                nd->stats.rx_errors++;
            } else {
                unsigned fl =
                    r.flags & (NETRXF_data_validated | NETRXF_csum_blank) ? NETDEV_RX_CSUM_OK : 0;
                fn(arg, nf->rx_buf[s] + r.offset, (uint32_t)r.status, fl);
                nd->stats.rx_frames++;
                nd->stats.rx_bytes += (uint32_t)r.status;
            }
            done++;
            continue;
        } else if (nf->frame_len + (uint32_t)r.status > NF_RX_MAX) {
            nf->frame_bad = 1;
        } else if (!nf->frame_bad) {
            memcpy(nf->frame + nf->frame_len, nf->rx_buf[s] + r.offset, (uint32_t)r.status);
            nf->frame_len += (uint32_t)r.status;
        }
        if (more)
            continue;
        if (nf->frame_bad || nf->frame_len < NETDEV_ETH_HLEN) {
            nd->stats.rx_errors++;
        } else {
            fn(arg, nf->frame, nf->frame_len, 0);
            nd->stats.rx_frames++;
            nd->stats.rx_bytes += nf->frame_len;
        }
        nf->frame_len = 0;
        nf->frame_bad = 0;
        done++;
    }
    rx_refill(nf);
    return (int)done;
}

static int nf_arm(struct netdev *nd)
{
    struct netfront *nf = (struct netfront *)nd;
    if (nd->failed)
        return -5;
    xen_ring_arm(&nf->tx->h, nf->tx_cons);
    return xen_ring_arm(&nf->rx->h, nf->rx_cons);
}

static int nf_link(struct netdev *nd)
{
    return !nd->failed;
}

static int nf_tx_pending(struct netdev *nd)
{
    struct netfront *nf = (struct netfront *)nd;
    if (nd->failed || tx_collect(nf) < 0)
        return -5;
    return (int)(NF_SLOTS - nf->tx_nfree);
}

static const struct netdev_ops nf_ops = {
    .send = nf_send,
    .poll = nf_poll,
    .arm = nf_arm,
    .link = nf_link,
    .tx_pending = nf_tx_pending,
};

void netfront_event(uint32_t port, void *arg)
{
    (void)port;
    netdev_irq_event(arg);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++, s += 3) {
        int h = hexval(s[0]), l = hexval(s[1]);
        if (h < 0 || l < 0 || s[2] != (i < 5 ? ':' : '\0'))
            return -22;
        mac[i] = (uint8_t)(h << 4 | l);
    }
    return 0;
}

static int nf_open_fail(struct netfront *nf, int rc, const char *what)
{
    uk_snprintf(nf->failed, sizeof(nf->failed), "%s", what);
    return rc;
}

/* The frontend's rings, event channel and features, in one xenstore transaction. */
static int nf_publish(struct netfront *nf, uint32_t txref, uint32_t rxref)
{
    char v[3][12];
    uk_snprintf(v[0], sizeof(v[0]), "%u", txref);
    uk_snprintf(v[1], sizeof(v[1]), "%u", rxref);
    uk_snprintf(v[2], sizeof(v[2]), "%u", nf->port);
    static const char *const keys[] = {
        "tx-ring-ref",       "rx-ring-ref", "event-channel",          "request-rx-copy",
        "feature-rx-notify", "feature-sg",  "feature-no-csum-offload"};
    const char *const values[] = {v[0], v[1], v[2], "1", "1", "1", "1"};
    int rc = xenbus_publish(&nf->xb, keys, values, 7);
    return rc < 0 ? nf_open_fail(nf, rc, nf->xb.why) : 0;
}

int netfront_open(struct netfront *nf, const struct xen_env *env, const char *front)
{
    memset(nf, 0, sizeof(*nf));
    nf->env = env;
    char buf[32];
    uint64_t v;
    int rc;
    if ((rc = xenbus_open(&nf->xb, env->xs, front)) < 0)
        return nf_open_fail(nf, rc, nf->xb.why);
    if ((rc = xenbus_read(&nf->xb, 0, "mac", buf, sizeof(buf))) < 0)
        goto xb_fail;
    if (parse_mac(buf, nf->nd.mac) < 0) {
        uk_snprintf(nf->failed, sizeof(nf->failed), "netfront %s: mac \"%s\" is no MAC address",
                    front, buf);
        goto close;
    }
    if ((rc = xenbus_wait(&nf->xb, XB_INITWAIT, env->rounds)) < 0)
        goto xb_fail;
    if (xenbus_read_u64(&nf->xb, 1, "feature-rx-copy", &v) < 0 || v != 1) {
        uk_snprintf(nf->failed, sizeof(nf->failed),
                    "netfront %s: the backend does not offer feature-rx-copy (receive by copy, "
                    "the only mode this frontend has)",
                    front);
        rc = -95;
        goto close;
    }
    nf->sg = xenbus_read_u64(&nf->xb, 1, "feature-sg", &v) == 0 && v == 1;
    nf->tx = env->pages(1);
    nf->rx = env->pages(1);
    nf->frame = env->pages(NF_RX_MAX / 4096);
    for (unsigned s = 0; s < NF_SLOTS; s++) {
        nf->tx_buf[s] = env->pages(1);
        nf->rx_buf[s] = env->pages(1);
        if (!nf->tx_buf[s] || !nf->rx_buf[s])
            break;
    }
    if (!nf->tx || !nf->rx || !nf->frame || !nf->rx_buf[NF_SLOTS - 1]) {
        uk_snprintf(nf->failed, sizeof(nf->failed), "netfront %s: out of memory", front);
        rc = -12;
        goto close;
    }
    uint16_t be = nf->xb.back_id;
    int txref = gnttab_grant(env->gt, be, xen_frame((const void *)nf->tx), 0);
    int rxref = gnttab_grant(env->gt, be, xen_frame((const void *)nf->rx), 0);
    rc = txref < 0 ? txref : rxref;
    for (unsigned s = 0; s < NF_SLOTS && rc >= 0; s++) {
        int a = gnttab_grant(env->gt, be, xen_frame(nf->tx_buf[s]), 1);
        int b = gnttab_grant(env->gt, be, xen_frame(nf->rx_buf[s]), 0);
        rc = a < 0 ? a : b;
        nf->tx_gref[s] = (uint32_t)a, nf->rx_gref[s] = (uint32_t)b;
        nf->tx_free[nf->tx_nfree++] = (uint16_t)(NF_SLOTS - 1 - s);
    }
    if (rc < 0) {
        uk_snprintf(nf->failed, sizeof(nf->failed), "netfront %s: the grant table is full", front);
        goto close;
    }
    if ((rc = env->port_alloc(be, &nf->port)) < 0) {
        uk_snprintf(nf->failed, sizeof(nf->failed),
                    "netfront %s: no event channel for the backend (Xen: %d)", front, rc);
        goto close;
    }
    rx_refill(nf);
    if ((rc = nf_publish(nf, (uint32_t)txref, (uint32_t)rxref)) < 0)
        goto close;
    if ((rc = xenbus_switch(&nf->xb, XB_CONNECTED)) < 0 ||
        (rc = xenbus_wait(&nf->xb, XB_CONNECTED, env->rounds)) < 0)
        goto xb_fail;
    if ((rc = env->port_bind(nf->port, netfront_event, &nf->nd)) < 0) {
        uk_snprintf(nf->failed, sizeof(nf->failed), "netfront %s: event channel %u: bind: %d",
                    front, nf->port, rc);
        goto close;
    }
    env->notify(nf->port);
    nf->nd.ops = &nf_ops;
    nf->nd.driver = "xen-netfront";
    nf->nd.mtu = 1500;
    nf->nd.caps = NETDEV_CAP_IRQ;
    uk_snprintf(nf->nd.bus, sizeof(nf->nd.bus), "xen %s", front);
    return 0;
xb_fail:
    nf_open_fail(nf, rc, nf->xb.why);
close:
    xenbus_close(&nf->xb);
    return rc < 0 ? rc : -22;
}
