/*
 * runtime/libc/calls.c — the system calls of file metadata (times, modes, owners, links,
 * truncation, statfs), locks (flock), resource limits, CPU affinity, memory advice and locking,
 * and prctl: what syscall.c's table hands on through rt_more_syscall. Single user, single process:
 * owners are stored and reported, never checked; memory is always resident, so mlock succeeds.
 */
#include "console/console.h"
#include "lib/string.h"
#include "rt.h"

#define AT_FDCWD            (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define UTIME_OMIT          ((1l << 30) - 2)
#define RLIM_INFINITY       (~0ull)
#define RLIMIT_STACK        3
#define RLIMIT_NOFILE       7
#define RLIMIT_NLIMITS      16

void rt_notice_cmd(const char *call, unsigned long cmd, const char *err)
{
    static struct {
        const char *call;
        unsigned long cmd;
    } seen[64];
    static int nseen;
    for (int i = 0; i < nseen; i++)
        if (seen[i].call == call && seen[i].cmd == cmd)
            return;
    if (nseen < 64) {
        seen[nseen].call = call;
        seen[nseen++].cmd = cmd;
    }
    printk("jeos: %s: command %lu (0x%lx) is not supported: %s\n", call, cmd, cmd, err);
}

/* struct timeval pairs (utimes, futimesat) or a struct utimbuf (utime) as timespecs. */
static const struct rt_ts *from_timeval(const int64_t *tv, struct rt_ts *ts, int utimbuf)
{
    if (!tv)
        return NULL;
    for (int k = 0; k < 2; k++) {
        int64_t us = utimbuf ? 0 : tv[2 * k + 1];
        if (us < 0 || us >= 1000000)
            return (const struct rt_ts *)-1;
        ts[k] = (struct rt_ts){utimbuf ? tv[k] : tv[2 * k], us * 1000};
    }
    return ts;
}

static long utimes_at(int dirfd, const char *path, const int64_t *tv, int utimbuf)
{
    struct rt_ts ts[2];
    const struct rt_ts *t = from_timeval(tv, ts, utimbuf);
    if (t == (const struct rt_ts *)-1)
        return -RT_EINVAL;
    if (!path)
        return -RT_EFAULT;
    return rt_fs_utimensat(dirfd, path, t, 0);
}

static uint64_t limits[RLIMIT_NLIMITS][2];

static void limits_init(void)
{
    if (limits[RLIMIT_NOFILE][1])
        return;
    for (int i = 0; i < RLIMIT_NLIMITS; i++)
        limits[i][0] = limits[i][1] = RLIM_INFINITY;
    limits[RLIMIT_STACK][0] = limits[RLIMIT_STACK][1] = RT_MAIN_STACK;
    limits[RLIMIT_NOFILE][0] = limits[RLIMIT_NOFILE][1] = RT_MAX_FD;
    limits[4][0] = 0;                       /* RLIMIT_CORE: no core dumps */
    limits[8][0] = limits[8][1] = 8u << 20; /* RLIMIT_MEMLOCK, Linux's default */
    limits[12][0] = limits[12][1] = 819200; /* RLIMIT_MSGQUEUE */
    limits[13][0] = limits[13][1] = 0;      /* RLIMIT_NICE */
    limits[14][0] = limits[14][1] = 0;      /* RLIMIT_RTPRIO */
}

uint64_t rt_rlimit(int res)
{
    limits_init();
    return res >= 0 && res < RLIMIT_NLIMITS ? limits[res][0] : RLIM_INFINITY;
}

/* prlimit64 of this process: old gets the limit, then new (if any) replaces it. */
static long prlimit(int pid, unsigned res, const uint64_t *new, uint64_t *old)
{
    limits_init();
    if (pid != 0 && pid != 1)
        return -RT_ESRCH;
    if (res >= RLIMIT_NLIMITS)
        return -RT_EINVAL;
    if (new &&new[0] > new[1])
        return -RT_EINVAL;
    if (new &&res == RLIMIT_NOFILE &&new[1] > RT_MAX_FD)
        return -RT_EPERM; /* past the descriptor table, as Linux past nr_open */
    if (old) {
        old[0] = limits[res][0];
        old[1] = limits[res][1];
    }
    if (new) {
        limits[res][0] = new[0];
        limits[res][1] = new[1];
    }
    return 0;
}

static char task_name[16] = "main";

static long prctl(int op, uint64_t a1)
{
    switch (op) {
    case 15: { /* PR_SET_NAME: at most 15 bytes kept */
        const char *s = (const char *)a1;
        size_t n = 0;
        while (n < sizeof(task_name) - 1 && s[n])
            n++;
        memcpy(task_name, s, n);
        task_name[n] = '\0';
        return 0;
    }
    case 16: /* PR_GET_NAME */ memcpy((char *)a1, task_name, sizeof(task_name)); return 0;
    case 3: /* PR_GET_DUMPABLE */ return 1;
    case 4: /* PR_SET_DUMPABLE */ return a1 <= 1 ? 0 : -RT_EINVAL;
    case 1: /* PR_SET_PDEATHSIG: there is no parent */
    case 38: /* PR_SET_NO_NEW_PRIVS */ return 0;
    case 39: /* PR_GET_NO_NEW_PRIVS */ return 1;
    default: rt_notice_cmd("prctl", (unsigned long)op, "EINVAL"); return -RT_EINVAL;
    }
}

