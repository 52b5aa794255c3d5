/* unikernel/kernel.c — boot sequence (kernel_boot) and the application-facing calls of uk.h. */
#include "arch/x86_64/bootinfo.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/trap.h"
#include "console/console.h"
#include "interrupts/irq.h"
#include "lib/string.h"
#include "memory/memory.h"
#include "platform/platform.h"
#include "time/time.h"
#include "uk.h"

#define ARGV_MAX 32

void kernel_boot(uint64_t info, uint32_t source);

static struct boot_info boot_info;
static char *argv[ARGV_MAX + 1];
static char cmdline[BOOT_CMDLINE_MAX];
static uint64_t init_ns;  /* kernel entry to main() */
static int report_memory; /* jeos.mem=peak on the command line: uk_exit prints the peak */

/*
 * What the build bakes into the ELF (the builder generates both from the recipe). Weak
 * references: without a definition their address is 0, and argv[0] is "app".
 */
extern const char uk_app_name[] __attribute__((weak));
extern const char *const uk_app_args[] __attribute__((weak));
/* The POSIX runtime (runtime/libc), when linked, starts musl instead of calling main directly. */
extern void uk_runtime_start(int argc, char **argv) __attribute__((weak, noreturn));

/* Words of the command line the kernel takes for itself (QEMU's microvm adds the first; jeos.net=
 * and the other jeos.* words configure the system, net/net.h). */
static int kernel_word(const char *w)
{
    static const char virtio_mmio[] = "virtio_mmio.", jeos[] = "jeos.";
    return strncmp(w, virtio_mmio, sizeof(virtio_mmio) - 1) == 0 ||
           strncmp(w, jeos, sizeof(jeos) - 1) == 0;
}

/*
 * argv: uk_app_name, uk_app_args, then the boot command line split in place on spaces, without
 * the kernel's own words.
 */
static int split_args(char *s)
{
    int argc = 0;
    static char default_name[] = "app";
    argv[argc++] = uk_app_name ? (char *)uk_app_name : default_name;
    for (int i = 0; uk_app_args && uk_app_args[i] && argc < ARGV_MAX; i++)
        argv[argc++] = (char *)uk_app_args[i];
    while (*s && argc < ARGV_MAX) {
        while (*s == ' ')
            *s++ = '\0';
        if (!*s)
            break;
        char *w = s;
        while (*s && *s != ' ')
            s++;
        if (*s)
            *s++ = '\0';
        if (strcmp(w, "jeos.mem=peak") == 0)
            report_memory = 1;
        if (!kernel_word(w))
            argv[argc++] = w;
    }
    argv[argc] = NULL;
    return argc;
}

__attribute__((noreturn)) void kernel_boot(uint64_t info, uint32_t source)
{
    uint64_t tsc_entry = rdtsc();
    const char *why = "";
    platform_early_init();
    cpu_init();
    if (bootinfo_parse(&boot_info, (int)source, info, &why) < 0)
        panic("boot info (%s): %s", bootinfo_source_name((int)source), why);
    if (page_init(&boot_info) < 0)
        panic("no usable memory for the page allocator");
    if (paging_init(&boot_info) < 0)
        panic("out of memory building page tables");
    platform_init(&boot_info);
    irq_init();
    int r = time_init(&boot_info);
    if (r < 0)
        panic("time: no TSC frequency or timer (%d)", r);
    platform_devices_init(&boot_info);
    init_ns = (uint64_t)((unsigned __int128)(rdtsc() - tsc_entry) * 1000000000u / time_tsc_hz());
    cpu_irq_enable();
    memcpy(cmdline, boot_info.cmdline, sizeof(cmdline));
    int argc = split_args(boot_info.cmdline);
    if (uk_runtime_start)
        uk_runtime_start(argc, argv);
    uk_exit(main(argc, argv));
}

void uk_exit(int status)
{
    if (report_memory) {
        struct mem_stats ms;
        mem_get_stats(&ms);
        printk("jeos: memory peak %llu KiB allocated, %llu KiB at exit, image %llu KiB\n",
               (unsigned long long)(ms.pages_peak / 1024),
               (unsigned long long)(ms.pages_used / 1024), (unsigned long long)(ms.image / 1024));
    }
    platform_exit(status);
}

int uk_vprintf(const char *fmt, va_list ap)
{
    return vprintk(fmt, ap);
}

int uk_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintk(fmt, ap);
    va_end(ap);
    return n;
}

void uk_write(const char *s, size_t n)
{
    platform_console_write(s, n);
}

void *uk_malloc(size_t size)
{
    return heap_alloc(size);
}

void uk_free(void *p)
{
    heap_free(p);
}

uint64_t uk_monotonic_ns(void)
{
    return time_monotonic_ns();
}

uint64_t uk_wall_ns(void)
{
    return time_wall_ns();
}

void uk_sleep_ns(uint64_t ns)
{
    time_sleep_ns(ns);
}

void uk_get_info(struct uk_info *info)
{
    struct mem_stats ms;
    mem_get_stats(&ms);
    uint64_t lo, hi;
    cpu_main_stack(&lo, &hi);
    *info = (struct uk_info){
        .boot_source = bootinfo_source_name(boot_info.source),
        .platform = platform_name(),
        .tsc_source = time_tsc_source(),
        .timer = time_timer_kind(),
        .tsc_hz = time_tsc_hz(),
        .idle_halts = time_idle_halts(),
        .interrupts = irq_count(),
        .mem_total = ms.total,
        .mem_image = ms.image,
        .mem_pages = ms.pages_used,
        .mem_peak = ms.pages_peak,
        .mem_page_tables = ms.page_tables,
        .mem_heap = ms.heap_bytes,
        .x2apic = lapic_is_x2apic(),
        .init_ns = init_ns,
    };
}

int uk_irq_claim(void (*fn)(void *arg), void *arg)
{
    return irq_claim_app(fn, arg);
}

int uk_irq_route(unsigned gsi, int vector, int level_low)
{
    return irq_route_gsi(gsi, vector, level_low);
}

unsigned uk_irq_isa_gsi(unsigned isa_irq)
{
    return irq_isa_gsi(isa_irq);
}

int uk_irq_route_isa(unsigned isa_irq, int vector)
{
    return irq_route_isa(isa_irq, vector);
}

int uk_irq_mask(unsigned gsi)
{
    return irq_mask_gsi(gsi);
}

void uk_idle(void)
{
    cpu_sti_hlt();
}

int uk_module(int index, const void **base, size_t *len)
{
    if (index < 0 || index >= boot_info.nmod)
        return -1;
    *base = (const void *)boot_info.mod[index].base;
    *len = boot_info.mod[index].len;
    return 0;
}

const char *uk_cmdline(void)
{
    return cmdline;
}
