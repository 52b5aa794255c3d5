/*
 * runtime/libc/signal.c — signals of the one process, with Linux's x86-64 ABI: rt_sigaction
 * (struct k_sigaction, musl's SA_RESTORER), masks per thread, sigaltstack, kill to itself,
 * tkill/tgkill to one of its threads, alarm/setitimer(ITIMER_REAL), pause/sigsuspend, and CPU
 * faults of the program delivered as SIGSEGV/SIGBUS/SIGFPE/SIGILL/SIGTRAP. A handler gets Linux's
 * rt_sigframe (return address, ucontext with mcontext and FPU state, siginfo) and returns through
 * rt_sigreturn.
 */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/trap.h"
#include "console/console.h"
#include "lib/string.h"
#include "rt.h"
#include "time/time.h"
#include "uk.h"
#include "vol.h"

#define NSIG         64
#define SIG_DFL      0
#define SIG_IGN      1
#define SA_SIGINFO   4u
#define SA_ONSTACK   0x08000000u
#define SA_RESTART   0x10000000u
#define SA_NODEFER   0x40000000u
#define SA_RESETHAND 0x80000000u
#define SS_ONSTACK   1
#define SS_DISABLE   2
#define MINSIGSTKSZ  2048
#define SIGILL       4
#define SIGTRAP      5
#define SIGBUS       7
#define SIGFPE       8
#define SIGKILL      9
#define SIGSEGV      11
#define SIGPIPE      13
#define SIGALRM      14
#define SIGSTOP      19
#define BIT(s)       (1ull << ((s)-1))
#define UNBLOCKABLE  (BIT(SIGKILL) | BIT(SIGSTOP))
/* default action "ignore": SIGCHLD, SIGCONT, SIGURG, SIGWINCH; and the stop signals (one
 * process cannot be stopped and continued by anyone) */
#define DFL_IGNORE (BIT(17) | BIT(18) | BIT(19) | BIT(20) | BIT(21) | BIT(22) | BIT(23) | BIT(28))

/* mcontext gregs (Linux <sys/ucontext.h> order) */
enum {
    G_R8,
    G_R9,
    G_R10,
    G_R11,
    G_R12,
    G_R13,
    G_R14,
    G_R15,
    G_RDI,
    G_RSI,
    G_RBP,
    G_RBX,
    G_RDX,
    G_RAX,
    G_RCX,
    G_RSP,
    G_RIP,
    G_EFL,
    G_CSGSFS,
    G_ERR,
    G_TRAPNO,
    G_OLDMASK,
    G_CR2,
    G_COUNT
};

struct k_sigaction {
    uint64_t handler, flags, restorer, mask;
};

struct k_stack {
    uint64_t sp;
    int32_t flags, pad;
    uint64_t size;
};

/* The kernel's struct ucontext (uc_sigmask 8 bytes) and struct rt_sigframe. */
struct k_ucontext {
    uint64_t flags, link;
    struct k_stack stack;
    uint64_t gregs[G_COUNT];
    uint64_t fpregs;
    uint64_t reserved[8];
    uint64_t sigmask;
};

struct k_siginfo {
    int32_t signo, err, code, pad;
    uint64_t w[14]; /* si_addr, or si_pid/si_uid */
};

struct sigframe {
    uint64_t pretcode;
    struct k_ucontext uc;
    struct k_siginfo info;
};

_Static_assert(sizeof(struct k_ucontext) == 304, "struct ucontext as Linux's");
_Static_assert(sizeof(struct k_siginfo) == 128, "siginfo_t as Linux's");

volatile int rt_in_kernel = 1;

static struct k_sigaction acts[NSIG + 1];
static uint64_t pending;
static struct k_siginfo pending_info[NSIG + 1];
static uint64_t alarm_at, alarm_every; /* monotonic ns, 0 = none */

