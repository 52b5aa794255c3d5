/* dispatch.c — the hypercall dispatcher: checks every guest address and length, serves the call. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hypervisor/hv.h"

_Static_assert(sizeof(struct jeos_hv_console_write) == 16, "abi layout");
_Static_assert(sizeof(struct jeos_hv_time) == 16, "abi layout");
_Static_assert(sizeof(struct jeos_hv_poll) == 24, "abi layout");
_Static_assert(sizeof(struct jeos_hv_block_info) == 24, "abi layout");
_Static_assert(sizeof(struct jeos_hv_block_io) == 32, "abi layout");
_Static_assert(sizeof(struct jeos_hv_block_flush) == 8, "abi layout");
_Static_assert(sizeof(struct jeos_hv_net_info) == 16, "abi layout");
_Static_assert(sizeof(struct jeos_hv_frame) == 16, "abi layout");
_Static_assert(sizeof(struct jeos_hv_net_io) == 24, "abi layout");
_Static_assert(sizeof(struct jeos_hv_exit) == 8, "abi layout");
_Static_assert(sizeof(struct jeos_hv_abort) == 16, "abi layout");
_Static_assert(sizeof(struct jeos_hv_cpu_start) == 32, "abi layout");
_Static_assert(sizeof(struct jeos_hv_boot_info) == 160, "abi layout");

static const char *const call_names[JEOS_HV_CALL_MAX] = {
    [JEOS_HV_CALL_CONSOLE_WRITE] = "console_write",
    [JEOS_HV_CALL_TIME] = "time",
    [JEOS_HV_CALL_POLL] = "poll",
    [JEOS_HV_CALL_BLOCK_INFO] = "block_info",
    [JEOS_HV_CALL_BLOCK_READ] = "block_read",
    [JEOS_HV_CALL_BLOCK_WRITE] = "block_write",
    [JEOS_HV_CALL_NET_INFO] = "net_info",
    [JEOS_HV_CALL_NET_READ] = "net_read",
    [JEOS_HV_CALL_NET_WRITE] = "net_write",
    [JEOS_HV_CALL_EXIT] = "exit",
    [JEOS_HV_CALL_ABORT] = "abort",
    [JEOS_HV_CALL_CPU_START] = "cpu_start",
    [JEOS_HV_CALL_BLOCK_FLUSH] = "block_flush",
};

const char *hv_call_name(unsigned nr)
{
    return nr < JEOS_HV_CALL_MAX && call_names[nr] ? call_names[nr] : "unknown";
}

uint64_t hv_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void *hv_gpa(const struct hv *hv, jeos_hv_gpa_t gpa, uint64_t len)
{
    if (gpa > hv->mem_size || len > hv->mem_size - gpa)
        return NULL;
    return hv->mem + gpa;
}

void hv_printf(int fd, const char *fmt, ...)
{
    char buf[4608];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(buf))
        n = sizeof(buf) - 1;
    ssize_t w = write(fd, buf, (size_t)n);
    (void)w;
}

void hv_guest_error(const struct hv *hv, const char *call, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    hv_printf(hv->err_fd, "jeos-hv: guest error: %s: %s\n", call, what);
}

/* One call in progress: its name and argument block (copied in, copied back). */
struct call {
    struct hv *hv;
    const char *name;
    jeos_hv_gpa_t arg_gpa;
    void *arg;
    size_t arg_len;
};

#define BAD_RANGE(c, field, gpa, len)                                                              \
    (hv_guest_error((c)->hv, (c)->name, "%s 0x%llx+0x%llx outside guest memory (0x%llx bytes)",    \
                    field, (unsigned long long)(gpa), (unsigned long long)(len),                   \
                    (unsigned long long)(c)->hv->mem_size),                                        \
     -1)

