/* runtime/libc/rt.h — the Linux system-call layer under musl: shared declarations (internal). */
#ifndef RT_RT_H
#define RT_RT_H

#include <stddef.h>
#include <stdint.h>

/* Linux errno values the runtime returns (negated). */
#define RT_EPERM           1
#define RT_ENOENT          2
#define RT_ESRCH           3
#define RT_EINTR           4
#define RT_EIO             5
#define RT_EBADF           9
#define RT_EAGAIN          11
#define RT_ENOMEM          12
#define RT_ENODEV          19
#define RT_EACCES          13
#define RT_EFAULT          14
#define RT_EBUSY           16
#define RT_EEXIST          17
#define RT_EXDEV           18
#define RT_ENOTDIR         20
#define RT_EISDIR          21
#define RT_EINVAL          22
#define RT_EMFILE          24
#define RT_ENOTTY          25
#define RT_ESPIPE          29
#define RT_EROFS           30
#define RT_EPIPE           32
#define RT_EDEADLK         35
#define RT_ENOLCK          37
#define RT_EDOM            33
#define RT_ERANGE          34
#define RT_EFBIG           27
#define RT_ENOSPC          28
#define RT_ENAMETOOLONG    36
#define RT_ENOSYS          38
#define RT_ENOTEMPTY       39
#define RT_ELOOP           40
#define RT_ENOTSOCK        88
#define RT_EDESTADDRREQ    89
#define RT_EMSGSIZE        90
#define RT_EPROTOTYPE      91
#define RT_ENOPROTOOPT     92
#define RT_EPROTONOSUPPORT 93
#define RT_EOPNOTSUPP      95
#define RT_EAFNOSUPPORT    97
#define RT_EADDRINUSE      98
#define RT_EADDRNOTAVAIL   99
#define RT_ENETDOWN        100
#define RT_ENETUNREACH     101
#define RT_ECONNABORTED    103
#define RT_ECONNRESET      104
#define RT_ENOBUFS         105
#define RT_EISCONN         106
#define RT_ENOTCONN        107
#define RT_ETIMEDOUT       110
#define RT_ECONNREFUSED    111
#define RT_EHOSTUNREACH    113
#define RT_EALREADY        114
#define RT_EINPROGRESS     115
/* Internal, never seen by the program: a blocking call interrupted by a signal; restarted when
 * the handler has SA_RESTART, else EINTR (signal.c). */
#define RT_ERESTARTSYS 512

/* The registers of a system call as entry.S saved them (lowest address first). */
struct rt_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t rip, rflags, rsp;
};

/* entry.S */
void rt_syscall_entry(void);
void rt_syscall_exit(void);
void rt_switch(uint64_t *save_sp, uint64_t new_sp);
__attribute__((noreturn)) void rt_enter(uint64_t sp, void (*entry)(void));
extern uint64_t rt_kstack_top;

/* syscall.c: the dispatcher entry.S calls; the result goes to f->rax. */
void rt_syscall(struct rt_frame *f);

/* mem.c: anonymous memory. */
long rt_brk(uint64_t addr);
long rt_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off);
long rt_munmap(uint64_t addr, uint64_t len);
long rt_mremap(uint64_t old, uint64_t old_len, uint64_t new_len, int flags, uint64_t new_addr);
long rt_madvise(uint64_t addr, uint64_t len, int advice);
long rt_mprotect(uint64_t addr, uint64_t len, int prot);
/* The soft limit of resource res (RLIMIT_*, calls.c), RLIM_INFINITY (~0) for none. */
uint64_t rt_rlimit(int res);
#define RT_RLIMIT_DATA   2
#define RT_RLIMIT_NOFILE 7
#define RT_RLIMIT_AS     9
/* A page fault at addr (write: 1): 0 when a demand page was made, -1 outside every mapping
 * (SEGV_MAPERR), -2 against its protection (SEGV_ACCERR), -3 out of memory. */
int rt_mem_fault(uint64_t addr, int write);
/* Bytes of demand pages faulted in. */
uint64_t rt_mem_resident(void);

