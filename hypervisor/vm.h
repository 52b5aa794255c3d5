/* vm.h — the KVM side of jeos-hv: VM, guest memory slot, vCPU in 64-bit mode, run loop. */
#ifndef JEOS_HV_VM_H
#define JEOS_HV_VM_H

#include <stddef.h>
#include <stdint.h>

#include "hypervisor/hv.h"

#define HV_EXIT_KINDS 32 /* KVM exit reasons counted; higher ones count as the last */

struct hv_vm {
    int kvm_fd, vm_fd, vcpu_fd;
    struct kvm_run *run;
    size_t run_size;
    uint64_t tsc_khz;
    uint64_t exits[HV_EXIT_KINDS];
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
 * interrupt controllers when `features` has JEOS_HV_FEATURE_APIC, creates the
 * vCPU with filtered CPUID and the 64-bit entry state (RIP = entry, RDI = boot
 * info), and reads the TSC frequency into vm->tsc_khz. Returns 0 or -1.
 */
int hv_vcpu_setup(struct hv_vm *vm, struct hv *hv, uint64_t entry, uint32_t features);

/* Runs the guest until it exits; returns jeos-hv's exit status. */
int hv_vm_run(struct hv_vm *vm, struct hv *hv);

/* Name of a KVM exit reason ("io", "hlt", ...). */
const char *hv_exit_name(unsigned reason);

#endif
