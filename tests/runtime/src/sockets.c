/*
 * sockets.c — the socket calls as Linux defines them, on the loopback interface: TCP and UDP over
 * IPv4 and IPv6, blocking and not, options, poll/select/epoll (level and edge) with pipes, resets.
 * The same source is built for the host (glibc) by tests/runtime/sockets_test.sh: every check
 * must pass on both, so the expectations are Linux's.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A listening TCP socket on 127.0.0.1 (or ::1), port chosen by the system; *port gets it. */
static int listener(int family, int *port)
{
    int s = socket(family, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_storage ss = {0};
    socklen_t len;
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(*a);
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof(*a);
    }
    if (bind(s, (struct sockaddr *)&ss, len) < 0 || listen(s, 8) < 0)
        return -1;
    len = sizeof(ss);
    getsockname(s, (struct sockaddr *)&ss, &len);
    *port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return s;
}

static struct sockaddr_in lo4(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* A connected pair through l (port): *c the client, returns the accepted end. */
static int pair(int l, int port, int *c)
{
    *c = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {5, 0}; /* a check that goes wrong fails instead of hanging */
    setsockopt(*c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_in a = lo4(port);
    if (connect(*c, (struct sockaddr *)&a, sizeof(a)) < 0)
        return -1;
    return accept(l, NULL, NULL);
}

static void argument_checks(void)
{
    int p[2];
    pipe(p);
    errno = 0;
    CHECK("sock-bad-type", socket(AF_INET, 99, 0) < 0 && errno == EINVAL, "errno %d", errno);
    errno = 0;
    CHECK("sock-bad-protocol",
          socket(AF_INET, SOCK_STREAM, IPPROTO_UDP) < 0 && errno == EPROTONOSUPPORT, "errno %d",
          errno);
    struct sockaddr_in a = lo4(0);
    errno = 0;
    CHECK("sock-enotsock", bind(p[0], (struct sockaddr *)&a, sizeof(a)) < 0 && errno == ENOTSOCK,
          "errno %d", errno);
    errno = 0;
    CHECK("sock-ebadf", bind(1000, (struct sockaddr *)&a, sizeof(a)) < 0 && errno == EBADF,
          "errno %d", errno);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    errno = 0;
    CHECK("sock-short-addr", bind(s, (struct sockaddr *)&a, 8) < 0 && errno == EINVAL, "errno %d",
          errno);
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
    errno = 0;
    CHECK("sock-family-mismatch",
          bind(s, (struct sockaddr *)&a6, sizeof(a6)) < 0 && errno == EAFNOSUPPORT, "errno %d",
          errno);
    short two = 1;
    errno = 0;
    CHECK("sock-optlen",
          setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &two, sizeof(two)) < 0 && errno == EINVAL,
          "errno %d", errno);
    int v = 0;
    socklen_t vl = sizeof(v);
    errno = 0;
    CHECK("sock-unknown-option",
          getsockopt(s, SOL_SOCKET, 9999, &v, &vl) < 0 && errno == ENOPROTOOPT, "errno %d", errno);
    vl = sizeof(v);
    CHECK("sock-so-type",
          getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &vl) == 0 && v == SOCK_STREAM && vl == sizeof(int),
          "v %d len %u", v, vl);
    errno = 0;
    CHECK("sock-accept-not-listening", accept(s, NULL, NULL) < 0 && errno == EINVAL, "errno %d",
          errno);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    errno = 0;
    CHECK("sock-listen-udp", listen(u, 1) < 0 && errno == EOPNOTSUPP, "errno %d", errno);
    errno = 0;
    char buf[4];
    CHECK("sock-recv-unconnected", recv(s, buf, 4, 0) < 0 && errno == ENOTCONN, "errno %d", errno);
    close(s);
    close(u);
    close(p[0]);
    close(p[1]);
}

