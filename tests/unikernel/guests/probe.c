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
    if (streq(mode, "fpu"))
        return fpu_check();
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
