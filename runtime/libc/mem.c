/*
 * runtime/libc/mem.c — anonymous memory for musl, demand-paged: mmap and brk reserve address
 * space above the identity map (PAGING_DEMAND_BASE: brk's 64 GiB, then the mmap area) and a page
 * comes from the page allocator, zeroed, at its first touch (rt_mem_fault, from the page-fault
 * handler); munmap, MADV_DONTNEED and a lower break give pages back; mprotect changes the page
 * tables (a write into a PROT_READ or PROT_NONE page is SIGSEGV); mremap moves page-table
 * entries, never data. The reserved ranges, each with its protection, are kept sorted.
 */
#include "arch/x86_64/paging.h"
#include "console/console.h"
#include "lib/string.h"
#include "memory/memory.h"
#include "rt.h"

#define PROT_READ           1
#define PROT_WRITE          2
#define PROT_EXEC           4
#define MAP_FIXED           0x10
#define MAP_ANONYMOUS       0x20
#define MAP_FIXED_NOREPLACE 0x100000
#define MREMAP_MAYMOVE      1
#define MMAP_BASE           (PAGING_DEMAND_BASE + (64ull << 30))

struct range {
    uint64_t start, end; /* [start, end), page-aligned */
    int prot;
};

static struct range *ranges;
static int nranges, capranges;
static uint64_t brk_cur, brk_end; /* the break, and the end of its reserved pages */
static uint64_t resident;         /* pages faulted in */

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

static int insert(uint64_t start, uint64_t end, int prot)
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
    ranges[i] = (struct range){start, end, prot};
    nranges++;
    return 0;
}

/* Whether [start, end) is mapped without a hole (adjacent ranges); the first's index in *at. */
static int covered(uint64_t start, uint64_t end, int *at)
{
    int i = lower(start);
    if (i == nranges || ranges[i].start > start)
        return 0;
    *at = i;
    for (; ranges[i].end < end; i++)
        if (i + 1 == nranges || ranges[i + 1].start != ranges[i].end)
            return 0;
    return 1;
}

