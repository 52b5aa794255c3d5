/* sandbox.c — the run loop's seccomp filter, a hand-built BPF program (no libseccomp). */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
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
 * The allowed calls (9): ioctl on the vCPU fd (KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS); read, write,
 * pread64, pwrite64 (fds are the console, disks and taps, all opened before); ppoll; clock_gettime
 * (the vDSO's fallback); exit_group and exit. Anything else kills the process
 * (SECCOMP_RET_KILL_PROCESS: SIGSYS, status 159 from a shell).
 */
int hv_sandbox(int vcpu_fd)
{
    static const unsigned plain[] = {SYS_read,  SYS_write, SYS_pread64,    SYS_pwrite64,
                                     SYS_ppoll, SYS_exit,  SYS_exit_group, SYS_clock_gettime};
    struct sock_filter f[64];
    unsigned n = 0;
    f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH_NR, 1, 0);
    f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF);
    /* x32 syscalls (bit 30) are refused by the exact number compares below. */
    for (unsigned i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, plain[i], 0, 1);
        f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    }
    /*
     * ioctl: only on the vCPU fd, only KVM_RUN, or KVM_GET_REGS / KVM_GET_SREGS (read-only,
     * for the message after a guest fault); both 32-bit halves of fd and request checked.
     */
    f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 12);
    f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0));
    f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)vcpu_fd, 0, 8);
    f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, ARG_HI(0));
    f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 6);
    f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, ARG_HI(1));
    f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 4);
    f[n++] = STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1));
    f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, KVM_RUN, 3, 0);
    f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, KVM_GET_REGS, 2, 0);
    f[n++] = JUMP(BPF_JMP | BPF_JEQ | BPF_K, KVM_GET_SREGS, 1, 0);
    f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    f[n++] = STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);

    struct sock_fprog prog = {.len = (unsigned short)n, .filter = f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -errno;
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
        return -errno;
    return 0;
}
