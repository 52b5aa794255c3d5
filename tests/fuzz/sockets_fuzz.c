/*
 * sockets_fuzz.c — libFuzzer target: the runtime's socket calls (runtime/libc/net) with lwIP and
 * its glue built for the host, on the loopback interface, driven by a program the input spells:
 * each byte picks a call (socket, bind, connect, listen, accept4, send/recv and their msg and to/
 * from forms, setsockopt/getsockopt, shutdown, names, ioctl, close, the clock), the next ones
 * its arguments — families, types, flags, levels, option names, address, option and message
 * lengths, iovec counts, NULL pointers. Every buffer passed is as long as the length given
 * with it (the calls cannot check a program's pointers, as Linux's copy_from_user can); what is
 * checked is that nothing the arguments say makes the layer read or write outside them, leak,
 * or assert. Descriptors are non-blocking: a call that would block returns EAGAIN.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "rt.h"
#include "sock.h"

/* ---- what the socket layer and lwIP need of the kernel and the runtime ---- */

static uint64_t clock_ns;
uint64_t time_monotonic_ns(void)
{
    return clock_ns += 1000;
}
void *heap_alloc(size_t n)
{
    return malloc(n ? n : 1);
}
void heap_free(void *p)
{
    free(p);
}
int printk(const char *fmt, ...)
{
    (void)fmt;
    return 0;
}
void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    abort();
}
int uk_snprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}
void uk_exit(int status)
{
    fprintf(stderr, "uk_exit(%d)\n", status);
    abort();
}
const char *uk_cmdline(void)
{
    return "jeos.net=none";
}
unsigned netdev_count(void)
{
    return 0;
}
struct netdev *netdev_get(unsigned i)
{
    (void)i;
    return NULL;
}
int netdev_wait(uint64_t deadline_ns)
{
    (void)deadline_ns;
    return 0;
}
void rt_random_bytes(void *buf, size_t n)
{
    memset(buf, 0x5a, n);
}
long rt_wait_on(const void *key, uint64_t deadline_ns)
{
    (void)key, (void)deadline_ns;
    net_poll();
    return -RT_ETIMEDOUT; /* nothing blocks here */
}
int rt_wake(const void *key, int n)
{
    (void)key, (void)n;
    return 0;
}
void rt_poll_wake(void)
{
}
int rt_fs_add_file(const char *path, const void *data, uint64_t len)
{
    (void)path, (void)len;
    free((void *)data);
    return 0;
}

/* A descriptor table of sockets only. */
#define NFD 16
static struct rt_fd fds[NFD];
struct rt_fd *rt_fd_get(int fd)
{
    return fd >= 0 && fd < NFD && fds[fd].kind ? &fds[fd] : NULL;
}
int rt_fd_new(const struct rt_fd *f)
{
    for (int i = 0; i < NFD; i++)
        if (!fds[i].kind) {
            fds[i] = *f;
            fds[i].flags |= 04000; /* O_NONBLOCK */
            return i;
        }
    return -RT_EMFILE;
}

/* ---- the program in the input ---- */

struct in {
    const uint8_t *p;
    size_t n;
};

