/*
 * runtime/libc/sched.c — threads for musl's pthread_create: clone, futex, exit. One CPU,
 * cooperative: a thread runs until it blocks (futex, sleep, pipe, socket) or yields; when every
 * thread is blocked the CPU halts until the earliest deadline (with sockets linked: or a frame
 * for the network stack). Sleeping threads cost nothing.
 */
#include "arch/x86_64/cpu.h"
#include "console/console.h"
#include "lib/string.h"
#include "memory/memory.h"
#include "rt.h"
#include "sock.h"
#include "time/time.h"
#include "uk.h"
#include "vol.h"

#define MAX_THREADS          64
#define KSTACK_PAGES         16 /* 64 KiB: path resolution keeps a few PATH_MAX buffers */
#define MSR_FS_BASE          0xc0000100u
#define CLONE_VM             0x00000100u
#define CLONE_THREAD         0x00010000u
#define CLONE_SETTLS         0x00080000u
#define CLONE_PARENT_SETTID  0x00100000u
#define CLONE_CHILD_CLEARTID 0x00200000u
#define CLONE_CHILD_SETTID   0x01000000u

enum { T_FREE, T_RUN, T_BLOCKED, T_DEAD };

struct thread {
    int state, tid;
    uint64_t ksp; /* saved by rt_switch */
    void *kstack; /* KSTACK_PAGES pages, NULL for none */
    uint64_t kstack_top;
    uint64_t fs;
    int *clear_tid;
    const void *wait_key; /* what a blocked thread waits for, or NULL (sleep) */
    uint64_t deadline;    /* monotonic ns, 0 = none */
    int woken;            /* 1 woken by rt_wake, 2 interrupted by a signal */
    struct rt_sigthread sig;
};

#define STACK_CANARY 0x6a656f73b0770b1eull /* at the bottom of every system-call stack */

static struct thread threads[MAX_THREADS];
static struct thread *cur;
static int next_tid = 1;

void rt_sched_init(void)
{
    cur = &threads[0];
    cur->state = T_RUN;
    cur->tid = next_tid++;
    cur->kstack = page_alloc(KSTACK_PAGES);
    if (!cur->kstack) {
        printk("runtime: no memory for the system-call stack\n");
        uk_exit(127);
    }
    cur->kstack_top = (uint64_t)cur->kstack + KSTACK_PAGES * PAGE_SIZE;
    *(uint64_t *)cur->kstack = STACK_CANARY;
    rt_kstack_top = cur->kstack_top;
}

void rt_check_stack(void)
{
    if (*(volatile uint64_t *)cur->kstack != STACK_CANARY) {
        printk("runtime: thread %d overflowed its system-call stack\n", cur->tid);
        uk_exit(113);
    }
}

void rt_set_fs(uint64_t base)
{
    cur->fs = base;
    wrmsr(MSR_FS_BASE, base);
}

long rt_gettid(void)
{
    return cur->tid;
}

long rt_set_tid_address(int *tidptr)
{
    cur->clear_tid = tidptr;
    return cur->tid;
}

static void switch_to(struct thread *t)
{
    if (t == cur)
        return;
    struct thread *old = cur;
    cur = t;
    rt_kstack_top = t->kstack_top;
    wrmsr(MSR_FS_BASE, t->fs);
    rt_switch(&old->ksp, t->ksp);
    /* back on old's stack: free the stacks of threads that ended */
    for (int i = 0; i < MAX_THREADS; i++) {
        struct thread *d = &threads[i];
        if (d->state == T_DEAD && d != cur) {
            page_free(d->kstack, KSTACK_PAGES);
            d->kstack = NULL;
            d->state = T_FREE;
        }
    }
}

/* Wakes blocked threads whose deadline passed. */
static void expire(uint64_t now)
{
    for (int i = 0; i < MAX_THREADS; i++) {
        struct thread *t = &threads[i];
        if (t->state == T_BLOCKED && t->deadline && now >= t->deadline) {
            t->state = T_RUN;
            t->woken = 0;
        }
    }
}

