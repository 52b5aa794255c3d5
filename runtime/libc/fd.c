/*
 * runtime/libc/fd.c — file descriptors: the console (0, 1, 2), /dev/null, /dev/zero,
 * /dev/urandom, /dev/console, and pipes (4 KiB rings; blocking unless O_NONBLOCK); poll, select
 * and epoll over them. Sockets are runtime/libc/net's (sock.h): this file only hands them on.
 */
#include "console/console.h"
#include "lib/string.h"
#include "memory/memory.h"
#include "platform/platform.h"
#include "rt.h"
#include "sock.h"
#include "time/time.h"

#define MAX_FD     RT_MAX_FD
#define PIPE_SIZE  4096
#define O_ACCMODE  3
#define O_APPEND   02000
#define O_NONBLOCK 04000
#define O_CLOEXEC  02000000
#define FD_CLOEXEC 1

struct rt_pipe {
    char *buf;
    uint32_t head, len;
    int readers, writers;
    uint32_t gen; /* bumped at every change (epoll's edge triggering) */
};

static struct rt_fd fds[MAX_FD];
static int poll_key; /* pollers wait here; every pipe change wakes them */

void rt_fd_init(void)
{
    for (int i = 0; i < 3; i++)
        fds[i] = (struct rt_fd){.kind = F_CONSOLE, .flags = i == 0 ? 0 : 1};
}

static struct rt_fd *get(int fd)
{
    if (fd < 0 || fd >= MAX_FD || fds[fd].kind == F_NONE)
        return NULL;
    return &fds[fd];
}

struct rt_fd *rt_fd_get(int fd)
{
    return get(fd);
}

/* Descriptors below RLIMIT_NOFILE's soft limit (at most MAX_FD) can be made. */
static int fd_limit(void)
{
    uint64_t n = rt_rlimit(RT_RLIMIT_NOFILE);
    return n < MAX_FD ? (int)n : MAX_FD;
}

static int alloc_fd(int from)
{
    for (int i = from < 0 ? 0 : from, n = fd_limit(); i < n; i++)
        if (fds[i].kind == F_NONE)
            return i;
    return -RT_EMFILE;
}

int rt_fd_new(const struct rt_fd *f)
{
    int fd = alloc_fd(0);
    if (fd >= 0)
        fds[fd] = *f;
    return fd;
}

void rt_poll_wake(void)
{
    rt_wake(&poll_key, 1 << 30);
}

static void pipe_changed(struct rt_pipe *p)
{
    p->gen++;
    rt_wake(p, 1 << 30);
    rt_poll_wake();
}

long rt_read(int fd, void *buf, uint64_t n)
{
    struct rt_fd *f = get(fd);
    if (!f)
        return -RT_EBADF;
    switch (f->kind) {
    case F_CONSOLE:
    case F_NULL: return 0; /* no console input yet: end of file */
    case F_ZERO: memset(buf, 0, n); return (long)n;
    case F_URANDOM: rt_random_bytes(buf, n); return (long)n;
    case F_FILE:
    case F_DIR: return rt_fs_read(f, buf, n, -1);
    case F_SOCKET: return rt_sock_read(f->sock, buf, n, f->flags & O_NONBLOCK);
    case F_PIPE_R: {
        struct rt_pipe *p = f->pipe;
        while (!p->len) {
            if (!p->writers)
                return 0;
            if (f->flags & O_NONBLOCK)
                return -RT_EAGAIN;
            if (rt_wait_on(p, 0) == -RT_EINTR)
                return -RT_ERESTARTSYS;
        }
        uint64_t k = 0;
        while (k < n && p->len) {
            ((char *)buf)[k++] = p->buf[p->head];
            p->head = (p->head + 1) % PIPE_SIZE;
            p->len--;
        }
        pipe_changed(p);
        return (long)k;
    }
    default: return -RT_EBADF;
    }
}

