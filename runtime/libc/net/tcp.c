/*
 * runtime/libc/net/tcp.c — stream sockets over lwIP's TCP: received data queued as lwIP hands it
 * over (the window reopens as the program reads), sends copied into lwIP's queue, connections
 * queued for accept() counting against the listen backlog, errors as Linux reports them.
 */
#include "lib/string.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "memory/memory.h"
#include "net/net.h"
#include "rt.h"
#include "sock_int.h"

#define POLLIN    1
#define POLLOUT   4
#define POLLERR   8
#define POLLHUP   16
#define POLLRDHUP 0x2000

/* ---- what lwIP calls ---- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct rt_sock *s = arg;
    (void)err;
    if (!p) {
        s->flags |= SF_EOF;
        sock_changed(s);
        return ERR_OK;
    }
    if (s->flags & SF_SHUT_RD) { /* read side shut: taken and dropped, the window stays open */
        tcp_recved(pcb, p->tot_len);
        pbuf_free(p);
        return ERR_OK;
    }
    /* Chains stay under 60 KB (pbuf lengths are 16 bits) and 64 pieces (tiny segments must not
     * cost a pbuf each without bound); past RT_RXQ chains lwIP keeps the data and offers it
     * again (its window, TCP_WND, is smaller than what the chains hold). */
    u16_t len = p->tot_len;
    if (s->rq_n) {
        struct pbuf *last = s->rq[(s->rq_head + s->rq_n - 1) % RT_RXQ];
        if ((uint32_t)last->tot_len + len <= 60000 && pbuf_clen(last) + pbuf_clen(p) <= 64) {
            pbuf_cat(last, p);
            p = NULL;
        }
    }
    if (p) {
        if (s->rq_n == RT_RXQ)
            return ERR_MEM;
        s->rq[(s->rq_head + s->rq_n) % RT_RXQ] = p;
        s->rq_n++;
    }
    s->rx_len += len;
    sock_changed(s);
    return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)pcb, (void)len;
    sock_changed(arg);
    return ERR_OK;
}

/* lwIP freed the PCB: a reset, a timeout, or the end of a closed connection. */
static void on_err(void *arg, err_t err)
{
    struct rt_sock *s = arg;
    s->tcp = NULL;
    if (err == ERR_CLSD) {
        /* both FINs went through after shutdown(SHUT_WR): an orderly end */
    } else if (s->flags & SF_CONNECTING) {
        s->err = err == ERR_RST ? RT_ECONNREFUSED : RT_ETIMEDOUT;
    } else {
        s->err = err == ERR_RST ? RT_ECONNRESET : err == ERR_ABRT ? RT_ETIMEDOUT : RT_ECONNABORTED;
    }
    s->flags &= ~SF_CONNECTING;
    s->flags |= SF_EOF;
    sock_changed(s);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct rt_sock *s = arg;
    (void)pcb, (void)err;
    s->flags = (s->flags & ~SF_CONNECTING) | SF_CONNECTED;
    sock_changed(s);
    return ERR_OK;
}

static void hook_up(struct rt_sock *s, struct tcp_pcb *pcb)
{
    tcp_arg(pcb, s);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_err);
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct rt_sock *l = arg;
    if (err != ERR_OK || !pcb || !l)
        return ERR_VAL;
    if (l->aq_n == l->aq_cap) {
        int nc = l->aq_cap ? l->aq_cap * 2 : 16;
        struct rt_sock **nq = heap_alloc(sizeof(*nq) * (size_t)nc);
        if (!nq)
            return ERR_MEM;
        if (l->aq)
            memcpy(nq, l->aq, sizeof(*nq) * (size_t)l->aq_n);
        heap_free(l->aq);
        l->aq = nq;
        l->aq_cap = nc;
    }
    struct rt_sock *c = sock_alloc(l->family, RT_SOCK_STREAM);
    if (!c)
        return ERR_MEM; /* lwIP aborts the connection */
    c->tcp = pcb;
    c->flags = SF_CONNECTED | SF_BOUND | SF_ACCEPTED;
    c->listener = l;
    c->nodelay = l->nodelay;
    c->keepalive = l->keepalive;
    c->sndbuf = l->sndbuf;
    c->rcvbuf = l->rcvbuf;
    hook_up(c, pcb);
    tcp_sock_options(c);
    tcp_backlog_delayed(pcb); /* counts against the backlog until accept() takes it */
    l->aq[l->aq_n++] = c;
    sock_changed(l);
    return ERR_OK;
}

