/*
 * runtime/libc/net/sockopt.c — setsockopt and getsockopt: the options servers and resolvers set,
 * with Linux's values and checks; an option not known prints a one-time notice and fails with
 * ENOPROTOOPT.
 */
#include "console/console.h"
#include "lib/string.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "rt.h"
#include "sock_int.h"

long sock_setsockopt(struct rt_sock *s, int level, int name, const void *val, uint32_t len);
long sock_getsockopt(struct rt_sock *s, int level, int name, void *val, uint32_t *len);

#define SOL_SOCKET   1
#define IPPROTO_IP   0
#define IPPROTO_TCP  6
#define IPPROTO_IPV6 41

#define SO_REUSEADDR  2
#define SO_TYPE       3
#define SO_ERROR      4
#define SO_DONTROUTE  5
#define SO_BROADCAST  6
#define SO_SNDBUF     7
#define SO_RCVBUF     8
#define SO_KEEPALIVE  9
#define SO_OOBINLINE  10
#define SO_PRIORITY   12
#define SO_LINGER     13
#define SO_REUSEPORT  15
#define SO_RCVLOWAT   18
#define SO_SNDLOWAT   19
#define SO_RCVTIMEO   20
#define SO_SNDTIMEO   21
#define SO_ACCEPTCONN 30
#define SO_PROTOCOL   38
#define SO_DOMAIN     39

#define TCP_NODELAY   1
#define TCP_MAXSEG    2
#define TCP_KEEPIDLE  4
#define TCP_KEEPINTVL 5
#define TCP_KEEPCNT   6
#define TCP_QUICKACK  12

#define IP_TOS      1
#define IP_TTL      2
#define IPV6_V6ONLY 26

struct rt_linger {
    int onoff, secs;
};

static void notice(const char *call, int level, int name)
{
    static uint32_t told[8];
    unsigned key = ((unsigned)level * 31u + (unsigned)name) % 256u;
    if (told[key / 32] & (1u << (key % 32)))
        return;
    told[key / 32] |= 1u << (key % 32);
    printk("jeos: %s level %d option %d is not supported: ENOPROTOOPT\n", call, level, name);
}

/* The lwIP PCB of a socket, for its ip options (SOF_*), or NULL. */
static struct ip_pcb *ip_pcb_of(struct rt_sock *s)
{
    if (s->type == RT_SOCK_STREAM)
        return (struct ip_pcb *)s->tcp;
    return (struct ip_pcb *)s->udp;
}

static void set_sof(struct rt_sock *s, unsigned opt, int on)
{
    struct ip_pcb *p = ip_pcb_of(s);
    if (on)
        s->so_opts |= opt;
    else
        s->so_opts &= ~opt;
    if (p) {
        if (on)
            ip_set_option(p, (u8_t)opt);
        else
            ip_reset_option(p, (u8_t)opt);
    }
}

static uint64_t timeval_ns(const int64_t *tv)
{
    if (tv[0] < 0 || tv[1] < 0 || tv[1] >= 1000000)
        return (uint64_t)-1;
    return (uint64_t)tv[0] * 1000000000u + (uint64_t)tv[1] * 1000u;
}

long sock_setsockopt(struct rt_sock *s, int level, int name, const void *val, uint32_t len)
{
    if (!val && len)
        return -RT_EFAULT;
    int v = 0;
    if (len >= sizeof(int))
        memcpy(&v, val, sizeof(int));
    int need_int =
        !(level == SOL_SOCKET && (name == SO_LINGER || name == SO_RCVTIMEO || name == SO_SNDTIMEO));
    if (need_int && (len < sizeof(int) || !val))
        return -RT_EINVAL;
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_REUSEADDR: set_sof(s, SOF_REUSEADDR, v != 0); return 0;
        case SO_REUSEPORT: return 0; /* one process: nobody else can share the port */
        case SO_KEEPALIVE:
            s->keepalive = v != 0;
            set_sof(s, SOF_KEEPALIVE, v != 0);
            return 0;
        case SO_BROADCAST: set_sof(s, SOF_BROADCAST, v != 0); return 0;
        case SO_SNDBUF:
        case SO_RCVBUF: {
            /* as Linux: the value is doubled (room for bookkeeping), with a floor */
            int64_t d = (int64_t)(v < 0 ? 0 : v) * 2;
            int64_t lo = name == SO_SNDBUF ? 4608 : 2304;
            int b = (int)(d < lo ? lo : d > (1 << 30) ? (1 << 30) : d);
            if (name == SO_SNDBUF)
                s->sndbuf = b;
            else
                s->rcvbuf = b;
            return 0;
        }
        case SO_LINGER: {
            if (len < sizeof(struct rt_linger))
                return -RT_EINVAL;
            struct rt_linger l;
            memcpy(&l, val, sizeof(l));
            s->linger = l.onoff != 0;
            s->linger_secs = l.secs;
            return 0;
        }
        case SO_RCVTIMEO:
        case SO_SNDTIMEO: {
            if (len < 16)
                return -RT_EINVAL;
            int64_t tv[2];
            memcpy(tv, val, sizeof(tv));
            uint64_t ns = timeval_ns(tv);
            if (ns == (uint64_t)-1)
                return -RT_EDOM;
            if (name == SO_RCVTIMEO)
                s->rcvtimeo = ns;
            else
                s->sndtimeo = ns;
            return 0;
        }
        case SO_PRIORITY:
        case SO_DONTROUTE:
        case SO_OOBINLINE:
        case SO_RCVLOWAT: return 0; /* accepted: no effect on one interface without urgent data */
        }
    } else if (level == IPPROTO_TCP && s->type == RT_SOCK_STREAM) {
        switch (name) {
        case TCP_NODELAY:
            s->nodelay = v != 0;
            tcp_sock_options(s);
            return 0;
        case TCP_KEEPIDLE:
        case TCP_KEEPINTVL:
        case TCP_KEEPCNT:
            if (v < 1 || v > (name == TCP_KEEPCNT ? 127 : 32767))
                return -RT_EINVAL;
            if (s->tcp && !(s->flags & SF_LISTEN)) {
                if (name == TCP_KEEPIDLE)
                    s->tcp->keep_idle = (u32_t)v * 1000u;
                else if (name == TCP_KEEPINTVL)
                    s->tcp->keep_intvl = (u32_t)v * 1000u;
                else
                    s->tcp->keep_cnt = (u32_t)v;
            }
            return 0;
        case TCP_QUICKACK: return 0;
        case TCP_MAXSEG: return v < 88 || v > 32767 ? -RT_EINVAL : 0;
        }
    } else if (level == IPPROTO_IPV6 && s->family == RT_AF_INET6) {
        if (name == IPV6_V6ONLY) {
            if (s->flags & SF_BOUND)
                return -RT_EINVAL;
            s->flags = v ? s->flags | SF_V6ONLY : s->flags & ~SF_V6ONLY;
            return 0;
        }
    } else if (level == IPPROTO_IP) {
        if (name == IP_TOS)
            return 0;
        if (name == IP_TTL) {
            struct ip_pcb *p = ip_pcb_of(s);
            if (v < 1 || v > 255)
                return -RT_EINVAL;
            if (p)
                p->ttl = (u8_t)v;
            return 0;
        }
    }
    notice("setsockopt", level, name);
    return -RT_ENOPROTOOPT;
}

