/*
 * runtime/libc/net/udp.c — datagram sockets over lwIP's UDP: datagrams queued with their source
 * up to SO_RCVBUF bytes (more are dropped, as Linux drops them), sends gathered into one pbuf.
 */
#include "lib/string.h"
#include "lwip/udp.h"
#include "memory/memory.h"
#include "net/net.h"
#include "rt.h"
#include "sock_int.h"

#define POLLIN  1
#define POLLOUT 4
#define POLLERR 8

static void on_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                    u16_t port)
{
    struct rt_sock *s = arg;
    (void)pcb;
    struct rt_dgram *d = NULL;
    if (s->dq_bytes + p->tot_len <= (uint32_t)s->rcvbuf)
        d = heap_alloc(sizeof(*d));
    if (!d) {
        pbuf_free(p);
        return;
    }
    *d = (struct rt_dgram){.p = p, .from = *addr, .port = port};
    if (s->dq_tail)
        s->dq_tail->next = d;
    else
        s->dq = d;
    s->dq_tail = d;
    s->dq_bytes += p->tot_len;
    sock_changed(s);
}

static long ensure_pcb(struct rt_sock *s)
{
    if (s->udp)
        return 0;
    s->udp = udp_new_ip_type(s->family == RT_AF_INET ? IPADDR_TYPE_V4 : IPADDR_TYPE_ANY);
    if (!s->udp)
        return -RT_ENOBUFS;
    ip_set_option(s->udp, s->so_opts);
    udp_recv(s->udp, on_recv, s);
    return 0;
}

long udp_sock_bind(struct rt_sock *s, const ip_addr_t *ip, uint16_t port)
{
    if (s->flags & SF_BOUND)
        return -RT_EINVAL;
    long r = ensure_pcb(s);
    if (r < 0)
        return r;
    err_t e = udp_bind(s->udp, ip, port);
    if (e != ERR_OK)
        return e == ERR_USE ? -RT_EADDRINUSE : -RT_EADDRNOTAVAIL;
    s->flags |= SF_BOUND;
    return 0;
}

long udp_sock_connect(struct rt_sock *s, const ip_addr_t *ip, uint16_t port, int disconnect)
{
    long r = ensure_pcb(s);
    if (r < 0)
        return r;
    if (disconnect) {
        udp_disconnect(s->udp);
        s->flags &= ~SF_CONNECTED;
        return 0;
    }
    err_t e = udp_connect(s->udp, ip, port);
    if (e != ERR_OK)
        return e == ERR_USE ? -RT_EADDRINUSE : -RT_EINVAL;
    s->flags |= SF_CONNECTED | SF_BOUND;
    return 0;
}

long udp_sock_send(struct rt_sock *s, const void *const *bufs, const uint64_t *lens, int nbufs,
                   const ip_addr_t *to, uint16_t port)
{
    if (s->err) {
        int e = s->err;
        s->err = 0;
        return -e;
    }
    if (!to && !(s->flags & SF_CONNECTED))
        return -RT_EDESTADDRREQ;
    uint64_t total = 0;
    for (int i = 0; i < nbufs; i++) {
        if (lens[i] && !bufs[i])
            return -RT_EFAULT;
        total += lens[i];
    }
    if (total > 65507)
        return -RT_EMSGSIZE;
    long r = ensure_pcb(s);
    if (r < 0)
        return r;
    struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)total, PBUF_RAM);
    if (!p)
        return -RT_ENOBUFS;
    uint64_t at = 0;
    for (int i = 0; i < nbufs; i++) {
        memcpy((uint8_t *)p->payload + at, bufs[i], lens[i]);
        at += lens[i];
    }
    err_t e = to ? udp_sendto(s->udp, p, to, port) : udp_send(s->udp, p);
    pbuf_free(p);
    net_flush();
    if (e == ERR_RTE)
        return -RT_ENETUNREACH;
    if (e == ERR_VAL)
        return -RT_EINVAL;
    if (e != ERR_OK)
        return -RT_ENOBUFS;
    s->flags |= SF_BOUND;
    return (long)total;
}

long udp_sock_recv(struct rt_sock *s, void *const *bufs, const uint64_t *lens, int nbufs, int flags,
                   int nonblock, ip_addr_t *from, uint16_t *port, uint64_t *full)
{
    if (flags & RT_MSG_DONTWAIT)
        nonblock = 1;
    uint64_t deadline = sock_deadline(s->rcvtimeo);
    int polled = 0;
    while (!s->dq) {
        if (s->err) {
            int e = s->err;
            s->err = 0;
            return -e;
        }
        if (!polled++) {
            net_poll();
            continue;
        }
        if (nonblock)
            return -RT_EAGAIN;
        long r = sock_wait(s, deadline);
        if (r < 0)
            return r;
        polled = 0;
    }
    struct rt_dgram *d = s->dq;
    uint64_t got = 0;
    for (int i = 0; i < nbufs && got < d->p->tot_len; i++) {
        uint64_t k = d->p->tot_len - got;
        if (k > lens[i])
            k = lens[i];
        if (k && !bufs[i])
            return -RT_EFAULT;
        pbuf_copy_partial(d->p, bufs[i], (u16_t)k, (u16_t)got);
        got += k;
    }
    *from = d->from;
    *port = d->port;
    *full = d->p->tot_len;
    if (!(flags & RT_MSG_PEEK)) {
        s->dq = d->next;
        if (!s->dq)
            s->dq_tail = NULL;
        s->dq_bytes -= d->p->tot_len;
        pbuf_free(d->p);
        heap_free(d);
    }
    return (long)got;
}

void udp_sock_close(struct rt_sock *s)
{
    if (s->udp)
        udp_remove(s->udp);
    s->udp = NULL;
    while (s->dq) {
        struct rt_dgram *d = s->dq;
        s->dq = d->next;
        pbuf_free(d->p);
        heap_free(d);
    }
    s->dq_tail = NULL;
    s->dq_bytes = 0;
}

short udp_sock_ready(struct rt_sock *s)
{
    return (short)((s->dq ? POLLIN : 0) | POLLOUT | (s->err ? POLLERR : 0));
}

int udp_sock_names(struct rt_sock *s, int peer, ip_addr_t *ip, uint16_t *port)
{
    if (peer) {
        if (!s->udp || !(s->flags & SF_CONNECTED))
            return -RT_ENOTCONN;
        *ip = s->udp->remote_ip;
        *port = s->udp->remote_port;
        return 0;
    }
    if (!s->udp) {
        sa_any(s->family, s->flags & SF_V6ONLY, ip);
        *port = 0;
        return 0;
    }
    *ip = s->udp->local_ip;
    *port = s->udp->local_port;
    return 0;
}