/* ---- the socket calls ---- */

void tcp_sock_options(struct rt_sock *s)
{
    if (!s->tcp || (s->flags & SF_LISTEN))
        return;
    if (s->nodelay)
        tcp_nagle_disable(s->tcp);
    else
        tcp_nagle_enable(s->tcp);
    if (s->keepalive)
        ip_set_option(s->tcp, SOF_KEEPALIVE);
    else
        ip_reset_option(s->tcp, SOF_KEEPALIVE);
}

/* A fresh PCB for a socket that has none (new, or after a failed connection). */
static long ensure_pcb(struct rt_sock *s)
{
    if (s->tcp)
        return 0;
    s->tcp = tcp_new_ip_type(s->family == RT_AF_INET ? IPADDR_TYPE_V4 : IPADDR_TYPE_ANY);
    if (!s->tcp)
        return -RT_ENOBUFS;
    ip_set_option(s->tcp, s->so_opts);
    hook_up(s, s->tcp);
    tcp_sock_options(s);
    return 0;
}

long tcp_sock_bind(struct rt_sock *s, const ip_addr_t *ip, uint16_t port)
{
    if (s->flags & (SF_BOUND | SF_LISTEN | SF_CONNECTED | SF_CONNECTING))
        return -RT_EINVAL;
    long r = ensure_pcb(s);
    if (r < 0)
        return r;
    err_t e = tcp_bind(s->tcp, ip, port);
    if (e != ERR_OK)
        return e == ERR_USE ? -RT_EADDRINUSE : -RT_EADDRNOTAVAIL;
    s->flags |= SF_BOUND;
    return 0;
}

long tcp_sock_listen(struct rt_sock *s, int backlog)
{
    backlog = backlog < 1 ? 1 : backlog > 255 ? 255 : backlog; /* lwIP keeps it in a byte */
    if (s->flags & SF_LISTEN) {
        tcp_backlog_set(s->tcp, (u8_t)backlog);
        s->backlog = backlog;
        return 0;
    }
    if (s->flags & (SF_CONNECTED | SF_CONNECTING))
        return -RT_EINVAL;
    if (!(s->flags & SF_BOUND)) {
        ip_addr_t any;
        sa_any(s->family, s->flags & SF_V6ONLY, &any);
        long r = tcp_sock_bind(s, &any, 0);
        if (r < 0)
            return r;
    }
    err_t e = ERR_OK;
    struct tcp_pcb *l = tcp_listen_with_backlog_and_err(s->tcp, (u8_t)backlog, &e);
    if (!l)
        return -RT_ENOBUFS; /* the bound PCB stays */
    s->tcp = l;
    s->flags |= SF_LISTEN;
    s->backlog = backlog;
    tcp_arg(l, s);
    tcp_accept(l, on_accept);
    return 0;
}

long tcp_sock_accept(struct rt_sock *s, int nonblock, struct rt_sock **out)
{
    if (!(s->flags & SF_LISTEN))
        return -RT_EINVAL;
    uint64_t deadline = sock_deadline(s->rcvtimeo);
    while (!s->aq_n) {
        net_poll();
        if (s->aq_n)
            break;
        if (nonblock)
            return -RT_EAGAIN;
        long r = sock_wait(s, deadline);
        if (r < 0)
            return r;
    }
    struct rt_sock *c = s->aq[0];
    s->aq_n--;
    memmove(s->aq, s->aq + 1, sizeof(*s->aq) * (size_t)s->aq_n);
    if (c->tcp)
        tcp_backlog_accepted(c->tcp);
    c->flags &= ~SF_ACCEPTED;
    c->listener = NULL;
    *out = c;
    return 0;
}

