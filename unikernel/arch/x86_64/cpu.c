/* unikernel/arch/x86_64/cpu.c — GDT with a TSS, IDT with every vector on a guarded IST stack,
 * FPU/SSE/AVX. */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "lib/string.h"

#define IST_STACK_SIZE 16384
#define PAGE           4096

/* IST slots: 1 double fault, 2 NMI, 3 machine check, 4 other exceptions, 5 interrupts. */
enum { IST_DF = 1, IST_NMI, IST_MC, IST_EXC, IST_IRQ, IST_COUNT = IST_IRQ };

struct ist_stack {
    uint8_t guard[PAGE]; /* left unmapped by paging */
    uint8_t stack[IST_STACK_SIZE];
} __attribute__((aligned(PAGE)));

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3, iomap_base;
} __attribute__((packed));

struct idt_gate {
    uint16_t off0, sel;
    uint8_t ist, type;
    uint16_t off1;
    uint32_t off2, reserved;
} __attribute__((packed));

struct cpu_features cpu_features;

static struct ist_stack ist_stacks[IST_COUNT] __attribute__((section(".stack")));
static struct tss tss;
static struct idt_gate idt[256] __attribute__((aligned(16)));

extern uint64_t gdt[];
extern char isr_stubs[]; /* 256 stubs of 16 bytes each (isr.S) */
extern char boot_stack_guard[], boot_stack_bottom[], boot_stack_top[];

static void detect_features(void)
{
    struct cpu_features *f = &cpu_features;
    struct cpuid_regs r = cpuid(0, 0);
    f->max_leaf = r.eax;
    r = cpuid(1, 0);
    f->x2apic = (r.ecx >> 21) & 1;
    f->tsc_deadline = (r.ecx >> 24) & 1;
    f->xsave = (r.ecx >> 26) & 1;
    f->avx = (r.ecx >> 28) & 1;
    r = cpuid(0x80000000, 0);
    f->max_ext_leaf = r.eax;
    if (f->max_ext_leaf >= 0x80000001)
        f->nx = (cpuid(0x80000001, 0).edx >> 20) & 1;
    if (f->max_ext_leaf >= 0x80000007)
        f->invariant_tsc = (cpuid(0x80000007, 0).edx >> 8) & 1;
}

static void load_gdt_tss(void)
{
    uint64_t base = (uint64_t)&tss;
    uint64_t limit = sizeof(tss) - 1;
    for (int i = 0; i < IST_COUNT; i++)
        tss.ist[i] = (uint64_t)(ist_stacks[i].stack + IST_STACK_SIZE);
    tss.iomap_base = sizeof(tss);
    gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
             (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[4] = base >> 32;
    __asm__ volatile("ltr %w0" : : "r"(CPU_SEL_TSS));
}

static void load_idt(void)
{
    for (int v = 0; v < 256; v++) {
        uint64_t a = (uint64_t)(isr_stubs + 16 * v);
        uint8_t ist = v == 8    ? IST_DF
                      : v == 2  ? IST_NMI
                      : v == 18 ? IST_MC
                      : v < 32  ? IST_EXC
                                : IST_IRQ;
        idt[v] = (struct idt_gate){
            .off0 = a & 0xffff,
            .sel = CPU_SEL_CODE,
            .ist = ist,
            .type = 0x8e, /* present, DPL 0, 64-bit interrupt gate */
            .off1 = (a >> 16) & 0xffff,
            .off2 = a >> 32,
        };
    }
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) p = {sizeof(idt) - 1, (uint64_t)idt};
    __asm__ volatile("lidt %0" : : "m"(p));
}

static void enable_fpu(void)
{
    uint64_t cr0, cr4;
    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    cr0 &= ~((1ull << 2) | (1ull << 3)); /* EM, TS off */
    cr0 |= 1ull << 1;                    /* MP */
    __asm__ volatile("mov %0, %%cr0" : : "r"(cr0));
    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    cr4 |= (1ull << 9) | (1ull << 10); /* OSFXSR, OSXMMEXCPT */
    if (cpu_features.xsave)
        cr4 |= 1ull << 18; /* OSXSAVE */
    __asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
    if (cpu_features.xsave) {
        uint64_t xcr0 = 3 | (cpu_features.avx ? 4 : 0); /* x87, SSE, AVX */
        __asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)xcr0), "d"((uint32_t)(xcr0 >> 32)));
    }
    /* MXCSR holds its reset value (0x1f80) already; no ldmxcsr, which KVM's emulator lacks */
    __asm__ volatile("fninit");
}

void cpu_init(void)
{
    detect_features();
    load_gdt_tss();
    load_idt();
    if (cpu_features.nx)
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    enable_fpu();
}

int cpu_stack_guards(uint64_t *addrs, int max)
{
    int n = 0;
    if (n < max)
        addrs[n++] = (uint64_t)boot_stack_guard;
    for (int i = 0; i < IST_COUNT && n < max; i++)
        addrs[n++] = (uint64_t)ist_stacks[i].guard;
    return n;
}

void cpu_main_stack(uint64_t *lo, uint64_t *hi)
{
    *lo = (uint64_t)boot_stack_bottom;
    *hi = (uint64_t)boot_stack_top;
}
