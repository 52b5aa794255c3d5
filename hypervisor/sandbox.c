/* sandbox.c — the run loop's seccomp filter, a hand-built BPF program (no libseccomp). */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "hypervisor/hv.h"

#define ARCH_NR   AUDIT_ARCH_X86_64
#define NR_OFF    offsetof(struct seccomp_data, nr)
#define ARG_LO(n) (offsetof(struct seccomp_data, args) + 8 * (n))
#define ARG_HI(n) (offsetof(struct seccomp_data, args) + 8 * (n) + 4)

#define STMT(code, k)         ((struct sock_filter)BPF_STMT(code, k))
#define JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP(code, k, jt, jf))

/*
 * The allowed calls (10): ioctl on the vCPU fds (KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS); read,
 * write, pread64, pwrite64 (fds are the console, disks, taps and the monitor's pipes, all opened
 * before); fdatasync (a disk's block_flush); ppoll; clock_gettime (the vDSO's fallback);
 * exit_group and exit. With several vCPUs also futex (the dispatch lock) and KVM_SET_REGS on a
 * vCPU fd (a secondary CPU's start): 11.
 * Anything else kills the process (SECCOMP_RET_KILL_PROCESS: SIGSYS, status 159 from a shell).
 */
int hv_sandbox(const int *vcpu_fds, unsigned nfds)
{
    static const unsigned plain[] = {SYS_read,     SYS_write,      SYS_pread64,
                                     SYS_pwrite64, SYS_fdatasync,  SYS_ppoll,
                                     SYS_exit,     SYS_exit_group, SYS_clock_gettime};
    bool smp = nfds > 1;
    if (nfds < 1 || nfds > JEOS_HV_MAX_CPUS)
        return -EINVAL;
    struct sock_filter f[128];
    unsigned n = 0;
    f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH_NR, 1, 0);
    f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF);
    /* x32 syscalls (bit 30) are refused by the exact number compares below. */
    for (unsigned i = 0; i < sizeof(plain) / sizeof(plain[0]) + smp; i++) {
        f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                      i < sizeof(plain) / sizeof(plain[0]) ? plain[i] : (unsigned)SYS_futex, 0, 1);
        f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    }
    /*
     * ioctl: only on a vCPU fd, only KVM_RUN, or KVM_GET_REGS / KVM_GET_SREGS (read-only, for
     * the message after a guest fault), and with several vCPUs KVM_SET_REGS; both 32-bit halves
     * of fd and request checked. Layout (jump offsets count from the next instruction):
     *   ioctl?  [no: to the last kill]
     *   fd, request high halves zero?  [no: to kill_fd]
     *   fd == vcpu_fds[i]?  [yes: to req]
     *   kill_fd
     *   req: request == KVM_RUN / GET_REGS / GET_SREGS [/ SET_REGS]?  [yes: to allow]
     *   kill_req, allow, kill (the last)
     */
    unsigned nreq = 3 + smp; /* request compares */
    unsigned body =
        5 + nfds + 1 + 1 + nreq + 1 + 1; /* after the ioctl compare, up to the last kill */
    f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, (unsigned char)body);
    f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, ARG_HI(0));
    f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, (unsigned char)(3 + nfds));
    f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, ARG_HI(1));
    f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, (unsigned char)(1 + nfds));
    f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0));
    for (unsigned i = 0; i < nfds; i++) /* a match jumps over the other compares and kill_fd */
        f[n++] =
            JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)vcpu_fds[i], (unsigned char)(nfds - i), 0);
    f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS); /* kill_fd */
    f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1));       /* req */
    static const unsigned reqs[] = {KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS, KVM_SET_REGS};
    for (unsigned i = 0; i < nreq; i++) /* a match jumps over the other compares and kill_req */
        f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, reqs[i], (unsigned char)(nreq - i), 0);
    f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS); /* kill_req */
    f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);

    struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -errno;
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
        return -errno;
    return 0;
}