long tcp_sock_connect(struct rt_sock *s, const ip_addr_t *ip, uint16_t port, int nonblock)
{
    if (s->flags & SF_LISTEN)
        return -RT_EINVAL;
    if (s->flags & SF_CONNECTED)
        return s->tcp ? -RT_EISCONN : -RT_EINVAL;
    if (!(s->flags & SF_CONNECTING)) {
        if (s->err) {
            s->err = 0;
            s->flags &= ~(SF_EOF | SF_BOUND);
        }
        long r = ensure_pcb(s);
        if (r < 0)
            return r;
        err_t e = tcp_connect(s->tcp, ip, port, on_connected);
        if (e != ERR_OK)
            return e == ERR_RTE ? -RT_ENETUNREACH : e == ERR_USE ? -RT_EADDRINUSE : -RT_ENOBUFS;
        s->flags |= SF_CONNECTING | SF_BOUND;
        net_flush();
        if (nonblock)
            return -RT_EINPROGRESS;
    } else if (nonblock) {
        return -RT_EALREADY;
    }
    uint64_t deadline = sock_deadline(s->sndtimeo);
    while (s->flags & SF_CONNECTING) {
        long r = sock_wait(s, deadline);
        if (r == -RT_ERESTARTSYS || r == -RT_EINTR)
            return -RT_EINTR; /* as Linux: connect is not restarted; it goes on in the background */
        if (r < 0)
            return -RT_EINPROGRESS; /* SO_SNDTIMEO passed: it goes on in the background */
    }
    if (s->err) {
        int e = s->err;
        s->err = 0;
        return -e;
    }
    return 0;
}

/* Room for more data in lwIP's send queue, within SO_SNDBUF. */
static uint32_t send_room(struct rt_sock *s)
{
    struct tcp_pcb *p = s->tcp;
    if (!p || p->snd_queuelen >= TCP_SND_QUEUELEN - 1)
        return 0;
    uint32_t room = tcp_sndbuf(p), queued = TCP_SND_BUF - p->snd_buf;
    uint32_t cap = (uint32_t)s->sndbuf;
    if (queued >= cap)
        return 0;
    return room < cap - queued ? room : cap - queued;
}

long tcp_sock_send(struct rt_sock *s, const void *buf, uint64_t n, int flags, int nonblock)
{
    if (s->err) {
        int e = s->err;
        s->err = 0;
        return -e;
    }
    if (s->flags & SF_SHUT_WR)
        return -RT_EPIPE;
    if (!(s->flags & (SF_CONNECTED | SF_CONNECTING)))
        return -RT_ENOTCONN;
    uint64_t done = 0, deadline = sock_deadline(s->sndtimeo);
    while (done < n || (n == 0 && (s->flags & SF_CONNECTING))) {
        if (!s->tcp)
            return done ? (long)done : -RT_EPIPE;
        uint32_t room = (s->flags & SF_CONNECTING) ? 0 : send_room(s);
        if (room == 0) {
            tcp_output(s->tcp);
            net_flush();
            if (nonblock)
                return done ? (long)done : -RT_EAGAIN;
            long r = sock_wait(s, deadline);
            if (r < 0)
                return done ? (long)done : r;
            if (s->err && !done) {
                int e = s->err;
                s->err = 0;
                return -e;
            }
            continue;
        }
        uint64_t left = n - done;
        u16_t chunk = (u16_t)(left < room ? left : room);
        u8_t wf = TCP_WRITE_FLAG_COPY;
        if ((flags & RT_MSG_MORE) || chunk < left)
            wf |= TCP_WRITE_FLAG_MORE;
        err_t e = tcp_write(s->tcp, (const uint8_t *)buf + done, chunk, wf);
        if (e == ERR_MEM) { /* no memory for segments now: as a full queue */
            if (nonblock || done)
                break;
            tcp_output(s->tcp);
            net_flush();
            long r = sock_wait(s, deadline);
            if (r < 0)
                return r;
            continue;
        }
        if (e != ERR_OK)
            return done ? (long)done : -RT_EPIPE;
        done += chunk;
    }
    if (s->tcp && !(flags & RT_MSG_MORE))
        tcp_output(s->tcp);
    net_flush();
    return done ? (long)done : (nonblock && n ? -RT_EAGAIN : 0);
}

