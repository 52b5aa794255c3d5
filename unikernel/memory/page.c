/* unikernel/memory/page.c — a bitmap page allocator over the usable regions of the boot map. */
#include "arch/x86_64/paging.h"
#include "lib/string.h"
#include "memory/memory.h"

extern char __image_start[], __image_end[];

static uint8_t *bitmap; /* bit set = page in use or not RAM */
static uint64_t npages, hint, used_pages, peak_pages, total_bytes, bitmap_pages;

static int test(uint64_t pg)
{
    return bitmap[pg / 8] & (1u << (pg % 8));
}

static void mark_bit(uint64_t pg, int used)
{
    if (used)
        bitmap[pg / 8] |= (uint8_t)(1u << (pg % 8));
    else
        bitmap[pg / 8] &= (uint8_t) ~(1u << (pg % 8));
}

/* Bits one by one up to a byte boundary, whole bytes by memset, then the tail. */
static void mark(uint64_t first, uint64_t n, int used)
{
    uint64_t end = first + n < npages ? first + n : npages;
    uint64_t pg = first;
    for (; pg < end && (pg % 8); pg++)
        mark_bit(pg, used);
    if (pg < end && end - pg >= 8) {
        uint64_t bytes = (end - pg) / 8;
        memset(bitmap + pg / 8, used ? 0xff : 0, bytes);
        pg += bytes * 8;
    }
    for (; pg < end; pg++)
        mark_bit(pg, used);
}

static void reserve(uint64_t base, uint64_t len)
{
    if (len == 0)
        return;
    uint64_t first = base / PAGE_SIZE;
    uint64_t last = (base + len + PAGE_SIZE - 1) / PAGE_SIZE;
    mark(first, last - first, 1);
}

/* Whether [a, a + len) overlaps something the bitmap itself must not sit on. */
static int overlaps_reserved(const struct boot_info *bi, uint64_t a, uint64_t len)
{
    uint64_t img0 = (uint64_t)__image_start, img1 = (uint64_t)__image_end;
    if (a < 0x100000 || (a < img1 && img0 < a + len))
        return 1;
    if (a < bi->info_base + bi->info_len && bi->info_base < a + len)
        return 1;
    for (int i = 0; i < bi->nmod; i++)
        if (a < bi->mod[i].base + bi->mod[i].len && bi->mod[i].base < a + len)
            return 1;
    return 0;
}

int page_init(const struct boot_info *bi)
{
    uint64_t top = 0;
    for (int i = 0; i < bi->nmem; i++) {
        const struct boot_mem *m = &bi->mem[i];
        if (m->type != BOOT_MEM_USABLE)
            continue;
        total_bytes += m->len;
        if (m->base + m->len > top)
            top = m->base + m->len;
    }
    npages = top / PAGE_SIZE;
    uint64_t bytes = (npages + 7) / 8;
    bitmap_pages = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
    /* place the bitmap in the first page-aligned usable spot that holds nothing else */
    for (int i = 0; i < bi->nmem && !bitmap; i++) {
        const struct boot_mem *m = &bi->mem[i];
        if (m->type != BOOT_MEM_USABLE)
            continue;
        uint64_t a = (m->base + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
        uint64_t len = bitmap_pages * PAGE_SIZE;
        for (; a + len <= m->base + m->len; a += PAGE_SIZE)
            if (!overlaps_reserved(bi, a, len)) {
                bitmap = (uint8_t *)a;
                break;
            }
    }
    if (!bitmap)
        return -12;
    memset(bitmap, 0xff, bitmap_pages * PAGE_SIZE);
    for (int i = 0; i < bi->nmem; i++) {
        const struct boot_mem *m = &bi->mem[i];
        if (m->type != BOOT_MEM_USABLE)
            continue;
        uint64_t first = (m->base + PAGE_SIZE - 1) / PAGE_SIZE;
        uint64_t last = (m->base + m->len) / PAGE_SIZE;
        if (last > first)
            mark(first, last - first, 0);
    }
    /* reserved areas overlapping usable memory are marked again (maps can overlap) */
    for (int i = 0; i < bi->nmem; i++)
        if (bi->mem[i].type != BOOT_MEM_USABLE)
            reserve(bi->mem[i].base, bi->mem[i].len);
    reserve(0, 0x100000);
    reserve((uint64_t)__image_start, (uint64_t)__image_end - (uint64_t)__image_start);
    reserve(bi->info_base, bi->info_len);
    for (int i = 0; i < bi->nmod; i++)
        reserve(bi->mod[i].base, bi->mod[i].len);
    reserve((uint64_t)bitmap, bitmap_pages * PAGE_SIZE);
    hint = 0;
    used_pages = 0;
    peak_pages = 0;
    return 0;
}

void *page_alloc(size_t n)
{
    if (n == 0 || !bitmap)
        return NULL;
    for (int pass = 0; pass < 2; pass++) {
        uint64_t start = pass == 0 ? hint : 0;
        uint64_t run = 0;
        for (uint64_t pg = start; pg < npages; pg++) {
            if (test(pg)) {
                run = 0;
                continue;
            }
            if (++run == n) {
                uint64_t first = pg + 1 - n;
                mark(first, n, 1);
                used_pages += n;
                if (used_pages > peak_pages)
                    peak_pages = used_pages;
                hint = pg + 1;
                return (void *)(first * PAGE_SIZE);
            }
        }
    }
    return NULL;
}

void page_free(void *p, size_t n)
{
    if (!p || n == 0)
        return;
    uint64_t first = (uint64_t)p / PAGE_SIZE;
    mark(first, n, 0);
    used_pages -= n;
    if (first < hint)
        hint = first;
}

void heap_stats(uint64_t *bytes, uint64_t *live);

void mem_get_stats(struct mem_stats *s)
{
    s->total = total_bytes;
    s->image = (uint64_t)__image_end - (uint64_t)__image_start;
    s->pages_used = (used_pages + bitmap_pages) * PAGE_SIZE;
    s->pages_peak = (peak_pages + bitmap_pages) * PAGE_SIZE;
    s->page_tables = paging_table_bytes();
    heap_stats(&s->heap_bytes, &s->heap_live);
}
