/* timer.c — APIC test guest: asks for the APIC feature (ELF note), sleeps 3 x 20 ms on TSC-deadline
 * interrupts. */
#include "guest.h"

/* The JeosHv features note: name "JeosHv", type 1, descriptor JEOS_HV_FEATURE_APIC. */
__asm__(".section .note.Xen, \"a\"\n"
        ".balign 4\n"
        ".long 7, 4, 1\n"
        ".asciz \"JeosHv\"\n"
        ".balign 4\n"
        ".long 1\n"
        ".previous\n");

volatile uint64_t ticks;

/* Vector 0x40: count, EOI through the x2APIC MSR, return. */
__asm__(".text\n"
        "timer_isr:\n"
        "  push %rax\n  push %rcx\n  push %rdx\n"
        "  incq ticks(%rip)\n"
        "  mov $0x80b, %ecx\n  xor %eax, %eax\n  xor %edx, %edx\n  wrmsr\n"
        "  pop %rdx\n  pop %rcx\n  pop %rax\n"
        "  iretq\n");
extern char timer_isr[];

static uint64_t idt[512] __attribute__((aligned(16)));

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static uint64_t now_ns(void)
{
    struct jeos_hv_time t = {0};
    hypercall(JEOS_HV_CALL_TIME, &t);
    return t.monotonic_ns;
}

int guest_main(const struct jeos_hv_boot_info *bi)
{
    uint32_t a = 1, b, c, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    if (!(bi->features & JEOS_HV_FEATURE_APIC) || !(c & (1u << 21)) || !(c & (1u << 24)) ||
        !bi->tsc_khz) {
        g_puts("FAIL no APIC feature, x2APIC, TSC-deadline or TSC frequency\n");
        return 1;
    }
    uint64_t isr = (uint64_t)(uintptr_t)timer_isr;
    idt[0x40 * 2] =
        (isr & 0xffff) | (0x08ull << 16) | (0x8e00ull << 32) | ((isr >> 16) & 0xffff) << 48;
    idt[0x40 * 2 + 1] = isr >> 32;
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } idtr = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" : : "m"(idtr));
    wrmsr(0x1b, rdmsr(0x1b) | (1u << 11) | (1u << 10)); /* APIC on, x2APIC mode */
    wrmsr(0x80f, 0x1ff);                                /* spurious vector 0xff, enabled */
    wrmsr(0x832, 0x40 | (2u << 17));                    /* LVT timer: vector 0x40, TSC-deadline */
    uint64_t t0 = now_ns();
    for (int i = 0; i < 3; i++) {
        uint64_t seen = ticks;
        wrmsr(0x6e0, rdtsc() + bi->tsc_khz * 20); /* 20 ms */
        while (ticks == seen)
            __asm__ volatile("sti; hlt; cli");
    }
    uint64_t ms = (now_ns() - t0) / 1000000;
    g_puts("timer interrupts=");
    g_putu(ticks);
    g_puts(ms >= 60 ? " slept>=60ms\n" : " slept<60ms\n");
    if (ticks != 3 || ms < 60)
        return 1;
    g_puts("SUCCESS\n");
    return 0;
}
