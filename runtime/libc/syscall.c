/*
 * runtime/libc/syscall.c — the system-call dispatcher: Linux x86-64 numbers and semantics for what
 * musl uses; any other number returns -ENOSYS and prints its name once.
 */
#include "arch/x86_64/cpu.h"
#include "console/console.h"
#include "lib/string.h"
#include "rt.h"
#include "sock.h"
#include "time/time.h"
#include "uk.h"

struct rt_timespec {
    int64_t sec, nsec;
};

static uint8_t noticed[512 / 8];

static long enosys(unsigned long nr)
{
    if (nr < 512 && !(noticed[nr / 8] & (1u << (nr % 8)))) {
        noticed[nr / 8] |= (uint8_t)(1u << (nr % 8));
        const char *name = rt_syscall_name(nr);
        printk("jeos: system call %s (%lu) is not implemented: ENOSYS\n", name ? name : "?", nr);
    }
    return -RT_ENOSYS;
}

static long get_time(int clk, struct rt_timespec *ts)
{
    uint64_t ns;
    switch (clk) {
    case 0: /* CLOCK_REALTIME */
    case 5: /* CLOCK_REALTIME_COARSE */
    case 11: /* CLOCK_TAI */ ns = time_wall_ns(); break;
    case 1: /* CLOCK_MONOTONIC, _RAW, _COARSE, BOOTTIME, and the CPU-time clocks */
    case 2:
    case 3:
    case 4:
    case 6:
    case 7: ns = time_monotonic_ns(); break;
    default: return -RT_EINVAL;
    }
    ts->sec = (int64_t)(ns / 1000000000u);
    ts->nsec = (int64_t)(ns % 1000000000u);
    return 0;
}

static long sleep_ts(int clk, int abs, const struct rt_timespec *req, struct rt_timespec *rem)
{
    if (req->sec < 0 || req->nsec < 0 || req->nsec >= 1000000000)
        return -RT_EINVAL;
    uint64_t ns = (uint64_t)req->sec * 1000000000u + (uint64_t)req->nsec;
    uint64_t now = time_monotonic_ns(), deadline;
    if (abs) {
        uint64_t base = clk == 0 ? time_wall_ns() : now;
        deadline = ns > base ? now + (ns - base) : now;
    } else
        deadline = now + ns;
    long rc = 0;
    if (deadline > now)
        rc = rt_sleep_until(deadline);
    else
        rt_yield();
    if (rc == -RT_EINTR) { /* a signal: what is left */
        now = time_monotonic_ns();
        uint64_t left = deadline > now ? deadline - now : 0;
        if (rem && !abs)
            *rem =
                (struct rt_timespec){(int64_t)(left / 1000000000u), (int64_t)(left % 1000000000u)};
        return -RT_EINTR;
    }
    if (rem && !abs)
        *rem = (struct rt_timespec){0, 0};
    return 0;
}

struct utsname_l {
    char f[6][65];
};

static void set_str(char *d, const char *s)
{
    size_t n = strlen(s);
    memcpy(d, s, n + 1);
}

static long do_uname(struct utsname_l *u)
{
    memset(u, 0, sizeof(*u));
    set_str(u->f[0], "Linux"); /* what programs test for; the machine is the jeos unikernel */
    set_str(u->f[1], "jeos");
    set_str(u->f[2], "6.1.0-jeos");
    set_str(u->f[3], "#1 jeos unikernel");
    set_str(u->f[4], "x86_64");
    set_str(u->f[5], "(none)");
    return 0;
}

