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

extern char __image_start[], __text_end[], __rodata_end[], __image_end[];

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

static int is_guard(uint64_t a, const uint64_t *guards, int nguards)
{
    for (int i = 0; i < nguards; i++)
        if (a == guards[i])
            return 1;
    return 0;
}

/* Flags of the 4 KiB page at a, inside the range covered by small pages. */
static uint64_t small_flags(uint64_t a, const uint64_t *guards, int nguards)
{
    if (a == 0 || is_guard(a, guards, nguards))
        return 0;
    if (a >= (uint64_t)__image_start && a < (uint64_t)__text_end)
        return PTE_P;
    if (a >= (uint64_t)__text_end && a < (uint64_t)__rodata_end)
        return PTE_P | nx_bit;
    return PTE_P | PTE_W | nx_bit;
}

static int is_ram(const struct boot_info *bi, uint64_t base, uint64_t len)
{
    for (int i = 0; i < bi->nmem; i++) {
        const struct boot_mem *m = &bi->mem[i];
        if (m->type != BOOT_MEM_BAD && base < m->base + m->len && m->base < base + len)
            return 1;
    }
    return 0;
}

int paging_init(const struct boot_info *bi)
{
    uint64_t guards[8];
    int nguards = cpu_stack_guards(guards, 8);
    nx_bit = cpu_features.nx ? PTE_NX : 0;

    uint64_t top = 4 * GIB;              /* all of the first 4 GiB: RAM, then device registers */
    for (int i = 0; i < bi->nmem; i++) { /* RAM only: reserved holes far up stay unmapped */
        const struct boot_mem *m = &bi->mem[i];
        if (m->type != BOOT_MEM_RESERVED && m->type != BOOT_MEM_BAD && m->base + m->len > top)
            top = m->base + m->len;
    }
    if (top > 512 * GIB)
        top = 512 * GIB;
    top = (top + GIB - 1) & ~(GIB - 1);
    uint64_t small_end = ((uint64_t)__image_end + MIB2 - 1) & ~(MIB2 - 1);

    uint64_t *pml4 = new_table(), *pdpt = new_table();
    if (!pml4 || !pdpt)
        return -12;
    pml4[0] = (uint64_t)pdpt | PTE_P | PTE_W;
    for (uint64_t g = 0; g < top; g += GIB) {
        uint64_t *pd = new_table();
        if (!pd)
            return -12;
        pdpt[g / GIB] = (uint64_t)pd | PTE_P | PTE_W;
        for (uint64_t a = g; a < g + GIB; a += MIB2) {
            uint64_t *pde = &pd[(a - g) / MIB2];
            if (a < small_end) {
                uint64_t *pt = new_table();
                if (!pt)
                    return -12;
                for (int i = 0; i < 512; i++) {
                    uint64_t pa = a + (uint64_t)i * PAGE_SIZE;
                    uint64_t fl = small_flags(pa, guards, nguards);
                    pt[i] = fl ? pa | fl : 0;
                }
                *pde = (uint64_t)pt | PTE_P | PTE_W;
            } else if (is_ram(bi, a, MIB2)) {
                *pde = a | PTE_P | PTE_W | PTE_PS | nx_bit;
            } else if (a < 4 * GIB) {
                *pde = a | PTE_P | PTE_W | PTE_PS | PTE_PCD | PTE_PWT | nx_bit;
            }
        }
    }
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

uint64_t paging_table_bytes(void)
{
    return table_bytes;
}
