/* unikernel/platform/hv/platform.c — the jeos-hv platform: console, time, exit, boot info. */
#include "arch/x86_64/cpu.h"
#include "lib/string.h"
#include "arch/x86_64/paging.h"
#include "platform/hv/hv.h"
#include "platform/platform.h"

/*
 * The JeosHv features note: this kernel runs its timer and idles on the local APIC, so it asks
 * jeos-hv for KVM's in-kernel interrupt controllers (JEOS_HV_FEATURE_APIC). It sits in .note.Xen,
 * the section the linker script already puts in the PT_NOTE segment.
 */
__asm__(".pushsection .note.Xen, \"a\"\n"
        ".balign 4\n"
        ".long 7, 4, 1\n" /* namesz ("JeosHv\\0"), descsz, JEOS_HV_NOTE_FEATURES */
        ".asciz \"JeosHv\"\n"
        ".balign 4\n"
        ".long 1\n" /* JEOS_HV_FEATURE_APIC */
        ".popsection\n");

const char *platform_name(void)
{
    return "hv";
}

void platform_early_init(void)
{
}

void platform_init(const struct boot_info *bi)
{
    (void)bi;
}

void platform_devices_init(const struct boot_info *bi)
{
    (void)bi;
    hv_net_init();
    hv_blk_init();
}

void platform_console_write(const char *s, size_t n)
{
    /* jeos-hv reads guest-physical memory: the identity map's addresses are that, while the
       runtime's demand-paged memory (main()'s stack, mmap: PAGING_DEMAND_BASE and up) goes
       through a copy on this stack */
    char copy[256];
    while (n) {
        size_t k = n;
        const char *from = s;
        if ((uintptr_t)s >= PAGING_DEMAND_BASE) {
            k = n < sizeof(copy) ? n : sizeof(copy);
            memcpy(copy, s, k);
            from = copy;
        }
        struct jeos_hv_console_write a = {.data = (uintptr_t)from, .len = k};
        hv_hypercall(JEOS_HV_CALL_CONSOLE_WRITE, &a);
        s += k;
        n -= k;
    }
}

int platform_parse_hv_bootinfo(struct boot_info *bi, uint64_t addr, const char **why)
{
    const struct jeos_hv_boot_info *hb = (const void *)(uintptr_t)addr;
    if (hb->magic != JEOS_HV_BOOT_MAGIC) {
        *why = "jeos-hv boot info: bad magic";
        return -22;
    }
    if (hb->abi_version != JEOS_HV_ABI_VERSION) {
        *why = "jeos-hv boot info: ABI version differs from the one this kernel was built for";
        return -95;
    }
    if (hb->mem_size <= JEOS_HV_LOAD_MIN || hb->ndisks > JEOS_HV_MAX_DISKS ||
        hb->nnics > JEOS_HV_MAX_NICS) {
        *why = "jeos-hv boot info: memory size or device count out of range";
        return -22;
    }
    hv_devices_init(hb);
    bi->info_base = addr;
    bi->info_len = sizeof(*hb);
    bi->tsc_khz = hb->tsc_khz;
    /* Below 1 MiB: the monitor's GDT, boot info, command line and page tables; kept out. */
    bi->nmem = 1;
    bi->mem[0] = (struct boot_mem){
        .base = JEOS_HV_LOAD_MIN, .len = hb->mem_size - JEOS_HV_LOAD_MIN, .type = BOOT_MEM_USABLE};
    const char *cmd = (const char *)(uintptr_t)hb->cmdline;
    size_t n = 0;
    if (hb->cmdline && hb->cmdline < hb->mem_size)
        while (n < BOOT_CMDLINE_MAX - 1 && hb->cmdline + n < hb->mem_size && cmd[n])
            n++;
    memcpy(bi->cmdline, cmd, n);
    bi->cmdline[n] = '\0';
    return 0;
}

uint64_t platform_tsc_hz(const struct boot_info *bi, const char **source)
{
    if (!bi->tsc_khz)
        return 0;
    *source = "boot info";
    return bi->tsc_khz * 1000;
}

uint64_t platform_wall_ns(void)
{
    return hv_wall_ns();
}

void platform_exit(int status)
{
    cpu_irq_disable();
    struct jeos_hv_exit a = {.status = status & 0xff};
    for (;;)
        hv_hypercall(JEOS_HV_CALL_EXIT, &a);
}
