/*
 * runtime/libc/net/sock_int.h — the runtime's sockets over lwIP's raw API (internal): one struct
 * rt_sock per socket, shared by socket.c (system calls, options, the fd side), tcp.c, udp.c and
 * addr.c. Everything runs in system calls or the idle loop: lwIP's callbacks only queue data,
 * record state and wake waiters.
 */
#ifndef RT_NET_SOCK_INT_H
#define RT_NET_SOCK_INT_H

#include <stdint.h>

#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"

struct tcp_pcb;
struct udp_pcb;

/* Linux's constants, as musl's programs pass them. */
#define RT_AF_UNSPEC        0
#define RT_AF_INET          2
#define RT_AF_INET6         10
#define RT_SOCK_STREAM      1
#define RT_SOCK_DGRAM       2
#define RT_SOCK_NONBLOCK    04000
#define RT_SOCK_CLOEXEC     02000000
#define RT_MSG_OOB          0x1
#define RT_MSG_PEEK         0x2
#define RT_MSG_DONTROUTE    0x4
#define RT_MSG_TRUNC        0x20
#define RT_MSG_DONTWAIT     0x40
#define RT_MSG_EOR          0x80
#define RT_MSG_WAITALL      0x100
#define RT_MSG_NOSIGNAL     0x4000
#define RT_MSG_MORE         0x8000
#define RT_MSG_CMSG_CLOEXEC 0x40000000

enum {
    SF_LISTEN = 1u << 0,
    SF_CONNECTING = 1u << 1,
    SF_CONNECTED = 1u << 2,
    SF_EOF = 1u << 3,     /* TCP: the peer's FIN came (or the connection ended) */
    SF_SHUT_RD = 1u << 4, /* shutdown(SHUT_RD) */
    SF_SHUT_WR = 1u << 5, /* shutdown(SHUT_WR): our FIN queued */
    SF_V6ONLY = 1u << 6,
    SF_BOUND = 1u << 7,
    SF_ACCEPTED = 1u << 8, /* TCP: came from a listener, not yet taken by accept() */
};

/* A UDP datagram waiting to be read. */
struct rt_dgram {
    struct rt_dgram *next;
    struct pbuf *p;
    ip_addr_t from;
    uint16_t port;
};

struct rt_sock {
    int family, type, refs;
    uint32_t gen;   /* bumped at every change of readiness */
    int err;        /* pending error for SO_ERROR and the next call (positive errno), or 0 */
    unsigned flags; /* SF_* */
    int rcvbuf, sndbuf;
    uint64_t rcvtimeo, sndtimeo; /* ns; 0 = block forever */
    int linger, linger_secs;     /* SO_LINGER */
    unsigned so_opts;            /* lwIP SOF_* set before a PCB existed (listen replaces it) */
    int keepalive, nodelay;
    struct tcp_pcb *tcp; /* NULL once lwIP freed it (reset, timeout) */
    struct udp_pcb *udp;
    /* TCP: received bytes not yet read: up to RT_RXQ chains of pbufs as lwIP gave them (each
     * under 60 KB and 64 pieces), rx_off into the first piece of the first */
#define RT_RXQ 8
    struct pbuf *rq[RT_RXQ];
    int rq_head, rq_n;
    uint32_t rx_off, rx_len;
    /* UDP: datagrams not yet read */
    struct rt_dgram *dq, *dq_tail;
    uint32_t dq_bytes;
    /* TCP listener: connections not yet accepted */
    struct rt_sock **aq;
    int aq_n, aq_cap, backlog;
    struct rt_sock *listener; /* SF_ACCEPTED: whose queue this one is in */
};

/* socket.c */
void sock_changed(struct rt_sock *s); /* gen++, wakes its waiters and every poller */
struct rt_sock *sock_alloc(int family, int type);
void sock_free(struct rt_sock *s);
/* Blocks until s changes or deadline (0: none); -RT_EAGAIN when it passed, -RT_ERESTARTSYS (no
 * deadline) or -RT_EINTR when a signal came. */
long sock_wait(struct rt_sock *s, uint64_t deadline);
uint64_t sock_deadline(uint64_t timeo_ns);
int sock_errno_of(int lwip_err); /* err_t -> positive errno */

/* addr.c: struct sockaddr_in / sockaddr_in6 <-> lwIP addresses. */
/* From the caller's sockaddr (len bytes) for a socket of `family`: 0 and *ip, *port, or a
 * negative errno (EFAULT, EINVAL for a short one, EAFNOSUPPORT for another family). */
int sa_get(const void *sa, uint32_t len, int family, ip_addr_t *ip, uint16_t *port);
/* Into the caller's buffer (at most *len bytes; *len set to the whole size, as Linux does). */
void sa_put(const ip_addr_t *ip, uint16_t port, int family, void *sa, uint32_t *len);
/* The "any" address of a family (IPv6 sockets take IPv4 too unless V6ONLY). */
void sa_any(int family, int v6only, ip_addr_t *ip);

/* tcp.c */
long tcp_sock_bind(struct rt_sock *s, const ip_addr_t *ip, uint16_t port);
long tcp_sock_listen(struct rt_sock *s, int backlog);
long tcp_sock_accept(struct rt_sock *s, int nonblock, struct rt_sock **out);
long tcp_sock_connect(struct rt_sock *s, const ip_addr_t *ip, uint16_t port, int nonblock);
long tcp_sock_send(struct rt_sock *s, const void *buf, uint64_t n, int flags, int nonblock);
long tcp_sock_recv(struct rt_sock *s, void *buf, uint64_t n, int flags, int nonblock);
long tcp_sock_shutdown(struct rt_sock *s, int how);
void tcp_sock_close(struct rt_sock *s);
short tcp_sock_ready(struct rt_sock *s);
int tcp_sock_names(struct rt_sock *s, int peer, ip_addr_t *ip, uint16_t *port);
void tcp_sock_options(struct rt_sock *s); /* applies nodelay, keepalive, so_opts to the PCB */

/* udp.c */
long udp_sock_bind(struct rt_sock *s, const ip_addr_t *ip, uint16_t port);
long udp_sock_connect(struct rt_sock *s, const ip_addr_t *ip, uint16_t port, int disconnect);
long udp_sock_send(struct rt_sock *s, const void *const *bufs, const uint64_t *lens, int nbufs,
                   const ip_addr_t *to, uint16_t port);
/* One datagram into the pieces; *from and *port: its source; *full: its whole size. */
long udp_sock_recv(struct rt_sock *s, void *const *bufs, const uint64_t *lens, int nbufs, int flags,
                   int nonblock, ip_addr_t *from, uint16_t *port, uint64_t *full);
void udp_sock_close(struct rt_sock *s);
short udp_sock_ready(struct rt_sock *s);
int udp_sock_names(struct rt_sock *s, int peer, ip_addr_t *ip, uint16_t *port);

#endif
