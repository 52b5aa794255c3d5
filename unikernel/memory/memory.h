/* unikernel/memory/memory.h — physical pages from the boot memory map, and the kernel heap. */
#ifndef UK_MEMORY_H
#define UK_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/bootinfo.h"

#define PAGE_SIZE 4096ull

/*
 * page_init: builds the page bitmap over usable memory from bi; memory below 1 MiB, the kernel
 * image, the loader's structure and boot modules stay reserved. Returns 0 or a negative errno.
 */
int page_init(const struct boot_info *bi);

/* page_alloc: n contiguous pages (identity-mapped, not zeroed), or NULL. page_free gives them back.
 */
void *page_alloc(size_t n);
void page_free(void *p, size_t n);

/* heap_alloc: size bytes, 16-byte aligned, or NULL; heap_free(NULL) does nothing. */
void *heap_alloc(size_t size);
void heap_free(void *p);

struct mem_stats {
    uint64_t total;      /* usable RAM in the memory map */
    uint64_t image;      /* kernel image in memory: text, data and bss */
    uint64_t pages_used; /* pages handed out (page tables, bitmap, heap) */
    uint64_t pages_peak; /* the most pages_used has been since boot */
    uint64_t page_tables;
    uint64_t heap_bytes; /* bytes the heap got from the page allocator */
    uint64_t heap_live;  /* bytes currently allocated from the heap */
};

void mem_get_stats(struct mem_stats *s);

#endif
