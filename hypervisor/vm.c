/* vm.c — the KVM side of jeos-hv: VM and vCPU setup for 64-bit direct boot, CPUID, run loop. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hypervisor/vm.h"

/* Prints "jeos-hv: <what>: <strerror>" and returns -1. */
static int fail(const char *what, int e)
{
    fprintf(stderr, "jeos-hv: %s: %s\n", what, strerror(e));
    return -1;
}

int hv_vm_open(struct hv_vm *vm, struct hv *hv)
{
    vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = -1;
    if (vm->ncpus == 0)
        vm->ncpus = 1;
    vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (vm->kvm_fd < 0) {
        int e = errno;
        if (e == ENOENT)
            fprintf(stderr, "jeos-hv: /dev/kvm does not exist: load the KVM module (modprobe "
                            "kvm_intel or kvm_amd), enable VT-x/AMD-V in the firmware, or inside "
                            "a VM enable nested virtualization\n");
        else if (e == EACCES || e == EPERM)
            fprintf(stderr, "jeos-hv: /dev/kvm: permission denied: add your user to the group "
                            "that owns /dev/kvm (usually: sudo adduser $USER kvm, then log in "
                            "again)\n");
        else
            fail("/dev/kvm", e);
        return -1;
    }
    int v = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
    if (v != KVM_API_VERSION) {
        fprintf(stderr, "jeos-hv: /dev/kvm: KVM API version %d, expected %d\n", v, KVM_API_VERSION);
        return -1;
    }
    vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
    if (vm->vm_fd < 0)
        return fail("KVM_CREATE_VM", errno);
    (void)ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul); /* VT-x wants one; harmless elsewhere */

    hv->mem = mmap(NULL, hv->mem_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (hv->mem == MAP_FAILED) {
        hv->mem = NULL;
        return fail("guest memory", errno);
    }
    struct kvm_userspace_memory_region region = {
        .slot = 0,
        .guest_phys_addr = 0,
        .memory_size = hv->mem_size,
        .userspace_addr = (uint64_t)(uintptr_t)hv->mem,
    };
    if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        return fail("KVM_SET_USER_MEMORY_REGION", errno);
    return 0;
}

/* Writes the monitor's GDT and identity page tables (2 MiB pages) into guest memory. */
static void build_tables(struct hv *hv)
{
    uint64_t *gdt = hv_gpa(hv, JEOS_HV_GDT_GPA, 4 * 8);
    gdt[0] = 0;
    gdt[1] = 0x00af9b000000ffffull; /* 0x08: 64-bit code, DPL 0 */
    gdt[2] = 0x00cf93000000ffffull; /* 0x10: flat data */
    gdt[3] = 0x00008b0000000067ull; /* 0x18: 64-bit TSS (busy) at 0, for VM entry checks */

    uint64_t *pml4 = hv_gpa(hv, JEOS_HV_PT_GPA, 4096);
    uint64_t *pdpt = hv_gpa(hv, JEOS_HV_PT_GPA + 0x1000, 4096);
    memset(pml4, 0, 4096);
    memset(pdpt, 0, 4096);
    pml4[0] = (JEOS_HV_PT_GPA + 0x1000) | 0x3; /* present, writable */
    uint64_t pages = hv->mem_size / JEOS_HV_MEM_ALIGN;
    for (uint64_t g = 0; g < 4; g++) {
        uint64_t pd_gpa = JEOS_HV_PT_GPA + 0x2000 + g * 0x1000;
        uint64_t *pd = hv_gpa(hv, pd_gpa, 4096);
        memset(pd, 0, 4096);
        for (uint64_t i = 0; i < 512 && g * 512 + i < pages; i++)
            pd[i] = ((g * 512 + i) * JEOS_HV_MEM_ALIGN) | 0x83; /* present, writable, 2 MiB */
        if (g * 512 < pages)
            pdpt[g] = pd_gpa | 0x3;
    }
}

/*
 * Hides from the guest what it cannot use: VMX/SVM, MONITOR, PMU, the KVM PV
 * leaves, and without the APIC feature the APIC, x2APIC and TSC-deadline bits.
 * With it, shows TSC-deadline when `deadline` (KVM_CAP_TSC_DEADLINE_TIMER):
 * KVM_GET_SUPPORTED_CPUID leaves that bit to the monitor, as QEMU knows.
 */
