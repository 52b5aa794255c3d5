/*
 * unikernel/uk.h — the whole API an application sees from the jeos unikernel kernel.
 * The application defines main(); the kernel calls it after boot and exits with its status.
 */
#ifndef UK_UK_H
#define UK_UK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* The application's entry point: argv comes from the boot command line. */
int main(int argc, char **argv);

/* Ends the guest; the host sees status (0..127: QEMU isa-debug-exit reports (status << 1) | 1). */
__attribute__((noreturn)) void uk_exit(int status);

/* Formatted output on the console (%d %i %u %x %o %c %s %p, '-' '0' width, l ll z). */
int uk_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int uk_vprintf(const char *fmt, va_list ap);
int uk_snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int uk_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
void uk_write(const char *s, size_t n);

/* Kernel heap: 16-byte aligned blocks, NULL when memory runs out. */
void *uk_malloc(size_t size);
void uk_free(void *p);

/* Time: monotonic since boot, wall clock since 1970 (CMOS RTC), idle sleep (hlt until the timer).
 */
uint64_t uk_monotonic_ns(void);
uint64_t uk_wall_ns(void);
void uk_sleep_ns(uint64_t ns);

/*
 * Interrupts for drivers: uk_irq_claim reserves a vector for fn(arg) (run with interrupts off on
 * the interrupt stack, the FPU/SSE/AVX state saved around it; end-of-interrupt sent after it) and
 * returns it, or a negative errno; uk_irq_route sends IOAPIC input gsi to that vector (level_low:
 * level-triggered, active low); uk_irq_mask masks the input again. uk_idle halts until the next
 * interrupt.
 */
int uk_irq_claim(void (*fn)(void *arg), void *arg);
int uk_irq_route(unsigned gsi, int vector, int level_low);
int uk_irq_mask(unsigned gsi);
void uk_idle(void);

/* Boot modules (initrd, files) the loader placed in memory: 0 and base/len, or -1 past the last. */
int uk_module(int index, const void **base, size_t *len);

/* The boot command line as the loader gave it. */
const char *uk_cmdline(void);

struct uk_info {
    const char *boot_source; /* "pvh", "multiboot2", "jeos-hv" */
    const char *platform;    /* "qemu-kvm", ... */
    const char *tsc_source;  /* "kvmclock", "cpuid", "pit", "boot info" */
    const char *timer;       /* "tsc-deadline", "lapic" */
    uint64_t tsc_hz;
    uint64_t idle_halts; /* hlt executed while sleeping */
    uint64_t interrupts; /* interrupts taken */
    uint64_t mem_total;  /* usable RAM */
    uint64_t mem_image;  /* kernel + application image (text, data, bss, stacks) */
    uint64_t mem_pages;  /* pages allocated since boot: page tables, bitmap, heap */
    uint64_t mem_page_tables;
    uint64_t mem_heap; /* bytes the heap took from the page allocator */
    int x2apic;
};

void uk_get_info(struct uk_info *info);

#endif
