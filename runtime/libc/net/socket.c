/*
 * runtime/libc/net/socket.c — the socket system calls (Linux x86-64 numbers and semantics) over
 * tcp.c and udp.c, and a socket's side of the fd layer (sock.h). Arguments are checked here:
 * descriptors, families, types, flags, address and message lengths.
 */
#include "console/console.h"
#include "lib/string.h"
#include "memory/memory.h"
#include "net/net.h"
#include "rt.h"
#include "sock.h"
#include "sock_int.h"
#include "time/time.h"

#define O_NONBLOCK  04000
#define O_CLOEXEC   02000000
#define O_RDWR      2
#define FIONREAD    0x541b
#define SIOCATMARK  0x8905
#define UIO_MAXIOV  1024
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

long sock_setsockopt(struct rt_sock *s, int level, int name, const void *val, uint32_t len);
long sock_getsockopt(struct rt_sock *s, int level, int name, void *val, uint32_t *len);

/* ---- the socket object ---- */

void sock_changed(struct rt_sock *s)
{
    s->gen++;
    rt_wake(s, 1 << 30);
    rt_poll_wake();
}

struct rt_sock *sock_alloc(int family, int type)
{
    struct rt_sock *s = heap_alloc(sizeof(*s));
    if (!s)
        return NULL;
    *s = (struct rt_sock){.family = family, .type = type};
    s->rcvbuf = type == RT_SOCK_STREAM ? 131072 : 212992;
    s->sndbuf = 65536;
    return s;
}

void sock_free(struct rt_sock *s)
{
    heap_free(s);
}

uint64_t sock_deadline(uint64_t timeo_ns)
{
    return timeo_ns ? time_monotonic_ns() + timeo_ns : 0;
}

long sock_wait(struct rt_sock *s, uint64_t deadline)
{
    net_flush();
    long r = rt_wait_on(s, deadline);
    /* a signal: the call again after a SA_RESTART handler, else EINTR (signal.c); with a timeout
     * (SO_RCVTIMEO, SO_SNDTIMEO) EINTR whatever the flags, as Linux's sock_intr_errno */
    if (r == -RT_EINTR)
        return deadline ? -RT_EINTR : -RT_ERESTARTSYS;
    return r < 0 ? -RT_EAGAIN : 0;
}

/* ---- the fd layer's side ---- */

void rt_sock_ref(struct rt_sock *s, int delta)
{
    s->refs += delta;
    if (s->refs > 0)
        return;
    if (s->type == RT_SOCK_STREAM)
        tcp_sock_close(s);
    else
        udp_sock_close(s);
    sock_changed(s); /* a thread still blocked on it (another thread closed it) wakes up */
    sock_free(s);
}

long rt_sock_read(struct rt_sock *s, void *buf, uint64_t n, int nonblock)
{
    if (n && !buf)
        return -RT_EFAULT;
    if (s->type == RT_SOCK_STREAM)
        return tcp_sock_recv(s, buf, n, 0, nonblock);
    ip_addr_t from;
    uint16_t port;
    uint64_t full;
    return udp_sock_recv(s, &buf, &n, 1, 0, nonblock, &from, &port, &full);
}

long rt_sock_write(struct rt_sock *s, const void *buf, uint64_t n, int nonblock)
{
    if (n && !buf)
        return -RT_EFAULT;
    if (s->type == RT_SOCK_STREAM)
        return tcp_sock_send(s, buf, n, 0, nonblock);
    return udp_sock_send(s, &buf, &n, 1, NULL, 0);
}

short rt_sock_ready(struct rt_sock *s)
{
    return s->type == RT_SOCK_STREAM ? tcp_sock_ready(s) : udp_sock_ready(s);
}

uint32_t rt_sock_gen(struct rt_sock *s)
{
    return s->gen;
}

