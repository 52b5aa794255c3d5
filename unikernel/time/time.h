/* unikernel/time/time.h — TSC-based monotonic clock, wall clock, one-shot timer and idle sleep. */
#ifndef UK_TIME_H
#define UK_TIME_H

#include <stdint.h>

#include "arch/x86_64/bootinfo.h"

/*
 * time_init: finds the TSC frequency (platform: kvmclock or boot info; else CPUID 0x15/0x16;
 * else PIT calibration), reads the wall clock (CMOS RTC), picks the one-shot timer (TSC
 * deadline, else the LAPIC timer, calibrated) and claims its vector. Needs irq_init first.
 */
int time_init(const struct boot_info *bi);

uint64_t time_monotonic_ns(void); /* since boot */
uint64_t time_wall_ns(void);      /* since 1970-01-01 UTC */

/* time_sleep_ns: waits ns, halting the CPU until the timer (or another interrupt) fires. */
void time_sleep_ns(uint64_t ns);

/*
 * time_halt_until: called with interrupts off; halts once until any interrupt (a device's, or the
 * timer armed for deadline_ns, monotonic) and returns with interrupts on. Returns at once when the
 * deadline has passed.
 */
void time_halt_until(uint64_t deadline_ns);
/* time_arm_at: the timer interrupt at deadline_ns (monotonic; now when it has passed), once. */
void time_arm_at(uint64_t deadline_ns);

uint64_t time_tsc_hz(void);
const char *time_tsc_source(void); /* "kvmclock", "cpuid", "pit", "boot info" */
const char *time_timer_kind(void); /* "tsc-deadline" or "lapic" */
uint64_t time_idle_halts(void);    /* hlt instructions executed by sleeps */

#endif