static const char *const sig_names[32] = {
    "?",         "SIGHUP",  "SIGINT",    "SIGQUIT", "SIGILL",   "SIGTRAP", "SIGABRT", "SIGBUS",
    "SIGFPE",    "SIGKILL", "SIGUSR1",   "SIGSEGV", "SIGUSR2",  "SIGPIPE", "SIGALRM", "SIGTERM",
    "SIGSTKFLT", "SIGCHLD", "SIGCONT",   "SIGSTOP", "SIGTSTP",  "SIGTTIN", "SIGTTOU", "SIGURG",
    "SIGXCPU",   "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",   "SIGPWR",  "SIGSYS",
};

static const char *sig_name(int sig)
{
    return sig > 0 && sig < 32 ? sig_names[sig] : "a real-time signal";
}

static int ignored(int sig)
{
    uint64_t h = acts[sig].handler;
    return h == SIG_IGN || (h == SIG_DFL && (DFL_IGNORE & BIT(sig)));
}

/* A signal for the process: pending until a thread that does not block it takes it. */
static void generate(int sig, const struct k_siginfo *info)
{
    if (ignored(sig))
        return;
    if (!(pending & BIT(sig)))
        pending_info[sig] = *info;
    pending |= BIT(sig);
    rt_sched_interrupt(BIT(sig));
}

/* A signal for one thread (tkill, tgkill): pending for it alone. */
static void generate_for(struct rt_sigthread *t, int tid, int sig)
{
    if (ignored(sig))
        return;
    t->pending |= BIT(sig);
    rt_sched_interrupt_tid(tid, BIT(sig));
}

int rt_signal_deliverable(void)
{
    const struct rt_sigthread *t = rt_sig_thread();
    return ((pending | t->pending) & ~t->mask) != 0;
}

uint64_t rt_signal_deadline(void)
{
    return alarm_at;
}

void rt_signal_tick(uint64_t now)
{
    if (!alarm_at || now < alarm_at)
        return;
    alarm_at = alarm_every
                   ? (alarm_at + alarm_every > now ? alarm_at + alarm_every : now + alarm_every)
                   : 0;
    struct k_siginfo si = {.signo = SIGALRM, .code = 0x80 /* SI_KERNEL */};
    generate(SIGALRM, &si);
}

/* A signal ends the guest with `status`: its volumes written back and marked clean first, as
 * exit does (the program is between calls: no volume call is half done). */
static int ended(int status)
{
    if (rt_vol_unmount_all) {
        rt_in_kernel = 1;
        rt_vol_unmount_all();
    }
    return status;
}

static __attribute__((noreturn)) void end_guest(int sig)
{
    printk("jeos: signal %d (%s): the guest ends\n", sig, sig_name(sig));
    uk_exit(ended(128 + sig));
}

/* [lo, hi) is mapped (demand pages made): a frame can be written there. */
static int mapped(uint64_t lo, uint64_t hi)
{
    for (uint64_t p = lo & ~4095ull; p < hi; p += 4096)
        if (!paging_is_mapped(p) && rt_mem_fault(p, 1) < 0)
            return 0;
    return 1;
}

static int on_altstack(const struct rt_sigthread *t, uint64_t sp)
{
    return t->ss_size && sp > t->ss_sp && sp <= t->ss_sp + t->ss_size;
}

/*
 * Writes the signal frame for sig below g[G_RSP] (or on the alternate stack) with the registers g
 * and the FPU state fx (NULL: saved here by fxsave), and points g at the handler. 0, or -1 when
 * the stack cannot take the frame.
 */