/* Looks at up to n received bytes without taking them. */
static uint64_t peek_rx(struct rt_sock *s, uint8_t *buf, uint64_t n)
{
    uint64_t got = 0;
    uint32_t off = s->rx_off;
    for (int c = 0; c < s->rq_n && got < n; c++)
        for (struct pbuf *q = s->rq[(s->rq_head + c) % RT_RXQ]; q && got < n; q = q->next) {
            uint32_t k = q->len - off;
            if (k > n - got)
                k = (uint32_t)(n - got);
            memcpy(buf + got, (uint8_t *)q->payload + off, k);
            got += k;
            off = 0;
        }
    return got;
}

/* Takes up to n received bytes (NULL buf: drops them) and reopens the window by as much. */
static uint64_t take(struct rt_sock *s, uint8_t *buf, uint64_t n)
{
    uint64_t got = 0;
    while (s->rq_n && got < n) {
        struct pbuf *q = s->rq[s->rq_head];
        uint32_t k = q->len - s->rx_off;
        if (k > n - got)
            k = (uint32_t)(n - got);
        if (buf)
            memcpy(buf + got, (uint8_t *)q->payload + s->rx_off, k);
        got += k;
        s->rx_off += k;
        if (s->rx_off < q->len)
            break;
        /* the first piece is read: off its chain (its successors keep their reference) */
        struct pbuf *next = q->next;
        q->next = NULL;
        q->tot_len = q->len;
        pbuf_free(q);
        s->rx_off = 0;
        if (next) {
            s->rq[s->rq_head] = next;
        } else {
            s->rq_head = (s->rq_head + 1) % RT_RXQ;
            s->rq_n--;
        }
    }
    s->rx_len -= (uint32_t)got;
    for (uint64_t left = got; s->tcp && left;) {
        u16_t k = (u16_t)(left > 0xffff ? 0xffff : left);
        tcp_recved(s->tcp, k);
        left -= k;
    }
    return got;
}

long tcp_sock_recv(struct rt_sock *s, void *buf, uint64_t n, int flags, int nonblock)
{
    if (s->flags & SF_LISTEN)
        return -RT_ENOTCONN;
    if (flags & RT_MSG_OOB)
        return -RT_EINVAL; /* no urgent data */
    if (flags & RT_MSG_DONTWAIT)
        nonblock = 1;
    uint64_t got = 0, deadline = sock_deadline(s->rcvtimeo);
    int polled = 0;
    for (;;) {
        if (s->rx_len && got < n) {
            got += (flags & RT_MSG_PEEK) ? peek_rx(s, (uint8_t *)buf, n)
                                         : take(s, (uint8_t *)buf + got, n - got);
            if (!(flags & RT_MSG_WAITALL) || got == n || (flags & RT_MSG_PEEK))
                break;
        }
        if (got && (s->flags & (SF_EOF | SF_SHUT_RD)))
            break;
        if (s->err) {
            if (got)
                break;
            int e = s->err;
            s->err = 0;
            return -e;
        }
        if (s->flags & (SF_EOF | SF_SHUT_RD))
            break;
        if (!(s->flags & (SF_CONNECTED | SF_CONNECTING)))
            return -RT_ENOTCONN;
        if (!polled++) { /* frames may be waiting in the device */
            net_poll();
            continue;
        }
        if (nonblock) {
            if (got)
                break;
            return -RT_EAGAIN;
        }
        long r = sock_wait(s, deadline);
        if (r < 0) {
            if (got)
                break;
            return r;
        }
        polled = 0;
    }
    net_flush(); /* a window update */
    return (long)got;
}