/* fd.c: file descriptors (console, /dev nodes, pipes, files). */
enum {
    F_NONE,
    F_CONSOLE,
    F_NULL,
    F_ZERO,
    F_URANDOM,
    F_PIPE_R,
    F_PIPE_W,
    F_FILE,
    F_DIR,
    F_EPOLL,
    F_SOCKET
};
#define RT_MAX_FD     1088 /* a thousand connections and some files; select() sees the first 1024 */
#define RT_MAIN_STACK (8u << 20) /* main()'s stack, demand-paged (start.c): RLIMIT_STACK */
struct rt_pipe;
struct rt_epoll;
struct rt_ofd;
struct rt_sock;
struct rt_fd {
    int kind, flags, cloexec;
    struct rt_pipe *pipe;
    struct rt_epoll *ep;  /* F_EPOLL: the interest list */
    struct rt_sock *sock; /* F_SOCKET: runtime/libc/net (sock.h) */
    int node;             /* F_FILE, F_DIR: index in fs.c's node table */
    uint64_t off;         /* unused by fs.c: its offsets live in the open file description */
    struct rt_ofd *ofd;   /* F_FILE, F_DIR: fs.c's open file description (shared by dup) */
};
/* The open descriptor fd, or NULL. */
struct rt_fd *rt_fd_get(int fd);
/* A new descriptor (lowest free) holding *f; the descriptor or -EMFILE. */
int rt_fd_new(const struct rt_fd *f);
void rt_fd_init(void);
long rt_read(int fd, void *buf, uint64_t n);
long rt_write(int fd, const void *buf, uint64_t n);
long rt_openat(int dirfd, const char *path, int flags, int mode);
long rt_close(int fd);
long rt_ioctl(int fd, unsigned long req, uint64_t arg);
long rt_fcntl(int fd, int cmd, uint64_t arg);
long rt_dup3(int fd, int newfd, int flags, int exact);
long rt_pipe2(int *fds, int flags);
long rt_fstat(int fd, void *st);
long rt_lseek(int fd, int64_t off, int whence);
long rt_poll(void *fds, uint64_t n, int64_t timeout_ns);
/* select over fd_sets of nfds bits (each may be NULL); timeout_ns < 0: none. */
long rt_select(int nfds, uint64_t *rd, uint64_t *wr, uint64_t *ex, int64_t timeout_ns);
/* Wakes every thread in poll, select or epoll_wait: something they watch changed. */
void rt_poll_wake(void);
long rt_epoll_create(int flags);
long rt_epoll_ctl(int epfd, int op, int fd, void *event);
long rt_epoll_wait(int epfd, void *events, int max, int64_t timeout_ns);

/* fs.c: the root: the recipe's files (embedded cpio newc, read only) under a writable tmpfs. */
struct rt_ts {
    int64_t sec, nsec;
};
void rt_fs_init(void);
/* The tree from the cpio newc archive [p, end) (what rt_fs_init does with the embedded one). */
void rt_fs_load(const uint8_t *p, const uint8_t *end);
/* Makes path (and its parents) a folder if missing, and the working folder; 0 or -errno. */
int rt_fs_workdir(const char *path);
long rt_fs_open(int dirfd, const char *path, int flags, int mode);
/* dup() of an F_FILE/F_DIR descriptor, and its close: the open file description's references. */
void rt_fs_dup(struct rt_fd *f);
void rt_fs_close(struct rt_fd *f);
long rt_fs_read(struct rt_fd *f, void *buf, uint64_t n, int64_t at); /* at < 0: at the offset */
long rt_fs_write(struct rt_fd *f, const void *buf, uint64_t n, int64_t at);
long rt_fs_lseek(struct rt_fd *f, int64_t off, int whence);
long rt_fs_fstat(struct rt_fd *f, void *st);
/* The file's offset, size and identity (its inode, what locks are keyed by). */
uint64_t rt_fs_offset(struct rt_fd *f);
uint64_t rt_fs_size(struct rt_fd *f);
const void *rt_fs_file(struct rt_fd *f);
long rt_fs_fstatat(int dirfd, const char *path, void *st, int flags);
long rt_fs_statx(int dirfd, const char *path, int flags, void *stx);
long rt_fs_getdents64(struct rt_fd *f, void *buf, uint64_t n);
long rt_fs_readlinkat(int dirfd, const char *path, char *buf, uint64_t n);
long rt_fs_access(int dirfd, const char *path, int mode);
long rt_fs_getcwd(char *buf, uint64_t n);
long rt_fs_chdir(const char *path, int fd);
long rt_fs_mkdirat(int dirfd, const char *path, int mode);
long rt_fs_unlinkat(int dirfd, const char *path, int flags);
long rt_fs_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
                    int flags);
long rt_fs_linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags);
long rt_fs_symlinkat(const char *target, int newdirfd, const char *linkpath);
long rt_fs_ftruncate(struct rt_fd *f, int64_t len);
long rt_fs_truncate(const char *path, int64_t len);
long rt_fs_fallocate(struct rt_fd *f, int mode, int64_t off, int64_t len);
/* path NULL: the descriptor dirfd itself; flags: AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH. */
long rt_fs_chmodat(int dirfd, const char *path, int mode, int flags);
long rt_fs_chownat(int dirfd, const char *path, int uid, int gid, int flags);
long rt_fs_utimensat(int dirfd, const char *path, const struct rt_ts *times, int flags);
long rt_fs_statfs(int dirfd, const char *path, void *statfs);
/* umask(2): the mask new files and folders get; the old one. */
long rt_fs_umask(int mask);
/* A read-only file made at boot (/etc/resolv.conf from the network configuration): `data` is
 * kept, not copied. 0, or -EEXIST when the recipe's files already have one. */
int rt_fs_add_file(const char *path, const void *data, uint64_t len);
/* A volume's mount point (runtime/ext4/vol.c): path made a folder (with its parents) if missing;
 * 0 or -errno. fsync and fdatasync of a descriptor: a volume's file reaches its device. */