static int push_frame(uint64_t *g, const void *fx, int sig, const struct k_siginfo *info)
{
    struct rt_sigthread *t = rt_sig_thread();
    struct k_sigaction *a = &acts[sig];
    uint64_t sp = g[G_RSP] - 128; /* the red zone */
    if ((a->flags & SA_ONSTACK) && t->ss_size && !(t->ss_flags & SS_DISABLE) &&
        !on_altstack(t, g[G_RSP]))
        sp = t->ss_sp + t->ss_size;
    uint64_t fp = (sp - 512) & ~63ull;
    uint64_t top = sp;
    sp = ((fp - sizeof(struct sigframe)) & ~15ull) - 8; /* as after a call */
    if (!mapped(sp, top))
        return -1;
    if (fx)
        memcpy((void *)fp, fx, 512);
    else
        __asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[512])fp));
    struct sigframe *fr = (struct sigframe *)sp;
    memset(fr, 0, sizeof(*fr));
    fr->pretcode = a->restorer;
    fr->uc.stack = (struct k_stack){
        .sp = t->ss_sp,
        .flags = t->ss_size ? (on_altstack(t, g[G_RSP]) ? SS_ONSTACK : 0) : SS_DISABLE,
        .size = t->ss_size};
    memcpy(fr->uc.gregs, g, sizeof(fr->uc.gregs));
    fr->uc.fpregs = fp;
    fr->uc.sigmask = t->has_saved ? t->saved_mask : t->mask;
    t->has_saved = 0;
    fr->uc.gregs[G_OLDMASK] = fr->uc.sigmask;
    fr->info = *info;
    t->mask |= a->mask | ((a->flags & SA_NODEFER) ? 0 : BIT(sig));
    t->mask &= ~UNBLOCKABLE;
    g[G_RIP] = a->handler;
    g[G_RSP] = sp;
    g[G_RDI] = (uint64_t)sig;
    g[G_RSI] = (uint64_t)&fr->info;
    g[G_RDX] = (uint64_t)&fr->uc;
    g[G_RAX] = 0;
    g[G_EFL] &= ~0x500ull; /* DF, TF */
    if (a->flags & SA_RESETHAND)
        a->handler = SIG_DFL;
    return 0;
}

static void frame_to_gregs(const struct rt_frame *f, uint64_t *g)
{
    memset(g, 0, G_COUNT * 8);
    g[G_R8] = f->r8, g[G_R9] = f->r9, g[G_R10] = f->r10, g[G_R11] = f->r11;
    g[G_R12] = f->r12, g[G_R13] = f->r13, g[G_R14] = f->r14, g[G_R15] = f->r15;
    g[G_RDI] = f->rdi, g[G_RSI] = f->rsi, g[G_RBP] = f->rbp, g[G_RBX] = f->rbx;
    g[G_RDX] = f->rdx, g[G_RAX] = f->rax, g[G_RCX] = f->rcx, g[G_RSP] = f->rsp;
    g[G_RIP] = f->rip, g[G_EFL] = f->rflags;
}

static void gregs_to_frame(const uint64_t *g, struct rt_frame *f)
{
    f->r8 = g[G_R8], f->r9 = g[G_R9], f->r10 = g[G_R10], f->r11 = g[G_R11];
    f->r12 = g[G_R12], f->r13 = g[G_R13], f->r14 = g[G_R14], f->r15 = g[G_R15];
    f->rdi = g[G_RDI], f->rsi = g[G_RSI], f->rbp = g[G_RBP], f->rbx = g[G_RBX];
    f->rdx = g[G_RDX], f->rax = g[G_RAX], f->rcx = g[G_RCX], f->rsp = g[G_RSP];
    f->rip = g[G_RIP];
    /* the program's arithmetic flags; interrupts stay on (popfq in ring 0 would obey IF) */
    f->rflags = (g[G_EFL] & 0xcd5ull) | 0x202ull;
}

/* The next pending signal t takes whose handler must run, its own first (ignored ones dropped, a
 * default action that kills ends the guest), with its siginfo in *info; or 0. */
static int take(struct rt_sigthread *t, struct k_siginfo *info)
{
    for (;;) {
        uint64_t own = t->pending & ~t->mask, ready = own ? own : pending & ~t->mask;
        if (!ready)
            return 0;
        int sig = __builtin_ctzll(ready) + 1;
        if (own) {
            t->pending &= ~BIT(sig);
            *info = (struct k_siginfo){.signo = sig, .code = -6 /* SI_TKILL */};
        } else {
            pending &= ~BIT(sig);
            *info = pending_info[sig];
        }
        if (acts[sig].handler == SIG_IGN)
            continue;
        if (acts[sig].handler == SIG_DFL) {
            if (DFL_IGNORE & BIT(sig))
                continue;
            end_guest(sig);
        }
        return sig;
    }
}

