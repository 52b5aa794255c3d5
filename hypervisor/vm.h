/* vm.h — the KVM side of jeos-hv: VM, guest memory slot, vCPU in 64-bit mode, run loop. */
#ifndef JEOS_HV_VM_H
#define JEOS_HV_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hypervisor/hv.h"

#define HV_EXIT_KINDS 32 /* KVM exit reasons counted; higher ones count as the last */

struct hv_vcpu {
    int fd;
    struct kvm_run *run;
    uint64_t exits[HV_EXIT_KINDS];
    int start_fd[2]; /* secondary CPUs: CPU_START writes a byte, its thread waits to read it */
    bool started;    /* under the dispatch lock */
    uint64_t rip, rsp, rdi; /* what CPU_START asked for, read after the byte */
};

struct hv_vm {
    int kvm_fd, vm_fd;
    int vcpu_fd; /* = cpu[0].fd */
    unsigned ncpus;
    struct hv_vcpu cpu[JEOS_HV_MAX_CPUS];
    size_t run_size;
    uint64_t tsc_khz;
    pthread_mutex_t lock; /* with several vCPUs: one hypercall at a time (POLL excepted) */
};

/*
 * Opens /dev/kvm (with a message saying what to do when it is missing or
 * closed), creates the VM and maps hv->mem_size bytes of guest memory
 * (anonymous, MAP_NORESERVE) at GPA 0 into hv->mem. Returns 0 or -1 after a
 * message on stderr.
 */
int hv_vm_open(struct hv_vm *vm, struct hv *hv);

/*
 * Writes the GDT and page tables into guest memory, creates KVM's in-kernel
 * interrupt controllers when `features` has JEOS_HV_FEATURE_APIC, creates
 * vm->ncpus (1 .. JEOS_HV_MAX_CPUS) vCPUs with filtered CPUID (APIC ID = index)
 * and the 64-bit entry state (CPU 0: RIP = entry, RDI = boot info; the others
 * the same until CPU_START sets RIP, RSP and RDI), sets hv's CPU_START hook
 * when there are several, and reads the TSC frequency into vm->tsc_khz.
 * Returns 0 or -1.
 */
int hv_vcpu_setup(struct hv_vm *vm, struct hv *hv, uint64_t entry, uint32_t features);

/*
 * Runs vCPU `cpu` until the guest exits; returns jeos-hv's exit status. A
 * secondary CPU first waits for its CPU_START. Several may run at once, each
 * in its own thread.
 */
int hv_vm_run(struct hv_vm *vm, struct hv *hv, unsigned cpu);

/* Exit status when --timeout ends a guest (as timeout(1)), and the longest --timeout. */
#define HV_TIMEOUT_STATUS 124
#define HV_TIMEOUT_MAX    86400u

/*
 * Arms a one-shot real-time timer of `secs` seconds whose SIGALRM ends the monitor at once
 * ("jeos-hv: timeout: ..." and status HV_TIMEOUT_STATUS), whatever a vCPU is doing. Returns 0
 * or -1 after a message.
 */
int hv_arm_timeout(unsigned secs);

/*
 * Installs the sandbox and runs the guest (run.c): in this thread when there is one vCPU and no
 * sanitizer, else one thread per vCPU; returns jeos-hv's exit status, the first vCPU's to end.
 */
int hv_run_guest(struct hv_vm *vm, struct hv *hv);

/* Name of a KVM exit reason ("io", "hlt", ...). */
const char *hv_exit_name(unsigned reason);

#endif