long rt_write(int fd, const void *buf, uint64_t n)
{
    struct rt_fd *f = get(fd);
    if (!f)
        return -RT_EBADF;
    switch (f->kind) {
    case F_CONSOLE: platform_console_write(buf, n); return (long)n;
    case F_NULL:
    case F_ZERO:
    case F_URANDOM: return (long)n;
    case F_FILE:
    case F_DIR: return rt_fs_write(f, buf, n, -1);
    case F_SOCKET: return rt_sock_write(f->sock, buf, n, f->flags & O_NONBLOCK);
    case F_PIPE_W: {
        struct rt_pipe *p = f->pipe;
        uint64_t k = 0;
        while (k < n) {
            if (!p->readers)
                return k ? (long)k : -RT_EPIPE; /* and SIGPIPE (signal.c) */
            if (p->len == PIPE_SIZE) {
                if (f->flags & O_NONBLOCK)
                    return k ? (long)k : -RT_EAGAIN;
                pipe_changed(p);
                if (rt_wait_on(p, 0) == -RT_EINTR)
                    return k ? (long)k : -RT_ERESTARTSYS;
                continue;
            }
            p->buf[(p->head + p->len) % PIPE_SIZE] = ((const char *)buf)[k++];
            p->len++;
        }
        pipe_changed(p);
        return (long)k;
    }
    default: return -RT_EBADF;
    }
}