/* A computing program hears its alarm: the timer interrupt at the deadline (rt_signal_irq_exit). */
static void arm_alarm(void)
{
    if (alarm_at)
        time_arm_at(alarm_at);
}

/* As Linux: EPIPE from a write to a pipe without readers or a socket that cannot send any more
 * comes with SIGPIPE, unless send's flags have MSG_NOSIGNAL. */
static void sigpipe(const struct rt_frame *f, unsigned long nr)
{
    if ((long)f->rax != -RT_EPIPE)
        return;
    uint64_t flags = nr == 44 ? f->r10 : nr == 46 ? f->rdx : 0; /* sendto, sendmsg */
    if ((nr != 1 && nr != 20 && nr != 40 && nr != 44 && nr != 46) || (flags & 0x4000))
        return; /* not write, writev, sendfile, sendto or sendmsg; MSG_NOSIGNAL */
    struct k_siginfo si = {.signo = SIGPIPE, .code = 0 /* SI_USER */};
    generate(SIGPIPE, &si);
}

void rt_signal_exit(struct rt_frame *f, unsigned long nr)
{
    struct rt_sigthread *t = rt_sig_thread();
    sigpipe(f, nr);
    rt_signal_tick(time_monotonic_ns());
    arm_alarm();
    int restart = (long)f->rax == -RT_ERESTARTSYS;
    for (;;) {
        struct k_siginfo info;
        int sig = take(t, &info);
        if (!sig)
            break;
        if (restart) { /* interrupted: again after the handler (SA_RESTART), else EINTR */
            restart = 0;
            if (acts[sig].flags & SA_RESTART) {
                f->rax = nr;
                f->rip -= 2; /* the syscall instruction */
            } else
                f->rax = (uint64_t)-RT_EINTR;
        }
        uint64_t g[G_COUNT];
        frame_to_gregs(f, g);
        if (push_frame(g, (const uint8_t *)f - 512, sig, &info) < 0) {
            printk("jeos: signal %d (%s): the stack at 0x%lx cannot take its frame\n", sig,
                   sig_name(sig), f->rsp);
            end_guest(SIGSEGV);
        }
        gregs_to_frame(g, f);
        break; /* the next one when the handler returns (rt_sigreturn is a system call) */
    }
    if (restart)
        f->rax = (uint64_t)-RT_EINTR; /* interrupted by a signal ignored meanwhile */
    if (t->has_saved) {               /* sigsuspend without a handler run */
        t->mask = t->saved_mask;
        t->has_saved = 0;
    }
}

static long sigreturn(struct rt_frame *f)
{
    struct sigframe *fr = (struct sigframe *)(f->rsp - 8);
    if (!mapped((uint64_t)fr, (uint64_t)(fr + 1))) {
        printk("jeos: rt_sigreturn: no signal frame at 0x%lx\n", f->rsp - 8);
        end_guest(SIGSEGV);
    }
    gregs_to_frame(fr->uc.gregs, f);
    if (fr->uc.fpregs && mapped(fr->uc.fpregs, fr->uc.fpregs + 512)) {
        uint8_t *fx = (uint8_t *)f - 512;
        memcpy(fx, (const void *)fr->uc.fpregs, 512);
        *(uint32_t *)(fx + 24) &= 0xffff; /* MXCSR: reserved bits would fault fxrstor */
    }
    rt_sig_thread()->mask = fr->uc.sigmask & ~UNBLOCKABLE;
    return (long)f->rax;
}

static long sigaction(int sig, const struct k_sigaction *act, struct k_sigaction *old,
                      uint64_t size)
{
    if (size != 8 || sig < 1 || sig > NSIG || (act && (sig == SIGKILL || sig == SIGSTOP)))
        return -RT_EINVAL;
    if (old)
        *old = acts[sig];
    if (act) {
        acts[sig] = *act;
        acts[sig].mask &= ~UNBLOCKABLE;
        if (ignored(sig))
            pending &= ~BIT(sig);
    }
    return 0;
}