long rt_sock_ioctl(struct rt_sock *s, unsigned long req, uint64_t arg)
{
    if (!arg)
        return -RT_EFAULT;
    if (req == FIONREAD) {
        if (s->flags & SF_LISTEN)
            return -RT_EINVAL;
        *(int *)arg = s->type == RT_SOCK_STREAM ? (int)s->rx_len
                      : s->dq                   ? (int)s->dq->p->tot_len
                                                : 0;
        return 0;
    }
    if (req == SIOCATMARK) { /* no urgent data, ever */
        *(int *)arg = 0;
        return 0;
    }
    return -RT_ENOTTY;
}

void rt_net_kick(void)
{
    net_poll();
}

void rt_net_idle(uint64_t deadline_ns)
{
    net_idle(deadline_ns);
}

/* ---- the system calls ---- */

/* The socket of descriptor fd, or NULL with *rc set to EBADF or ENOTSOCK. */
static struct rt_sock *sock_of(int fd, int *nonblock, long *rc)
{
    struct rt_fd *f = rt_fd_get(fd);
    if (!f) {
        *rc = -RT_EBADF;
        return NULL;
    }
    if (f->kind != F_SOCKET) {
        *rc = -RT_ENOTSOCK;
        return NULL;
    }
    if (nonblock)
        *nonblock = !!(f->flags & O_NONBLOCK);
    return f->sock;
}

static long new_fd(struct rt_sock *s, int flags)
{
    struct rt_fd f = {.kind = F_SOCKET,
                      .flags = O_RDWR | (flags & O_NONBLOCK),
                      .cloexec = !!(flags & O_CLOEXEC),
                      .sock = s};
    int fd = rt_fd_new(&f);
    if (fd >= 0)
        s->refs = 1;
    return fd;
}

static long do_socket(int family, int type, int proto)
{
    if (family != RT_AF_INET && family != RT_AF_INET6)
        return -RT_EAFNOSUPPORT; /* AF_UNIX, AF_NETLINK, AF_PACKET: not in a unikernel */
    int kind = type & 0xf, flags = type & ~0xf;
    if (flags & ~(RT_SOCK_NONBLOCK | RT_SOCK_CLOEXEC))
        return -RT_EINVAL;
    if (kind != RT_SOCK_STREAM && kind != RT_SOCK_DGRAM)
        return -RT_EPROTONOSUPPORT; /* SOCK_RAW, SOCK_SEQPACKET */
    if (proto && proto != (kind == RT_SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP))
        return -RT_EPROTONOSUPPORT;
    struct rt_sock *s = sock_alloc(family, kind);
    if (!s)
        return -RT_ENOMEM;
    long fd = new_fd(s, flags);
    if (fd < 0)
        sock_free(s);
    return fd;
}

/* The address of a bind or connect: checked; for IPv6 sockets :: narrowed by IPV6_V6ONLY. */
static long get_addr(struct rt_sock *s, const void *sa, uint64_t len, ip_addr_t *ip, uint16_t *port)
{
    if (len > 128)
        return -RT_EINVAL;
    long r = sa_get(sa, (uint32_t)len, s->family, ip, port);
    if (r == 0 && IP_IS_ANY_TYPE_VAL(*ip) && (s->flags & SF_V6ONLY))
        ip_addr_set_any(1, ip);
    if (r == 0 && IP_IS_V4_VAL(*ip) && s->family == RT_AF_INET6 && (s->flags & SF_V6ONLY))
        return -RT_EINVAL;
    return r;
}

static long do_bind(int fd, const void *sa, uint64_t len)
{
    long rc = 0;
    struct rt_sock *s = sock_of(fd, NULL, &rc);
    if (!s)
        return rc;
    ip_addr_t ip;
    uint16_t port;
    if ((rc = get_addr(s, sa, len, &ip, &port)) < 0)
        return rc;
    return s->type == RT_SOCK_STREAM ? tcp_sock_bind(s, &ip, port) : udp_sock_bind(s, &ip, port);
}