static void filter_cpuid(struct kvm_cpuid2 *c, bool apic, bool deadline, unsigned apic_id)
{
    unsigned out = 0;
    for (unsigned i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];
        if (e->function >= 0x40000000 && e->function < 0x50000000)
            continue; /* hypervisor leaves: no kvmclock or PV features in our ABI */
        switch (e->function) {
        case 1:
            e->ecx &= ~((1u << 5) | (1u << 3)); /* VMX, MONITOR */
            e->ecx |= 1u << 31;                 /* running under a hypervisor */
            e->ebx &= 0x0000ffffu; /* this vCPU's APIC ID, one logical CPU per package */
            e->ebx |= 1u << 16 | apic_id << 24;
            if (!apic) {
                e->ecx &= ~((1u << 21) | (1u << 24)); /* x2APIC, TSC-deadline */
                e->edx &= ~(1u << 9);                 /* APIC */
            } else if (deadline) {
                e->ecx |= 1u << 24;
            }
            break;
        case 0xa: e->eax = e->ebx = e->ecx = e->edx = 0; break; /* no PMU */
        case 0xb:
        case 0x1f: e->edx = apic_id; break;           /* x2APIC ID */
        case 0x80000001: e->ecx &= ~(1u << 2); break; /* SVM */
        default: break;
        }
        c->entries[out++] = *e;
    }
    c->nent = out;
}

/* CPU_START (hv.h): called by the dispatcher, under the dispatch lock. */
static int start_cpu(void *ctx, unsigned cpu, uint64_t rip, uint64_t rsp, uint64_t rdi)
{
    struct hv_vcpu *v = &((struct hv_vm *)ctx)->cpu[cpu];
    if (v->started)
        return JEOS_HV_EINVAL;
    v->rip = rip;
    v->rsp = rsp;
    v->rdi = rdi;
    v->started = true;
    char c = 1;
    return write(v->start_fd[1], &c, 1) == 1 ? JEOS_HV_OK : JEOS_HV_EIO;
}