void rt_syscall(struct rt_frame *f)
{
    uint64_t a0 = f->rdi, a1 = f->rsi, a2 = f->rdx, a3 = f->r10, a4 = f->r8;
    unsigned long nr = f->rax;
    long r;
    switch (nr) {
    case 0: /* read */ r = rt_read((int)a0, (void *)a1, a2); break;
    case 1: /* write */ r = rt_write((int)a0, (const void *)a1, a2); break;
    case 19:   /* readv */
    case 20: { /* writev */
        const uint64_t *iov = (const uint64_t *)a1;
        r = 0;
        for (uint64_t i = 0; i < a2; i++) {
            if (!iov[2 * i + 1])
                continue;
            long k = nr == 20 ? rt_write((int)a0, (const void *)iov[2 * i], iov[2 * i + 1])
                              : rt_read((int)a0, (void *)iov[2 * i], iov[2 * i + 1]);
            if (k < 0) {
                r = r ? r : k;
                break;
            }
            r += k;
            if ((uint64_t)k < iov[2 * i + 1])
                break;
        }
        break;
    }
    case 2: /* open */ r = rt_openat(-100, (const char *)a0, (int)a1, (int)a2); break;
    case 257: /* openat */ r = rt_openat((int)a0, (const char *)a1, (int)a2, (int)a3); break;
    case 3: /* close */ r = rt_close((int)a0); break;
    case 5: /* fstat */ r = rt_fstat((int)a0, (void *)a1); break;
    case 4: /* stat */ r = rt_fs_fstatat(-100, (const char *)a0, (void *)a1, 0); break;
    case 6: /* lstat */ r = rt_fs_fstatat(-100, (const char *)a0, (void *)a1, 0x100); break;
    case 262: /* newfstatat */
        r = rt_fs_fstatat((int)a0, (const char *)a1, (void *)a2, (int)a3);
        break;
    case 332: /* statx */ r = rt_fs_statx((int)a0, (const char *)a1, (int)a2, (void *)a4); break;
    case 21: /* access */ r = rt_fs_access(-100, (const char *)a0, (int)a1); break;
    case 269: /* faccessat */
    case 439: /* faccessat2 */ r = rt_fs_access((int)a0, (const char *)a1, (int)a2); break;
    case 17:   /* pread64 */
    case 18: { /* pwrite64 */
        struct rt_fd *fd = rt_fd_get((int)a0);
        if (!fd)
            r = -RT_EBADF;
        else if (fd->kind != F_FILE)
            r = fd->kind == F_DIR ? -RT_EISDIR : -RT_ESPIPE;
        else if ((int64_t)a3 < 0)
            r = -RT_EINVAL;
        else
            r = nr == 17 ? rt_fs_read(fd, (void *)a1, a2, (int64_t)a3)
                         : rt_fs_write(fd, (const void *)a1, a2, (int64_t)a3);
        break;
    }
    case 217: { /* getdents64 */
        struct rt_fd *fd = rt_fd_get((int)a0);
        r = fd ? rt_fs_getdents64(fd, (void *)a1, a2) : -RT_EBADF;
        break;
    }
    case 77: { /* ftruncate */
        struct rt_fd *fd = rt_fd_get((int)a0);
        r = fd ? rt_fs_ftruncate(fd, (int64_t)a1) : -RT_EBADF;
        break;
    }
    case 74: /* fsync */
    case 75: /* fdatasync */ {
        struct rt_fd *fd = rt_fd_get((int)a0);
        r = fd ? rt_fs_fsync(fd) : -RT_EBADF;
        break;
    }
    case 83: /* mkdir */ r = rt_fs_mkdirat(-100, (const char *)a0, (int)a1); break;
    case 258: /* mkdirat */ r = rt_fs_mkdirat((int)a0, (const char *)a1, (int)a2); break;
    case 84: /* rmdir */ r = rt_fs_unlinkat(-100, (const char *)a0, 0x200); break;
    case 87: /* unlink */ r = rt_fs_unlinkat(-100, (const char *)a0, 0); break;
    case 263: /* unlinkat */ r = rt_fs_unlinkat((int)a0, (const char *)a1, (int)a2); break;
    case 82: /* rename */
        r = rt_fs_renameat(-100, (const char *)a0, -100, (const char *)a1, 0);
        break;
    case 264: /* renameat */
    case 316: /* renameat2 */
        r = rt_fs_renameat((int)a0, (const char *)a1, (int)a2, (const char *)a3,
                           nr == 316 ? (int)f->r8 : 0);
        break;
    case 8: /* lseek */ r = rt_lseek((int)a0, (int64_t)a1, (int)a2); break;
    case 9: /* mmap */ r = rt_mmap(a0, a1, (int)a2, (int)a3, (int)a4, f->r9); break;
    case 10: /* mprotect */ r = rt_mprotect(a0, a1, (int)a2); break;
    case 11: /* munmap */ r = rt_munmap(a0, a1); break;
    case 12: /* brk */ r = rt_brk(a0); break;
    case 25: /* mremap */ r = rt_mremap(a0, a1, a2, (int)a3, a4); break;
    case 16: /* ioctl */ r = rt_ioctl((int)a0, a1, a2); break;
    case 7: /* poll */
        r = rt_poll((void *)a0, a1, (int)a2 < 0 ? -1 : (int64_t)(int)a2 * 1000000);
        break;
    case 271: { /* ppoll */
        const struct rt_timespec *ts = (const struct rt_timespec *)a2;
        if (!(r = rt_signal_wait_mask((const uint64_t *)a3, a4))) {
            r = rt_poll((void *)a0, a1, ts ? (int64_t)ts->sec * 1000000000 + ts->nsec : -1);
            rt_signal_wait_done(r);
        }
        break;
    }
    case 23: { /* select */
        const int64_t *tv = (const int64_t *)a4;
        r = rt_select((int)a0, (uint64_t *)a1, (uint64_t *)a2, (uint64_t *)a3,
                      tv ? tv[0] * 1000000000 + tv[1] * 1000 : -1);
        break;
    }
    case 270: { /* pselect6: the sixth argument points at {sigset pointer, its size} */
        const struct rt_timespec *ts = (const struct rt_timespec *)a4;
        const uint64_t *sm = (const uint64_t *)f->r9;
        if (!(r = sm ? rt_signal_wait_mask((const uint64_t *)sm[0], sm[1]) : 0)) {
            r = rt_select((int)a0, (uint64_t *)a1, (uint64_t *)a2, (uint64_t *)a3,
                          ts ? ts->sec * 1000000000 + ts->nsec : -1);
            rt_signal_wait_done(r);
        }
        break;
    }
    case 41:    /* socket */
    case 42:    /* connect */
    case 43:    /* accept */
    case 44:    /* sendto */
    case 45:    /* recvfrom */
    case 46:    /* sendmsg */
    case 47:    /* recvmsg */
    case 48:    /* shutdown */
    case 49:    /* bind */
    case 50:    /* listen */
    case 51:    /* getsockname */
    case 52:    /* getpeername */
    case 53:    /* socketpair */
    case 54:    /* setsockopt */
    case 55:    /* getsockopt */
    case 288:   /* accept4 */
    case 299:   /* recvmmsg */
    case 307: { /* sendmmsg */
        uint64_t args[6] = {a0, a1, a2, a3, a4, f->r9};
        if (rt_sock_syscall) {
            r = rt_sock_syscall(nr, args);
        } else {
            static int told;
            if (!told++)
                printk("jeos: %s: this unikernel has no network stack (its recipe says "
                       "network: none and the program was linked without sockets)\n",
                       rt_syscall_name(nr));
            r = nr == 41 || nr == 53 ? -RT_EAFNOSUPPORT : -RT_ENOTSOCK;
        }
        break;
    }
    case 213: /* epoll_create */ r = (int)a0 <= 0 ? -RT_EINVAL : rt_epoll_create(0); break;
    case 291: /* epoll_create1 */ r = rt_epoll_create((int)a0); break;
    case 233: /* epoll_ctl */ r = rt_epoll_ctl((int)a0, (int)a1, (int)a2, (void *)a3); break;
    case 232: /* epoll_wait */
    case 281: /* epoll_pwait */
        if (!(r = nr == 281 ? rt_signal_wait_mask((const uint64_t *)a4, f->r9) : 0)) {
            r = rt_epoll_wait((int)a0, (void *)a1, (int)a2,
                              (int)a3 < 0 ? -1 : (int64_t)(int)a3 * 1000000);
            rt_signal_wait_done(r);
        }
        break;
    case 22: /* pipe */ r = rt_pipe2((int *)a0, 0); break;
    case 293: /* pipe2 */ r = rt_pipe2((int *)a0, (int)a1); break;
    case 32: /* dup */ r = rt_dup3((int)a0, 0, 0, 0); break;
    case 33: /* dup2 */ r = rt_dup3((int)a0, (int)a1, 0, 1); break;
    case 292: /* dup3 */ r = rt_dup3((int)a0, (int)a1, (int)a2, 1); break;
    case 72: /* fcntl */ r = rt_fcntl((int)a0, (int)a1, a2); break;
    case 24: /* sched_yield */
        rt_yield();
        r = 0;
        break;
    case 35: /* nanosleep */
        r = sleep_ts(1, 0, (const struct rt_timespec *)a0, (struct rt_timespec *)a1);
        break;
    case 230: /* clock_nanosleep */
        r = sleep_ts((int)a0, (int)a1 & 1, (const struct rt_timespec *)a2,
                     (struct rt_timespec *)a3);
        r = -r; /* clock_nanosleep returns the error number itself */
        break;
    case 228: /* clock_gettime */ r = get_time((int)a0, (struct rt_timespec *)a1); break;
    case 229: { /* clock_getres */
        struct rt_timespec *ts = (struct rt_timespec *)a1;
        if (ts)
            *ts = (struct rt_timespec){0, 1};
        r = 0;
        break;
    }
    case 96: { /* gettimeofday */
        uint64_t ns = time_wall_ns();
        if (a0) {
            ((int64_t *)a0)[0] = (int64_t)(ns / 1000000000u);
            ((int64_t *)a0)[1] = (int64_t)(ns % 1000000000u / 1000);
        }
        r = 0;
        break;
    }
    case 201: /* time */
        r = (long)(time_wall_ns() / 1000000000u);
        if (a0)
            *(int64_t *)a0 = r;
        break;
    case 56: /* clone */ r = rt_clone(f, a0, a1, a2, a3, a4); break;
    case 202: /* futex */
        r = rt_futex((uint32_t *)a0, (int)a1, (uint32_t)a2, a3, (uint32_t *)a4, (uint32_t)f->r9);
        break;
    case 218: /* set_tid_address */ r = rt_set_tid_address((int *)a0); break;
    case 273: /* set_robust_list */ r = 0; break;
    case 60: /* exit */ rt_thread_exit((int)a0, 0);
    case 231: /* exit_group */ rt_thread_exit((int)a0, 1);
    case 158:               /* arch_prctl */
        if (a0 == 0x1002) { /* ARCH_SET_FS */
            rt_set_fs(a1);
            r = 0;
        } else {
            rt_notice_cmd("arch_prctl", a0, "EINVAL");
            r = -RT_EINVAL;
        }
        break;
    case 186: /* gettid */ r = rt_gettid(); break;
    case 39:  /* getpid */
    case 110: /* getppid */
    case 111: /* getpgrp */
    case 112: /* setsid */ r = nr == 110 ? 0 : 1; break;
    case 102: /* getuid */
    case 104: /* getgid */
    case 107: /* geteuid */
    case 108: /* getegid */ r = 0; break;
    case 98: /* getrusage: no accounting yet */
        memset((void *)a1, 0, 144);
        r = 0;
        break;
    case 99: { /* sysinfo */
        struct uk_info ui;
        uk_get_info(&ui);
        uint64_t *w = (uint64_t *)a0;
        memset(w, 0, 112);
        w[0] = time_monotonic_ns() / 1000000000u; /* uptime */
        w[4] = ui.mem_total;                      /* totalram */
        w[5] = ui.mem_total > ui.mem_pages * 4096 ? ui.mem_total - ui.mem_pages * 4096 : 0;
        ((uint16_t *)w)[40] = 1; /* procs */
        ((uint32_t *)w)[26] = 1; /* mem_unit */
        r = 0;
        break;
    }
    case 63: /* uname */ r = do_uname((struct utsname_l *)a0); break;
    case 79: /* getcwd */ r = rt_fs_getcwd((char *)a0, a1); break;
    case 80: /* chdir */ r = rt_fs_chdir((const char *)a0, -1); break;
    case 81: /* fchdir */ r = rt_fs_chdir(NULL, (int)a0); break;
    case 89: /* readlink */ r = rt_fs_readlinkat(-100, (const char *)a0, (char *)a1, a2); break;
    case 267: /* readlinkat */
        r = rt_fs_readlinkat((int)a0, (const char *)a1, (char *)a2, a3);
        break;
    case 318: /* getrandom */
        rt_random_bytes((void *)a0, a1);
        r = (long)a1;
        break;
    default: {
        uint64_t args[6] = {a0, a1, a2, a3, a4, f->r9};
        if (!rt_signal_syscall(f, nr, args, &r) && !rt_more_syscall(nr, args, &r))
            r = enosys(nr); /* signal.c, calls.c */
    }
    }
    f->rax = (uint64_t)r;
    rt_signal_exit(f, nr);
    rt_check_stack();
}