/* Takes [start, end) out of range i (which covers it): trims, splits or drops the range. */
static int cut(int i, uint64_t start, uint64_t end)
{
    struct range r = ranges[i];
    if (r.start < start && r.end > end) {
        ranges[i].end = start;
        return insert(end, r.end, r.prot);
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

static int to_paging(int prot)
{
    return ((prot & PROT_READ) ? PAGING_R : 0) | ((prot & PROT_WRITE) ? PAGING_W : 0) |
           ((prot & PROT_EXEC) ? PAGING_X : 0);
}

/* Gives back the pages of [s, e) (a walk that skips 2 MiB spans without a table). */
static void drop_pages(uint64_t s, uint64_t e)
{
    for (uint64_t va = s; va < e;) {
        if (!paging_has_table(va)) {
            va = (va | (0x200000ull - 1)) + 1;
            continue;
        }
        uint64_t pa = paging_unmap_page(va);
        if (pa) {
            page_free((void *)pa, 1);
            resident--;
        }
        va += PAGE_SIZE;
    }
}

/* Takes [s, e) out of the table and gives its pages back. */
static int release(uint64_t s, uint64_t e)
{
    for (int i = lower(s); i < nranges && ranges[i].start < e; i = lower(s)) {
        uint64_t a = ranges[i].start > s ? ranges[i].start : s;
        uint64_t b = ranges[i].end < e ? ranges[i].end : e;
        if (cut(i, a, b) < 0)
            return -RT_ENOMEM;
        drop_pages(a, b);
        s = b;
    }
    return 0;
}

/* Whether grow more bytes of protection prot stay within RLIMIT_AS (all reserved address space)
 * and RLIMIT_DATA (the writable part: brk and writable private mappings, as Linux since 4.7). */
static int within_limits(uint64_t grow, int prot)
{
    uint64_t as = rt_rlimit(RT_RLIMIT_AS), data = rt_rlimit(RT_RLIMIT_DATA);
    if (as == ~0ull && (data == ~0ull || !(prot & PROT_WRITE)))
        return 1;
    uint64_t all = grow, writable = grow;
    for (int i = 0; i < nranges; i++) {
        all += ranges[i].end - ranges[i].start;
        if (ranges[i].prot & PROT_WRITE)
            writable += ranges[i].end - ranges[i].start;
    }
    return all <= as && (!(prot & PROT_WRITE) || writable <= data);
}

/* The lowest free span of len bytes in the mmap area, or 0. */
static uint64_t find_gap(uint64_t len)
{
    uint64_t at = MMAP_BASE;
    for (int i = lower(at); i < nranges; i++) {
        if (ranges[i].start >= at + len)
            break;
        if (ranges[i].end > at)
            at = ranges[i].end;
    }
    return at + len <= PAGING_DEMAND_TOP ? at : 0;
}

static int in_area(uint64_t s, uint64_t e)
{
    return s >= PAGING_DEMAND_BASE && e <= PAGING_DEMAND_TOP && s < e;
}

int rt_mem_fault(uint64_t addr, int write)
{
    uint64_t va = addr & ~(PAGE_SIZE - 1);
    if (addr < PAGING_DEMAND_BASE || addr >= PAGING_DEMAND_TOP) /* a PROT_NONE image page: kept */
        return paging_program_page(va) && paging_page_of(va) ? -2 : -1;
    int i = lower(va);
    if (i == nranges || ranges[i].start > va)
        return -1;
    int prot = ranges[i].prot;
    if (paging_page_of(va) || !(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) ||
        (write && !(prot & PROT_WRITE)))
        return -2;
    void *p = page_alloc(1);
    if (!p)
        return -3;
    memset(p, 0, PAGE_SIZE);
    if (paging_map_page(va, (uint64_t)p, to_paging(prot)) < 0) {
        page_free(p, 1);
        return -3;
    }
    resident++;
    return 0;
}

uint64_t rt_mem_resident(void)
{
    return resident * PAGE_SIZE;
}

long rt_brk(uint64_t addr)
{
    if (!brk_cur)
        brk_cur = brk_end = PAGING_DEMAND_BASE;
    if (addr < PAGING_DEMAND_BASE || addr > MMAP_BASE)
        return (long)brk_cur; /* a request that fails: the unchanged break, as Linux */
    uint64_t end = PAGING_DEMAND_BASE + pages_of(addr - PAGING_DEMAND_BASE) * PAGE_SIZE;
    if (end > brk_end) {
        if (!within_limits(end - brk_end, PROT_READ | PROT_WRITE) ||
            insert(brk_end, end, PROT_READ | PROT_WRITE) < 0)
            return (long)brk_cur;
    } else if (end < brk_end) {
        if (release(end, brk_end) < 0)
            return (long)brk_cur;
    }
    brk_end = end;
    brk_cur = addr;
    return (long)brk_cur;
}

long rt_mmap(uint64_t addr, uint64_t len, int prot, int flags, int fd, uint64_t off)
{
    if (!len || len > (1ull << 40))
        return -RT_EINVAL;
    if (!(flags & MAP_ANONYMOUS)) /* a file: fs.c copies it into anonymous memory */
        return rt_fs_mmap(addr, len, prot, flags, fd, off);
    uint64_t size = pages_of(len) * PAGE_SIZE, at;
    if (!within_limits(size, prot))
        return -RT_ENOMEM; /* RLIMIT_AS, RLIMIT_DATA (counted before a MAP_FIXED replaces) */
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
        if ((addr & (PAGE_SIZE - 1)) || !in_area(addr, addr + size) || addr < MMAP_BASE)
            return -RT_EINVAL; /* fixed addresses: inside the mmap area only */
        int i = lower(addr);
        if ((flags & MAP_FIXED_NOREPLACE) && i < nranges && ranges[i].start < addr + size)
            return -RT_EEXIST;
        if (release(addr, addr + size) < 0)
            return -RT_ENOMEM;
        at = addr;
    } else if (!(at = find_gap(size)))
        return -RT_ENOMEM;
    if (insert(at, at + size, prot) < 0)
        return -RT_ENOMEM;
    return (long)at; /* pages come on first touch, zeroed */
}

long rt_munmap(uint64_t addr, uint64_t len)
{
    if ((addr & (PAGE_SIZE - 1)) || !len || len > (1ull << 40))
        return -RT_EINVAL;
    return release(addr, addr + pages_of(len) * PAGE_SIZE); /* as Linux: holes are fine */
}

long rt_mprotect(uint64_t addr, uint64_t len, int prot)
{
    if ((addr & (PAGE_SIZE - 1)) || len > (1ull << 40))
        return -RT_EINVAL;
    uint64_t end = addr + pages_of(len) * PAGE_SIZE;
    if (!len)
        return 0;
    if (!in_area(addr, end)) { /* the program's own image pages change; the kernel's stay */
        uint64_t a = addr;
        while (a < end && paging_program_page(a))
            a += PAGE_SIZE;
        if (a < end) {
            static int told;
            if (!told++)
                printk("jeos: mprotect(0x%lx, %lu, %d): 0x%lx is not the program's own memory "
                       "(the kernel's, or a page it shares with the program), so its protection "
                       "stays as it is (this notice once)\n",
                       addr, len, prot, a);
            return 0;
        }
        for (a = addr; a < end; a += PAGE_SIZE)
            paging_protect_page(a, to_paging(prot));
        return 0;
    }
    for (uint64_t a = addr; a < end;) { /* every page must be mapped (else ENOMEM, as Linux) */
        int i = lower(a);
        if (i == nranges || ranges[i].start > a)
            return -RT_ENOMEM;
        a = ranges[i].end;
    }
    for (uint64_t a = addr; a < end;) {
        int i = lower(a);
        struct range r = ranges[i];
        uint64_t s = r.start > a ? r.start : a, e = r.end < end ? r.end : end;
        if (r.prot != prot) { /* split off [s, e) with the new protection */
            if (cut(i, s, e) < 0 || insert(s, e, prot) < 0)
                return -RT_ENOMEM;
            for (uint64_t va = s; va < e; va += PAGE_SIZE)
                if (paging_has_table(va))
                    paging_protect_page(va, to_paging(prot));
        }
        a = e;
    }
    return 0;
}

long rt_mremap(uint64_t old, uint64_t old_len, uint64_t new_len, int flags, uint64_t new_addr)
{
    (void)new_addr;
    if ((old & (PAGE_SIZE - 1)) || !new_len || !old_len || old_len > (1ull << 40) ||
        new_len > (1ull << 40))
        return -RT_EINVAL;
    uint64_t os = pages_of(old_len) * PAGE_SIZE, ns = pages_of(new_len) * PAGE_SIZE;
    int i;
    if (!covered(old, old + os, &i))
        return -RT_EFAULT;
    int prot = ranges[i].prot;
    if (ns <= os)
        return ns < os && release(old + ns, old + os) < 0 ? -RT_ENOMEM : (long)old;
    if (!within_limits(ns - os, prot))
        return -RT_ENOMEM;
    int j = lower(old + os);
    if ((j == nranges || ranges[j].start >= old + ns) && old + ns <= PAGING_DEMAND_TOP)
        return insert(old + os, old + ns, prot) < 0 ? -RT_ENOMEM : (long)old; /* in place */
    if (!(flags & MREMAP_MAYMOVE))
        return -RT_ENOMEM;
    uint64_t at = find_gap(ns);
    if (!at || insert(at, at + ns, prot) < 0)
        return -RT_ENOMEM;
    for (uint64_t o = 0; o < os; o += PAGE_SIZE) { /* the pages move, nothing is copied */
        uint64_t pa = paging_has_table(old + o) ? paging_unmap_page(old + o) : 0;
        if (pa && paging_map_page(at + o, pa, to_paging(prot)) < 0) {
            page_free((void *)pa, 1);
            resident--;
        }
    }
    release(old, old + os);
    return (long)at;
}

/* madvise: MADV_DONTNEED gives the pages back (the next touch sees zeros, as Linux's private
 * anonymous mappings); other advice is taken. */
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
        drop_pages(s, e);
    }
    return 0;
}