static long put_int(void *val, uint32_t *len, int v)
{
    uint32_t n = *len < sizeof(int) ? *len : sizeof(int);
    memcpy(val, &v, n);
    *len = n;
    return 0;
}

long sock_getsockopt(struct rt_sock *s, int level, int name, void *val, uint32_t *len)
{
    if (!len || (*len && !val))
        return -RT_EFAULT;
    if ((int32_t)*len < 0)
        return -RT_EINVAL;
    struct ip_pcb *p = ip_pcb_of(s);
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_TYPE: return put_int(val, len, s->type);
        case SO_DOMAIN: return put_int(val, len, s->family);
        case SO_PROTOCOL: return put_int(val, len, s->type == RT_SOCK_STREAM ? 6 : 17);
        case SO_ERROR: {
            int e = s->err;
            s->err = 0;
            return put_int(val, len, e);
        }
        case SO_ACCEPTCONN: return put_int(val, len, !!(s->flags & SF_LISTEN));
        case SO_REUSEADDR: return put_int(val, len, !!(s->so_opts & SOF_REUSEADDR));
        case SO_KEEPALIVE: return put_int(val, len, s->keepalive);
        case SO_BROADCAST: return put_int(val, len, !!(s->so_opts & SOF_BROADCAST));
        case SO_SNDBUF: return put_int(val, len, s->sndbuf);
        case SO_RCVBUF: return put_int(val, len, s->rcvbuf);
        case SO_REUSEPORT:
        case SO_PRIORITY:
        case SO_OOBINLINE:
        case SO_DONTROUTE: return put_int(val, len, 0);
        case SO_RCVLOWAT:
        case SO_SNDLOWAT: return put_int(val, len, 1);
        case SO_LINGER: {
            struct rt_linger l = {s->linger, s->linger_secs};
            uint32_t n = *len < sizeof(l) ? *len : sizeof(l);
            memcpy(val, &l, n);
            *len = n;
            return 0;
        }
        case SO_RCVTIMEO:
        case SO_SNDTIMEO: {
            uint64_t ns = name == SO_RCVTIMEO ? s->rcvtimeo : s->sndtimeo;
            int64_t tv[2] = {(int64_t)(ns / 1000000000u), (int64_t)(ns % 1000000000u / 1000u)};
            uint32_t n = *len < sizeof(tv) ? *len : sizeof(tv);
            memcpy(val, tv, n);
            *len = n;
            return 0;
        }
        }
    } else if (level == IPPROTO_TCP && s->type == RT_SOCK_STREAM) {
        struct tcp_pcb *t = (s->flags & SF_LISTEN) ? NULL : s->tcp;
        switch (name) {
        case TCP_NODELAY: return put_int(val, len, s->nodelay);
        case TCP_MAXSEG: return put_int(val, len, t ? t->mss : TCP_MSS);
        case TCP_KEEPIDLE: return put_int(val, len, t ? (int)(t->keep_idle / 1000) : 7200);
        case TCP_KEEPINTVL: return put_int(val, len, t ? (int)(t->keep_intvl / 1000) : 75);
        case TCP_KEEPCNT: return put_int(val, len, t ? (int)t->keep_cnt : 9);
        }
    } else if (level == IPPROTO_IPV6 && s->family == RT_AF_INET6 && name == IPV6_V6ONLY) {
        return put_int(val, len, !!(s->flags & SF_V6ONLY));
    } else if (level == IPPROTO_IP && (name == IP_TTL || name == IP_TOS)) {
        return put_int(val, len, name == IP_TOS ? 0 : p ? p->ttl : 64);
    }
    notice("getsockopt", level, name);
    return -RT_ENOPROTOOPT;
}