/* Runs the next runnable thread after cur (cur itself last); halts while none is. */
static void schedule(void)
{
    for (;;) {
        uint64_t now = time_monotonic_ns();
        expire(now);
        rt_signal_tick(now);
        int base = (int)(cur - threads);
        for (int k = 1; k <= MAX_THREADS; k++) {
            struct thread *t = &threads[(base + k) % MAX_THREADS];
            if (t->state == T_RUN) {
                switch_to(t);
                return;
            }
        }
        uint64_t first = 0;
        int blocked = 0;
        for (int i = 0; i < MAX_THREADS; i++) {
            struct thread *t = &threads[i];
            if (t->state != T_BLOCKED)
                continue;
            blocked++;
            if (t->deadline && (!first || t->deadline < first))
                first = t->deadline;
        }
        uint64_t alarm = rt_signal_deadline();
        if (alarm && (!first || alarm < first))
            first = alarm;
        if (!blocked) { /* the last thread ended */
            if (rt_vol_unmount_all)
                rt_vol_unmount_all();
            uk_exit(0);
        }
        if (rt_net_idle) { /* the network may wake a thread: it runs while the CPU would halt */
            rt_net_idle(first);
            continue;
        }
        if (!first) {
            printk("runtime: every thread waits and nothing can wake one (deadlock)\n");
            uk_exit(126);
        }
        time_sleep_ns(first - now);
    }
}

void rt_yield(void)
{
    schedule();
}

static long block_on(const void *key, uint64_t deadline)
{
    if (rt_signal_deliverable())
        return -RT_EINTR;
    cur->state = T_BLOCKED;
    cur->wait_key = key;
    cur->deadline = deadline;
    cur->woken = 0;
    schedule();
    cur->wait_key = NULL;
    return cur->woken == 2 ? -RT_EINTR : cur->woken ? 0 : -RT_ETIMEDOUT;
}

struct rt_sigthread *rt_sig_thread(void)
{
    return &cur->sig;
}

struct rt_sigthread *rt_sig_thread_of(int tid)
{
    for (int i = 0; i < MAX_THREADS; i++)
        if (threads[i].tid == tid && (threads[i].state == T_RUN || threads[i].state == T_BLOCKED))
            return &threads[i].sig;
    return NULL;
}

void rt_sched_interrupt_tid(int tid, uint64_t bits)
{
    for (int i = 0; i < MAX_THREADS; i++) {
        struct thread *t = &threads[i];
        if (t->tid == tid && t->state == T_BLOCKED && (bits & ~t->sig.mask)) {
            t->state = T_RUN;
            t->woken = 2;
        }
    }
}

int rt_sched_interrupt(uint64_t bits)
{
    for (int i = 0; i < MAX_THREADS; i++) {
        struct thread *t = &threads[i];
        if (t->state == T_BLOCKED && (bits & ~t->sig.mask)) {
            t->state = T_RUN;
            t->woken = 2;
            return 1;
        }
    }
    return 0;
}

long rt_sleep_until(uint64_t deadline_ns)
{
    return block_on(NULL, deadline_ns);
}

long rt_wait_on(const void *key, uint64_t deadline_ns)
{
    return block_on(key, deadline_ns);
}

int rt_wake(const void *key, int n)
{
    int woken = 0;
    for (int i = 0; i < MAX_THREADS && woken < n; i++) {
        struct thread *t = &threads[i];
        if (t->state == T_BLOCKED && t->wait_key == key) {
            t->state = T_RUN;
            t->woken = 1;
            woken++;
        }
    }
    return woken;
}

/* Moves up to n waiters from key to key2; returns how many. */
static int requeue(const void *key, const void *key2, int n)
{
    int moved = 0;
    for (int i = 0; i < MAX_THREADS && moved < n; i++) {
        struct thread *t = &threads[i];
        if (t->state == T_BLOCKED && t->wait_key == key) {
            t->wait_key = key2;
            moved++;
        }
    }
    return moved;
}

