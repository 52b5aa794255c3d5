/* tests/unikernel/guests/probe.c — one guest, many checks, chosen by the command line (argv[1]). */
#include "uk.h"

static int streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static long num(const char *s)
{
    long v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (*s++ - '0');
    return v;
}

static void info(void)
{
    struct uk_info i;
    uk_get_info(&i);
    uk_printf("info: boot=%s platform=%s tsc=%s tsc_hz=%lu timer=%s x2apic=%d\n", i.boot_source,
              i.platform, i.tsc_source, i.tsc_hz, i.timer, i.x2apic);
    uk_printf("init: %lu us from kernel entry to main\n", i.init_ns / 1000);
}

static void mem(void)
{
    struct uk_info i;
    uk_get_info(&i);
    uk_printf("mem: total=%lu image=%lu pages=%lu page_tables=%lu heap=%lu in_use=%lu\n",
              i.mem_total, i.mem_image, i.mem_pages, i.mem_page_tables, i.mem_heap,
              i.mem_image + i.mem_pages);
}

/* Recurses with a frame the compiler cannot drop until the stack runs into its guard page. */
static __attribute__((noinline)) int deep(volatile int n)
{
    volatile char pad[256];
    pad[0] = (char)n;
    return deep(n + 1) + pad[0];
}

static int heap_check(void)
{
    void *blocks[64];
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 64; i++) {
            unsigned size = (unsigned)(i * 97 + round * 13) % 9000 + 1;
            unsigned char *p = uk_malloc(size);
            if (!p || ((unsigned long)p & 15))
                return 1;
            for (unsigned k = 0; k < size; k++)
                p[k] = (unsigned char)(i + k);
            blocks[i] = p;
        }
        for (int i = 0; i < 64; i++) {
            unsigned size = (unsigned)(i * 97 + round * 13) % 9000 + 1;
            unsigned char *p = blocks[i];
            for (unsigned k = 0; k < size; k++)
                if (p[k] != (unsigned char)(i + k))
                    return 2;
            uk_free(p);
        }
    }
    return 0;
}

/* Floating point and SIMD in ordinary code, across timer interrupts. */
static int fpu_check(void)
{
    volatile double x = 1.0;
    double sum = 0;
    for (int i = 1; i <= 1000; i++) {
        sum += x / i;
        if (i % 250 == 0)
            uk_sleep_ns(1000000);
    }
    long milli = (long)(sum * 1000);
    uk_printf("fpu: harmonic(1000)*1000=%ld\n", milli);
    return milli == 7485 ? 0 : 1;
}

static volatile int rtc_ticks;

static uint8_t cmos_read(uint8_t reg)
{
    uint8_t v;
    __asm__ volatile("outb %1, $0x70; inb $0x71, %0" : "=a"(v) : "a"(reg));
    return v;
}

static void cmos_write(uint8_t reg, uint8_t v)
{
    __asm__ volatile("outb %0, $0x70" : : "a"(reg));
    __asm__ volatile("outb %0, $0x71" : : "a"(v));
}

static volatile int clobber_sse;

static void rtc_irq(void *arg)
{
    (void)arg;
    cmos_read(0x0c); /* acknowledge, or the RTC raises no more */
    rtc_ticks++;
    if (clobber_sse) /* an application handler may use SSE; the kernel must save the state */
        __asm__ volatile("pcmpeqd %%xmm1, %%xmm1" : : : "xmm1");
}

/* Holds a value in xmm1 while spinning through RTC interrupts; returns what xmm1 held after. */
static uint64_t sse_across_irqs(uint64_t magic, int ticks)
{
    uint64_t out;
    __asm__ volatile("movq %1, %%xmm1\n"
                     "1: movq %%xmm1, %%rax\n"
                     "cmpq %1, %%rax\n"
                     "jne 2f\n"
                     "cmpl %2, %3\n"
                     "jl 1b\n"
                     "2: movq %%xmm1, %0\n"
                     : "=r"(out)
                     : "r"(magic), "r"(ticks), "m"(rtc_ticks)
                     : "rax", "xmm1", "cc");
    return out;
}