static int streq(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

long rt_openat(int dirfd, const char *path, int flags, int mode)
{
    int kind = F_NONE;
    if (streq(path, "/dev/null"))
        kind = F_NULL;
    else if (streq(path, "/dev/zero"))
        kind = F_ZERO;
    else if (streq(path, "/dev/urandom") || streq(path, "/dev/random"))
        kind = F_URANDOM;
    else if (streq(path, "/dev/console") || streq(path, "/dev/tty"))
        kind = F_CONSOLE;
    if (kind == F_NONE)
        return rt_fs_open(dirfd, path, flags, mode);
    int fd = alloc_fd(0);
    if (fd < 0)
        return fd;
    fds[fd] =
        (struct rt_fd){.kind = kind, .flags = flags & ~O_CLOEXEC, .cloexec = !!(flags & O_CLOEXEC)};
    return fd;
}

struct rt_epoll {
    int n, cap;
    struct {
        int fd;
        uint32_t events;
        uint64_t data;
        uint32_t gen; /* EPOLLET: the descriptor's counter when last reported */
        int reported;
    } * v;
};

static void epoll_release(struct rt_fd *f)
{
    for (int i = 0; i < MAX_FD; i++)
        if (&fds[i] != f && fds[i].kind == F_EPOLL && fds[i].ep == f->ep)
            return; /* a dup still refers to it */
    heap_free(f->ep->v);
    heap_free(f->ep);
}

/* Closing fd removes it from every interest list (as Linux does once its last reference goes). */
static void epoll_forget(int fd)
{
    for (int i = 0; i < MAX_FD; i++) {
        struct rt_epoll *ep = fds[i].kind == F_EPOLL ? fds[i].ep : NULL;
        for (int k = 0; ep && k < ep->n; k++)
            if (ep->v[k].fd == fd)
                ep->v[k--] = ep->v[--ep->n];
    }
}

static void drop(struct rt_fd *f)
{
    if (f->kind == F_EPOLL)
        epoll_release(f);
    epoll_forget((int)(f - fds));
    if (f->kind == F_SOCKET)
        rt_sock_ref(f->sock, -1);
    if (f->ofd)
        rt_fs_close(f);
    struct rt_pipe *p = f->pipe;
    if (p) {
        if (f->kind == F_PIPE_R)
            p->readers--;
        else
            p->writers--;
        pipe_changed(p);
        if (!p->readers && !p->writers) {
            page_free(p->buf, 1);
            heap_free(p);
        }
    }
    *f = (struct rt_fd){0};
}

long rt_close(int fd)
{
    struct rt_fd *f = get(fd);
    if (!f)
        return -RT_EBADF;
    drop(f);
    return 0;
}

long rt_dup3(int fd, int newfd, int flags, int exact)
{
    struct rt_fd *f = get(fd);
    if (!f)
        return -RT_EBADF;
    if (exact) {
        if (newfd < 0 || newfd >= fd_limit())
            return -RT_EBADF;
        if (newfd == fd)
            return flags ? -RT_EINVAL : newfd;
        if (fds[newfd].kind != F_NONE)
            drop(&fds[newfd]);
    } else {
        newfd = alloc_fd(newfd);
        if (newfd < 0)
            return newfd;
    }
    fds[newfd] = *f;
    fds[newfd].cloexec = !!(flags & O_CLOEXEC);
    if (f->kind == F_SOCKET)
        rt_sock_ref(f->sock, 1);
    if (f->ofd)
        rt_fs_dup(f);
    if (f->pipe && f->kind != F_EPOLL) {
        if (f->kind == F_PIPE_R)
            f->pipe->readers++;
        else
            f->pipe->writers++;
    }
    return newfd;
}

long rt_pipe2(int *out, int flags)
{
    int r = alloc_fd(0);
    if (r < 0)
        return r;
    fds[r].kind = F_PIPE_R; /* reserve while finding the second */
    int w = alloc_fd(0);
    fds[r].kind = F_NONE;
    if (w < 0)
        return w;
    struct rt_pipe *p = heap_alloc(sizeof(*p));
    char *buf = page_alloc(1);
    if (!p || !buf) {
        heap_free(p);
        page_free(buf, 1);
        return -RT_ENOMEM;
    }
    *p = (struct rt_pipe){.buf = buf, .readers = 1, .writers = 1};
    int cl = !!(flags & O_CLOEXEC), fl = flags & O_NONBLOCK;
    fds[r] = (struct rt_fd){.kind = F_PIPE_R, .flags = fl, .cloexec = cl, .pipe = p};
    fds[w] = (struct rt_fd){.kind = F_PIPE_W, .flags = fl | 1, .cloexec = cl, .pipe = p};
    out[0] = r;
    out[1] = w;
    return 0;
}

#define TCGETS     0x5401
#define TIOCGWINSZ 0x5413
#define FIONCLEX   0x5450
#define FIOCLEX    0x5451
#define FIONREAD   0x541b
#define FIONBIO    0x5421

long rt_ioctl(int fd, unsigned long req, uint64_t arg)
{
    struct rt_fd *f = get(fd);
    if (!f)
        return -RT_EBADF;
    if (req == FIOCLEX || req == FIONCLEX) {
        f->cloexec = req == FIOCLEX;
        return 0;
    }
    if (req == FIONBIO) {
        if (*(int *)arg)
            f->flags |= O_NONBLOCK;
        else
            f->flags &= ~O_NONBLOCK;
        return 0;
    }
    if (f->kind == F_SOCKET)
        return rt_sock_ioctl(f->sock, req, arg);
    if (req == FIONREAD && f->kind == F_PIPE_R) {
        *(int *)arg = (int)f->pipe->len;
        return 0;
    }
    if (req == TIOCGWINSZ && f->kind == F_CONSOLE) {
        unsigned short *ws = (unsigned short *)arg;
        ws[0] = 24;
        ws[1] = 80;
        ws[2] = ws[3] = 0;
        return 0;
    }
    if (req != TCGETS && req != TIOCGWINSZ && req != FIONREAD)
        rt_notice_cmd("ioctl", req, "ENOTTY");
    return -RT_ENOTTY;
}

#define F_DUPFD         0
#define F_GETFD         1
#define F_SETFD         2
#define F_GETFL         3
#define F_SETFL         4
#define F_GETLK         5
#define F_SETLK         6
#define F_SETLKW        7
#define F_OFD_GETLK     36
#define F_OFD_SETLK     37
#define F_OFD_SETLKW    38
#define F_DUPFD_CLOEXEC 1030

long rt_fcntl(int fd, int cmd, uint64_t arg)
{
    struct rt_fd *f = get(fd);
    if (!f)
        return -RT_EBADF;
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        if (arg >= (uint64_t)fd_limit())
            return -RT_EINVAL; /* as Linux: at or past RLIMIT_NOFILE (or negative) */
        return rt_dup3(fd, (int)arg, cmd == F_DUPFD ? 0 : O_CLOEXEC, 0);
    case F_GETFD: return f->cloexec ? FD_CLOEXEC : 0;
    case F_SETFD: f->cloexec = arg & FD_CLOEXEC; return 0;
    case F_GETFL: return f->flags;
    case F_SETFL: /* as Linux: O_APPEND and O_NONBLOCK change, the rest stays */
        f->flags = (f->flags & ~(O_NONBLOCK | O_APPEND)) | ((int)arg & (O_NONBLOCK | O_APPEND));
        return 0;
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW: return rt_lock_fcntl(f, cmd, (void *)arg);
    default: rt_notice_cmd("fcntl", (unsigned long)cmd, "EINVAL"); return -RT_EINVAL;
    }
}

