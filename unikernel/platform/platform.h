/*
 * unikernel/platform/platform.h — what each platform implements (console, time, exit, devices).
 * Exactly one platform is linked per build (platform/<name>/), so these are plain functions.
 */
#ifndef UK_PLATFORM_H
#define UK_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/bootinfo.h"

/* Name of the platform linked into this build ("qemu-kvm", "hv", ...). */
const char *platform_name(void);

/* Early setup before anything prints (the console). */
void platform_early_init(void);

/* Platform set-up once memory works, before interrupts (ACPI tables on qemu-kvm). */
void platform_init(const struct boot_info *bi);

/*
 * Devices, once interrupts and time work: PCI and virtio (qemu-kvm), the hypercall NICs (hv).
 * Network devices register with drivers/netdev.h.
 */
void platform_devices_init(const struct boot_info *bi);

/* Writes n bytes to the platform console; safe in fault handlers. */
void platform_console_write(const char *s, size_t n);

/*
 * platform_parse_hv_bootinfo: fills bi from the jeos-hv boot-info block at addr (jeos-hv entry).
 * Platforms other than hv return a negative errno and a reason in *why.
 */
int platform_parse_hv_bootinfo(struct boot_info *bi, uint64_t addr, const char **why);

/*
 * platform_tsc_hz: the TSC frequency the platform knows without measuring (kvmclock,
 * hypervisor boot info), or 0. Names the source in *source.
 */
uint64_t platform_tsc_hz(const struct boot_info *bi, const char **source);

/* The wall clock now, ns since 1970-01-01 UTC (CMOS RTC, host time call, ...), or 0 if unknown. */
uint64_t platform_wall_ns(void);

/* Ends the guest; the host sees status (0..127). */
__attribute__((noreturn)) void platform_exit(int status);

#endif
