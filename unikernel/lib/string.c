/* unikernel/lib/string.c — plain byte loops; the compiler may call these for struct copies. */
#include <stdint.h>

#include "lib/string.h"

void *memset(void *d, int c, size_t n)
{
    unsigned char *p = d;
    while (n--)
        *p++ = (unsigned char)c;
    return d;
}

void *memcpy(void *restrict d, const void *restrict s, size_t n)
{
    unsigned char *pd = d;
    const unsigned char *ps = s;
    while (n--)
        *pd++ = *ps++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
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

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *pa = a, *pb = b;
    for (; n; n--, pa++, pb++)
        if (*pa != *pb)
            return *pa - *pb;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b)
            return (unsigned char)*a - (unsigned char)*b;
        if (!*a)
            return 0;
    }
    return 0;
}
