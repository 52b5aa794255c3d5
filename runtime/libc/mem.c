/*
 * runtime/libc/mem.c — anonymous memory for musl: mmap/munmap/mremap from the page allocator
 * (identity-mapped, zeroed), and a brk that never grows (musl's malloc then uses mmap).
 * mprotect is accepted without changing the page tables.
 */
#include "lib/string.h"
#include "memory/memory.h"
#include "rt.h"

#define MAP_FIXED      0x10
#define MAP_ANONYMOUS  0x20
#define MREMAP_MAYMOVE 1

static uint64_t pages_of(uint64_t len)
{
    return (len + PAGE_SIZE - 1) / PAGE_SIZE;
}

long rt_brk(uint64_t addr)
{
    (void)addr;
    static char here; /* a break that does not move: the request fails as Linux reports it */
    return (long)(((uint64_t)&here + PAGE_SIZE) & ~(PAGE_SIZE - 1));
}

long rt_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off)
{
    (void)addr;
    (void)prot;
    (void)fd;
    (void)off;
    if (!len || len > (1ull << 40))
        return -RT_EINVAL;
    if (!(flags & MAP_ANONYMOUS))
        return -RT_ENODEV;
    if (flags & MAP_FIXED)
        return -RT_EINVAL; /* one address space, we choose the addresses */
    uint64_t n = pages_of(len);
    void *p = page_alloc(n);
    if (!p)
        return -RT_ENOMEM;
    memset(p, 0, n * PAGE_SIZE);
    return (long)p;
}

long rt_munmap(uint64_t addr, uint64_t len)
{
    if ((addr & (PAGE_SIZE - 1)) || !len)
        return -RT_EINVAL;
    page_free((void *)addr, pages_of(len));
    return 0;
}

long rt_mremap(uint64_t old, uint64_t old_len, uint64_t new_len, int flags, uint64_t new_addr)
{
    (void)new_addr;
    if ((old & (PAGE_SIZE - 1)) || !new_len)
        return -RT_EINVAL;
    uint64_t on = pages_of(old_len), nn = pages_of(new_len);
    if (nn <= on) {
        if (nn < on)
            page_free((void *)(old + nn * PAGE_SIZE), on - nn);
        return (long)old;
    }
    if (!(flags & MREMAP_MAYMOVE))
        return -RT_ENOMEM;
    void *p = page_alloc(nn);
    if (!p)
        return -RT_ENOMEM;
    memcpy(p, (void *)old, on * PAGE_SIZE);
    memset((char *)p + on * PAGE_SIZE, 0, (nn - on) * PAGE_SIZE);
    page_free((void *)old, on);
    return (long)p;
}