long tcp_sock_shutdown(struct rt_sock *s, int how)
{
    if (!(s->flags & (SF_CONNECTED | SF_CONNECTING)) || (s->flags & SF_LISTEN))
        return -RT_ENOTCONN;
    if (how == 0 || how == 2) {
        s->flags |= SF_SHUT_RD;
        take(s, NULL, s->rx_len);
    }
    if ((how == 1 || how == 2) && !(s->flags & SF_SHUT_WR)) {
        s->flags |= SF_SHUT_WR;
        if (s->tcp && tcp_shutdown(s->tcp, 0, 1) == ERR_OK)
            tcp_output(s->tcp);
        net_flush();
    }
    sock_changed(s);
    return 0;
}

static void drop_rx(struct rt_sock *s)
{
    for (; s->rq_n; s->rq_n--, s->rq_head = (s->rq_head + 1) % RT_RXQ)
        pbuf_free(s->rq[s->rq_head]);
    s->rx_len = s->rx_off = 0;
}

void tcp_sock_close(struct rt_sock *s)
{
    struct tcp_pcb *p = s->tcp;
    s->tcp = NULL;
    if (s->flags & SF_LISTEN) {
        for (int i = 0; i < s->aq_n; i++) { /* connections never accepted: reset, as Linux does */
            struct rt_sock *c = s->aq[i];
            c->listener = NULL;
            if (c->tcp) {
                tcp_arg(c->tcp, NULL);
                tcp_err(c->tcp, NULL);
                tcp_abort(c->tcp);
                c->tcp = NULL;
            }
            drop_rx(c);
            sock_free(c);
        }
        s->aq_n = 0;
        heap_free(s->aq);
        s->aq = NULL;
        if (p)
            tcp_close(p);
    } else if (p) {
        tcp_arg(p, NULL);
        tcp_recv(p, NULL);
        tcp_sent(p, NULL);
        tcp_err(p, NULL);
        /* unread data, or SO_LINGER with a zero timeout: a reset (RFC 2525, as Linux does) */
        if (s->rx_len || (s->linger && s->linger_secs == 0) || tcp_close(p) != ERR_OK)
            tcp_abort(p);
    }
    drop_rx(s);
    net_flush();
}

short tcp_sock_ready(struct rt_sock *s)
{
    if (s->flags & SF_LISTEN)
        return s->aq_n ? POLLIN : 0;
    if (s->tcp && (s->flags & SF_CONNECTING))
        return 0;
    short r = 0;
    if (s->err)
        r |= POLLERR;
    if (s->rx_len || (s->flags & (SF_EOF | SF_SHUT_RD)))
        r |= POLLIN;
    if (s->flags & SF_EOF)
        r |= POLLRDHUP;
    if (s->tcp && (s->flags & SF_CONNECTED)) {
        if (!(s->flags & SF_SHUT_WR) && send_room(s) >= (uint32_t)s->sndbuf / 4)
            r |= POLLOUT;
        if ((s->flags & SF_EOF) && (s->flags & SF_SHUT_WR))
            r |= POLLHUP;
    } else { /* never connected, or the connection is gone */
        r |= POLLOUT | POLLHUP;
    }
    return r;
}

int tcp_sock_names(struct rt_sock *s, int peer, ip_addr_t *ip, uint16_t *port)
{
    struct tcp_pcb *p = s->tcp;
    if (peer) {
        if (!p || !(s->flags & SF_CONNECTED) || (s->flags & SF_LISTEN))
            return -RT_ENOTCONN;
        *ip = p->remote_ip;
        *port = p->remote_port;
        return 0;
    }
    if (!p) {
        sa_any(s->family, s->flags & SF_V6ONLY, ip);
        *port = 0;
        return 0;
    }
    *ip = p->local_ip;
    *port = p->local_port;
    return 0;
}
