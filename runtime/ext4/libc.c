/*
 * runtime/ext4/libc.c — the C library libext2fs gets in the guest. libext2fs runs inside system
 * calls, so it must not reach musl (whose malloc would make system calls of its own): the build
 * renames every C-library symbol its objects use to rtx_NAME (libc.syms) and they land here, on
 * the kernel's heap, string functions, formatter and clock. Host-file calls (open, stat: only
 * mkjournal.c's external-journal paths use them) fail with ENOSYS.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/trap.h"
#include "console/console.h"
#include "lib/string.h"
#include "memory/memory.h"
#include "time/time.h"

#define ENOMEM 12
#define ENOSYS 38

/* Every declaration here is for libext2fs only, whose objects name these through libc.syms. */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"

static int err_no;
int *rtx___errno_location(void)
{
    return &err_no;
}

/* Each block carries its size in a 16-byte header, for realloc. */
void *rtx_malloc(size_t n)
{
    if (n > (1ull << 40))
        return NULL;
    uint64_t *p = heap_alloc(n + 16);
    if (!p) {
        err_no = ENOMEM;
        return NULL;
    }
    p[0] = n;
    return p + 2;
}

void rtx_free(void *p)
{
    if (p)
        heap_free((uint64_t *)p - 2);
}

void *rtx_calloc(size_t k, size_t n)
{
    if (n && k > SIZE_MAX / n)
        return NULL;
    void *p = rtx_malloc(k * n);
    if (p)
        memset(p, 0, k * n);
    return p;
}

void *rtx_realloc(void *old, size_t n)
{
    if (!old)
        return rtx_malloc(n);
    size_t had = ((uint64_t *)old)[-2];
    if (n <= had && n + 4096 > had)
        return old;
    void *p = rtx_malloc(n);
    if (!p)
        return NULL;
    memcpy(p, old, had < n ? had : n);
    rtx_free(old);
    return p;
}

void *rtx_memcpy(void *d, const void *s, size_t n)
{
    return memcpy(d, s, n);
}

void *rtx_memmove(void *d, const void *s, size_t n)
{
    return memmove(d, s, n);
}

void *rtx_memset(void *d, int c, size_t n)
{
    return memset(d, c, n);
}

int rtx_memcmp(const void *a, const void *b, size_t n)
{
    return memcmp(a, b, n);
}

size_t rtx_strlen(const char *s)
{
    return strlen(s);
}

size_t rtx_strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

int rtx_strcmp(const char *a, const char *b)
{
    return strcmp(a, b);
}

int rtx_strncmp(const char *a, const char *b, size_t n)
{
    return strncmp(a, b, n);
}

char *rtx_strcpy(char *d, const char *s)
{
    memcpy(d, s, strlen(s) + 1);
    return d;
}

char *rtx_strncpy(char *d, const char *s, size_t n)
{
    size_t k = rtx_strnlen(s, n);
    memcpy(d, s, k);
    memset(d + k, 0, n - k);
    return d;
}

char *rtx_strcat(char *d, const char *s)
{
    rtx_strcpy(d + strlen(d), s);
    return d;
}

char *rtx_strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

unsigned long rtx_strtoul(const char *s, char **end, int base)
{
    unsigned long v = 0;
    while (*s == ' ')
        s++;
    if (base == 0)
        base = s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : s[0] == '0' ? 8 : 10;
    if (base == 16 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    for (;; s++) {
        int d = *s >= '0' && *s <= '9'   ? *s - '0'
                : *s >= 'a' && *s <= 'z' ? *s - 'a' + 10
                : *s >= 'A' && *s <= 'Z' ? *s - 'A' + 10
                                         : 99;
        if (d >= base)
            break;
        v = v * (unsigned long)base + (unsigned long)d;
    }
    if (end)
        *end = (char *)s;
    return v;
}

int rtx_snprintf(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = uk_vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}

/* Heapsort: no recursion, no allocation (dblist.c and link.c sort directory entries). */
static void swap_bytes(char *a, char *b, size_t n)
{
    while (n--) {
        char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

static void sift(char *base, size_t root, size_t n, size_t size,
                 int (*cmp)(const void *, const void *))
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && cmp(base + child * size, base + (child + 1) * size) < 0)
            child++;
        if (cmp(base + root * size, base + child * size) >= 0)
            return;
        swap_bytes(base + root * size, base + child * size, size);
        root = child;
    }
}

void rtx_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    char *b = base;
    for (size_t i = n / 2; i-- > 0;)
        sift(b, i, n, size, cmp);
    for (size_t end = n; end > 1; end--) {
        swap_bytes(b, b + (end - 1) * size, size);
        sift(b, 0, end - 1, size, cmp);
    }
}

int64_t rtx_time(int64_t *t)
{
    int64_t now = (int64_t)(time_wall_ns() / 1000000000u);
    if (t)
        *t = now;
    return now;
}

char *rtx_getenv(const char *name)
{
    (void)name;
    return NULL; /* no environment below the program */
}

uint32_t rtx_htonl(uint32_t v)
{
    return __builtin_bswap32(v);
}

uint32_t rtx_ntohl(uint32_t v)
{
    return __builtin_bswap32(v);
}

__attribute__((noreturn)) void rtx_abort(void)
{
    panic("ext4: libext2fs found its own state inconsistent (abort)");
}

/* The error-table list the generated ext2_err.c adds itself to (messages: vol.c). */
void *rtx__et_list;

/* mkjournal.c's external journal device: a host file; none in the guest. */
int rtx_open(const char *path, int flags, ...)
{
    (void)path, (void)flags;
    err_no = ENOSYS;
    return -1;
}

int rtx_close(int fd)
{
    (void)fd;
    err_no = ENOSYS;
    return -1;
}

long rtx_write(int fd, const void *buf, size_t n)
{
    (void)fd, (void)buf, (void)n;
    err_no = ENOSYS;
    return -1;
}

int rtx_stat(const char *path, void *st)
{
    (void)path, (void)st;
    err_no = ENOSYS;
    return -1;
}

int rtx_fstat(int fd, void *st)
{
    (void)fd, (void)st;
    err_no = ENOSYS;
    return -1;
}

/* ext2fs_check_mount_point (ismounted.c, not built): nothing is mounted below the guest. */
long rtx_ext2fs_check_mount_point(const char *file, int *mount_flags, char *mtpt, int mtlen)
{
    (void)file, (void)mtpt, (void)mtlen;
    *mount_flags = 0;
    return 0;
}

/* com_err (lib/et, not built): mkjournal.c's reports; printed on the console. */
void rtx_com_err(const char *who, long code, const char *fmt, ...)
{
    printk("ext4: %s: error %ld: ", who ? who : "libext2fs", code);
    va_list ap;
    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
    printk("\n");
}
