/* signals.c — signals, mprotect and demand paging checked against Linux (signals_test.sh builds
 * it for the host and as a unikernel): handlers, masks, faults with a ucontext, sigaltstack,
 * alarms, EINTR/SA_RESTART, guard pages, 1 GiB mapped in a 32 MiB guest, MADV_DONTNEED. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "check.h"

static volatile sig_atomic_t hits;
static volatile int last_sig, last_code;
static void *volatile last_addr;
static sigjmp_buf jb;
static long fixup_target = 0x5eed;
static char *volatile alt_lo, *volatile alt_hi;
static volatile int on_alt, alt_flags;
static int pipe_fds[2];

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    hits++;
    last_sig = sig;
    last_code = si->si_code;
    last_addr = si->si_addr;
}

static void jump_out(int sig, siginfo_t *si, void *uc)
{
    on_signal(sig, si, uc);
    siglongjmp(jb, 1);
}

/* Recursion of 4 KiB frames, down to depth (32 MiB: past an 8 MiB stack). */
static __attribute__((noinline)) int deep(int depth)
{
    volatile char frame[4096];
    frame[0] = (char)depth;
    if (depth >= 8192)
        return frame[0];
    return deep(depth + 1) + frame[0];
}

/* Resumes the faulting load with RAX pointed at valid memory. */
static void fix_rax(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    on_signal(sig, si, ucv);
    uc->uc_mcontext.gregs[REG_RAX] = (greg_t)(uintptr_t)&fixup_target;
}

static void on_alt_stack(int sig, siginfo_t *si, void *uc)
{
    char here;
    on_signal(sig, si, uc);
    on_alt = &here >= alt_lo && &here < alt_hi;
    stack_t now;
    sigaltstack(NULL, &now);
    alt_flags = now.ss_flags;
}

static char *volatile unprotect_page;

/* Makes the faulting page writable and returns: the write is done again. */
static void unprotect(int sig, siginfo_t *si, void *uc)
{
    on_signal(sig, si, uc);
    mprotect(unprotect_page, 4096, PROT_READ | PROT_WRITE);
}

static void write_pipe(int sig, siginfo_t *si, void *uc)
{
    on_signal(sig, si, uc);
    char c = 'r';
    if (write(pipe_fds[1], &c, 1) != 1)
        hits += 100;
}