/* struct stat of x86-64 Linux */
struct rt_stat {
    uint64_t dev, ino, nlink;
    uint32_t mode, uid, gid, pad0;
    uint64_t rdev;
    int64_t size, blksize, blocks;
    uint64_t times[6];
    int64_t reserved[3];
};

long rt_fstat(int fd, void *out)
{
    struct rt_fd *f = get(fd);
    if (!f)
        return -RT_EBADF;
    if (f->kind == F_FILE || f->kind == F_DIR)
        return rt_fs_fstat(f, out);
    struct rt_stat st = {.nlink = 1, .blksize = 4096, .ino = (uint64_t)fd + 1};
    static const uint64_t rdev[] = {0, 0x501, 0x103, 0x105, 0x109};
    if (f->kind == F_PIPE_R || f->kind == F_PIPE_W) {
        st.mode = 0010600;
    } else if (f->kind == F_SOCKET) {
        st.mode = 0140777;
    } else {
        st.mode = 0020666;
        st.rdev = f->kind < 5 ? rdev[f->kind] : 0;
    }
    memcpy(out, &st, sizeof(st));
    return 0;
}

long rt_lseek(int fd, int64_t off, int whence)
{
    struct rt_fd *f = get(fd);
    if (!f)
        return -RT_EBADF;
    if (f->kind == F_FILE || f->kind == F_DIR)
        return rt_fs_lseek(f, off, whence);
    if (f->kind == F_PIPE_R || f->kind == F_PIPE_W || f->kind == F_CONSOLE || f->kind == F_SOCKET)
        return -RT_ESPIPE;
    return 0;
}

struct rt_pollfd {
    int fd;
    short events, revents;
};

#define POLLIN   1
#define POLLPRI  2
#define POLLOUT  4
#define POLLERR  8
#define POLLHUP  16
#define POLLNVAL 32

static short ready(int fd, short ev)
{
    struct rt_fd *f = get(fd);
    if (!f)
        return POLLNVAL;
    short r = 0;
    switch (f->kind) {
    case F_PIPE_R:
        if (f->pipe->len)
            r |= POLLIN;
        if (!f->pipe->writers)
            r |= POLLHUP;
        break;
    case F_PIPE_W:
        if (!f->pipe->readers)
            r |= POLLERR;
        else if (f->pipe->len < PIPE_SIZE)
            r |= POLLOUT;
        break;
    case F_CONSOLE:
        r |= POLLOUT; /* no input yet: never readable */
        break;
    case F_SOCKET: r = rt_sock_ready(f->sock); break;
    default: r |= POLLIN | POLLOUT;
    }
    return r & (ev | POLLERR | POLLHUP | POLLNVAL);
}