/* A driver's view: claim a vector, route the RTC's ISA line (GSI 8) through the IOAPIC. */
static int irq_check(void)
{
    int vec = uk_irq_claim(rtc_irq, 0);
    if (vec < 0)
        return 1;
    if (uk_irq_route_isa(8, vec) < 0)
        return 2;
    uk_printf("isa: irq0->gsi%u irq8->gsi%u\n", uk_irq_isa_gsi(0), uk_irq_isa_gsi(8));
    cmos_write(0x0a, (uint8_t)((cmos_read(0x0a) & 0xf0) | 0x06)); /* 1024 Hz */
    cmos_write(0x0b, (uint8_t)(cmos_read(0x0b) | 0x40));          /* periodic interrupt on */
    cmos_read(0x0c);
    uint64_t t0 = uk_monotonic_ns();
    while (rtc_ticks < 20 && uk_monotonic_ns() - t0 < 2000000000u)
        uk_idle();
    uint64_t us = (uk_monotonic_ns() - t0) / 1000;
    int ticks = rtc_ticks;
    clobber_sse = 1;
    uint64_t magic = 0x1234567890abcdefull;
    uint64_t after = sse_across_irqs(magic, ticks + 20);
    cmos_write(0x0b, (uint8_t)(cmos_read(0x0b) & ~0x40));
    uk_irq_mask(uk_irq_isa_gsi(8));
    uk_printf("irq: vector=%d rtc_ticks=%d in %lu us\n", vec, ticks, us);
    uk_printf("irq-sse: xmm1 %s across %d interrupts\n", after == magic ? "kept" : "clobbered",
              rtc_ticks - ticks);
    return ticks >= 20 && after == magic ? 0 : 3;
}

static void modules(void)
{
    const void *base;
    size_t len;
    int i = 0;
    uk_printf("cmdline: %s\n", uk_cmdline());
    for (; uk_module(i, &base, &len) == 0; i++) {
        const unsigned char *b = base;
        uk_printf("module %d: %lu bytes, starts \"%c%c%c%c\"\n", i, len, b[0], b[1], b[2], b[3]);
    }
    uk_printf("modules: %d\n", i);
}

/* AVX in ordinary code: a #UD here means the kernel did not enable the state (CR4, XCR0). */
static int avx_check(void)
{
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
    if (!(c & (1u << 28)) || !(c & (1u << 27))) {
        uk_printf("avx: not offered by this CPU\n");
        return 0;
    }
    float in[8] = {1, 2, 3, 4, 5, 6, 7, 8}, out[8];
    __asm__ volatile("vmovups %1, %%ymm0\n"
                     "vaddps %%ymm0, %%ymm0, %%ymm0\n"
                     "vmovups %%ymm0, %0\n"
                     "vzeroupper"
                     : "=m"(out)
                     : "m"(in)
                     : "xmm0");
    int ok = out[0] == 2 && out[7] == 16;
    uk_printf("avx: %s\n", ok ? "ok" : "wrong result");
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "info";
    const char *arg = argc > 2 ? argv[2] : "0";
    uk_printf("probe: %s\n", mode);
    if (streq(mode, "info")) {
        info();
        return 0;
    }
    if (streq(mode, "exit"))
        return (int)num(arg);
    if (streq(mode, "mem")) {
        mem();
        return 0;
    }
    if (streq(mode, "heap")) {
        int r = heap_check();
        uk_printf("heap: %s (%d)\n", r ? "corrupt" : "ok", r);
        mem();
        return r;
    }
    if (streq(mode, "irq"))
        return irq_check();
    if (streq(mode, "modules")) {
        modules();
        return 0;
    }
    if (streq(mode, "fpu"))
        return fpu_check();
    if (streq(mode, "avx"))
        return avx_check();
    if (streq(mode, "sleep")) {
        uint64_t ms = (uint64_t)num(arg);
        info();
        struct uk_info before, after;
        uk_get_info(&before);
        uk_printf("sleep-start\n");
        uint64_t t0 = uk_monotonic_ns();
        uk_sleep_ns(ms * 1000000);
        uint64_t t1 = uk_monotonic_ns();
        uk_printf("sleep-end\n");
        uk_get_info(&after);
        uk_printf("sleep: asked=%lums guest_elapsed_us=%lu halts=%lu interrupts=%lu timer=%s\n", ms,
                  (t1 - t0) / 1000, after.idle_halts - before.idle_halts,
                  after.interrupts - before.interrupts, after.timer);
        return 0;
    }
    if (streq(mode, "wall")) {
        uk_printf("wall: %lu\n", uk_wall_ns() / 1000000000u);
        return 0;
    }
    if (streq(mode, "null")) {
        volatile int *p = (volatile int *)(uintptr_t)num(arg);
        return *p;
    }
    if (streq(mode, "write-text")) {
        volatile unsigned char *p = (volatile unsigned char *)(uintptr_t)&main;
        *p = 0xcc;
        return 0;
    }
    if (streq(mode, "exec-heap")) {
        unsigned char *code = uk_malloc(16);
        code[0] = 0xc3; /* ret */
        void (*fn)(void) = (void (*)(void))(uintptr_t)code;
        fn();
        return 0;
    }
    if (streq(mode, "stack-overflow"))
        return deep(0);
    if (streq(mode, "div0")) {
        volatile int zero = 0;
        return 10 / zero;
    }
    if (streq(mode, "ud2"))
        __asm__ volatile("ud2");
    uk_printf("probe: unknown mode %s\n", mode);
    return 2;
}
