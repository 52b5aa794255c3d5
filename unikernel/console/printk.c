/* unikernel/console/printk.c — a small printf formatter and printk over the platform console. */
#include <stdint.h>

#include "console/console.h"
#include "platform/platform.h"

struct out {
    char *buf;
    size_t size, len;
};

static void emit(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void emit_num(struct out *o, uint64_t v, int neg, unsigned base, int upper, int width,
                     int zero, int left)
{
    char tmp[24];
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    int n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    int len = n + neg;
    if (neg && zero)
        emit(o, '-');
    if (!left)
        for (; width > len; width--)
            emit(o, zero ? '0' : ' ');
    if (neg && !zero)
        emit(o, '-');
    while (n)
        emit(o, tmp[--n]);
    if (left)
        for (; width > len; width--)
            emit(o, ' ');
}

int uk_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = {buf, size, 0};
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            emit(&o, *f);
            continue;
        }
        f++;
        int zero = 0, left = 0, width = 0, lng = 0;
        for (;; f++) {
            if (*f == '0')
                zero = 1;
            else if (*f == '-')
                left = 1;
            else
                break;
        }
        if (*f == '*') {
            width = va_arg(ap, int);
            f++;
        }
        while (*f >= '0' && *f <= '9')
            width = width * 10 + (*f++ - '0');
        while (*f == 'l' || *f == 'z') {
            lng++;
            f++;
        }
        if (left)
            zero = 0;
        switch (*f) {
        case 'd':
        case 'i': {
            int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
            uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
            emit_num(&o, u, v < 0, 10, 0, width, zero, left);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
            unsigned base = *f == 'u' ? 10 : *f == 'o' ? 8 : 16;
            emit_num(&o, v, 0, base, *f == 'X', width, zero, left);
            break;
        }
        case 'p':
            emit(&o, '0');
            emit(&o, 'x');
            emit_num(&o, (uintptr_t)va_arg(ap, void *), 0, 16, 0, 16, 1, 0);
            break;
        case 'c': emit(&o, (char)va_arg(ap, int)); break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            int n = 0;
            while (s[n])
                n++;
            if (!left)
                for (; width > n; width--)
                    emit(&o, ' ');
            for (int i = 0; i < n; i++)
                emit(&o, s[i]);
            for (; left && width > n; width--)
                emit(&o, ' ');
            break;
        }
        case '%': emit(&o, '%'); break;
        case '\0': f--; break;
        default:
            emit(&o, '%');
            emit(&o, *f);
            break;
        }
    }
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int uk_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = uk_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int vprintk(const char *fmt, va_list ap)
{
    char buf[512];
    int n = uk_vsnprintf(buf, sizeof(buf), fmt, ap);
    if (n > (int)sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    platform_console_write(buf, (size_t)n);
    return n;
}

int printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintk(fmt, ap);
    va_end(ap);
    return n;
}