long rt_poll(void *p, uint64_t n, int64_t timeout_ns)
{
    struct rt_pollfd *pf = p;
    uint64_t deadline = timeout_ns > 0 ? time_monotonic_ns() + (uint64_t)timeout_ns : 0;
    for (;;) {
        long count = 0;
        if (rt_net_kick)
            rt_net_kick();
        for (uint64_t i = 0; i < n; i++) {
            pf[i].revents = pf[i].fd < 0 ? 0 : ready(pf[i].fd, pf[i].events);
            if (pf[i].revents)
                count++;
        }
        if (count || timeout_ns == 0)
            return count;
        if (timeout_ns > 0 && time_monotonic_ns() >= deadline)
            return 0;
        if (rt_wait_on(&poll_key, deadline) == -RT_EINTR)
            return -RT_EINTR;
    }
}

/* select: the fd_sets are arrays of 64-bit words; the ready ones are left set, the rest cleared. */
long rt_select(int nfds, uint64_t *rd, uint64_t *wr, uint64_t *ex, int64_t timeout_ns)
{
    if (nfds < 0 || nfds > 1024)
        return -RT_EINVAL;
    uint64_t want_r[16] = {0}, want_w[16] = {0}, want_x[16] = {0};
    int words = (nfds + 63) / 64;
    for (int i = 0; i < words; i++) {
        uint64_t mask = i == words - 1 && nfds % 64 ? (1ull << (nfds % 64)) - 1 : ~0ull;
        want_r[i] = rd ? rd[i] & mask : 0;
        want_w[i] = wr ? wr[i] & mask : 0;
        want_x[i] = ex ? ex[i] & mask : 0;
    }
    for (int fd = 0; fd < nfds; fd++)
        if (((want_r[fd / 64] | want_w[fd / 64] | want_x[fd / 64]) >> (fd % 64) & 1) && !get(fd))
            return -RT_EBADF;
    uint64_t deadline = timeout_ns > 0 ? time_monotonic_ns() + (uint64_t)timeout_ns : 0;
    for (;;) {
        long count = 0;
        uint64_t got_r[16] = {0}, got_w[16] = {0}, got_x[16] = {0};
        if (rt_net_kick)
            rt_net_kick();
        for (int fd = 0; fd < nfds; fd++) {
            uint64_t bit = 1ull << (fd % 64);
            int w = fd / 64;
            if (!((want_r[w] | want_w[w] | want_x[w]) & bit))
                continue;
            short r = ready(fd, POLLIN | POLLOUT | POLLPRI);
            if ((want_r[w] & bit) && (r & (POLLIN | POLLHUP | POLLERR))) {
                got_r[w] |= bit;
                count++;
            }
            if ((want_w[w] & bit) && (r & (POLLOUT | POLLERR))) {
                got_w[w] |= bit;
                count++;
            }
            if ((want_x[w] & bit) && (r & POLLPRI)) {
                got_x[w] |= bit;
                count++;
            }
        }
        if (count || timeout_ns == 0 || (timeout_ns > 0 && time_monotonic_ns() >= deadline)) {
            for (int i = 0; i < words; i++) {
                if (rd)
                    rd[i] = got_r[i];
                if (wr)
                    wr[i] = got_w[i];
                if (ex)
                    ex[i] = got_x[i];
            }
            return count;
        }
        if (rt_wait_on(&poll_key, deadline) == -RT_EINTR)
            return -RT_EINTR;
    }
}

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3
#define EPOLLONESHOT  (1u << 30)
#define EPOLLET       (1u << 31)

struct rt_epoll_event {
    uint32_t events;
    uint64_t data;
} __attribute__((packed));

long rt_epoll_create(int flags)
{
    struct rt_epoll *ep = heap_alloc(sizeof(*ep));
    if (!ep)
        return -RT_ENOMEM;
    *ep = (struct rt_epoll){0};
    struct rt_fd f = {.kind = F_EPOLL, .cloexec = !!(flags & O_CLOEXEC), .ep = ep};
    int fd = rt_fd_new(&f);
    if (fd < 0)
        heap_free(ep);
    return fd;
}

