/* unikernel/arch/x86_64/cpu.h — x86_64 CPU helpers: port I/O, MSRs, CPUID, control registers,
 * setup. */
#ifndef UK_ARCH_CPU_H
#define UK_ARCH_CPU_H

#include <stdint.h>

#define CPU_SEL_CODE 0x08
#define CPU_SEL_DATA 0x10
#define CPU_SEL_TSS  0x18

#define MSR_APIC_BASE    0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define MSR_EFER         0xc0000080
#define EFER_NXE         (1u << 11)

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r;
    __asm__ volatile("cpuid"
                     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                     : "a"(leaf), "c"(subleaf));
    return r;
}

static inline uint64_t read_cr2(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

static inline uint64_t read_cr3(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

static inline void write_cr3(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline void cpu_irq_disable(void)
{
    __asm__ volatile("cli" : : : "memory");
}

static inline void cpu_irq_enable(void)
{
    __asm__ volatile("sti" : : : "memory");
}

static inline void cpu_pause(void)
{
    __asm__ volatile("pause");
}

/* Enables interrupts and halts in one step (the sti shadow covers hlt): no wake-up is lost. */
static inline void cpu_sti_hlt(void)
{
    __asm__ volatile("sti; hlt" : : : "memory");
}

/* CPU features the kernel checks once at boot. */
struct cpu_features {
    int nx, x2apic, tsc_deadline, xsave, avx, invariant_tsc;
    uint32_t max_leaf, max_ext_leaf;
};

extern struct cpu_features cpu_features;

/*
 * cpu_init: detects features, loads our GDT with a TSS whose IST slots point at guarded
 * stacks, loads the IDT (every vector on an IST stack), enables NX, SSE and (if present)
 * AVX state so ordinary compiled code runs.
 */
void cpu_init(void);

/* The guard pages under every kernel stack, for paging to leave unmapped; returns the count. */
int cpu_stack_guards(uint64_t *addrs, int max);

/* Bounds of the stack the application runs on (the boot stack). */
void cpu_main_stack(uint64_t *lo, uint64_t *hi);

#endif