static int do_console_write(struct call *c)
{
    struct jeos_hv_console_write *a = c->arg;
    const void *p = hv_gpa(c->hv, a->data, a->len);
    if (!p)
        return BAD_RANGE(c, "data", a->data, a->len);
    /* The console is best effort: a closed stdout must not kill the guest. */
    const uint8_t *b = p;
    uint64_t left = a->len;
    while (left > 0) {
        ssize_t n = write(c->hv->out_fd, b, left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        b += n;
        left -= (uint64_t)n;
    }
    return 0;
}

static int do_time(struct call *c)
{
    struct jeos_hv_time *a = c->arg;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    a->wall_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    a->monotonic_ns = hv_now_ns();
    return 0;
}

static int do_poll(struct call *c)
{
    struct jeos_hv_poll *a = c->arg;
    struct hv *hv = c->hv;
    struct pollfd pfd[JEOS_HV_MAX_NICS];
    unsigned idx[JEOS_HV_MAX_NICS], n = 0;
    a->ready_nics = 0;
    if (a->wait_nics >> hv->nnics) {
        a->ret = JEOS_HV_ENODEV;
        return 0;
    }
    for (unsigned i = 0; i < hv->nnics; i++) {
        if (!(a->wait_nics & (1u << i)))
            continue;
        pfd[n] = (struct pollfd){.fd = hv->nics[i].fd, .events = POLLIN};
        idx[n++] = i;
    }
    uint64_t ns = a->timeout_ns;
    if (hv->poll_max_ns > 0 && ns > (uint64_t)hv->poll_max_ns)
        ns = (uint64_t)hv->poll_max_ns;
    if (ns > 86400ull * 1000000000u)
        ns = 86400ull * 1000000000u; /* at most a day per call; the guest calls again */
    uint64_t deadline = hv_now_ns() + ns;
    for (;;) {
        uint64_t now = hv_now_ns();
        uint64_t left = now < deadline ? deadline - now : 0;
        struct timespec ts = {.tv_sec = (time_t)(left / 1000000000u),
                              .tv_nsec = (long)(left % 1000000000u)};
        int r = ppoll(pfd, n, &ts, NULL);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            a->ret = JEOS_HV_EIO;
            return 0;
        }
        break;
    }
    for (unsigned k = 0; k < n; k++)
        if (pfd[k].revents & POLLIN)
            a->ready_nics |= 1u << idx[k];
    a->ret = 0;
    return 0;
}

static int do_block_info(struct call *c)
{
    struct jeos_hv_block_info *a = c->arg;
    if (a->dev >= c->hv->ndisks) {
        a->ret = JEOS_HV_ENODEV;
        return 0;
    }
    const struct hv_disk *d = &c->hv->disks[a->dev];
    a->sectors = d->sectors;
    a->sector_size = JEOS_HV_SECTOR_SIZE;
    a->read_only = d->read_only;
    a->ret = 0;
    return 0;
}

static int do_block_flush(struct call *c)
{
    struct jeos_hv_block_flush *a = c->arg;
    if (a->dev >= c->hv->ndisks) {
        a->ret = JEOS_HV_ENODEV;
        return 0;
    }
    const struct hv_disk *d = &c->hv->disks[a->dev];
    if (d->read_only) { /* nothing was written */
        a->ret = 0;
        return 0;
    }
    int r;
    while ((r = fdatasync(d->fd)) < 0 && errno == EINTR)
        ;
    a->ret = r < 0 ? JEOS_HV_EIO : 0;
    return 0;
}

static int do_block_io(struct call *c, bool write_op)
{
    struct jeos_hv_block_io *a = c->arg;
    uint8_t *p = hv_gpa(c->hv, a->data, a->len);
    if (!p)
        return BAD_RANGE(c, "data", a->data, a->len);
    if (a->dev >= c->hv->ndisks) {
        a->ret = JEOS_HV_ENODEV;
        return 0;
    }
    const struct hv_disk *d = &c->hv->disks[a->dev];
    if (a->len % JEOS_HV_SECTOR_SIZE || a->len > JEOS_HV_BLOCK_MAX || a->sector > d->sectors ||
        a->len / JEOS_HV_SECTOR_SIZE > d->sectors - a->sector) {
        a->ret = JEOS_HV_EINVAL;
        return 0;
    }
    if (write_op && d->read_only) {
        a->ret = JEOS_HV_EROFS;
        return 0;
    }
    uint64_t off = a->sector * JEOS_HV_SECTOR_SIZE, done = 0;
    while (done < a->len) {
        ssize_t n = write_op ? pwrite(d->fd, p + done, a->len - done, (off_t)(off + done))
                             : pread(d->fd, p + done, a->len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || (n == 0 && write_op)) {
            a->ret = JEOS_HV_EIO;
            return 0;
        }
        if (n == 0) { /* a file shorter than its capacity reads as zeros */
            memset(p + done, 0, a->len - done);
            break;
        }
        done += (uint64_t)n;
    }
    a->ret = 0;
    return 0;
}

static int do_net_info(struct call *c)
{
    struct jeos_hv_net_info *a = c->arg;
    if (a->dev >= c->hv->nnics) {
        a->ret = JEOS_HV_ENODEV;
        return 0;
    }
    memcpy(a->mac, c->hv->nics[a->dev].mac, 6);
    a->mtu = JEOS_HV_NET_MTU;
    a->ret = 0;
    return 0;
}