static void options(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int v = 1, got = 0;
    socklen_t l = sizeof(got);
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v));
    getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &got, &l);
    CHECK("sock-nodelay", got != 0, "TCP_NODELAY reads %d", got);
    setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v));
    l = sizeof(got);
    getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &got, &l);
    CHECK("sock-keepalive", got != 0, "SO_KEEPALIVE reads %d", got);
    v = 10000;
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
    l = sizeof(got);
    getsockopt(s, SOL_SOCKET, SO_RCVBUF, &got, &l);
    CHECK("sock-rcvbuf-doubled", got == 20000, "SO_RCVBUF 10000 reads %d", got);
    l = sizeof(got);
    getsockopt(s, SOL_SOCKET, SO_ERROR, &got, &l);
    CHECK("sock-so-error-none", got == 0, "SO_ERROR %d", got);
    int fl = fcntl(s, F_GETFL);
    fcntl(s, F_SETFL, fl | O_NONBLOCK);
    CHECK("sock-fcntl-nonblock", fcntl(s, F_GETFL) & O_NONBLOCK, "flags %x", fcntl(s, F_GETFL));
    v = 0;
    ioctl(s, FIONBIO, &v);
    CHECK("sock-fionbio", !(fcntl(s, F_GETFL) & O_NONBLOCK), "flags %x", fcntl(s, F_GETFL));
    close(s);
}

struct bulk {
    int fd;
    size_t n;
    unsigned long sum;
};

static void *reader(void *arg)
{
    struct bulk *b = arg;
    static unsigned char buf[10000];
    for (;;) {
        ssize_t r = read(b->fd, buf, sizeof(buf));
        if (r <= 0)
            break;
        for (ssize_t i = 0; i < r; i++)
            b->sum = b->sum * 31 + buf[i];
        b->n += (size_t)r;
    }
    return NULL;
}

static void tcp_stream(int l, int port)
{
    int c, s = pair(l, port, &c);
    CHECK("sock-tcp-connect-accept", s >= 0 && c >= 0, "s %d c %d errno %d", s, c, errno);
    struct sockaddr_in peer, mine;
    socklen_t pl = sizeof(peer), ml = sizeof(mine);
    getpeername(s, (struct sockaddr *)&peer, &pl);
    getsockname(c, (struct sockaddr *)&mine, &ml);
    CHECK("sock-getpeername",
          pl == sizeof(peer) && peer.sin_port == mine.sin_port &&
              peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
          "peer port %d, client port %d", ntohs(peer.sin_port), ntohs(mine.sin_port));
    /* 1 MiB through, read by a thread while this one writes */
    struct bulk b = {s, 0, 0};
    pthread_t t;
    pthread_create(&t, NULL, reader, &b);
    static unsigned char data[1 << 16];
    unsigned long sum = 0;
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 7 + 3);
    size_t sent = 0;
    for (int k = 0; k < 16; k++) {
        ssize_t w = write(c, data, sizeof(data));
        if (w > 0)
            sent += (size_t)w;
        for (ssize_t i = 0; i < w; i++)
            sum = sum * 31 + data[i];
    }
    shutdown(c, SHUT_WR);
    pthread_join(t, NULL);
    CHECK("sock-tcp-1mib", sent == 1 << 20 && b.n == sent && b.sum == sum,
          "sent %zu, read %zu, sums %lx %lx", sent, b.n, sum, b.sum);
    char buf[16];
    CHECK("sock-eof-after-shutdown", read(s, buf, sizeof(buf)) == 0, "not at end of file");
    /* the other way still works after SHUT_WR */
    write(s, "back", 4);
    ssize_t r = read(c, buf, sizeof(buf));
    CHECK("sock-half-close", r == 4 && memcmp(buf, "back", 4) == 0, "read %zd", r);
    close(s);
    close(c);
}