static void handle(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void reset(void)
{
    hits = 0;
    last_sig = last_code = 0;
    last_addr = NULL;
}

/* Writes (write) or reads *p with SIGSEGV jumping out: 1 when the access faulted, else 0. */
static int faults(volatile char *p, int write)
{
    reset();
    handle(SIGSEGV, jump_out, 0);
    if (sigsetjmp(jb, 1) == 0) {
        if (write)
            *p = 1;
        else
            (void)*p;
        return 0;
    }
    return 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_timer(long usec, long every)
{
    struct itimerval it = {{0, every}, {usec / 1000000, usec % 1000000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

/* Computes without a system call until *stop or limit steps (integer and floating-point state in
 * registers); *steps gets how many it made. */
static __attribute__((noinline)) uint64_t compute(volatile sig_atomic_t *stop, uint64_t limit,
                                                  uint64_t *steps)
{
    uint64_t x = 1, n = 0;
    double y = 0;
    for (; n < limit && !*stop; n++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        y = y * 0.5 + (double)(x >> 40);
    }
    *steps = n;
    return x ^ (uint64_t)y;
}

/*
 * SIGALRM blocked, then a wait (how: 0 ppoll, 1 pselect, 2 epoll_pwait) for 1 s on an empty pipe
 * with a mask that lets it through: the alarm after 50 ms ends the wait with EINTR after its
 * handler; afterwards SIGALRM is blocked again. Returns 1 when all of that held; *why says.
 */
static int wait_with_mask(int how, char *why, size_t whylen)
{
    int p[2];
    if (pipe(p) < 0)
        return 0;
    sigset_t block, open_, now;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    sigemptyset(&open_);
    sigprocmask(SIG_BLOCK, &block, NULL);
    hits = 0;
    set_timer(50000, 0);
    struct timespec ts = {1, 0};
    int rc = -2, ep = -1;
    errno = 0;
    if (how == 0) {
        struct pollfd pf = {.fd = p[0], .events = POLLIN};
        rc = ppoll(&pf, 1, &ts, &open_);
    } else if (how == 1) {
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(p[0], &rd);
        rc = pselect(p[0] + 1, &rd, NULL, NULL, &ts, &open_);
    } else if ((ep = epoll_create1(0)) >= 0) {
        struct epoll_event ev = {.events = EPOLLIN}, out;
        epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
        rc = epoll_pwait(ep, &out, 1, 1000, &open_);
    }
    int e = errno;
    sigprocmask(SIG_BLOCK, NULL, &now);
    int still = sigismember(&now, SIGALRM);
    set_timer(0, 0);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    close(p[0]);
    close(p[1]);
    if (ep >= 0)
        close(ep);
    snprintf(why, whylen, "rc %d errno %d hits %d, SIGALRM blocked after: %d", rc, e, (int)hits,
             still);
    return rc == -1 && e == EINTR && hits == 1 && still == 1;
}

/* pthread_kill (tgkill) to one thread: its handler runs in that thread, not in the sender. */
static pthread_t volatile handled_in;
static volatile int target_sleep_rc, target_errno;

static void note_thread(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)si, (void)uc;
    handled_in = pthread_self();
    hits++;
}

static void *sleeper(void *arg)
{
    (void)arg;
    struct timespec req = {3, 0};
    errno = 0;
    target_sleep_rc = nanosleep(&req, NULL);
    target_errno = errno;
    return NULL;
}

/* A TCP connection on the loopback: *cs the connecting end, the accepted end returned (or -1),
 * *ls the listening socket. */
static int tcp_pair(int *ls, int *cs)
{
    *ls = socket(AF_INET, SOCK_STREAM, 0);
    *cs = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    if (*ls >= 0 && *cs >= 0 && bind(*ls, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        listen(*ls, 1) == 0 && getsockname(*ls, (struct sockaddr *)&sa, &sl) == 0 &&
        connect(*cs, (struct sockaddr *)&sa, sizeof(sa)) == 0)
        return accept(*ls, NULL, NULL);
    return -1;
}

int main(void)
{
    /* raise with a handler: runs before raise returns, si_code SI_TKILL (both libcs use tkill) */
    reset();
    handle(SIGUSR1, on_signal, 0);
    int rc = raise(SIGUSR1);
    CHECK("sig-raise", rc == 0 && hits == 1 && last_sig == SIGUSR1 && last_code == SI_TKILL,
          "rc %d hits %d sig %d code %d", rc, (int)hits, last_sig, last_code);

    /* a blocked signal stays pending and is delivered when unblocked */
    reset();
    sigset_t set, old, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    kill(getpid(), SIGUSR1);
    int before = hits;
    sigpending(&pend);
    int was_pending = sigismember(&pend, SIGUSR1);
    sigprocmask(SIG_SETMASK, &old, NULL);
    CHECK("sig-mask", before == 0 && was_pending == 1 && hits == 1 && last_code == SI_USER,
          "before %d pending %d hits %d code %d", before, was_pending, (int)hits, last_code);

    /* the old action comes back; SIG_IGN drops the signal */
    struct sigaction got;
    sigaction(SIGUSR1, NULL, &got);
    reset();
    signal(SIGUSR2, SIG_IGN);
    raise(SIGUSR2);
    CHECK("sig-action", (got.sa_flags & SA_SIGINFO) && got.sa_sigaction == on_signal && hits == 0,
          "flags 0x%x hits %d", (unsigned)got.sa_flags, (int)hits);

    /* a write to an unmapped page: SIGSEGV at that address, out by siglongjmp */
    reset();
    handle(SIGSEGV, jump_out, 0);
    volatile int jumped = 0;
    if (sigsetjmp(jb, 1) == 0)
        *(volatile int *)16 = 1;
    else
        jumped = 1;
    CHECK("sig-segv-longjmp",
          jumped && last_sig == SIGSEGV && last_code == SEGV_MAPERR && last_addr == (void *)16,
          "jumped %d sig %d code %d addr %p", jumped, last_sig, last_code, last_addr);
    /* the mask saved by sigsetjmp came back: SIGSEGV is not blocked any more */
    sigprocmask(SIG_SETMASK, NULL, &old);
    CHECK("sig-longjmp-mask", !sigismember(&old, SIGSEGV), "SIGSEGV still blocked");

    /* returning from the handler resumes the faulting instruction with the ucontext's registers */
    reset();
    handle(SIGSEGV, fix_rax, 0);
    long loaded;
    __asm__ volatile("mov (%%rax), %0" : "=r"(loaded) : "a"(16L) : "memory");
    CHECK("sig-segv-resume", hits == 1 && loaded == 0x5eed, "hits %d loaded 0x%lx", (int)hits,
          loaded);

    /* integer division by zero: SIGFPE, FPE_INTDIV */
    reset();
    handle(SIGFPE, jump_out, 0);
    volatile int zero = 0, q = 0;
    if (sigsetjmp(jb, 1) == 0)
        q = 7 / zero;
    CHECK("sig-fpe", hits == 1 && last_sig == SIGFPE && last_code == FPE_INTDIV,
          "hits %d sig %d code %d q %d", (int)hits, last_sig, last_code, q);

    /* an invalid opcode: SIGILL, ILL_ILLOPN */
    reset();
    handle(SIGILL, jump_out, 0);
    if (sigsetjmp(jb, 1) == 0)
        __asm__ volatile("ud2");
    CHECK("sig-ill", hits == 1 && last_sig == SIGILL && last_code == ILL_ILLOPN,
          "hits %d sig %d code %d", (int)hits, last_sig, last_code);

    /* sigaltstack: an SA_ONSTACK handler runs there and sees SS_ONSTACK */
    reset();
    static char alt[65536];
    alt_lo = alt;
    alt_hi = alt + sizeof(alt);
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof(alt), .ss_flags = 0};
    rc = sigaltstack(&ss, NULL);
    handle(SIGUSR1, on_alt_stack, SA_ONSTACK);
    raise(SIGUSR1);
    stack_t after;
    sigaltstack(NULL, &after);
    CHECK("sig-altstack",
          rc == 0 && hits == 1 && on_alt && alt_flags == SS_ONSTACK && after.ss_flags == 0 &&
              after.ss_sp == alt,
          "rc %d hits %d on_alt %d flags %d after %d", rc, (int)hits, on_alt, alt_flags,
          after.ss_flags);

    /* main()'s stack overflows into its guard page: SIGSEGV, taken on the alternate stack, left
     * by siglongjmp (where the stack limit is 8 MiB, as the unikernel's and Linux's default) */
    struct rlimit stk;
    getrlimit(RLIMIT_STACK, &stk);
    if (stk.rlim_cur == RLIM_INFINITY || stk.rlim_cur > (16ul << 20)) {
        printf("SKIP sig-stack-overflow: the stack limit is %s, more than the 32 MiB recursion\n",
               stk.rlim_cur == RLIM_INFINITY ? "unlimited" : "over 16 MiB");
    } else {
        reset();
        handle(SIGSEGV, jump_out, SA_ONSTACK);
        volatile int reached = 0;
        if (sigsetjmp(jb, 1) == 0)
            reached = deep(0);
        CHECK("sig-stack-overflow", hits == 1 && last_sig == SIGSEGV && reached == 0,
              "hits %d sig %d (recursion returned %d)", (int)hits, last_sig, reached);
        signal(SIGSEGV, SIG_DFL);
    }

    /* alarm: SIGALRM after a second; pause returns EINTR */
    reset();
    handle(SIGALRM, on_signal, 0);
    double t0 = now_s();
    alarm(1);
    errno = 0;
    rc = pause();
    double dt = now_s() - t0;
    CHECK("sig-alarm",
          rc == -1 && errno == EINTR && hits == 1 && last_sig == SIGALRM && dt > 0.9 && dt < 5,
          "rc %d errno %d hits %d after %.2f s", rc, errno, (int)hits, dt);

    /* setitimer with an interval: three signals, then off */
    reset();
    set_timer(20000, 20000);
    while (hits < 3)
        pause();
    set_timer(0, 0);
    struct itimerval cur;
    getitimer(ITIMER_REAL, &cur);
    CHECK("sig-itimer", hits == 3 && cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0,
          "hits %d left %ld.%06ld", (int)hits, (long)cur.it_value.tv_sec,
          (long)cur.it_value.tv_usec);

    /* an alarm while the program computes without system calls: the handler runs at the timer
     * interrupt, and the computation goes on with its registers intact (the same result as a
     * run of as many steps without a signal) */
    reset();
    set_timer(50000, 0);
    uint64_t steps = 0, again = 0;
    static volatile sig_atomic_t never;
    uint64_t result = compute(&hits, 400000000ull, &steps);
    uint64_t want = compute(&never, steps, &again);
    CHECK("sig-alarm-compute", hits == 1 && steps < 400000000ull && result == want,
          "hits %d after %llu steps (limit 400000000), result %s", (int)hits,
          (unsigned long long)steps, result == want ? "equal" : "differs");

    /* the signal masks of ppoll, pselect6 and epoll_pwait hold during the wait only */
    static const char *const mask_names[3] = {"sig-ppoll-mask", "sig-pselect-mask",
                                              "sig-epoll-pwait-mask"};
    handle(SIGALRM, on_signal, 0);
    for (int how = 0; how < 3; how++) {
        char why[128];
        int ok = wait_with_mask(how, why, sizeof(why));
        CHECK(mask_names[how], ok, "%s", why);
    }

    /* tgkill to a particular thread (pthread_kill): the sleeping thread gets SIGUSR1, its
     * nanosleep ends with EINTR; the sender, which blocks nothing, does not take it */
    reset();
    handled_in = 0;
    handle(SIGUSR1, note_thread, 0);
    pthread_t th;
    int crc = pthread_create(&th, NULL, sleeper, NULL);
    struct timespec settle = {0, 100000000};
    nanosleep(&settle, NULL); /* the thread is in its nanosleep */
    int krc = crc == 0 ? pthread_kill(th, SIGUSR1) : -1;
    if (crc == 0)
        pthread_join(th, NULL);
    CHECK("sig-tgkill-thread",
          crc == 0 && krc == 0 && hits == 1 && pthread_equal(handled_in, th) &&
              target_sleep_rc == -1 && target_errno == EINTR,
          "create %d kill %d hits %d in the target: %d, its nanosleep %d errno %d", crc, krc,
          (int)hits, pthread_equal(handled_in, th), target_sleep_rc, target_errno);
    signal(SIGUSR1, SIG_DFL);

    /* nanosleep interrupted: EINTR with what is left */
    reset();
    set_timer(50000, 0);
    struct timespec req = {5, 0}, rem = {0, 0};
    errno = 0;
    rc = nanosleep(&req, &rem);
    CHECK("sig-eintr-sleep", rc == -1 && errno == EINTR && hits == 1 && rem.tv_sec >= 3,
          "rc %d errno %d hits %d rem %ld", rc, errno, (int)hits, (long)rem.tv_sec);

    /* a blocking read: EINTR without SA_RESTART, restarted (and reads the handler's byte) with */
    if (pipe(pipe_fds) == 0) {
        char c = 0;
        reset();
        handle(SIGALRM, on_signal, 0);
        set_timer(30000, 0);
        errno = 0;
        long n = read(pipe_fds[0], &c, 1);
        CHECK("sig-eintr-read", n == -1 && errno == EINTR && hits == 1, "read %ld errno %d hits %d",
              n, errno, (int)hits);
        reset();
        handle(SIGALRM, write_pipe, SA_RESTART);
        set_timer(30000, 0);
        n = read(pipe_fds[0], &c, 1);
        CHECK("sig-restart-read", n == 1 && c == 'r' && hits == 1, "read %ld '%c' hits %d", n,
              c ? c : '?', (int)hits);
    } else
        CHECK("sig-eintr-read", 0, "pipe: %d", errno);

    /* mprotect: a write into a PROT_NONE guard page is SIGSEGV (SEGV_ACCERR at that address),
     * left by siglongjmp; a PROT_READ page reads but does not write; returning after making it
     * writable resumes the write */
    char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int prc = m == MAP_FAILED ? -1 : mprotect(m + 4096, 4096, PROT_NONE);
    jumped = prc == 0 && faults(m + 4096 + 100, 1);
    m[0] = m[8192] = 7; /* the neighbours stay writable */
    CHECK("mem-guard-page",
          prc == 0 && jumped && hits == 1 && last_code == SEGV_ACCERR &&
              last_addr == m + 4096 + 100 && m[0] == 7 && m[8192] == 7,
          "mprotect %d jumped %d hits %d code %d addr %p (page %p)", prc, jumped, (int)hits,
          last_code, last_addr, (void *)(m + 4096));
    reset();
    prc = mprotect(m + 8192, 4096, PROT_READ);
    unprotect_page = m + 8192;
    handle(SIGSEGV, unprotect, 0);
    int seen = m[8192];
    m[8192] = 9;
    CHECK("mem-readonly-resume",
          prc == 0 && seen == 7 && hits == 1 && last_code == SEGV_ACCERR && m[8192] == 9,
          "mprotect %d seen %d hits %d code %d now %d", prc, seen, (int)hits, last_code, m[8192]);
    munmap(m, 3 * 4096);

    /* demand paging: 1 GiB mapped, 8 MiB touched, in a 32 MiB guest; six rounds (48 MiB in
     * all) only fit when munmap gives the pages back */
    int rounds = 0, zeros = 1, kept = 1;
    for (int round = 0; round < 6; round++) {
        char *big =
            mmap(NULL, 1ul << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (big == MAP_FAILED)
            break;
        for (long off = 0; off < (8l << 20); off += 4096) {
            char *p = big + (off * 127) % (1l << 30) / 4096 * 4096; /* spread over the GiB */
            if (*p != 0)
                zeros = 0;
            *p = (char)(off >> 12);
        }
        for (long off = 0; off < (8l << 20); off += 4096)
            if (big[(off * 127) % (1l << 30) / 4096 * 4096] != (char)(off >> 12))
                kept = 0;
        munmap(big, 1ul << 30);
        rounds++;
    }
    CHECK("mem-demand-1g", rounds == 6 && zeros && kept, "rounds %d zero-filled %d kept %d", rounds,
          zeros, kept);

    /* MADV_DONTNEED: the pages go; the next read sees zeros */
    char *d = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int dz = d != MAP_FAILED;
    for (int round = 0; dz && round < 3; round++) {
        for (long off = 0; off < (16l << 20); off += 4096) {
            if (d[off] != 0)
                dz = 0;
            d[off] = 1;
        }
        madvise(d, 16 << 20, MADV_DONTNEED);
    }
    CHECK("mem-dontneed", dz, "a page kept its contents after MADV_DONTNEED");

    /* a socket wait interrupted: recv gives EINTR; under SA_RESTART it goes on and gets the byte
     * the handler sends from the other end */
    {
        int sls, scs, sas = tcp_pair(&sls, &scs);
        char c = 0;
        reset();
        handle(SIGALRM, on_signal, 0);
        set_timer(30000, 0);
        errno = 0;
        long n = sas >= 0 ? recv(scs, &c, 1, 0) : -2;
        CHECK("sig-eintr-recv", n == -1 && errno == EINTR && hits == 1, "recv %ld errno %d hits %d",
              n, errno, (int)hits);
        reset();
        int saved = pipe_fds[1];
        pipe_fds[1] = sas; /* write_pipe writes to the accepted end */
        handle(SIGALRM, write_pipe, SA_RESTART);
        set_timer(30000, 0);
        n = sas >= 0 ? recv(scs, &c, 1, 0) : -2;
        pipe_fds[1] = saved;
        CHECK("sig-restart-recv", n == 1 && c == 'r' && hits == 1, "recv %ld '%c' hits %d", n,
              c ? c : '?', (int)hits);
        close(sas);
        close(scs);
        close(sls);
    }

    /* SIGPIPE: a write to a pipe without readers is EPIPE with SIGPIPE; ignored, EPIPE alone */
    reset();
    handle(SIGPIPE, on_signal, 0);
    int pp[2];
    int prc2 = pipe(pp);
    close(pp[0]);
    errno = 0;
    long w1 = write(pp[1], "x", 1);
    int e1 = errno, h1 = hits, s1 = last_sig;
    signal(SIGPIPE, SIG_IGN);
    errno = 0;
    long w2 = write(pp[1], "x", 1);
    int e2 = errno;
    close(pp[1]);
    CHECK("sig-pipe",
          prc2 == 0 && w1 == -1 && e1 == EPIPE && h1 == 1 && s1 == SIGPIPE && w2 == -1 &&
              e2 == EPIPE && hits == 1,
          "pipe %d: write %ld errno %d hits %d sig %d; ignored: write %ld errno %d hits %d", prc2,
          w1, e1, h1, s1, w2, e2, (int)hits);

    /* SIGPIPE from a TCP socket whose sending side is shut (loopback): not with MSG_NOSIGNAL */
    reset();
    handle(SIGPIPE, on_signal, 0);
    int ls, cs, as = tcp_pair(&ls, &cs);
    int shut = as >= 0 ? shutdown(cs, SHUT_WR) : -1;
    errno = 0;
    long n1 = send(cs, "x", 1, MSG_NOSIGNAL);
    int se1 = errno, sh1 = hits;
    errno = 0;
    long n2 = send(cs, "x", 1, 0);
    int se2 = errno;
    CHECK("sig-pipe-socket",
          shut == 0 && n1 == -1 && se1 == EPIPE && sh1 == 0 && n2 == -1 && se2 == EPIPE &&
              hits == 1 && last_sig == SIGPIPE,
          "accept %d shutdown %d; MSG_NOSIGNAL: send %ld errno %d hits %d; without: send %ld "
          "errno %d hits %d",
          as, shut, n1, se1, sh1, n2, se2, (int)hits);
    close(as);
    close(cs);
    close(ls);
    signal(SIGPIPE, SIG_DFL);

    /* mprotect of the program's static data changes it, as on Linux: a write into a PROT_READ
     * page of .bss is SIGSEGV (SEGV_ACCERR at that address) left by siglongjmp, a read of a
     * PROT_NONE page too; the neighbour page stays writable; back to read-write, it writes */
    static char image_page[3 * 4096] __attribute__((aligned(4096)));
    char *volatile ip = image_page;
    int ip1 = mprotect(ip + 4096, 4096, PROT_READ);
    jumped = ip1 == 0 && faults(ip + 4096 + 8, 1);
    ip[0] = ip[8192] = 5;
    CHECK("mprotect-image-readonly",
          ip1 == 0 && jumped && hits == 1 && last_code == SEGV_ACCERR &&
              last_addr == ip + 4096 + 8 && ip[4096 + 8] == 0 && ip[0] == 5 && ip[8192] == 5,
          "mprotect %d jumped %d hits %d code %d addr %p (page %p)", ip1, jumped, (int)hits,
          last_code, last_addr, (void *)(ip + 4096));
    int ip2 = mprotect(ip + 4096, 4096, PROT_NONE);
    jumped = ip2 == 0 && faults(ip + 4096 + 16, 0);
    int ip3 = mprotect(ip + 4096, 4096, PROT_READ | PROT_WRITE);
    ip[4096 + 16] = 3;
    CHECK("mprotect-image-none",
          ip2 == 0 && ip3 == 0 && jumped && hits == 1 && last_code == SEGV_ACCERR &&
              last_addr == ip + 4096 + 16 && ip[4096 + 16] == 3,
          "mprotect %d %d jumped %d hits %d code %d addr %p", ip2, ip3, jumped, (int)hits,
          last_code, last_addr);
    signal(SIGSEGV, SIG_DFL);

    printf("signals: %d failures\n", failures);
    fflush(stdout);
    /* the default action of SIGTERM ends the program: status 128 + 15 */
    signal(SIGTERM, SIG_DFL);
    raise(SIGTERM);
    printf("FAIL sig-default: SIGTERM did not end the program\n");
    return 1;
}
