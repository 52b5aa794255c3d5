/* unikernel/arch/x86_64/paging.h — the kernel's identity map with per-section permissions. */
#ifndef UK_ARCH_PAGING_H
#define UK_ARCH_PAGING_H

#include <stdint.h>

#include "arch/x86_64/bootinfo.h"

/*
 * paging_init: builds and loads the final page tables (from the page allocator): identity map
 * of the memory map's regions (RAM write-back, reserved regions uncached); page 0 unmapped;
 * kernel text read-only + executable; rodata read-only; data, bss, heap and all other memory
 * non-executable; stack guard pages unmapped. Returns 0 or a negative errno.
 */
int paging_init(const struct boot_info *bi);

/*
 * paging_map_mmio: maps device registers at [base, base + len) uncached, non-executable (2 MiB
 * granules; below 4 GiB or RAM's top). Returns 0 or -EINVAL when out of range.
 */
int paging_map_mmio(uint64_t base, uint64_t len);

/* Whether addr is mapped in the current page tables (a walk, safe inside fault handlers). */
int paging_is_mapped(uint64_t addr);

/* Whether addr lies in the kernel's text. */
int paging_is_text(uint64_t addr);

/* Bytes of page tables built by paging_init. */
uint64_t paging_table_bytes(void);

#endif