long rt_epoll_ctl(int epfd, int op, int fd, void *event)
{
    struct rt_fd *e = get(epfd);
    if (!e || !get(fd))
        return -RT_EBADF;
    if (e->kind != F_EPOLL || fd == epfd)
        return -RT_EINVAL;
    struct rt_epoll *ep = e->ep;
    int k = 0;
    while (k < ep->n && ep->v[k].fd != fd)
        k++;
    const struct rt_epoll_event *ev = event;
    switch (op) {
    case EPOLL_CTL_ADD:
        if (k < ep->n)
            return -RT_EEXIST;
        if (ep->n == ep->cap) {
            int nc = ep->cap ? ep->cap * 2 : 8;
            void *nv = heap_alloc(sizeof(*ep->v) * (size_t)nc);
            if (!nv)
                return -RT_ENOMEM;
            if (ep->v)
                memcpy(nv, ep->v, sizeof(*ep->v) * (size_t)ep->n);
            heap_free(ep->v);
            ep->v = nv;
            ep->cap = nc;
        }
        ep->v[ep->n].fd = fd;
        ep->v[ep->n].events = ev->events;
        ep->v[ep->n].data = ev->data;
        ep->v[ep->n].reported = 0;
        ep->n++;
        rt_poll_wake(); /* a waiter on this epoll may have something to report now */
        return 0;
    case EPOLL_CTL_MOD:
        if (k == ep->n)
            return -RT_ENOENT;
        ep->v[k].events = ev->events;
        ep->v[k].data = ev->data;
        ep->v[k].reported = 0;
        rt_poll_wake();
        return 0;
    case EPOLL_CTL_DEL:
        if (k == ep->n)
            return -RT_ENOENT;
        ep->v[k] = ep->v[--ep->n];
        return 0;
    default: return -RT_EINVAL;
    }
}

/* The counter of what fd refers to, bumped at every change: edge-triggered entries report again
 * only when it moved. */
static uint32_t fd_gen(int fd)
{
    struct rt_fd *f = get(fd);
    if (!f)
        return 0;
    if (f->kind == F_SOCKET)
        return rt_sock_gen(f->sock);
    if (f->kind == F_PIPE_R || f->kind == F_PIPE_W)
        return f->pipe->gen;
    return 0;
}

/* Level-triggered, or edge-triggered with EPOLLET (reported again once the descriptor changed);
 * EPOLLONESHOT disarms after a report. */
long rt_epoll_wait(int epfd, void *events, int max, int64_t timeout_ns)
{
    struct rt_fd *e = get(epfd);
    if (!e)
        return -RT_EBADF;
    if (e->kind != F_EPOLL || max <= 0)
        return -RT_EINVAL;
    struct rt_epoll_event *out = events;
    uint64_t deadline = timeout_ns > 0 ? time_monotonic_ns() + (uint64_t)timeout_ns : 0;
    for (;;) {
        struct rt_epoll *ep = e->ep;
        int count = 0;
        if (rt_net_kick)
            rt_net_kick();
        for (int k = 0; k < ep->n && count < max; k++) {
            uint32_t want = ep->v[k].events & 0xffff;
            short r = ready(ep->v[k].fd, (short)want);
            if (!r)
                continue;
            if (ep->v[k].events & EPOLLET) {
                uint32_t g = fd_gen(ep->v[k].fd);
                if (ep->v[k].reported && ep->v[k].gen == g)
                    continue;
                ep->v[k].gen = g;
                ep->v[k].reported = 1;
            }
            out[count].events = (uint32_t)r;
            out[count].data = ep->v[k].data;
            count++;
            if (ep->v[k].events & EPOLLONESHOT)
                ep->v[k].events &= ~0xffffu;
        }
        if (count || timeout_ns == 0)
            return count;
        if (timeout_ns > 0 && time_monotonic_ns() >= deadline)
            return 0;
        if (rt_wait_on(&poll_key, deadline) == -RT_EINTR)
            return -RT_EINTR;
        e = get(epfd);
        if (!e || e->kind != F_EPOLL)
            return -RT_EBADF;
    }
}