/* Creates vCPU `i` in the 64-bit entry state (RIP = entry, RDI = boot info). */
static int vcpu_create(struct hv_vm *vm, unsigned i, uint64_t entry, bool apic)
{
    struct hv_vcpu *v = &vm->cpu[i];
    v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
    if (v->fd < 0)
        return fail("KVM_CREATE_VCPU", errno);
    int sz = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (sz < (int)sizeof(struct kvm_run))
        return fail("KVM_GET_VCPU_MMAP_SIZE", errno);
    vm->run_size = (size_t)sz;
    v->run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
    if (v->run == MAP_FAILED) {
        v->run = NULL;
        return fail("mmap of the vCPU", errno);
    }
    if (vm->ncpus > 1 && pipe2(v->start_fd, O_CLOEXEC) < 0)
        return fail("pipe", errno);

    for (unsigned nent = 64;; nent *= 2) {
        struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
        if (!c)
            return fail("cpuid", ENOMEM);
        c->nent = nent;
        if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
            int e = errno;
            free(c);
            if (e == E2BIG && nent < 4096)
                continue;
            return fail("KVM_GET_SUPPORTED_CPUID", e);
        }
        filter_cpuid(c, apic,
                     ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0, i);
        int r = ioctl(v->fd, KVM_SET_CPUID2, c);
        int e = errno;
        free(c);
        if (r < 0)
            return fail("KVM_SET_CPUID2", e);
        break;
    }
    if (!apic) {
        /* No APIC: its enable bit off, so KVM clears CPUID.1:EDX.APIC as well. */
        struct {
            struct kvm_msrs hdr;
            struct kvm_msr_entry e[1];
        } msrs = {.hdr = {.nmsrs = 1}, .e = {{.index = 0x1b, .data = 0xfee00000u}}};
        if (ioctl(v->fd, KVM_SET_MSRS, &msrs) != 1)
            return fail("KVM_SET_MSRS (APIC base)", errno);
    }
    if (i == 0) {
        int khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
        vm->tsc_khz = khz > 0 ? (uint64_t)khz : 0;
    }
    /* With KVM's local APIC a secondary CPU would wait for INIT and SIPI: ours for CPU_START. */
    struct kvm_mp_state mp = {.mp_state = KVM_MP_STATE_RUNNABLE};
    if (apic && i > 0 && ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0)
        return fail("KVM_SET_MP_STATE", errno);

    struct kvm_sregs sregs;
    if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
        return fail("KVM_GET_SREGS", errno);
    struct kvm_segment code = {.base = 0,
                               .limit = 0xffffffff,
                               .selector = 0x08,
                               .type = 11,
                               .present = 1,
                               .dpl = 0,
                               .db = 0,
                               .s = 1,
                               .l = 1,
                               .g = 1};
    struct kvm_segment data = {.base = 0,
                               .limit = 0xffffffff,
                               .selector = 0x10,
                               .type = 3,
                               .present = 1,
                               .dpl = 0,
                               .db = 1,
                               .s = 1,
                               .l = 0,
                               .g = 1};
    sregs.cs = code;
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
    sregs.tr = (struct kvm_segment){
        .base = 0, .limit = 0x67, .selector = 0x18, .type = 11, .present = 1, .s = 0};
    sregs.ldt = (struct kvm_segment){.selector = 0, .type = 2, .present = 1, .unusable = 1};
    sregs.gdt.base = JEOS_HV_GDT_GPA;
    sregs.gdt.limit = 4 * 8 - 1;
    sregs.idt.base = 0;
    sregs.idt.limit = 0;
    sregs.cr3 = JEOS_HV_PT_GPA;
    sregs.cr4 = (1u << 5) | (1u << 9) | (1u << 10); /* PAE, OSFXSR, OSXMMEXCPT */
    sregs.cr0 = 0x80050033u;                        /* PG, AM, WP, NE, ET, MP, PE */
    sregs.efer = 0x500 | 0x800;                     /* LME, LMA, NXE */
    if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
        return fail("KVM_SET_SREGS", errno);

    struct kvm_fpu fpu = {.fcw = 0x37f, .mxcsr = 0x1f80};
    if (ioctl(v->fd, KVM_SET_FPU, &fpu) < 0)
        return fail("KVM_SET_FPU", errno);

    struct kvm_regs regs = {
        .rip = entry, .rflags = 0x2, .rdi = JEOS_HV_BOOTINFO_GPA, .rsp = JEOS_HV_STACK_TOP};
    if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
        return fail("KVM_SET_REGS", errno);
    return 0;
}

int hv_vcpu_setup(struct hv_vm *vm, struct hv *hv, uint64_t entry, uint32_t features)
{
    build_tables(hv);
    bool apic = features & JEOS_HV_FEATURE_APIC;
    if (apic && ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
        return fail("KVM_CREATE_IRQCHIP (the kernel asks for the APIC feature)", errno);
    for (unsigned i = 0; i < vm->ncpus; i++)
        if (vcpu_create(vm, i, entry, apic) < 0)
            return -1;
    vm->vcpu_fd = vm->cpu[0].fd;
    hv->ncpus = vm->ncpus;
    if (vm->ncpus > 1) {
        int e = pthread_mutex_init(&vm->lock, NULL);
        if (e)
            return fail("mutex", e);
        hv->start_cpu = start_cpu;
        hv->start_ctx = vm;
    }
    return 0;
}

static const char *const exit_names[HV_EXIT_KINDS] = {
    [KVM_EXIT_IO] = "io",
    [KVM_EXIT_HLT] = "hlt",
    [KVM_EXIT_MMIO] = "mmio",
    [KVM_EXIT_SHUTDOWN] = "shutdown",
    [KVM_EXIT_INTR] = "intr",
    [KVM_EXIT_FAIL_ENTRY] = "fail_entry",
    [KVM_EXIT_INTERNAL_ERROR] = "internal_error",
};

const char *hv_exit_name(unsigned reason)
{
    return reason < HV_EXIT_KINDS && exit_names[reason] ? exit_names[reason] : "other";
}

/*
 * Where the vCPU stands, for messages: " at rip=0x... rsp=0x... cr2=0x..." (or ""). After a
 * shutdown AMD-V has already reset the vCPU (KVM reinitialises the VMCB): RIP 0xfff0 with CS
 * base 0xffff0000 says so, and the message says the place is unknown instead of naming the reset.
 */
static const char *where(const struct hv_vcpu *v, char *buf, size_t len)
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    buf[0] = 0;
    if (ioctl(v->fd, KVM_GET_REGS, &regs) != 0 || ioctl(v->fd, KVM_GET_SREGS, &sregs) != 0)
        return buf;
    if (regs.rip == 0xfff0 && sregs.cs.base == 0xffff0000u)
        snprintf(buf, len, "; the vCPU was reset (AMD-V), so where it stood is unknown");
    else
        snprintf(buf, len, " at rip=0x%llx rsp=0x%llx cr2=0x%llx", (unsigned long long)regs.rip,
                 (unsigned long long)regs.rsp, (unsigned long long)sregs.cr2);
    return buf;
}

