/* lib.c — test guests' exit: the jeos-hv hypercall, or QEMU's isa-debug-exit under PVH. */
#include "guest.h"

void guest_exit(int status)
{
    if (guest_platform == 1)
        outb(0xf4, (uint8_t)status); /* isa-debug-exit: QEMU exits with status*2+1 */
    struct jeos_hv_exit a = {.status = status};
    hypercall(JEOS_HV_CALL_EXIT, &a);
    for (;;)
        __asm__ volatile("hlt");
}

/* The compiler may emit calls to these even when freestanding. */
void *memset(void *d, int c, size_t n);
void *memset(void *d, int c, size_t n)
{
    return g_memset(d, c, n);
}
void *memcpy(void *d, const void *s, size_t n);
void *memcpy(void *d, const void *s, size_t n)
{
    volatile uint8_t *a = d;
    const uint8_t *b = s;
    for (size_t i = 0; i < n; i++)
        a[i] = b[i];
    return d;
}
