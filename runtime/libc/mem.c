/*
 * runtime/libc/mem.c — anonymous memory for musl: mmap/munmap/mremap from the page allocator
 * (identity-mapped, zeroed), and a brk that never grows (musl's malloc then uses mmap).
 * mprotect is accepted without changing the page tables. The mapped ranges are kept in a sorted
 * table: munmap only gives back what mmap handed out (never the kernel's own pages), and mremap
 * of anything else fails with EFAULT.
 */
#include "lib/string.h"
#include "memory/memory.h"
#include "rt.h"

#define MAP_FIXED      0x10
#define MAP_ANONYMOUS  0x20
#define MREMAP_MAYMOVE 1

struct range {
    uint64_t start, end; /* [start, end), page-aligned */
};

static struct range *ranges;
static int nranges, capranges;

/* Index of the first range whose end is above addr. */
static int lower(uint64_t addr)
{
    int lo = 0, hi = nranges;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (ranges[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int insert(uint64_t start, uint64_t end)
{
    if (nranges == capranges) {
        int nc = capranges ? capranges * 2 : 256;
        struct range *nr = heap_alloc(sizeof(struct range) * (size_t)nc);
        if (!nr)
            return -RT_ENOMEM;
        if (ranges)
            memcpy(nr, ranges, sizeof(struct range) * (size_t)nranges);
        heap_free(ranges);
        ranges = nr;
        capranges = nc;
    }
    int i = lower(start);
    memmove(&ranges[i + 1], &ranges[i], sizeof(struct range) * (size_t)(nranges - i));
    ranges[i] = (struct range){start, end};
    nranges++;
    return 0;
}

/* Whether [start, end) lies inside one mapped range; its index in *at. */
static int covered(uint64_t start, uint64_t end, int *at)
{
    int i = lower(start);
    if (i == nranges || ranges[i].start > start || ranges[i].end < end)
        return 0;
    *at = i;
    return 1;
}

/* Takes [start, end) out of range i (which covers it): trims, splits or drops the range. */
static int cut(int i, uint64_t start, uint64_t end)
{
    struct range r = ranges[i];
    if (r.start < start && r.end > end) {
        ranges[i].end = start;
        return insert(end, r.end);
    }
    if (r.start == start && r.end == end) {
        memmove(&ranges[i], &ranges[i + 1], sizeof(struct range) * (size_t)(nranges - i - 1));
        nranges--;
    } else if (r.start == start) {
        ranges[i].start = end;
    } else {
        ranges[i].end = start;
    }
    return 0;
}

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
    if (insert((uint64_t)p, (uint64_t)p + n * PAGE_SIZE) < 0) {
        page_free(p, n);
        return -RT_ENOMEM;
    }
    memset(p, 0, n * PAGE_SIZE);
    return (long)p;
}

long rt_munmap(uint64_t addr, uint64_t len)
{
    if ((addr & (PAGE_SIZE - 1)) || !len || len > (1ull << 40))
        return -RT_EINVAL;
    uint64_t end = addr + pages_of(len) * PAGE_SIZE;
    /* as Linux: holes are fine; only what mmap handed out goes back to the page allocator */
    for (int i = lower(addr); i < nranges && ranges[i].start < end; i = lower(addr)) {
        uint64_t s = ranges[i].start > addr ? ranges[i].start : addr;
        uint64_t e = ranges[i].end < end ? ranges[i].end : end;
        if (cut(i, s, e) < 0)
            return -RT_ENOMEM;
        page_free((void *)s, (e - s) / PAGE_SIZE);
        addr = e;
    }
    return 0;
}

long rt_mremap(uint64_t old, uint64_t old_len, uint64_t new_len, int flags, uint64_t new_addr)
{
    (void)new_addr;
    if ((old & (PAGE_SIZE - 1)) || !new_len || !old_len || old_len > (1ull << 40) ||
        new_len > (1ull << 40))
        return -RT_EINVAL;
    uint64_t on = pages_of(old_len), nn = pages_of(new_len);
    int i;
    if (!covered(old, old + on * PAGE_SIZE, &i))
        return -RT_EFAULT;
    if (nn <= on) {
        if (nn < on) {
            if (cut(i, old + nn * PAGE_SIZE, old + on * PAGE_SIZE) < 0)
                return -RT_ENOMEM;
            page_free((void *)(old + nn * PAGE_SIZE), on - nn);
        }
        return (long)old;
    }
    if (!(flags & MREMAP_MAYMOVE))
        return -RT_ENOMEM;
    void *p = page_alloc(nn);
    if (!p)
        return -RT_ENOMEM;
    if (insert((uint64_t)p, (uint64_t)p + nn * PAGE_SIZE) < 0) {
        page_free(p, nn);
        return -RT_ENOMEM;
    }
    memcpy(p, (void *)old, on * PAGE_SIZE);
    memset((char *)p + on * PAGE_SIZE, 0, (nn - on) * PAGE_SIZE);
    covered(old, old + on * PAGE_SIZE, &i); /* the insert may have moved it */
    cut(i, old, old + on * PAGE_SIZE);
    page_free((void *)old, on);
    return (long)p;
}

/* madvise: MADV_DONTNEED zeroes what mmap handed out (memory is never paged, so nothing is given
 * back: the next read sees zeros, as Linux's private anonymous mappings); other advice is taken. */
long rt_madvise(uint64_t addr, uint64_t len, int advice)
{
    if ((addr & (PAGE_SIZE - 1)) || len > (1ull << 40))
        return -RT_EINVAL;
    if (advice < 0 || advice > 25 || (advice > 4 && advice < 8))
        return -RT_EINVAL;
    if (advice != 4 || !len)
        return 0;
    uint64_t end = addr + pages_of(len) * PAGE_SIZE;
    for (int i = lower(addr); i < nranges && ranges[i].start < end; i++) {
        uint64_t s = ranges[i].start > addr ? ranges[i].start : addr;
        uint64_t e = ranges[i].end < end ? ranges[i].end : end;
        memset((void *)s, 0, e - s);
    }
    return 0;
}
