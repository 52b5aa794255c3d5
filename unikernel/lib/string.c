/* unikernel/lib/string.c — plain byte loops; the compiler may call these for struct copies. */
#include <stdint.h>

#include "lib/string.h"

/*
 * rep stosq / rep movsq for the 8-byte words, then the tail bytes: few iterations, which matters
 * where the CPU is emulated an instruction (or an iteration) at a time.
 */
__attribute__((weak)) void *memset(void *d, int c, size_t n)
{
    void *p = d;
    size_t words = n / 8, tail = n % 8;
    uint64_t v = 0x0101010101010101ull * (unsigned char)c;
    __asm__ volatile("rep stosq" : "+D"(p), "+c"(words) : "a"(v) : "memory");
    __asm__ volatile("rep stosb" : "+D"(p), "+c"(tail) : "a"(v) : "memory");
    return d;
}

__attribute__((weak)) void *memcpy(void *restrict d, const void *restrict s, size_t n)
{
    void *pd = d;
    size_t words = n / 8, tail = n % 8;
    __asm__ volatile("rep movsq" : "+D"(pd), "+S"(s), "+c"(words) : : "memory");
    __asm__ volatile("rep movsb" : "+D"(pd), "+S"(s), "+c"(tail) : : "memory");
    return d;
}

__attribute__((weak)) void *memmove(void *d, const void *s, size_t n)
{
    unsigned char *pd = d;
    const unsigned char *ps = s;
    if (pd == ps || n == 0)
        return d;
    if ((uintptr_t)pd < (uintptr_t)ps) {
        while (n--)
            *pd++ = *ps++;
    } else {
        while (n--)
            pd[n] = ps[n];
    }
    return d;
}

__attribute__((weak)) int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *pa = a, *pb = b;
    for (; n; n--, pa++, pb++)
        if (*pa != *pb)
            return *pa - *pb;
    return 0;
}

__attribute__((weak)) size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

__attribute__((weak)) int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

__attribute__((weak)) int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}