static void tcp_calls(int l, int port)
{
    int c, s = pair(l, port, &c);
    write(c, "0123456789", 10);
    struct pollfd pf = {s, POLLIN, 0};
    poll(&pf, 1, 2000);
    int n = -1;
    ioctl(s, FIONREAD, &n);
    CHECK("sock-fionread", n == 10, "FIONREAD %d", n);
    char buf[32];
    ssize_t r = recv(s, buf, 4, MSG_PEEK);
    CHECK("sock-peek", r == 4 && memcmp(buf, "0123", 4) == 0, "peek %zd", r);
    char a[3], b[4], d[10];
    struct iovec iov[3] = {{a, 3}, {b, 4}, {d, 10}};
    r = readv(s, iov, 3);
    CHECK("sock-readv",
          r == 10 && memcmp(a, "012", 3) == 0 && memcmp(b, "3456", 4) == 0 &&
              memcmp(d, "789", 3) == 0,
          "readv %zd", r);
    struct iovec out[2] = {{"hello ", 6}, {"world", 5}};
    struct msghdr m = {.msg_iov = out, .msg_iovlen = 2};
    r = sendmsg(c, &m, 0);
    memset(buf, 0, sizeof(buf));
    struct iovec in = {buf, sizeof(buf)};
    struct msghdr mi = {.msg_iov = &in, .msg_iovlen = 1};
    ssize_t got = 0;
    while (got < 11) {
        in.iov_base = buf + got;
        in.iov_len = sizeof(buf) - (size_t)got;
        ssize_t k = recvmsg(s, &mi, 0);
        if (k <= 0)
            break;
        got += k;
    }
    CHECK("sock-sendmsg-recvmsg", r == 11 && got == 11 && strcmp(buf, "hello world") == 0,
          "sent %zd got %zd \"%s\"", r, got, buf);
    fcntl(s, F_SETFL, O_NONBLOCK);
    errno = 0;
    CHECK("sock-eagain", read(s, buf, 1) < 0 && errno == EAGAIN, "errno %d", errno);
    struct timeval tv = {0, 100000};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    double t0 = now();
    errno = 0;
    r = recv(c, buf, 1, 0);
    double waited = now() - t0;
    CHECK("sock-rcvtimeo", r < 0 && errno == EAGAIN && waited >= 0.09 && waited < 2,
          "r %zd errno %d waited %.3f", r, errno, waited);
    struct sockaddr_in a4 = lo4(port);
    errno = 0;
    CHECK("sock-eisconn", connect(c, (struct sockaddr *)&a4, sizeof(a4)) < 0 && errno == EISCONN,
          "errno %d", errno);
    close(s);
    close(c);
}

static void readiness(int l, int port)
{
    int p[2];
    pipe(p);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = lo4(port);
    connect(c, (struct sockaddr *)&a, sizeof(a));
    struct pollfd pf[3] = {{l, POLLIN, 0}, {c, POLLOUT, 0}, {p[0], POLLIN, 0}};
    int n = poll(pf, 3, 2000);
    CHECK("sock-poll-listen-and-connected",
          n == 2 && (pf[0].revents & POLLIN) && (pf[1].revents & POLLOUT) && !pf[2].revents,
          "n %d revents %x %x %x", n, pf[0].revents, pf[1].revents, pf[2].revents);
    int s = accept(l, NULL, NULL);
    /* select: the pipe and the socket together */
    write(p[1], "x", 1);
    write(c, "y", 1);
    fd_set rd;
    struct timeval tv = {2, 0};
    for (int i = 0; i < 50; i++) { /* until both are there */
        FD_ZERO(&rd);
        FD_SET(s, &rd);
        FD_SET(p[0], &rd);
        tv = (struct timeval){2, 0};
        n = select((s > p[0] ? s : p[0]) + 1, &rd, NULL, NULL, &tv);
        if (n == 2)
            break;
        usleep(10000);
    }
    CHECK("sock-select", n == 2 && FD_ISSET(s, &rd) && FD_ISSET(p[0], &rd), "n %d", n);
    /* epoll: level-triggered reports unread data again; edge-triggered only after new data */
    int lt = epoll_create1(0), et = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = s}, got[4];
    epoll_ctl(lt, EPOLL_CTL_ADD, s, &ev);
    ev.events = EPOLLIN | EPOLLET;
    epoll_ctl(et, EPOLL_CTL_ADD, s, &ev);
    ev.data.fd = p[0];
    epoll_ctl(et, EPOLL_CTL_ADD, p[0], &ev);
    int l1 = epoll_wait(lt, got, 4, 1000), l2 = epoll_wait(lt, got, 4, 1000);
    CHECK("sock-epoll-level", l1 == 1 && l2 == 1 && got[0].data.fd == s, "%d then %d", l1, l2);
    int e1 = epoll_wait(et, got, 4, 1000), e2 = epoll_wait(et, got, 4, 100);
    write(c, "z", 1);
    int e3 = epoll_wait(et, got, 4, 2000);
    CHECK("sock-epoll-edge", e1 == 2 && e2 == 0 && e3 == 1 && got[0].data.fd == s,
          "%d, %d, then %d after new data", e1, e2, e3);
    /* the peer's FIN: POLLRDHUP and POLLIN with end of file */
    shutdown(c, SHUT_WR);
    struct pollfd ph = {s, POLLIN | POLLRDHUP, 0};
    for (int i = 0; i < 50 && !(ph.revents & POLLRDHUP); i++)
        poll(&ph, 1, 100);
    CHECK("sock-pollrdhup", (ph.revents & (POLLIN | POLLRDHUP)) == (POLLIN | POLLRDHUP),
          "revents %x", ph.revents);
    close(lt);
    close(et);
    close(s);
    close(c);
    close(p[0]);
    close(p[1]);
}

