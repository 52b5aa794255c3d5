/* unikernel/arch/x86_64/ksyms.c — address to symbol lookup over the sorted embedded table. */
#include <stddef.h>

#include "arch/x86_64/ksyms.h"

struct ksym {
    uint64_t addr;
    const char *name;
};

/* Emitted by tools/ksyms.sh into section .ksyms: a count, then entries sorted by address. */
extern const struct {
    uint64_t count;
    struct ksym sym[];
} ksyms_table;

extern char __image_start[], __text_end[];

const char *ksyms_lookup(uint64_t addr, uint64_t *off)
{
    if (addr < (uint64_t)__image_start || addr >= (uint64_t)__text_end || ksyms_table.count == 0)
        return NULL;
    size_t lo = 0, hi = ksyms_table.count; /* find the last entry with sym.addr <= addr */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (ksyms_table.sym[mid].addr <= addr)
            lo = mid;
        else
            hi = mid;
    }
    if (ksyms_table.sym[lo].addr > addr)
        return NULL;
    *off = addr - ksyms_table.sym[lo].addr;
    return ksyms_table.sym[lo].name;
}