static unsigned byte(struct in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static unsigned u16(struct in *in)
{
    return byte(in) | byte(in) << 8;
}

/* A buffer of n bytes taken from the input (zero-filled past its end); NULL when n is 0 and the
 * input says so. The caller frees it. */
static void *buf_of(struct in *in, size_t n, int maybe_null)
{
    if (maybe_null && n == 0 && (byte(in) & 1))
        return NULL;
    uint8_t *b = calloc(1, n ? n : 1);
    for (size_t i = 0; i < n && in->n; i++)
        b[i] = (uint8_t)byte(in);
    return b;
}

static int fd_of(struct in *in)
{
    int v = (int)byte(in);
    return v < 200 ? v % NFD : v - 230; /* mostly real descriptors, some bad ones */
}

static long sys(unsigned long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                uint64_t a5)
{
    uint64_t a[6] = {a0, a1, a2, a3, a4, a5};
    return rt_sock_syscall(nr, a);
}

/* A sockaddr from the input: family, port and address bytes, any length up to 40. */
static void *addr_of(struct in *in, uint32_t *len)
{
    *len = byte(in) % 41;
    uint8_t *a = buf_of(in, *len < 28 ? 28 : *len, 0);
    static const uint16_t fam[] = {2, 10, 0, 1, 17};
    uint16_t f = fam[a[0] % 5];
    memcpy(a, &f, 2);
    if (a[1] & 1) { /* often loopback, so connections happen */
        if (f == 2)
            memcpy(a + 4, "\x7f\0\0\x01", 4);
        else if (f == 10)
            memcpy(a + 8, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
    }
    return a;
}

struct iov {
    void *base;
    uint64_t len;
};
struct msg {
    void *name;
    uint32_t namelen;
    struct iov *iov;
    uint64_t iovlen;
    void *control;
    uint64_t controllen;
    int flags;
};

static void do_msg(struct in *in, int send)
{
    int fd = fd_of(in);
    unsigned n = byte(in) % 5, flags = u16(in);
    struct iov iov[4];
    for (unsigned i = 0; i < n && i < 4; i++) {
        iov[i].len = u16(in) % 2000;
        iov[i].base = buf_of(in, iov[i].len, 1);
    }
    uint32_t alen = 0;
    void *a = (byte(in) & 1) ? addr_of(in, &alen) : NULL;
    struct msg m = {a, alen, n ? iov : NULL, n == 4 ? 2000 : n, NULL, 0, 0};
    sys(send ? 46 : 47, (uint64_t)fd, (uint64_t)&m, flags, 0, 0, 0);
    for (unsigned i = 0; i < n && i < 4; i++)
        free(iov[i].base);
    free(a);
}

static void step(struct in *in)
{
    unsigned op = byte(in) % 18;
    int fd = fd_of(in);
    uint32_t alen = 0, olen;
    void *a = NULL, *b = NULL;
    switch (op) {
    case 0: {
        static const int fam[] = {2, 10, 1, 17};
        static const int type[] = {1, 2, 3, 5, 1 | 04000, 2 | 02000000, 99};
        sys(41, (uint64_t)fam[byte(in) % 4], (uint64_t)type[byte(in) % 7], byte(in) % 20, 0, 0, 0);
        break;
    }
    case 1:
        a = addr_of(in, &alen);
        sys(49, (uint64_t)fd, (uint64_t)a, alen, 0, 0, 0);
        break;
    case 2:
        a = addr_of(in, &alen);
        sys(42, (uint64_t)fd, (uint64_t)a, alen, 0, 0, 0);
        break;
    case 3: sys(50, (uint64_t)fd, (uint64_t)(int8_t)byte(in), 0, 0, 0, 0); break;
    case 4: {
        uint32_t l = byte(in) % 40;
        a = calloc(1, 40);
        sys(288, (uint64_t)fd, (byte(in) & 1) ? (uint64_t)a : 0, (byte(in) & 1) ? (uint64_t)&l : 0,
            (uint64_t)(byte(in) & 1 ? 04000 : 0x40), 0, 0);
        break;
    }
    case 5:
        olen = u16(in) % 3000;
        b = buf_of(in, olen, 1);
        sys(44, (uint64_t)fd, (uint64_t)b, olen, u16(in), 0, 0);
        break;
    case 6:
        olen = u16(in) % 3000;
        b = calloc(1, olen ? olen : 1);
        sys(45, (uint64_t)fd, (uint64_t)b, olen, u16(in), 0, 0);
        break;
    case 7:
        olen = u16(in) % 3000;
        b = buf_of(in, olen, 1);
        a = addr_of(in, &alen);
        sys(44, (uint64_t)fd, (uint64_t)b, olen, u16(in), (uint64_t)a, alen);
        break;
    case 8: {
        olen = u16(in) % 3000;
        b = calloc(1, olen ? olen : 1);
        uint32_t l = byte(in) % 40;
        a = calloc(1, 40);
        sys(45, (uint64_t)fd, (uint64_t)b, olen, u16(in), (uint64_t)a, (uint64_t)&l);
        break;
    }
    case 9: do_msg(in, 1); break;
    case 10: do_msg(in, 0); break;
    case 11: {
        static const int level[] = {1, 6, 41, 0, 17, 255};
        int lv = level[byte(in) % 6], name = (int)(byte(in) % 70);
        olen = byte(in) % 20;
        b = buf_of(in, olen, 1);
        sys(54, (uint64_t)fd, (uint64_t)lv, (uint64_t)name, (uint64_t)b, olen, 0);
        break;
    }
    case 12: {
        static const int level[] = {1, 6, 41, 0, 17, 255};
        int lv = level[byte(in) % 6], name = (int)(byte(in) % 70);
        uint32_t l = byte(in) % 20;
        b = calloc(1, 20);
        sys(55, (uint64_t)fd, (uint64_t)lv, (uint64_t)name, (uint64_t)b, (uint64_t)&l, 0);
        break;
    }
    case 13: sys(48, (uint64_t)fd, (uint64_t)(int8_t)byte(in) % 4, 0, 0, 0, 0); break;
    case 14: {
        uint32_t l = byte(in) % 40;
        a = calloc(1, 40);
        sys(byte(in) & 1 ? 51 : 52, (uint64_t)fd, (uint64_t)a, (uint64_t)&l, 0, 0, 0);
        break;
    }
    case 15: {
        struct rt_fd *f = rt_fd_get(fd);
        if (f) {
            int v = 0;
            static const unsigned long req[] = {0x541b, 0x8905, 0x5421, 0x1234};
            rt_sock_ioctl(f->sock, req[byte(in) % 4], (byte(in) & 1) ? (uint64_t)&v : 0);
            rt_sock_ready(f->sock);
            olen = byte(in) * 8u;
            b = buf_of(in, olen, 0);
            if (byte(in) & 1)
                rt_sock_write(f->sock, b, olen, 1);
            else
                rt_sock_read(f->sock, b, olen, 1);
        }
        break;
    }
    case 16: {
        struct rt_fd *f = rt_fd_get(fd);
        if (f) {
            struct rt_sock *s = f->sock;
            *f = (struct rt_fd){0};
            rt_sock_ref(s, -1);
        }
        break;
    }
    default: clock_ns += (uint64_t)byte(in) * 50000000u; net_poll();
    }
    free(a);
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int started;
    if (!started) {
        struct net_config cfg = {.mode = NET_NONE};
        net_start(&cfg, rt_random_bytes, 0);
        started = 1;
    }
    struct in in = {data, size};
    for (int i = 0; i < 64 && in.n; i++) {
        step(&in);
        net_poll();
    }
    for (int i = 0; i < NFD; i++) /* every socket closed: nothing may stay allocated */
        if (fds[i].kind) {
            struct rt_sock *s = fds[i].sock;
            fds[i] = (struct rt_fd){0};
            rt_sock_ref(s, -1);
        }
    for (int i = 0; i < 300; i++) { /* lwIP's timers finish the closes (TIME_WAIT: 2 MSL, 120 s) */
        clock_ns += 500000000u;
        net_poll();
    }
    return 0;
}