static void connect_calls(int lst, int port)
{
    int l2port, l2 = listener(AF_INET, &l2port);
    close(l2); /* a port nobody listens on */
    struct sockaddr_in a = lo4(l2port);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    errno = 0;
    CHECK("sock-connect-refused",
          connect(c, (struct sockaddr *)&a, sizeof(a)) < 0 && errno == ECONNREFUSED, "errno %d",
          errno);
    close(c);
    c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    errno = 0;
    int r = connect(c, (struct sockaddr *)&a, sizeof(a));
    int e = errno;
    struct pollfd pf = {c, POLLOUT, 0};
    poll(&pf, 1, 2000);
    int soerr = 0;
    socklen_t l = sizeof(soerr);
    getsockopt(c, SOL_SOCKET, SO_ERROR, &soerr, &l);
    CHECK("sock-nonblock-connect-refused",
          r < 0 && (e == EINPROGRESS || e == ECONNREFUSED) && (pf.revents & POLLERR) &&
              (e == ECONNREFUSED || soerr == ECONNREFUSED),
          "r %d errno %d revents %x SO_ERROR %d", r, e, pf.revents, soerr);
    close(c);
    a = lo4(port);
    c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    errno = 0;
    r = connect(c, (struct sockaddr *)&a, sizeof(a));
    e = errno;
    pf = (struct pollfd){c, POLLOUT, 0};
    poll(&pf, 1, 2000);
    soerr = -1;
    l = sizeof(soerr);
    getsockopt(c, SOL_SOCKET, SO_ERROR, &soerr, &l);
    CHECK("sock-nonblock-connect",
          (r == 0 || e == EINPROGRESS) && (pf.revents & POLLOUT) && soerr == 0,
          "r %d errno %d revents %x SO_ERROR %d", r, e, pf.revents, soerr);
    close(c);
    close(accept(lst, NULL, NULL));
}

static void resets(int l, int port)
{
    /* closing with unread data resets the connection: the peer reads ECONNRESET */
    int c, s = pair(l, port, &c);
    write(c, "unread", 6);
    struct pollfd pf = {s, POLLIN, 0};
    poll(&pf, 1, 2000);
    close(s);
    pf = (struct pollfd){c, POLLIN, 0};
    poll(&pf, 1, 2000);
    char buf[8];
    errno = 0;
    ssize_t r = read(c, buf, sizeof(buf));
    CHECK("sock-reset-unread", r < 0 && errno == ECONNRESET, "read %zd errno %d", r, errno);
    errno = 0;
    r = write(c, "x", 1);
    CHECK("sock-write-after-reset", r < 0 && (errno == EPIPE || errno == ECONNRESET),
          "write %zd errno %d", r, errno);
    close(c);
    /* SO_LINGER with a zero timeout: close resets */
    s = pair(l, port, &c);
    struct linger lg = {1, 0};
    setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(s);
    pf = (struct pollfd){c, POLLIN, 0};
    poll(&pf, 1, 2000);
    errno = 0;
    r = read(c, buf, sizeof(buf));
    CHECK("sock-linger-zero", r < 0 && errno == ECONNRESET, "read %zd errno %d", r, errno);
    close(c);
}

