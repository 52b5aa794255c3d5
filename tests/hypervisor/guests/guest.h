/* guest.h — the few helpers test guests share: hypercalls, console, exit, strings. */
#ifndef JEOS_HV_TEST_GUEST_H
#define JEOS_HV_TEST_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "hypervisor/abi.h"

/* 0: jeos-hv; 1: PVH under QEMU (serial console, isa-debug-exit). */
extern int guest_platform;

static inline void hypercall(unsigned nr, const void *arg)
{
    __asm__ volatile("outl %0, %1"
                     :
                     : "a"((uint32_t)(uintptr_t)arg), "d"((uint16_t)(JEOS_HV_PORT_BASE + nr))
                     : "memory");
}

/* A raw port write with any value: for hostile guests. */
static inline void raw_outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "d"(port) : "memory");
}

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "d"(port) : "memory");
}

static inline size_t g_strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static inline int g_streq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static inline void g_write(const char *s, size_t n)
{
    if (guest_platform == 1) {
        for (size_t i = 0; i < n; i++)
            outb(0x3f8, (uint8_t)s[i]);
        return;
    }
    struct jeos_hv_console_write a = {.data = (uintptr_t)s, .len = n};
    hypercall(JEOS_HV_CALL_CONSOLE_WRITE, &a);
}

static inline void g_puts(const char *s)
{
    g_write(s, g_strlen(s));
}

static inline void g_putu(uint64_t v)
{
    char b[21];
    int i = 20;
    b[i] = 0;
    do
        b[--i] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    g_puts(b + i);
}

static inline void *g_memset(void *d, int c, size_t n)
{
    volatile uint8_t *p = d;
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)c;
    return d;
}

int guest_main(const struct jeos_hv_boot_info *bi);
void guest_exit(int status) __attribute__((noreturn));

#endif