/* With several vCPUs: waits for this one's start byte (CPU_START, or main for CPU 0). */
static int wait_start(struct hv_vcpu *v, unsigned cpu)
{
    char c;
    ssize_t n;
    while ((n = read(v->start_fd[0], &c, 1)) < 0 && errno == EINTR)
        ;
    if (n != 1)
        return fail("start pipe", n < 0 ? errno : EPIPE);
    if (cpu == 0)
        return 0;
    struct kvm_regs regs = {.rip = v->rip, .rsp = v->rsp, .rdi = v->rdi, .rflags = 0x2};
    if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
        return fail("KVM_SET_REGS (CPU_START)", errno);
    return 0;
}

int hv_vm_run(struct hv_vm *vm, struct hv *hv, unsigned cpu)
{
    char at[128];
    struct hv_vcpu *v = &vm->cpu[cpu];
    struct kvm_run *run = v->run;
    bool smp = vm->ncpus > 1;
    if (smp && wait_start(v, cpu) < 0)
        return 1;
    for (;;) {
        if (ioctl(v->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                v->exits[KVM_EXIT_INTR]++;
                continue;
            }
            fail("KVM_RUN", errno);
            return 1;
        }
        unsigned r = run->exit_reason;
        v->exits[r < HV_EXIT_KINDS ? r : HV_EXIT_KINDS - 1]++;
        switch (r) {
        case KVM_EXIT_IO: {
            uint32_t value = 0;
            if (run->io.size <= 4 && run->io.data_offset <= (uint64_t)vm->run_size - 4)
                memcpy(&value, (uint8_t *)run + run->io.data_offset, run->io.size);
            int status;
            /* one call at a time, but a POLL may sleep without holding up the others */
            bool lock = smp && run->io.port != JEOS_HV_PORT_BASE + JEOS_HV_CALL_POLL;
            if (lock)
                pthread_mutex_lock(&vm->lock);
            enum hv_action act = hv_dispatch(hv, run->io.port, run->io.size, run->io.count,
                                             run->io.direction == KVM_EXIT_IO_OUT, value, &status);
            /* after exit or abort the lock stays taken: no other vCPU is served again */
            if (lock && act != HV_EXIT)
                pthread_mutex_unlock(&vm->lock);
            if (act == HV_EXIT)
                return status;
            break;
        }
        case KVM_EXIT_MMIO:
            hv_guest_error(hv, "mmio", "%s of %u bytes at 0x%llx, outside guest memory%s",
                           run->mmio.is_write ? "write" : "read", run->mmio.len,
                           (unsigned long long)run->mmio.phys_addr, where(v, at, sizeof(at)));
            return 255;
        case KVM_EXIT_HLT:
            hv_guest_error(hv, "hlt", "the guest halted (end it with the exit hypercall)%s",
                           where(v, at, sizeof(at)));
            return 255;
        case KVM_EXIT_SHUTDOWN:
            hv_guest_error(hv, "cpu", "triple fault (shutdown)%s", where(v, at, sizeof(at)));
            return 255;
        case KVM_EXIT_INTR: break;
        case KVM_EXIT_FAIL_ENTRY:
            hv_guest_error(hv, "cpu", "VM entry failed (hardware reason 0x%llx)",
                           (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
            return 255;
        case KVM_EXIT_INTERNAL_ERROR:
            hv_guest_error(hv, "cpu", "KVM internal error (suberror %u)%s", run->internal.suberror,
                           where(v, at, sizeof(at)));
            return 255;
        default: hv_guest_error(hv, "cpu", "unexpected VM exit %u", r); return 255;
        }
    }
}