static long do_connect(int fd, const void *sa, uint64_t len)
{
    long rc = 0;
    int nonblock;
    struct rt_sock *s = sock_of(fd, &nonblock, &rc);
    if (!s)
        return rc;
    ip_addr_t ip;
    uint16_t port;
    if (s->type == RT_SOCK_DGRAM && sa && len >= 2 && *(const uint16_t *)sa == RT_AF_UNSPEC)
        return udp_sock_connect(s, NULL, 0, 1);
    if ((rc = get_addr(s, sa, len, &ip, &port)) < 0)
        return rc;
    if (s->type == RT_SOCK_DGRAM)
        return udp_sock_connect(s, &ip, port, 0);
    if (port == 0 || ip_addr_isany(&ip))
        return -RT_ECONNREFUSED;
    return tcp_sock_connect(s, &ip, port, nonblock);
}

static long names(int fd, void *sa, uint32_t *lenp, int peer)
{
    long rc = 0;
    struct rt_sock *s = sock_of(fd, NULL, &rc);
    if (!s)
        return rc;
    if (!lenp || (*lenp && !sa))
        return -RT_EFAULT;
    if ((int32_t)*lenp < 0)
        return -RT_EINVAL;
    ip_addr_t ip;
    uint16_t port;
    rc = s->type == RT_SOCK_STREAM ? tcp_sock_names(s, peer, &ip, &port)
                                   : udp_sock_names(s, peer, &ip, &port);
    if (rc == 0)
        sa_put(&ip, port, s->family, sa, lenp);
    return rc;
}

static long do_accept(int fd, void *sa, uint32_t *lenp, int flags)
{
    long rc = 0;
    int nonblock;
    struct rt_sock *s = sock_of(fd, &nonblock, &rc);
    if (!s)
        return rc;
    if (flags & ~(RT_SOCK_NONBLOCK | RT_SOCK_CLOEXEC))
        return -RT_EINVAL;
    if (s->type != RT_SOCK_STREAM)
        return -RT_EOPNOTSUPP;
    if (sa && !lenp)
        return -RT_EFAULT;
    if (lenp && (int32_t)*lenp < 0)
        return -RT_EINVAL;
    struct rt_sock *c;
    if ((rc = tcp_sock_accept(s, nonblock, &c)) < 0)
        return rc;
    long nfd = new_fd(c, flags);
    if (nfd < 0) { /* no descriptor: the connection is reset, as if the queue overflowed */
        c->refs = 1;
        rt_sock_ref(c, -1);
        return nfd;
    }
    if (sa) {
        ip_addr_t ip;
        uint16_t port;
        if (tcp_sock_names(c, 1, &ip, &port) < 0) {
            ip_addr_set_zero(&ip);
            port = 0;
        }
        sa_put(&ip, port, c->family, sa, lenp);
    }
    return nfd;
}

/* struct msghdr and struct iovec of x86-64 Linux. */
struct rt_iovec {
    void *base;
    uint64_t len;
};
struct rt_msghdr {
    void *name;
    uint32_t namelen;
    struct rt_iovec *iov;
    uint64_t iovlen;
    void *control;
    uint64_t controllen;
    int flags;
};

#define MAXPIECES 64