static void ipv6(void)
{
    int port, l = listener(AF_INET6, &port);
    int c = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 a = {.sin6_family = AF_INET6,
                             .sin6_port = htons((unsigned short)port),
                             .sin6_addr = in6addr_loopback};
    int r = connect(c, (struct sockaddr *)&a, sizeof(a));
    struct sockaddr_in6 peer;
    socklen_t pl = sizeof(peer);
    int s = accept(l, (struct sockaddr *)&peer, &pl);
    write(c, "six", 3);
    char buf[4] = {0};
    ssize_t n = read(s, buf, 3);
    CHECK("sock-ipv6-loopback",
          r == 0 && s >= 0 && pl == sizeof(peer) && IN6_IS_ADDR_LOOPBACK(&peer.sin6_addr) && n == 3,
          "connect %d accept %d len %u read %zd", r, s, pl, n);
    close(s);
    close(c);
    close(l);
    /* an IPv6 socket on :: takes IPv4 too (IPV6_V6ONLY off), peers as ::ffff:a.b.c.d */
    l = socket(AF_INET6, SOCK_STREAM, 0);
    int zero = 0;
    setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    struct sockaddr_in6 any = {.sin6_family = AF_INET6};
    bind(l, (struct sockaddr *)&any, sizeof(any));
    listen(l, 4);
    pl = sizeof(any);
    getsockname(l, (struct sockaddr *)&any, &pl);
    int c4 = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a4 = lo4(ntohs(any.sin6_port));
    r = connect(c4, (struct sockaddr *)&a4, sizeof(a4));
    pl = sizeof(peer);
    s = accept(l, (struct sockaddr *)&peer, &pl);
    char text[64] = "";
    inet_ntop(AF_INET6, &peer.sin6_addr, text, sizeof(text));
    CHECK("sock-dual-stack", r == 0 && s >= 0 && strcmp(text, "::ffff:127.0.0.1") == 0,
          "connect %d accept %d peer %s", r, s, text);
    close(s);
    close(c4);
    close(l);
}

static void udp(void)
{
    int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in aa = lo4(0), ba = lo4(0);
    bind(a, (struct sockaddr *)&aa, sizeof(aa));
    bind(b, (struct sockaddr *)&ba, sizeof(ba));
    socklen_t l = sizeof(aa);
    getsockname(a, (struct sockaddr *)&aa, &l);
    l = sizeof(ba);
    getsockname(b, (struct sockaddr *)&ba, &l);
    ssize_t s = sendto(a, "datagram", 8, 0, (struct sockaddr *)&ba, sizeof(ba));
    struct pollfd pf = {b, POLLIN, 0};
    poll(&pf, 1, 2000);
    int n = -1;
    ioctl(b, FIONREAD, &n);
    CHECK("sock-udp-fionread", n == 8, "FIONREAD %d", n);
    char buf[16] = {0};
    struct sockaddr_in from;
    l = sizeof(from);
    ssize_t r = recvfrom(b, buf, sizeof(buf), 0, (struct sockaddr *)&from, &l);
    CHECK("sock-udp-sendto-recvfrom",
          s == 8 && r == 8 && memcmp(buf, "datagram", 8) == 0 && from.sin_port == aa.sin_port,
          "sent %zd got %zd from port %d (want %d)", s, r, ntohs(from.sin_port),
          ntohs(aa.sin_port));
    sendto(a, "truncated!", 10, 0, (struct sockaddr *)&ba, sizeof(ba));
    poll(&pf, 1, 2000);
    struct iovec iov = {buf, 4};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    r = recvmsg(b, &m, 0);
    CHECK("sock-udp-trunc", r == 4 && (m.msg_flags & MSG_TRUNC), "got %zd flags %x", r,
          m.msg_flags);
    connect(a, (struct sockaddr *)&ba, sizeof(ba));
    s = send(a, "", 0, 0);
    poll(&pf, 1, 2000);
    r = recv(b, buf, sizeof(buf), MSG_DONTWAIT);
    CHECK("sock-udp-empty", s == 0 && r == 0, "sent %zd got %zd errno %d", s, r, errno);
    errno = 0;
    r = recv(b, buf, sizeof(buf), MSG_DONTWAIT);
    CHECK("sock-udp-eagain", r < 0 && errno == EAGAIN, "got %zd errno %d", r, errno);
    close(a);
    close(b);
}

static void names(void)
{
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int r = getaddrinfo("localhost", "80", &hints, &res);
    CHECK("sock-getaddrinfo-localhost",
          r == 0 && res &&
              ((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr == htonl(INADDR_LOOPBACK),
          "getaddrinfo: %s", r ? gai_strerror(r) : "other address");
    if (res)
        freeaddrinfo(res);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    argument_checks();
    options();
    int port, l = listener(AF_INET, &port);
    CHECK("sock-listen", l >= 0 && port > 0, "listener %d port %d", l, port);
    tcp_stream(l, port);
    tcp_calls(l, port);
    readiness(l, port);
    connect_calls(l, port);
    resets(l, port);
    close(l);
    ipv6();
    udp();
    names();
    printf("sockets: %d failures\n", failures);
    return failures ? 1 : 0;
}
