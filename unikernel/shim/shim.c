/* unikernel/shim/shim.c — printf/exit/malloc over uk.h until the musl runtime takes over. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uk.h"

int vprintf(const char *fmt, va_list ap)
{
    return uk_vprintf(fmt, ap);
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = uk_vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    return uk_vsnprintf(buf, size, fmt, ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = uk_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int puts(const char *s)
{
    uk_write(s, strlen(s));
    uk_write("\n", 1);
    return 0;
}

int putchar(int c)
{
    char ch = (char)c;
    uk_write(&ch, 1);
    return (unsigned char)c;
}

void exit(int status)
{
    uk_exit(status);
}

void abort(void)
{
    uk_printf("abort()\n");
    uk_exit(EXIT_FAILURE + 126); /* 127: aborted */
}

void *malloc(size_t size)
{
    return uk_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    if (size && n > (size_t)-1 / size)
        return NULL;
    void *p = uk_malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void free(void *p)
{
    uk_free(p);
}

int atoi(const char *s)
{
    int neg = 0, v = 0;
    while (*s == ' ')
        s++;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (*s++ - '0');
    return neg ? -v : v;
}

unsigned sleep(unsigned seconds)
{
    uk_sleep_ns((uint64_t)seconds * 1000000000u);
    return 0;
}

int usleep(unsigned long usec)
{
    uk_sleep_ns((uint64_t)usec * 1000u);
    return 0;
}