static long sigprocmask(int how, const uint64_t *set, uint64_t *old, uint64_t size)
{
    struct rt_sigthread *t = rt_sig_thread();
    if (size != 8)
        return -RT_EINVAL;
    uint64_t m = t->mask;
    if (set) {
        switch (how) {
        case 0: m |= *set; break;  /* SIG_BLOCK */
        case 1: m &= ~*set; break; /* SIG_UNBLOCK */
        case 2: m = *set; break;   /* SIG_SETMASK */
        default: return -RT_EINVAL;
        }
    }
    if (old)
        *old = t->mask;
    t->mask = m & ~UNBLOCKABLE;
    return 0;
}

static long sigaltstack(const struct k_stack *ss, struct k_stack *old, uint64_t rsp)
{
    struct rt_sigthread *t = rt_sig_thread();
    int on = on_altstack(t, rsp);
    if (old)
        *old = (struct k_stack){.sp = t->ss_sp,
                                .flags = !t->ss_size ? SS_DISABLE
                                         : on        ? SS_ONSTACK
                                                     : 0,
                                .size = t->ss_size};
    if (ss) {
        if (on)
            return -RT_EPERM;
        if (ss->flags & ~(SS_DISABLE | (int32_t)0x80000000 /* SS_AUTODISARM */))
            return -RT_EINVAL;
        if (ss->flags & SS_DISABLE) {
            t->ss_sp = t->ss_size = 0;
        } else {
            if (ss->size < MINSIGSTKSZ)
                return -RT_ENOMEM;
            t->ss_sp = ss->sp;
            t->ss_size = ss->size;
        }
        t->ss_flags = 0;
    }
    return 0;
}

/* kill/tkill/tgkill: to this process (pid 1, 0, -1) only. */
static long to_self(int sig, int code)
{
    if (sig < 0 || sig > NSIG)
        return -RT_EINVAL;
    if (sig == 0)
        return 0;
    if (sig == SIGKILL || sig == SIGSTOP) {
        if (sig == SIGSTOP)
            return 0; /* nobody could continue it */
        end_guest(sig);
    }
    struct k_siginfo si = {.signo = sig, .code = code};
    generate(sig, &si);
    return 0;
}

/* tkill/tgkill: to the thread tid alone. */
static long to_thread(int tid, int sig)
{
    struct rt_sigthread *t = rt_sig_thread_of(tid);
    if (!t)
        return -RT_ESRCH;
    if (sig < 0 || sig > NSIG)
        return -RT_EINVAL;
    if (sig == 0 || sig == SIGSTOP)
        return 0;
    if (sig == SIGKILL)
        end_guest(sig);
    generate_for(t, tid, sig);
    return 0;
}

static uint64_t tv_ns(const int64_t *tv)
{
    return (uint64_t)tv[0] * 1000000000u + (uint64_t)tv[1] * 1000u;
}

static void ns_tv(uint64_t ns, int64_t *tv)
{
    tv[0] = (int64_t)(ns / 1000000000u);
    tv[1] = (int64_t)(ns % 1000000000u / 1000u);
}

/* getitimer/setitimer(ITIMER_REAL): {interval, value} as timevals. */
static long itimer(int which, const int64_t *set, int64_t *old)
{
    if (which != 0) {
        rt_notice_cmd("setitimer", (unsigned long)which, "EINVAL");
        return -RT_EINVAL;
    }
    uint64_t now = time_monotonic_ns();
    if (old) {
        ns_tv(alarm_every, old);
        ns_tv(alarm_at > now ? alarm_at - now : alarm_at ? 1000 : 0, old + 2);
    }
    if (set) {
        if (set[1] < 0 || set[1] >= 1000000 || set[3] < 0 || set[3] >= 1000000)
            return -RT_EINVAL;
        uint64_t v = tv_ns(set + 2);
        alarm_at = v ? now + v : 0;
        alarm_every = v ? tv_ns(set) : 0;
    }
    return 0;
}

long rt_signal_wait_mask(const uint64_t *set, uint64_t size)
{
    if (!set)
        return 0;
    if (size != 8)
        return -RT_EINVAL;
    struct rt_sigthread *t = rt_sig_thread();
    t->saved_mask = t->mask;
    t->has_saved = 1;
    t->mask = *set & ~UNBLOCKABLE;
    return 0;
}

