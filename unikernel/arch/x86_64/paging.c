/* unikernel/arch/x86_64/paging.c — final page tables: 4 KiB pages over the image, 2 MiB elsewhere.
 */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/paging.h"
#include "lib/string.h"
#include "memory/memory.h"

#define PTE_P    (1ull << 0)
#define PTE_W    (1ull << 1)
#define PTE_PWT  (1ull << 3)
#define PTE_PCD  (1ull << 4)
#define PTE_PS   (1ull << 7)
#define PTE_NX   (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull
#define MIB2     0x200000ull
#define GIB      0x40000000ull
/* Identity-mapped device registers stay below the canonical hole (and physical address widths). */
#define PHYS_LIMIT (1ull << 46)

extern char __image_start[], __text_end[], __rodata_end[], __image_end[];
extern char __prog_text_start[], __prog_text_end[], __prog_rodata_start[], __prog_rodata_end[],
    __prog_data_start[], __prog_data_end[], __prog_bss_start[], __prog_bss_end[];

static uint64_t table_bytes;
static uint64_t nx_bit;

static uint64_t *new_table(void)
{
    uint64_t *t = page_alloc(1);
    if (t) {
        memset(t, 0, PAGE_SIZE);
        table_bytes += PAGE_SIZE;
    }
    return t;
}

#define MAX_PD 512 /* one PDPT: 512 GiB */

static uint64_t *pds[MAX_PD]; /* page directory of each GiB below top */
static uint64_t map_top, small_top;

/* Fills pt (the table of the 2 MiB chunk at chunk) for [from, to) with flags. */
static void fill(uint64_t *pt, uint64_t chunk, uint64_t from, uint64_t to, uint64_t flags)
{
    if (from < chunk)
        from = chunk;
    if (to > chunk + MIB2)
        to = chunk + MIB2;
    for (uint64_t a = from; a < to; a += PAGE_SIZE)
        pt[(a - chunk) / PAGE_SIZE] = a | flags;
}

/* Maps the 2 MiB chunks of [base, base + len) with flags (those under the small pages excepted). */
static void map_chunks(uint64_t base, uint64_t len, uint64_t flags)
{
    for (uint64_t a = base & ~(MIB2 - 1); a < base + len && a < map_top; a += MIB2)
        if (a >= small_top)
            pds[a / GIB][(a % GIB) / MIB2] = a | PTE_P | PTE_W | PTE_PS | nx_bit | flags;
}

static uint64_t *pml4_table;

/* The table an entry points to, made (zeroed) when the entry is empty; NULL when out of pages. */
static uint64_t *table_at(uint64_t *parent, unsigned index)
{
    if (parent[index] & PTE_P)
        return (uint64_t *)(parent[index] & PTE_ADDR);
    uint64_t *t = new_table();
    if (t)
        parent[index] = (uint64_t)t | PTE_P | PTE_W;
    return t;
}

/* Device registers above the RAM map (64-bit PCI BARs): tables made on demand, 2 MiB pages. */
static int map_high(uint64_t base, uint64_t len)
{
    for (uint64_t a = base & ~(MIB2 - 1); a < base + len; a += MIB2) {
        uint64_t *pdpt = table_at(pml4_table, (unsigned)(a >> 39) & 511);
        uint64_t *pd = pdpt ? table_at(pdpt, (unsigned)(a >> 30) & 511) : NULL;
        if (!pd)
            return -12;
        pd[(a >> 21) & 511] = a | PTE_P | PTE_W | PTE_PS | nx_bit | PTE_PCD | PTE_PWT;
    }
    return 0;
}

int paging_map_mmio(uint64_t base, uint64_t len)
{
    if (len == 0 || base >= PHYS_LIMIT || len > PHYS_LIMIT - base)
        return -22;
    uint64_t end = base + len;
    if (end > map_top) {
        uint64_t from = base > map_top ? base : map_top;
        if (map_high(from, end - from) < 0)
            return -12;
        end = from;
    }
    if (base < end && end > small_top) /* the first span is mapped page by page already */
        map_chunks(base, end - base, PTE_PCD | PTE_PWT);
    write_cr3(read_cr3()); /* entries may have gone from absent to present */
    return 0;
}