long rt_clone(struct rt_frame *f, uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid,
              uint64_t tls)
{
    if (!(flags & CLONE_VM) || !(flags & CLONE_THREAD)) {
        static int told;
        if (!told++)
            printk("jeos: clone without CLONE_VM and CLONE_THREAD (a new process): ENOSYS\n");
        return -RT_ENOSYS; /* one process: threads only */
    }
    if (!stack)
        return -RT_EINVAL;
    struct thread *t = NULL;
    for (int i = 0; i < MAX_THREADS && !t; i++)
        if (threads[i].state == T_FREE)
            t = &threads[i];
    if (!t)
        return -RT_EAGAIN;
    void *ks = page_alloc(KSTACK_PAGES);
    if (!ks)
        return -RT_ENOMEM;
    *t = (struct thread){.state = T_RUN, .tid = next_tid++, .kstack = ks};
    *(uint64_t *)ks = STACK_CANARY;
    t->kstack_top = (uint64_t)ks + KSTACK_PAGES * PAGE_SIZE;
    t->fs = (flags & CLONE_SETTLS) ? tls : cur->fs;
    t->sig.mask = cur->sig.mask; /* as Linux: the mask is inherited, the alternate stack not */
    if (flags & CLONE_CHILD_CLEARTID)
        t->clear_tid = (int *)ctid;
    if (flags & CLONE_PARENT_SETTID)
        *(int *)ptid = t->tid;
    if (flags & CLONE_CHILD_SETTID)
        *(int *)ctid = t->tid;
    /* the child's syscall stack: frame (rax 0, new rsp), FPU state, then what rt_switch pops */
    struct rt_frame *cf = (struct rt_frame *)(t->kstack_top - sizeof(struct rt_frame));
    *cf = *f;
    cf->rax = 0;
    cf->rsp = stack;
    uint8_t *fx = (uint8_t *)cf - 512;
    memcpy(fx, (uint8_t *)f - 512, 512);
    uint64_t *sp = (uint64_t *)fx - 7;
    for (int i = 0; i < 6; i++)
        sp[i] = 0;
    sp[6] = (uint64_t)rt_syscall_exit;
    t->ksp = (uint64_t)sp;
    return t->tid;
}

void rt_thread_exit(int status, int group)
{
    if (group) {
        if (rt_vol_unmount_all) /* the volumes written back and marked clean */
            rt_vol_unmount_all();
        uk_exit(status & 0x7f);
    }
    if (cur->clear_tid) {
        *cur->clear_tid = 0;
        rt_wake(cur->clear_tid, 1 << 30);
    }
    cur->state = T_DEAD;
    schedule();
    for (;;)
        ;
}

#define FUTEX_WAIT           0
#define FUTEX_WAKE           1
#define FUTEX_REQUEUE        3
#define FUTEX_CMP_REQUEUE    4
#define FUTEX_WAIT_BITSET    9
#define FUTEX_WAKE_BITSET    10
#define FUTEX_PRIVATE        128
#define FUTEX_CLOCK_REALTIME 256

struct rt_timespec {
    int64_t sec, nsec;
};

long rt_futex(uint32_t *uaddr, int op, uint32_t val, uint64_t timeout, uint32_t *uaddr2,
              uint32_t val3)
{
    int cmd = op & ~(FUTEX_PRIVATE | FUTEX_CLOCK_REALTIME);
    switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
        if (__atomic_load_n(uaddr, __ATOMIC_SEQ_CST) != val)
            return -RT_EAGAIN;
        uint64_t deadline = 0;
        if (timeout) {
            const struct rt_timespec *ts = (const struct rt_timespec *)timeout;
            if (ts->sec < 0 || ts->nsec < 0 || ts->nsec >= 1000000000)
                return -RT_EINVAL;
            uint64_t ns = (uint64_t)ts->sec * 1000000000u + (uint64_t)ts->nsec;
            uint64_t now = time_monotonic_ns();
            if (cmd == FUTEX_WAIT)
                deadline = now + ns;
            else if (op & FUTEX_CLOCK_REALTIME) {
                uint64_t wall = time_wall_ns();
                deadline = ns > wall ? now + (ns - wall) : now;
            } else
                deadline = ns;
            if (!deadline)
                deadline = 1;
        }
        return rt_wait_on(uaddr, deadline);
    }
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET: return rt_wake(uaddr, (int)(val > 0x7fffffff ? 0x7fffffff : val));
    case FUTEX_CMP_REQUEUE:
        if (__atomic_load_n(uaddr, __ATOMIC_SEQ_CST) != val3)
            return -RT_EAGAIN;
        /* fall through */
    case FUTEX_REQUEUE: {
        int n = rt_wake(uaddr, (int)(val > 0x7fffffff ? 0x7fffffff : val));
        return n + requeue(uaddr, uaddr2, (int)(timeout > 0x7fffffff ? 0x7fffffff : timeout));
    }
    default: return -RT_ENOSYS;
    }
}
