/*
 * xen_kernel_stubs.h — what the kernel gives the xen platform's frontends (uk_snprintf, printk,
 * time), for the host programs that include their sources: tests/unikernel/xen_front_test.c and
 * tests/fuzz/xen_front_fuzz.c. Included once per program (the definitions are not static).
 */
#ifndef TESTS_XEN_KERNEL_STUBS_H
#define TESTS_XEN_KERNEL_STUBS_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

int uk_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
int printk(const char *fmt, ...)
{
    (void)fmt;
    return 0;
}
void time_halt_until(uint64_t deadline_ns)
{
    (void)deadline_ns;
}
void time_sleep_ns(uint64_t ns)
{
    (void)ns;
}
uint64_t time_monotonic_ns(void)
{
    static uint64_t now;
    return now += 1000000; /* a millisecond per look: a driver waiting for time gives up */
}

#endif
