/* run.c — the sandboxed run of jeos-hv: one thread, or one per vCPU; the --timeout alarm. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "hypervisor/vm.h"

static char timeout_msg[128];
static size_t timeout_len;

/* SIGALRM after --timeout: one write and _exit, both in the sandbox; nothing else is safe here. */
static void on_timeout(int sig)
{
    (void)sig;
    ssize_t r = write(2, timeout_msg, timeout_len);
    (void)r;
    _exit(HV_TIMEOUT_STATUS);
}

int hv_arm_timeout(unsigned secs)
{
    int n = snprintf(timeout_msg, sizeof(timeout_msg),
                     "jeos-hv: timeout: the guest ran longer than --timeout %u s\n", secs);
    timeout_len = n > 0 ? (size_t)n : 0;
    struct sigaction sa = {.sa_handler = on_timeout};
    sigemptyset(&sa.sa_mask);
    struct itimerval it = {.it_value = {.tv_sec = secs}};
    if (sigaction(SIGALRM, &sa, NULL) < 0 || setitimer(ITIMER_REAL, &it, NULL) < 0) {
        fprintf(stderr, "jeos-hv: --timeout: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/*
 * The sandbox and the run loop. One vCPU in a release build: the main thread filters itself and
 * runs it. Otherwise each vCPU runs in a thread of its own (created before any guest code runs,
 * each filtering itself, waiting for its start byte) and the main thread waits for the first
 * status on a pipe. A release build's main thread filters itself too before it starts CPU 0, so
 * no unfiltered thread is left while the guest runs. A sanitizer build's main thread stays
 * unfiltered — seccomp filters only the thread that installs it — so the leak checker's
 * exit-time calls (ptrace, /proc, mmap...) run there after the guest ended; the vCPU threads
 * stay parked in ppoll (a thread's exit would need calls outside the filter) and the leak
 * checker suspends and scans them like any thread.
 */
#if defined(__SANITIZE_ADDRESS__)
#define HV_SANITIZER 1
#else
#define HV_SANITIZER 0
#endif

struct run_arg {
    struct hv_vm *vm;
    struct hv *hv;
    unsigned cpu;
    int done_fd; /* threaded: the write end of the pipe that takes the status */
    int fds[JEOS_HV_MAX_CPUS];
};

static void *run_thread(void *p)
{
    struct run_arg *a = p;
    int r = hv_sandbox(a->fds, a->vm->ncpus);
    unsigned char status = 1;
    if (r < 0)
        hv_printf(2, "jeos-hv: seccomp: %s\n", strerror(-r));
    else
        status = (unsigned char)hv_vm_run(a->vm, a->hv, a->cpu);
    ssize_t w = write(a->done_fd, &status, 1);
    (void)w;
    for (;;)
        ppoll(NULL, 0, NULL, NULL);
    return NULL;
}

int hv_run_guest(struct hv_vm *vm, struct hv *hv)
{
    int fds[JEOS_HV_MAX_CPUS];
    for (unsigned i = 0; i < vm->ncpus; i++)
        fds[i] = vm->cpu[i].fd;
    int r;
    if (vm->ncpus == 1 && !HV_SANITIZER) {
        if ((r = hv_sandbox(fds, 1)) < 0) {
            fprintf(stderr, "jeos-hv: seccomp: %s\n", strerror(-r));
            return 1;
        }
        return hv_vm_run(vm, hv, 0);
    }
    int done[2];
    if (vm->ncpus == 1 && pipe2(vm->cpu[0].start_fd, O_CLOEXEC) < 0) {
        fprintf(stderr, "jeos-hv: pipe: %s\n", strerror(errno));
        return 1;
    }
    if (pipe2(done, O_CLOEXEC) < 0) {
        fprintf(stderr, "jeos-hv: pipe: %s\n", strerror(errno));
        return 1;
    }
    /* a vCPU thread runs KVM and the dispatcher: 1 MiB of stack is plenty */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1u << 20);
    static struct run_arg args[JEOS_HV_MAX_CPUS];
    for (unsigned i = 0; i < vm->ncpus; i++) {
        args[i] = (struct run_arg){.vm = vm, .hv = hv, .cpu = i, .done_fd = done[1]};
        memcpy(args[i].fds, fds, sizeof(fds));
        pthread_t t;
        int e = pthread_create(&t, &attr, run_thread, &args[i]);
        if (e) {
            fprintf(stderr, "jeos-hv: vCPU thread: %s\n", strerror(e));
            return 1;
        }
    }
    pthread_attr_destroy(&attr);
    if (!HV_SANITIZER && (r = hv_sandbox(fds, vm->ncpus)) < 0) {
        fprintf(stderr, "jeos-hv: seccomp: %s\n", strerror(-r));
        return 1;
    }
    unsigned char c = 1, status = 1;
    if (write(vm->cpu[0].start_fd[1], &c, 1) != 1)
        return 1;
    while (read(done[0], &status, 1) < 0 && errno == EINTR)
        ;
    return status;
}