static int do_net_io(struct call *c, bool write_op)
{
    struct jeos_hv_net_io *a = c->arg;
    a->done = 0;
    if (a->count > JEOS_HV_NET_BATCH) {
        a->ret = JEOS_HV_EINVAL;
        return 0;
    }
    uint64_t flen = (uint64_t)a->count * sizeof(struct jeos_hv_frame);
    uint8_t *fp = hv_gpa(c->hv, a->frames, flen);
    if (!fp)
        return BAD_RANGE(c, "frames", a->frames, flen);
    /* Copy the descriptors in and check every buffer before any I/O. */
    struct jeos_hv_frame fr[JEOS_HV_NET_BATCH];
    uint8_t *bufs[JEOS_HV_NET_BATCH];
    memcpy(fr, fp, flen);
    for (uint32_t i = 0; i < a->count; i++) {
        bufs[i] = hv_gpa(c->hv, fr[i].data, fr[i].len);
        if (!bufs[i])
            return BAD_RANGE(c, "frame data", fr[i].data, fr[i].len);
    }
    if (a->dev >= c->hv->nnics) {
        a->ret = JEOS_HV_ENODEV;
        return 0;
    }
    int fd = c->hv->nics[a->dev].fd;
    a->ret = 0;
    for (uint32_t i = 0; i < a->count; i++) {
        uint8_t *buf = bufs[i];
        if (write_op) {
            if (fr[i].len < 14 || fr[i].len > JEOS_HV_FRAME_MAX) {
                a->ret = JEOS_HV_EINVAL;
                break;
            }
            ssize_t n = write(fd, buf, fr[i].len);
            if (n < 0 && errno == EINTR) {
                i--;
                continue;
            }
            if (n < 0) {
                a->ret = (errno == EAGAIN) ? JEOS_HV_EAGAIN : JEOS_HV_EIO;
                break;
            }
        } else {
            ssize_t n = read(fd, buf, fr[i].len);
            if (n < 0 && errno == EINTR) {
                i--;
                continue;
            }
            if (n < 0) {
                if (a->done == 0)
                    a->ret = (errno == EAGAIN) ? JEOS_HV_EAGAIN : JEOS_HV_EIO;
                break;
            }
            fr[i].len = (uint32_t)n;
            /* Write back only the OUT length, so the copy-out does not widen anything. */
            memcpy(fp + (uint64_t)i * sizeof(fr[i]) + offsetof(struct jeos_hv_frame, len),
                   &fr[i].len, sizeof(fr[i].len));
        }
        a->done++;
    }
    return 0;
}

/* CPU_START: checked here, done by the monitor's hook (vm.c); bad arguments come back in ret. */
static int do_cpu_start(struct call *c)
{
    struct jeos_hv_cpu_start *a = c->arg;
    if (!c->hv->start_cpu)
        a->ret = JEOS_HV_ENODEV;
    else if (a->cpu == 0 || a->cpu >= c->hv->ncpus)
        a->ret = JEOS_HV_EINVAL;
    else
        a->ret = c->hv->start_cpu(c->hv->start_ctx, a->cpu, a->rip, a->rsp, a->rdi);
    return 0;
}

