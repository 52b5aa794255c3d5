/* hello.c — prints a greeting and the boot info it got; exits with the status its command line
 * names. */
#include "guest.h"

int guest_main(const struct jeos_hv_boot_info *bi)
{
    g_puts("Hello from a jeos-hv guest\n");
    if (!bi)
        return 0; /* PVH under QEMU: no boot info */
    if (bi->magic != JEOS_HV_BOOT_MAGIC || bi->abi_version != JEOS_HV_ABI_VERSION) {
        g_puts("FAIL bad boot info\n");
        return 1;
    }
    const char *cmd = (const char *)(uintptr_t)bi->cmdline;
    g_puts("mem=");
    g_putu(bi->mem_size >> 20);
    g_puts("M cmdline=\"");
    g_puts(cmd);
    g_puts("\"\n");
    /* Without the APIC feature CPUID hides the APIC, x2APIC and TSC-deadline bits. */
    uint32_t a = 1, b, c, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
    g_puts("cpuid: apic=");
    g_putu((d >> 9) & 1);
    g_puts(" x2apic=");
    g_putu((c >> 21) & 1);
    g_puts(" tsc_deadline=");
    g_putu((c >> 24) & 1);
    g_puts(" hypervisor=");
    g_putu(c >> 31);
    uint32_t h = 0x40000000, s1, s2, s3;
    __asm__ volatile("cpuid" : "+a"(h), "=b"(s1), "=c"(s2), "=d"(s3));
    g_puts(" kvm_leaves=");
    g_putu(s1 == 0x4b4d564b && s2 == 0x564b4d56 && s3 == 0x4d); /* "KVMKVMKVM\0\0\0" */
    g_puts(" features=");
    g_putu(bi->features);
    g_puts("\n");
    struct jeos_hv_time t = {0};
    hypercall(JEOS_HV_CALL_TIME, &t);
    if (t.wall_ns < 1600000000ull * 1000000000ull) {
        g_puts("FAIL wall clock\n");
        return 1;
    }
    if (g_streq(cmd, "sleep")) { /* idle for a second in POLL: the host must sleep too */
        struct jeos_hv_poll p = {.timeout_ns = 1000000000};
        hypercall(JEOS_HV_CALL_POLL, &p);
        struct jeos_hv_time t2 = {0};
        hypercall(JEOS_HV_CALL_TIME, &t2);
        g_puts("slept ms=");
        g_putu((t2.monotonic_ns - t.monotonic_ns) / 1000000);
        g_puts("\n");
    }
    /* Exit status: the first word of the command line, if a number. */
    int status = 0;
    for (const char *p = cmd; *p >= '0' && *p <= '9'; p++)
        status = status * 10 + (*p - '0');
    return status;
}