static long do_sendmsg(int fd, const struct rt_msghdr *m, int flags)
{
    long rc = 0;
    int nonblock;
    struct rt_sock *s = sock_of(fd, &nonblock, &rc);
    if (!s)
        return rc;
    if (!m || (m->iovlen && !m->iov))
        return -RT_EFAULT;
    if (m->iovlen > UIO_MAXIOV)
        return -RT_EMSGSIZE;
    if (flags & RT_MSG_DONTWAIT)
        nonblock = 1;
    if (flags & RT_MSG_OOB)
        return -RT_EOPNOTSUPP;
    if (s->type == RT_SOCK_STREAM) {
        if (m->name && s->flags & SF_CONNECTED)
            return -RT_EISCONN;
        long total = 0;
        for (uint64_t i = 0; i < m->iovlen; i++) {
            if (m->iov[i].len && !m->iov[i].base)
                return total ? total : -RT_EFAULT;
            int more = i + 1 < m->iovlen ? RT_MSG_MORE : 0;
            long r = tcp_sock_send(s, m->iov[i].base, m->iov[i].len, flags | more, nonblock);
            if (r < 0)
                return total ? total : r;
            total += r;
            if ((uint64_t)r < m->iov[i].len)
                break;
        }
        return total;
    }
    if (m->iovlen > MAXPIECES)
        return -RT_EMSGSIZE;
    const void *bufs[MAXPIECES];
    uint64_t lens[MAXPIECES];
    for (uint64_t i = 0; i < m->iovlen; i++) {
        bufs[i] = m->iov[i].base;
        lens[i] = m->iov[i].len;
    }
    ip_addr_t to;
    uint16_t port = 0;
    if (m->name) {
        if ((rc = get_addr(s, m->name, m->namelen, &to, &port)) < 0)
            return rc;
    }
    return udp_sock_send(s, bufs, lens, (int)m->iovlen, m->name ? &to : NULL, port);
}

static long do_recvmsg(int fd, struct rt_msghdr *m, int flags)
{
    long rc = 0;
    int nonblock;
    struct rt_sock *s = sock_of(fd, &nonblock, &rc);
    if (!s)
        return rc;
    if (!m || (m->iovlen && !m->iov))
        return -RT_EFAULT;
    if (m->iovlen > UIO_MAXIOV)
        return -RT_EMSGSIZE;
    if (flags & RT_MSG_DONTWAIT)
        nonblock = 1;
    m->controllen = 0; /* no ancillary data */
    m->flags = 0;
    if (s->type == RT_SOCK_STREAM) {
        long total = 0;
        for (uint64_t i = 0; i < m->iovlen; i++) {
            if (!m->iov[i].len)
                continue;
            if (!m->iov[i].base)
                return total ? total : -RT_EFAULT;
            long r = tcp_sock_recv(s, m->iov[i].base, m->iov[i].len, flags, total ? 1 : nonblock);
            if (r < 0)
                return total ? total : r;
            total += r;
            if ((uint64_t)r < m->iov[i].len)
                break;
        }
        if (m->name)
            m->namelen = 0;
        return total;
    }
    if (m->iovlen > MAXPIECES)
        return -RT_EMSGSIZE;
    void *bufs[MAXPIECES];
    uint64_t lens[MAXPIECES], full = 0;
    for (uint64_t i = 0; i < m->iovlen; i++) {
        bufs[i] = m->iov[i].base;
        lens[i] = m->iov[i].len;
    }
    ip_addr_t from;
    uint16_t port;
    rc = udp_sock_recv(s, bufs, lens, (int)m->iovlen, flags, nonblock, &from, &port, &full);
    if (rc < 0)
        return rc;
    if (m->name)
        sa_put(&from, port, s->family, m->name, &m->namelen);
    if (full > (uint64_t)rc)
        m->flags |= RT_MSG_TRUNC;
    return (flags & RT_MSG_TRUNC) ? (long)full : rc;
}

static long do_sendto(int fd, const void *buf, uint64_t n, int flags, const void *sa, uint64_t alen)
{
    struct rt_iovec iov = {(void *)buf, n};
    struct rt_msghdr m = {.name = (void *)sa, .namelen = (uint32_t)alen, .iov = &iov, .iovlen = 1};
    if (alen > 128)
        return -RT_EINVAL;
    return do_sendmsg(fd, &m, flags);
}

static long do_recvfrom(int fd, void *buf, uint64_t n, int flags, void *sa, uint32_t *alenp)
{
    if (sa && !alenp)
        return -RT_EFAULT;
    if (alenp && (int32_t)*alenp < 0)
        return -RT_EINVAL;
    struct rt_iovec iov = {buf, n};
    struct rt_msghdr m = {.name = sa, .namelen = alenp ? *alenp : 0, .iov = &iov, .iovlen = 1};
    long r = do_recvmsg(fd, &m, flags);
    if (r >= 0 && sa)
        *alenp = m.namelen;
    return r;
}