int rt_fs_mountpoint(const char *path);
long rt_fs_fsync(struct rt_fd *f);
/* mmap of a file (tmpfs or volume): anonymous memory holding a copy of [off, off + len) taken
 * now, then given prot; MAP_SHARED with PROT_WRITE: ENODEV (a copy could not write back). */
long rt_fs_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off);

/* lock.c: fcntl record locks (process-owned and open-file-description-owned) and flock, keyed
 * by the file (fs.c's inode) and owned by an open file description. */
long rt_lock_fcntl(struct rt_fd *f, int cmd, void *flock);
long rt_lock_flock(struct rt_fd *f, int op);
/* A descriptor of `file` closed: the process's record locks on it go (as Linux: any close);
 * the description's own locks go with its last descriptor (last). */
void rt_lock_closed(const void *file, const void *ofd, int last);

/* calls.c: system calls beyond the dispatcher's table (metadata, limits, memory advice); 1 and
 * *r set when nr is one of them. */
int rt_more_syscall(unsigned long nr, const uint64_t *a, long *r);
/* Prints "jeos: CALL: ... not supported: ERR" once per call and command. */
void rt_notice_cmd(const char *call, unsigned long cmd, const char *err);

/* random.c: ChaCha20 seeded from RDSEED/RDRAND (and the TSC). */
void rt_random_init(void);
void rt_random_bytes(void *buf, size_t n);

/* sched.c: threads (cooperative: switches at blocking system calls). */
void rt_sched_init(void);
long rt_clone(struct rt_frame *f, uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid,
              uint64_t tls);
long rt_futex(uint32_t *uaddr, int op, uint32_t val, uint64_t timeout, uint32_t *uaddr2,
              uint32_t val3);
__attribute__((noreturn)) void rt_thread_exit(int status, int group);
long rt_set_tid_address(int *tidptr);
long rt_gettid(void);
void rt_yield(void);
/* Blocks the running thread until deadline (monotonic ns; 0 = none) or a wake; 0 or -ETIMEDOUT. */
long rt_sleep_until(uint64_t deadline_ns);
void rt_set_fs(uint64_t base);
/* Ends the guest (status 113) if the running thread's system-call stack overflowed. */
void rt_check_stack(void);
/* Wait queues keyed by an address (futex words, pipes): block until rt_wake(key) or deadline. */
long rt_wait_on(const void *key, uint64_t deadline_ns);
int rt_wake(const void *key, int n);

/* signal.c: signals of the one process: actions, per-thread masks and alternate stacks, kill and
 * tgkill to itself, alarm/setitimer, faults of the program delivered to its handlers. */
struct rt_sigthread {
    uint64_t mask;       /* blocked: bit sig-1 */
    uint64_t pending;    /* for this thread alone (tkill, tgkill); the process's are signal.c's */
    uint64_t saved_mask; /* rt_sigsuspend: the mask the handler's return restores */
    int has_saved;
    uint64_t ss_sp, ss_size; /* sigaltstack */
    int ss_flags;
};
extern volatile int rt_in_kernel; /* 1 while the CPU runs the runtime, 0 in the program (entry.S) */
void rt_signal_init(void);
/* The signal calls (rt_sigaction, kill, alarm, ...); 1 and *r set when nr is one of them. */
int rt_signal_syscall(struct rt_frame *f, unsigned long nr, const uint64_t *a, long *r);
/* At the end of every system call (its result in f->rax): delivers what is pending and unblocked,
 * restarting the call (nr) or making it EINTR when it was interrupted. */
void rt_signal_exit(struct rt_frame *f, unsigned long nr);
/* The scheduler: the alarm's expiry (0 = none), and the check that fires it. */
uint64_t rt_signal_deadline(void);
void rt_signal_tick(uint64_t now_ns);
/* 1 when a signal is pending that the running thread does not block. */
int rt_signal_deliverable(void);
/*
 * ppoll, pselect6, epoll_pwait: rt_signal_wait_mask puts set (when not NULL; size must be 8, else
 * -EINVAL) in force for the wait, as sigsuspend does; rt_signal_wait_done(r) puts the thread's own
 * mask back unless the wait ended with -EINTR (then the handler's return restores it, as Linux).
 */
long rt_signal_wait_mask(const uint64_t *set, uint64_t size);
void rt_signal_wait_done(long r);

/* sched.c: the running thread's signal state; wakes (EINTR) one blocked thread not blocking the
 * signals in bits, returns 1 if one was. */
struct rt_sigthread *rt_sig_thread(void);
int rt_sched_interrupt(uint64_t bits);
/* The live thread tid's signal state, or NULL; waking that thread when it waits and takes bits. */
struct rt_sigthread *rt_sig_thread_of(int tid);
void rt_sched_interrupt_tid(int tid, uint64_t bits);

/* The name of system call nr (generated from the Linux headers), or NULL. */
const char *rt_syscall_name(unsigned long nr);

#endif
