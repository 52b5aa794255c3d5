/*
 * unikernel/net/netif.c — an lwIP interface over each netdev: received frames copied into pbufs
 * and handed to lwIP; frames lwIP sends queued (referenced, not copied) and given to the device
 * in batches, one notify per batch; SYN floods met by dropping the oldest half-open connection.
 */
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "netif/ethernet.h"

#include "console/console.h"
#include "drivers/netdev.h"
#include "lib/string.h"
#include "net/net.h"
#include "net/netif.h"
#include "time/time.h"

#define TXQ       512 /* frames queued per interface (references to lwIP's pbufs) */
#define TXBATCH   64  /* frames handed to the driver in one send (one notify) */
#define RX_BUDGET 64  /* frames taken from a device per poll */

struct nif {
    struct netif netif;
    struct netdev *nd;
    struct pbuf *q[TXQ];
    unsigned nq;
    uint64_t last_poll;  /* devices without interrupts: when they were last asked */
    volatile int kicked; /* set by the device's notify hook (interrupt context) */
    int refused;         /* linkoutput said ERR_MEM: TCP must be told once there is room */
};

static struct nif nifs[NETDEV_MAX];
static unsigned nnifs;

static void kick(void *arg)
{
    ((struct nif *)arg)->kicked = 1;
}

/* Sends what is queued, in batches of TXBATCH (one notify each); frames the device cannot take
   now stay queued, in order. */
static void flush_one(struct nif *x)
{
    static struct netdev_seg segs[TXBATCH * NETDEV_SEGS]; /* not re-entered: one CPU */
    static struct netdev_frame frames[TXBATCH];
    unsigned w = 0;
    for (unsigned i = 0; i < x->nq; i++) { /* more pieces than the device takes: one copy */
        struct pbuf *p = x->q[i];
        unsigned k = 0;
        for (struct pbuf *q = p; q; q = q->next)
            k += q->len ? 1 : 0;
        if (k > NETDEV_SEGS) {
            struct pbuf *c = pbuf_clone(PBUF_RAW, PBUF_RAM, p);
            pbuf_free(p);
            if (!c) {
                x->nd->stats.tx_errors++;
                continue;
            }
            p = c;
        }
        x->q[w++] = p;
    }
    x->nq = w;
    unsigned sent = 0;
    while (sent < x->nq) {
        unsigned n = x->nq - sent < TXBATCH ? x->nq - sent : TXBATCH;
        for (unsigned i = 0; i < n; i++) {
            struct netdev_seg *s = &segs[i * NETDEV_SEGS];
            unsigned k = 0;
            for (struct pbuf *q = x->q[sent + i]; q; q = q->next)
                if (q->len)
                    s[k++] = (struct netdev_seg){q->payload, q->len};
            frames[i] = (struct netdev_frame){s, k, 0, 0};
        }
        int taken = x->nd->ops->send(x->nd, frames, n);
        if (taken < 0) /* the device failed (nd->failed says why): nothing goes out any more */
            taken = (int)n;
        sent += (unsigned)taken;
        if ((unsigned)taken < n)
            break; /* the ring is full: the rest when it has room */
    }
    for (unsigned i = 0; i < sent; i++)
        pbuf_free(x->q[i]);
    for (unsigned i = sent; i < x->nq; i++)
        x->q[i - sent] = x->q[i];
    x->nq -= sent;
}

static err_t linkoutput(struct netif *netif, struct pbuf *p)
{
    struct nif *x = netif->state;
    if (x->nd->failed)
        return ERR_IF;
    if (x->nq == TXQ)
        flush_one(x);
    if (x->nq == TXQ) { /* the ring and the queue are full: TCP is told when there is room */
        x->nd->stats.tx_full++;
        x->refused = 1;
        return ERR_MEM;
    }
    pbuf_ref(p);
    x->q[x->nq++] = p;
    return ERR_OK;
}

/* The listening PCB for a SYN to port (any address), or NULL. */
static struct tcp_pcb_listen *listener_for(uint16_t port)
{
    for (struct tcp_pcb_listen *l = tcp_listen_pcbs.listen_pcbs; l; l = l->next)
        if (l->local_port == port)
            return l;
    return NULL;
}

/*
 * A SYN for a listener whose backlog is full: the oldest of its half-open connections
 * (SYN_RCVD) is dropped to make room, as a SYN queue under a flood does, so spoofed SYNs cannot
 * keep real clients out. Runs before lwIP sees the frame (no lwIP call is in progress).
 */