void rt_signal_wait_done(long r)
{
    struct rt_sigthread *t = rt_sig_thread();
    if (t->has_saved && r != -RT_EINTR) {
        t->mask = t->saved_mask;
        t->has_saved = 0;
    }
}

/* Waits for a signal the thread does not block; -EINTR (what pause and sigsuspend return). */
static long wait_signal(void)
{
    static const int key;
    while (rt_wait_on(&key, 0) != -RT_EINTR)
        ;
    return -RT_EINTR;
}

int rt_signal_syscall(struct rt_frame *f, unsigned long nr, const uint64_t *a, long *r)
{
    switch (nr) {
    case 13: /* rt_sigaction */
        *r = sigaction((int)a[0], (const void *)a[1], (void *)a[2], a[3]);
        return 1;
    case 14: /* rt_sigprocmask */
        *r = sigprocmask((int)a[0], (const uint64_t *)a[1], (uint64_t *)a[2], a[3]);
        return 1;
    case 15: /* rt_sigreturn */ *r = sigreturn(f); return 1;
    case 127: /* rt_sigpending */
        if (a[1] != 8) {
            *r = -RT_EINVAL;
            return 1;
        }
        *(uint64_t *)a[0] = (pending | rt_sig_thread()->pending) & rt_sig_thread()->mask;
        *r = 0;
        return 1;
    case 130: { /* rt_sigsuspend */
        if (a[1] != 8) {
            *r = -RT_EINVAL;
            return 1;
        }
        struct rt_sigthread *t = rt_sig_thread();
        t->saved_mask = t->mask;
        t->has_saved = 1;
        t->mask = *(const uint64_t *)a[0] & ~UNBLOCKABLE;
        *r = wait_signal();
        return 1;
    }
    case 34: /* pause */ *r = wait_signal(); return 1;
    case 131: /* sigaltstack */
        *r = sigaltstack((const void *)a[0], (void *)a[1], f->rsp);
        return 1;
    case 62: /* kill */
        *r =
            (int)a[0] == 1 || (int)a[0] == 0 || (int)a[0] == -1 ? to_self((int)a[1], 0) : -RT_ESRCH;
        return 1;
    case 200: /* tkill */ *r = to_thread((int)a[0], (int)a[1]); return 1;
    case 234: /* tgkill */
        *r = (int)a[0] == 1 ? to_thread((int)a[1], (int)a[2]) : -RT_ESRCH;
        return 1;
    case 37: { /* alarm */
        uint64_t now = time_monotonic_ns();
        *r = alarm_at > now ? (long)((alarm_at - now + 500000000u) / 1000000000u) : 0;
        if (alarm_at > now && !*r)
            *r = 1;
        alarm_at = a[0] ? now + a[0] * 1000000000u : 0;
        alarm_every = 0;
        return 1;
    }
    case 36: /* getitimer */ *r = itimer((int)a[0], NULL, (int64_t *)a[1]); return 1;
    case 38: /* setitimer */
        *r = itimer((int)a[0], (const int64_t *)a[1], (int64_t *)a[2]);
        return 1;
    default: return 0;
    }
}

/* A CPU exception in the program: its signal, to the handler; else the fault report. */
static int run_handler(struct trap_frame *f, int sig, const struct k_siginfo *info);

