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

/*
 * 4 KiB pages outside the identity map (the POSIX runtime's demand-paged memory, at and above
 * PAGING_DEMAND_BASE): map va to the physical page pa with prot (PAGING_R/W/X; none: the page
 * stays recorded but not present), unmap (returns the page, 0 if none), the page of va (0 if
 * none), and a change of prot. Tables are made on demand; map returns 0 or -ENOMEM.
 */
#define PAGING_DEMAND_BASE 0x400000000000ull /* 64 TiB: above every identity-mapped address */
#define PAGING_DEMAND_TOP  0x7f0000000000ull
#define PAGING_R           1
#define PAGING_W           2
#define PAGING_X           4
int paging_map_page(uint64_t va, uint64_t pa, int prot);
uint64_t paging_unmap_page(uint64_t va);
uint64_t paging_page_of(uint64_t va);
void paging_protect_page(uint64_t va, int prot);
/*
 * Whether the 4 KiB page at va lies wholly inside the program's own text, rodata, data or bss
 * (kernel.ld's __prog_* spans: no byte of the kernel's on it), so that paging_protect_page may
 * change it.
 */
int paging_program_page(uint64_t va);
/* Whether the 2 MiB span of va has a page table (else none of its pages is mapped). */
int paging_has_table(uint64_t va);

/* Bytes of page tables built by paging_init. */
uint64_t paging_table_bytes(void);

#endif
