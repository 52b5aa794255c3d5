/* smp.c — starts every secondary vCPU (--cpus N) with CPU_START: each reports its APIC ID and the
 * argument it got; then the calls that must fail (again, CPU 0, past the last). */
#include "guest.h"

static uint8_t stacks[JEOS_HV_MAX_CPUS][8192] __attribute__((aligned(16)));
static volatile uint32_t seen[JEOS_HV_MAX_CPUS]; /* APIC ID + 1, once the CPU runs */
static volatile uint64_t got[JEOS_HV_MAX_CPUS];

static void ap_main(uint64_t arg)
{
    uint32_t a = 1, b, c, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    unsigned cpu = (unsigned)(arg & 0xff);
    got[cpu] = arg;
    __atomic_store_n(&seen[cpu], (b >> 24) + 1, __ATOMIC_RELEASE);
    for (;;)
        __asm__ volatile("pause");
}

static int32_t start(uint32_t cpu, uint64_t arg)
{
    uint32_t slot = cpu < JEOS_HV_MAX_CPUS ? cpu : 0;
    struct jeos_hv_cpu_start s = {.cpu = cpu,
                                  .rip = (uintptr_t)ap_main,
                                  .rsp = (uintptr_t)(stacks[slot] + sizeof(stacks[slot])) - 8,
                                  .rdi = arg};
    hypercall(JEOS_HV_CALL_CPU_START, &s);
    return s.ret;
}

static const char *err_name(int32_t r)
{
    return r == JEOS_HV_OK       ? "OK"
           : r == JEOS_HV_EINVAL ? "EINVAL"
           : r == JEOS_HV_ENODEV ? "ENODEV"
                                 : "other";
}

static uint64_t now_ms(void)
{
    struct jeos_hv_time t = {0};
    hypercall(JEOS_HV_CALL_TIME, &t);
    return t.monotonic_ns / 1000000;
}

int guest_main(const struct jeos_hv_boot_info *bi)
{
    unsigned n = bi->ncpus ? bi->ncpus : 1;
    g_puts("ncpus=");
    g_putu(n);
    g_puts("\n");
    if (n == 1) {
        g_puts("cpu_start on 1 CPU: ");
        g_puts(err_name(start(1, 1)));
        g_puts("\n");
        return 0;
    }
    for (unsigned i = 1; i < n; i++)
        if (start(i, 0x1000 + i) != JEOS_HV_OK) {
            g_puts("FAIL cpu_start refused\n");
            return 1;
        }
    uint64_t t0 = now_ms();
    for (unsigned i = 1; i < n; i++)
        while (!__atomic_load_n(&seen[i], __ATOMIC_ACQUIRE))
            if (now_ms() - t0 > 10000) {
                g_puts("FAIL a secondary CPU did not run within 10 s\n");
                return 1;
            }
    for (unsigned i = 1; i < n; i++) {
        g_puts("cpu ");
        g_putu(i);
        g_puts(": apic_id=");
        g_putu(seen[i] - 1);
        g_puts(got[i] == 0x1000 + i ? " arg ok\n" : " arg WRONG\n");
    }
    g_puts("again: ");
    g_puts(err_name(start(1, 0x1001)));
    g_puts(", cpu 0: ");
    g_puts(err_name(start(0, 0)));
    g_puts(", past the last: ");
    g_puts(err_name(start(n, 0)));
    g_puts("\n");
    return 0;
}