int paging_init(const struct boot_info *bi)
{
    uint64_t guards[8];
    int nguards = cpu_stack_guards(guards, 8);
    nx_bit = cpu_features.nx ? PTE_NX : 0;

    uint64_t top = 4 * GIB; /* page directories for the first 4 GiB: RAM, then devices */
    for (int i = 0; i < bi->nmem; i++) { /* RAM only: reserved holes far up stay unmapped */
        const struct boot_mem *m = &bi->mem[i];
        if (m->type != BOOT_MEM_RESERVED && m->type != BOOT_MEM_BAD && m->base + m->len > top)
            top = m->base + m->len;
    }
    if (top > MAX_PD * GIB)
        top = MAX_PD * GIB;
    map_top = (top + GIB - 1) & ~(GIB - 1);
    small_top = ((uint64_t)__image_end + MIB2 - 1) & ~(MIB2 - 1);

    uint64_t *pml4 = new_table(), *pdpt = new_table();
    if (!pml4 || !pdpt)
        return -12;
    pml4_table = pml4;
    pml4[0] = (uint64_t)pdpt | PTE_P | PTE_W;
    for (uint64_t g = 0; g < map_top; g += GIB) {
        if (!(pds[g / GIB] = new_table()))
            return -12;
        pdpt[g / GIB] = (uint64_t)pds[g / GIB] | PTE_P | PTE_W;
    }
    /* 4 KiB pages up to small_top: page 0 and the guard pages stay out */
    for (uint64_t a = 0; a < small_top; a += MIB2) {
        uint64_t *pt = new_table();
        if (!pt)
            return -12;
        fill(pt, a, PAGE_SIZE, (uint64_t)__image_start, PTE_P | PTE_W | nx_bit);
        fill(pt, a, (uint64_t)__image_start, (uint64_t)__text_end, PTE_P);
        fill(pt, a, (uint64_t)__text_end, (uint64_t)__rodata_end, PTE_P | nx_bit);
        fill(pt, a, (uint64_t)__rodata_end, a + MIB2, PTE_P | PTE_W | nx_bit);
        for (int i = 0; i < nguards; i++)
            if (guards[i] >= a && guards[i] < a + MIB2)
                pt[(guards[i] - a) / PAGE_SIZE] = 0;
        pds[a / GIB][(a % GIB) / MIB2] = (uint64_t)pt | PTE_P | PTE_W;
    }
    /* the memory map: device-like regions uncached first, then RAM write-back over them */
    for (int i = 0; i < bi->nmem; i++)
        if (bi->mem[i].type == BOOT_MEM_RESERVED)
            map_chunks(bi->mem[i].base, bi->mem[i].len, PTE_PCD | PTE_PWT);
    for (int i = 0; i < bi->nmem; i++)
        if (bi->mem[i].type != BOOT_MEM_RESERVED && bi->mem[i].type != BOOT_MEM_BAD)
            map_chunks(bi->mem[i].base, bi->mem[i].len, 0);
    write_cr3((uint64_t)pml4);
    return 0;
}

int paging_is_mapped(uint64_t addr)
{
    const uint64_t *t = (const uint64_t *)(read_cr3() & PTE_ADDR);
    for (int level = 3; level >= 0; level--) {
        uint64_t e = t[(addr >> (12 + 9 * level)) & 511];
        if (!(e & PTE_P))
            return 0;
        if (level == 0 || (level <= 2 && (e & PTE_PS)))
            return 1;
        t = (const uint64_t *)(e & PTE_ADDR);
    }
    return 1;
}

int paging_is_text(uint64_t addr)
{
    return addr >= (uint64_t)__image_start && addr < (uint64_t)__text_end;
}

/* The 4 KiB entry of va (tables made when make), or NULL; never under a 2 MiB page. */
static uint64_t *pte_of(uint64_t va, int make)
{
    uint64_t *t = pml4_table;
    for (int level = 3; level >= 1; level--) {
        unsigned i = (unsigned)(va >> (12 + 9 * level)) & 511;
        if (!(t[i] & PTE_P) && !make)
            return NULL;
        if ((t[i] & PTE_P) && (t[i] & PTE_PS))
            return NULL;
        t = table_at(t, i);
        if (!t)
            return NULL;
    }
    return &t[(va >> 12) & 511];
}

#define PTE_NONE (1ull << 9) /* software: a page kept while PROT_NONE (not present) */

static uint64_t prot_bits(int prot)
{
    if (!(prot & (PAGING_R | PAGING_W | PAGING_X)))
        return PTE_NONE;
    return PTE_P | ((prot & PAGING_W) ? PTE_W : 0) | ((prot & PAGING_X) ? 0 : nx_bit);
}

static void invlpg(uint64_t va)
{
    __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}

int paging_map_page(uint64_t va, uint64_t pa, int prot)
{
    uint64_t *e = pte_of(va, 1);
    if (!e)
        return -12;
    *e = pa | prot_bits(prot);
    invlpg(va);
    return 0;
}

uint64_t paging_unmap_page(uint64_t va)
{
    uint64_t *e = pte_of(va, 0);
    if (!e || !(*e & (PTE_P | PTE_NONE)))
        return 0;
    uint64_t pa = *e & PTE_ADDR;
    *e = 0;
    invlpg(va);
    return pa;
}

int paging_program_page(uint64_t va)
{
    const char *spans[][2] = {{__prog_text_start, __prog_text_end},
                              {__prog_rodata_start, __prog_rodata_end},
                              {__prog_data_start, __prog_data_end},
                              {__prog_bss_start, __prog_bss_end}};
    va &= ~(uint64_t)(PAGE_SIZE - 1);
    for (unsigned i = 0; i < sizeof(spans) / sizeof(spans[0]); i++)
        if (va >= (uint64_t)spans[i][0] && va + PAGE_SIZE <= (uint64_t)spans[i][1])
            return 1;
    return 0;
}

int paging_has_table(uint64_t va)
{
    return pte_of(va, 0) != NULL;
}

uint64_t paging_page_of(uint64_t va)
{
    uint64_t *e = pte_of(va, 0);
    return e && (*e & (PTE_P | PTE_NONE)) ? *e & PTE_ADDR : 0;
}

void paging_protect_page(uint64_t va, int prot)
{
    uint64_t *e = pte_of(va, 0);
    if (!e || !(*e & (PTE_P | PTE_NONE)))
        return;
    *e = (*e & PTE_ADDR) | prot_bits(prot);
    invlpg(va);
}

uint64_t paging_table_bytes(void)
{
    return table_bytes;
}