static int fault(struct trap_frame *f)
{
    int mem = 0;
    if (f->vector == 14 && !(f->error & 1)) { /* not present: a demand page, in any context */
        mem = rt_mem_fault(read_cr2(), (f->error & 2) != 0);
        if (mem == 0)
            return 0;
        if (mem == -3) {
            printk("jeos: out of memory: no page for 0x%lx (the recipe's memory: is too small)\n",
                   read_cr2());
            return 128 + SIGKILL;
        }
    }
    if (rt_in_kernel)
        return UK_STATUS_FAULT;
    struct k_siginfo si = {0};
    switch (f->vector) {
    case 0: si = (struct k_siginfo){.signo = SIGFPE, .code = 1 /* FPE_INTDIV */}; break;
    case 16:
    case 19: si = (struct k_siginfo){.signo = SIGFPE, .code = 0}; break;
    case 1:
    case 3: si = (struct k_siginfo){.signo = SIGTRAP, .code = 0x80}; break;
    case 6: si = (struct k_siginfo){.signo = SIGILL, .code = 2 /* ILL_ILLOPN */}; break;
    case 13: si = (struct k_siginfo){.signo = SIGSEGV, .code = 0x80 /* SI_KERNEL */}; break;
    case 12: si = (struct k_siginfo){.signo = SIGBUS, .code = 0x80}; break;
    case 17: si = (struct k_siginfo){.signo = SIGBUS, .code = 1 /* BUS_ADRALN */}; break;
    case 14:
        si = (struct k_siginfo){.signo = SIGSEGV, .code = (f->error & 1) || mem == -2 ? 2 : 1};
        si.w[0] = read_cr2(); /* si_addr */
        break;
    default: return UK_STATUS_FAULT;
    }
    if (f->vector == 0 || f->vector == 6 || f->vector == 16 || f->vector == 19)
        si.w[0] = f->rip;
    int sig = si.signo;
    if (acts[sig].handler <= SIG_IGN || (rt_sig_thread()->mask & BIT(sig))) {
        printk("jeos: signal %d (%s) from a CPU exception of the program\n", sig, sig_name(sig));
        /* as Linux: a blocked or ignored fault kills; the report follows */
        return ended(128 + sig);
    }
    int status = run_handler(f, sig, &si);
    return status ? ended(status) : 0;
}

/*
 * f, an interrupted program, resumes in the handler of sig (the frame with f's registers and the
 * live FPU state on its stack); 0, or the status the guest ends with when the stack cannot take
 * the frame.
 */
static int run_handler(struct trap_frame *f, int sig, const struct k_siginfo *info)
{
    rt_in_kernel = 1;
    uint64_t g[G_COUNT] = {0};
    g[G_R8] = f->r8, g[G_R9] = f->r9, g[G_R10] = f->r10, g[G_R11] = f->r11;
    g[G_R12] = f->r12, g[G_R13] = f->r13, g[G_R14] = f->r14, g[G_R15] = f->r15;
    g[G_RDI] = f->rdi, g[G_RSI] = f->rsi, g[G_RBP] = f->rbp, g[G_RBX] = f->rbx;
    g[G_RDX] = f->rdx, g[G_RAX] = f->rax, g[G_RCX] = f->rcx, g[G_RSP] = f->rsp;
    g[G_RIP] = f->rip, g[G_EFL] = f->rflags;
    g[G_ERR] = f->error, g[G_TRAPNO] = f->vector;
    g[G_CR2] = f->vector == 14 ? info->w[0] : 0;
    g[G_CSGSFS] = f->cs;
    if (push_frame(g, NULL, sig, info) < 0) {
        printk("jeos: signal %d (%s): the stack at 0x%lx cannot take its frame\n", sig,
               sig_name(sig), f->rsp);
        rt_in_kernel = 0;
        return 128 + sig;
    }
    f->rip = g[G_RIP], f->rsp = g[G_RSP], f->rdi = g[G_RDI], f->rsi = g[G_RSI];
    f->rdx = g[G_RDX], f->rax = 0, f->rflags = g[G_EFL];
    rt_in_kernel = 0;
    return 0;
}

/* The way out of an interrupt into the program (not the runtime, which delivers at its system
 * calls' exit): a due alarm is generated, a deliverable signal's handler runs now. */
static void irq_exit(struct trap_frame *f)
{
    if (rt_in_kernel)
        return;
    rt_signal_tick(time_monotonic_ns());
    arm_alarm();
    struct rt_sigthread *t = rt_sig_thread();
    if (!((pending | t->pending) & ~t->mask))
        return;
    rt_in_kernel = 1;
    struct k_siginfo info;
    int sig = take(t, &info);
    rt_in_kernel = 0;
    if (sig && run_handler(f, sig, &info))
        end_guest(SIGSEGV);
}

void rt_signal_init(void)
{
    trap_fault_hook = fault;
    trap_irq_exit_hook = irq_exit;
}