static void syn_guard(const uint8_t *f, uint32_t len)
{
    uint32_t off;
    uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
    if (type == 0x0800 && len >= 14 + 20 && (f[14] >> 4) == 4 && f[14 + 9] == 6)
        off = 14 + (f[14] & 15) * 4u;
    else if (type == 0x86dd && len >= 14 + 40 && f[14 + 6] == 6)
        off = 14 + 40;
    else
        return;
    if (len < off + 14 || (f[off + 13] & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN)
        return;
    struct tcp_pcb_listen *l = listener_for((uint16_t)(f[off + 2] << 8 | f[off + 3]));
    if (!l || l->accepts_pending < l->backlog)
        return;
    struct tcp_pcb *oldest = NULL;
    for (struct tcp_pcb *p = tcp_active_pcbs; p; p = p->next)
        if (p->state == SYN_RCVD && p->listener == l &&
            (!oldest || (u32_t)(tcp_ticks - p->tmr) > (u32_t)(tcp_ticks - oldest->tmr)))
            oldest = p;
    if (oldest)
        tcp_abort(oldest);
}

static void rx(void *arg, const void *frame, uint32_t len, unsigned flags)
{
    (void)flags;
    struct nif *x = arg;
    if (len < NETDEV_ETH_HLEN)
        return;
    syn_guard(frame, len);
    struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
    if (!p) {
        x->nd->stats.rx_dropped++;
        return;
    }
    memcpy(p->payload, frame, len);
    if (x->netif.input(p, &x->netif) != ERR_OK)
        pbuf_free(p);
}

static err_t nif_init(struct netif *netif)
{
    struct nif *x = netif->state;
    netif->name[0] = 'e';
    netif->name[1] = 't';
    netif->hwaddr_len = 6;
    memcpy(netif->hwaddr, x->nd->mac, 6);
    netif->mtu = x->nd->mtu;
    netif->mtu6 = x->nd->mtu;
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET |
                   NETIF_FLAG_MLD6 | NETIF_FLAG_IGMP;
    netif->output = etharp_output;
    netif->output_ip6 = ethip6_output;
    netif->linkoutput = linkoutput;
    return ERR_OK;
}

struct netif *net_netif_add(struct netdev *nd)
{
    if (nnifs == NETDEV_MAX)
        return NULL;
    struct nif *x = &nifs[nnifs];
    x->nd = nd;
    if (!netif_add_noaddr(&x->netif, x, nif_init, ethernet_input))
        return NULL;
    nnifs++;
    nd->notify_arg = x;
    nd->notify = kick;
    netif_create_ip6_linklocal_address(&x->netif, 1);
    netif_set_ip6_autoconfig_enabled(&x->netif, 1);
    netif_set_up(&x->netif);
    if (nd->ops->link(nd) > 0)
        netif_set_link_up(&x->netif);
    return &x->netif;
}

int net_netif_poll(int idle)
{
    int done = 0;
    uint64_t now = 0;
    for (unsigned i = 0; i < nnifs; i++) {
        struct nif *x = &nifs[i];
        if (x->nd->failed)
            continue;
        /* a device that cannot interrupt is asked at most once a millisecond between waits */
        if (!(x->nd->caps & NETDEV_CAP_IRQ) && !idle && !x->kicked) {
            now = now ? now : time_monotonic_ns();
            if (now - x->last_poll < 1000000)
                continue;
            x->last_poll = now;
        }
        x->kicked = 0;
        int r = x->nd->ops->poll(x->nd, rx, x, RX_BUDGET);
        if (r > 0)
            done += r;
        if (r == RX_BUDGET)
            x->kicked = 1; /* more may be waiting */
        int up = x->nd->ops->link(x->nd) > 0;
        if (up != !!netif_is_link_up(&x->netif)) {
            if (up)
                netif_set_link_up(&x->netif);
            else
                netif_set_link_down(&x->netif);
        }
    }
    return done;
}

/* Frames still queued after a flush are what the device refused (its ring is full): one that
 * interrupts says when it has room (the notify hook), so the CPU halts meanwhile instead of
 * polling the device in a loop at full speed (redis-uk-txfull). */
int net_netif_pending(void)
{
    for (unsigned i = 0; i < nnifs; i++)
        if (nifs[i].kicked || (nifs[i].nq && !(nifs[i].nd->caps & NETDEV_CAP_IRQ)))
            return 1;
    return 0;
}

void net_flush(void)
{
    int retry = 0;
    for (unsigned i = 0; i < nnifs; i++) {
        struct nif *x = &nifs[i];
        if (x->nq && !x->nd->failed)
            flush_one(x);
        if (x->refused && x->nq < TXQ) {
            x->refused = 0;
            retry = 1;
        }
    }
    /* segments lwIP could not hand over stay in its queues with nothing to send them again
     * (no timer runs for a first segment): tcp_txnow sends them now there is room */
    if (retry)
        tcp_txnow();
}

struct netdev *net_netif_dev(struct netif *netif)
{
    for (unsigned i = 0; i < nnifs; i++)
        if (&nifs[i].netif == netif)
            return nifs[i].nd;
    return NULL;
}