/* Builds the message of an ABORT call; ends the guest. */
static int do_abort(struct call *c)
{
    struct jeos_hv_abort *a = c->arg;
    const char *p = hv_gpa(c->hv, a->msg, a->len);
    if (!p)
        return BAD_RANGE(c, "msg", a->msg, a->len);
    int n = a->len > 4096 ? 4096 : (int)a->len;
    char buf[4097];
    for (int i = 0; i < n; i++) /* the message is guest data: print it tamed */
        buf[i] = (p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\t' ? p[i] : '?';
    buf[n] = 0;
    hv_printf(c->hv->err_fd, "jeos-hv: guest aborted: %s\n", buf);
    return -1;
}

static const size_t arg_sizes[JEOS_HV_CALL_MAX] = {
    [JEOS_HV_CALL_CONSOLE_WRITE] = sizeof(struct jeos_hv_console_write),
    [JEOS_HV_CALL_TIME] = sizeof(struct jeos_hv_time),
    [JEOS_HV_CALL_POLL] = sizeof(struct jeos_hv_poll),
    [JEOS_HV_CALL_BLOCK_INFO] = sizeof(struct jeos_hv_block_info),
    [JEOS_HV_CALL_BLOCK_READ] = sizeof(struct jeos_hv_block_io),
    [JEOS_HV_CALL_BLOCK_WRITE] = sizeof(struct jeos_hv_block_io),
    [JEOS_HV_CALL_NET_INFO] = sizeof(struct jeos_hv_net_info),
    [JEOS_HV_CALL_NET_READ] = sizeof(struct jeos_hv_net_io),
    [JEOS_HV_CALL_NET_WRITE] = sizeof(struct jeos_hv_net_io),
    [JEOS_HV_CALL_EXIT] = sizeof(struct jeos_hv_exit),
    [JEOS_HV_CALL_ABORT] = sizeof(struct jeos_hv_abort),
    [JEOS_HV_CALL_CPU_START] = sizeof(struct jeos_hv_cpu_start),
    [JEOS_HV_CALL_BLOCK_FLUSH] = sizeof(struct jeos_hv_block_flush),
};

enum hv_action hv_dispatch(struct hv *hv, uint16_t port, unsigned size, unsigned count, bool is_out,
                           uint32_t value, int *status)
{
    *status = 255;
    if (port < JEOS_HV_PORT_BASE || port - JEOS_HV_PORT_BASE >= JEOS_HV_CALL_MAX ||
        !call_names[port - JEOS_HV_PORT_BASE]) {
        hv_guest_error(hv, "io", "%s of port 0x%x: no such hypercall%s", is_out ? "write" : "read",
                       port,
                       port < JEOS_HV_PORT_BASE ? " (a PC device port: jeos-hv emulates no devices;"
                                                  " is the kernel built for jeos-hv?)"
                                                : "");
        return HV_EXIT;
    }
    unsigned nr = port - JEOS_HV_PORT_BASE;
    struct call c = {.hv = hv, .name = call_names[nr], .arg_gpa = value, .arg_len = arg_sizes[nr]};
    if (!is_out || size != 4 || count != 1) {
        hv_guest_error(hv, c.name, "bad port access (%s, %u bytes x %u; expected a 4-byte out)",
                       is_out ? "out" : "in", size, count);
        return HV_EXIT;
    }
    /* atomic: with several vCPUs, POLL runs outside the monitor's dispatch lock (vm.c) */
    if (__atomic_fetch_add(&hv->stats.calls[nr], 1, __ATOMIC_RELAXED) == 0) {
        uint64_t zero = 0;
        __atomic_compare_exchange_n(&hv->stats.first_call_ns, &zero, hv_now_ns(), false,
                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
    }
    uint8_t *argp = hv_gpa(hv, c.arg_gpa, c.arg_len);
    if (!argp) {
        hv_guest_error(hv, c.name,
                       "argument block 0x%llx+0x%zx outside guest memory (0x%llx bytes)",
                       (unsigned long long)c.arg_gpa, c.arg_len, (unsigned long long)hv->mem_size);
        return HV_EXIT;
    }
    union {
        struct jeos_hv_console_write cw;
        struct jeos_hv_time t;
        struct jeos_hv_poll p;
        struct jeos_hv_block_info bi;
        struct jeos_hv_block_io bio;
        struct jeos_hv_block_flush bf;
        struct jeos_hv_net_info ni;
        struct jeos_hv_net_io nio;
        struct jeos_hv_exit e;
        struct jeos_hv_abort ab;
        struct jeos_hv_cpu_start cs;
    } arg;
    memcpy(&arg, argp, c.arg_len); /* copy in: the guest cannot change what we checked */
    c.arg = &arg;
    if (hv->trace)
        hv_printf(hv->err_fd, "jeos-hv: trace: %s(0x%llx)\n", c.name,
                  (unsigned long long)c.arg_gpa);
    int r = 0;
    switch (nr) {
    case JEOS_HV_CALL_CONSOLE_WRITE: r = do_console_write(&c); break;
    case JEOS_HV_CALL_TIME: r = do_time(&c); break;
    case JEOS_HV_CALL_POLL: r = do_poll(&c); break;
    case JEOS_HV_CALL_BLOCK_INFO: r = do_block_info(&c); break;
    case JEOS_HV_CALL_BLOCK_READ: r = do_block_io(&c, false); break;
    case JEOS_HV_CALL_BLOCK_WRITE: r = do_block_io(&c, true); break;
    case JEOS_HV_CALL_BLOCK_FLUSH: r = do_block_flush(&c); break;
    case JEOS_HV_CALL_NET_INFO: r = do_net_info(&c); break;
    case JEOS_HV_CALL_NET_READ: r = do_net_io(&c, false); break;
    case JEOS_HV_CALL_NET_WRITE: r = do_net_io(&c, true); break;
    case JEOS_HV_CALL_CPU_START: r = do_cpu_start(&c); break;
    case JEOS_HV_CALL_EXIT:
        if (arg.e.status < 0 || arg.e.status > 255) {
            hv_guest_error(hv, c.name, "status %d out of range 0..255", (int)arg.e.status);
            return HV_EXIT;
        }
        *status = arg.e.status;
        return HV_EXIT;
    case JEOS_HV_CALL_ABORT: do_abort(&c); return HV_EXIT;
    }
    if (r < 0)
        return HV_EXIT;
    memcpy(argp, &arg, c.arg_len); /* copy out (IN fields go back unchanged) */
    return HV_CONTINUE;
}