/* struct mmsghdr: a msghdr and the count of its call. */
struct rt_mmsghdr {
    struct rt_msghdr hdr;
    uint32_t len;
};

static long do_mmsg(int fd, struct rt_mmsghdr *v, uint64_t n, int flags, int send)
{
    if (!v && n)
        return -RT_EFAULT;
    if (n > UIO_MAXIOV)
        n = UIO_MAXIOV;
    uint64_t i = 0;
    for (; i < n; i++) {
        long r = send ? do_sendmsg(fd, &v[i].hdr, flags) : do_recvmsg(fd, &v[i].hdr, flags);
        if (r < 0)
            return i ? (long)i : r;
        v[i].len = (uint32_t)r;
        if (!send && i == 0)
            flags |= RT_MSG_DONTWAIT; /* recvmmsg waits for the first only */
    }
    return (long)i;
}

static long do_shutdown(int fd, int how)
{
    long rc = 0;
    struct rt_sock *s = sock_of(fd, NULL, &rc);
    if (!s)
        return rc;
    if (how < 0 || how > 2)
        return -RT_EINVAL;
    if (s->type == RT_SOCK_DGRAM)
        return (s->flags & SF_CONNECTED) ? 0 : -RT_ENOTCONN;
    return tcp_sock_shutdown(s, how);
}

long rt_sock_syscall(unsigned long nr, const uint64_t *a)
{
    long rc = 0;
    struct rt_sock *s;
    switch (nr) {
    case 41: return do_socket((int)a[0], (int)a[1], (int)a[2]);
    case 42: return do_connect((int)a[0], (const void *)a[1], a[2]);
    case 43: return do_accept((int)a[0], (void *)a[1], (uint32_t *)a[2], 0);
    case 288: return do_accept((int)a[0], (void *)a[1], (uint32_t *)a[2], (int)a[3]);
    case 44:
        return do_sendto((int)a[0], (const void *)a[1], a[2], (int)a[3], (const void *)a[4], a[5]);
    case 45:
        return do_recvfrom((int)a[0], (void *)a[1], a[2], (int)a[3], (void *)a[4],
                           (uint32_t *)a[5]);
    case 46: return do_sendmsg((int)a[0], (const struct rt_msghdr *)a[1], (int)a[2]);
    case 47: return do_recvmsg((int)a[0], (struct rt_msghdr *)a[1], (int)a[2]);
    case 299: return do_mmsg((int)a[0], (struct rt_mmsghdr *)a[1], a[2], (int)a[3], 0);
    case 307: return do_mmsg((int)a[0], (struct rt_mmsghdr *)a[1], a[2], (int)a[3], 1);
    case 48: return do_shutdown((int)a[0], (int)a[1]);
    case 49: return do_bind((int)a[0], (const void *)a[1], a[2]);
    case 50:
        if (!(s = sock_of((int)a[0], NULL, &rc)))
            return rc;
        return s->type == RT_SOCK_STREAM ? tcp_sock_listen(s, (int)a[1]) : -RT_EOPNOTSUPP;
    case 51: return names((int)a[0], (void *)a[1], (uint32_t *)a[2], 0);
    case 52: return names((int)a[0], (void *)a[1], (uint32_t *)a[2], 1);
    case 53: return -RT_EAFNOSUPPORT; /* socketpair: AF_UNIX only, which a unikernel lacks */
    case 54:
        if (!(s = sock_of((int)a[0], NULL, &rc)))
            return rc;
        return sock_setsockopt(s, (int)a[1], (int)a[2], (const void *)a[3], (uint32_t)a[4]);
    case 55:
        if (!(s = sock_of((int)a[0], NULL, &rc)))
            return rc;
        return sock_getsockopt(s, (int)a[1], (int)a[2], (void *)a[3], (uint32_t *)a[4]);
    default: return -RT_ENOSYS;
    }
}