static long fd_call(int fd, int what, const uint64_t *a)
{
    struct rt_fd *f = rt_fd_get(fd);
    if (!f)
        return -RT_EBADF;
    switch (what) {
    case 73: return rt_lock_flock(f, (int)a[1]);
    case 285: return rt_fs_fallocate(f, (int)a[1], (int64_t)a[2], (int64_t)a[3]);
    default: return -RT_EINVAL;
    }
}

int rt_more_syscall(unsigned long nr, const uint64_t *a, long *r)
{
    const char *p0 = (const char *)a[0], *p1 = (const char *)a[1];
    switch (nr) {
    case 132: /* utime */ *r = utimes_at(AT_FDCWD, p0, (const int64_t *)a[1], 1); break;
    case 235: /* utimes */ *r = utimes_at(AT_FDCWD, p0, (const int64_t *)a[1], 0); break;
    case 261: /* futimesat */ *r = utimes_at((int)a[0], p1, (const int64_t *)a[2], 0); break;
    case 280: /* utimensat (path NULL: the descriptor, as futimens) */
        *r = rt_fs_utimensat((int)a[0], p1, (const struct rt_ts *)a[2], (int)a[3]);
        break;
    case 90: /* chmod */ *r = rt_fs_chmodat(AT_FDCWD, p0, (int)a[1], 0); break;
    case 91: /* fchmod */ *r = rt_fs_chmodat((int)a[0], NULL, (int)a[1], 0); break;
    case 268: /* fchmodat */
        *r = p1 ? rt_fs_chmodat((int)a[0], p1, (int)a[2], 0) : -RT_EFAULT;
        break;
    case 452: /* fchmodat2 */
        *r = p1 ? rt_fs_chmodat((int)a[0], p1, (int)a[2], (int)a[3]) : -RT_EFAULT;
        break;
    case 92: /* chown */ *r = rt_fs_chownat(AT_FDCWD, p0, (int)a[1], (int)a[2], 0); break;
    case 93: /* fchown */ *r = rt_fs_chownat((int)a[0], NULL, (int)a[1], (int)a[2], 0); break;
    case 94: /* lchown */
        *r = rt_fs_chownat(AT_FDCWD, p0, (int)a[1], (int)a[2], AT_SYMLINK_NOFOLLOW);
        break;
    case 260: /* fchownat */
        *r = p1 ? rt_fs_chownat((int)a[0], p1, (int)a[2], (int)a[3], (int)a[4]) : -RT_EFAULT;
        break;
    case 86: /* link */ *r = rt_fs_linkat(AT_FDCWD, p0, AT_FDCWD, p1, 0); break;
    case 265: /* linkat */
        *r = rt_fs_linkat((int)a[0], p1, (int)a[2], (const char *)a[3], (int)a[4]);
        break;
    case 88: /* symlink */ *r = rt_fs_symlinkat(p0, AT_FDCWD, p1); break;
    case 266: /* symlinkat */ *r = rt_fs_symlinkat(p0, (int)a[1], (const char *)a[2]); break;
    case 76: /* truncate */ *r = rt_fs_truncate(p0, (int64_t)a[1]); break;
    case 73: /* flock */
    case 285: /* fallocate */ *r = fd_call((int)a[0], (int)nr, a); break;
    case 137: /* statfs */ *r = rt_fs_statfs(AT_FDCWD, p0, (void *)a[1]); break;
    case 138: /* fstatfs */ *r = rt_fs_statfs((int)a[0], NULL, (void *)a[1]); break;
    case 95: /* umask */ *r = rt_fs_umask((int)a[0]); break;
    case 149: /* mlock: memory is always resident */
    case 150: /* munlock */
    case 151: /* mlockall */
    case 152: /* munlockall */
    case 325: /* mlock2 */ *r = nr == 151 && (!a[0] || (a[0] & ~7ull)) ? -RT_EINVAL : 0; break;
    case 28: /* madvise */ *r = rt_madvise(a[0], a[1], (int)a[2]); break;
    case 221: { /* fadvise64: advice only (files are in memory or read through on demand) */
        const struct rt_fd *f = rt_fd_get((int)a[0]);
        *r = !f                                                                  ? -RT_EBADF
             : f->kind == F_PIPE_R || f->kind == F_PIPE_W || f->kind == F_SOCKET ? -RT_ESPIPE
             : a[3] > 5                                                          ? -RT_EINVAL
                                                                                 : 0;
        break;
    }
    case 97: /* getrlimit */ *r = prlimit(0, (unsigned)a[0], NULL, (uint64_t *)a[1]); break;
    case 160: /* setrlimit */ *r = prlimit(0, (unsigned)a[0], (const uint64_t *)a[1], NULL); break;
    case 302: /* prlimit64 */
        *r = prlimit((int)a[0], (unsigned)a[1], (const uint64_t *)a[2], (uint64_t *)a[3]);
        break;
    case 204: /* sched_getaffinity: one CPU, a mask of 64 bits as Linux's for up to 64 */
        if (a[1] < 8 || (a[1] & 7)) {
            *r = -RT_EINVAL;
        } else {
            memset((void *)a[2], 0, 8);
            *(uint8_t *)a[2] = 1;
            *r = 8;
        }
        break;
    case 203: /* sched_setaffinity: the mask must hold CPU 0, the only one */
        *r = a[1] && (*(const uint8_t *)a[2] & 1) ? 0 : -RT_EINVAL;
        break;
    case 157: /* prctl */ *r = prctl((int)a[0], a[1]); break;
    default: return 0;
    }
    return 1;
}
