/* unikernel/arch/x86_64/bootinfo.h — what every entry normalises its loader's data into. */
#ifndef UK_ARCH_BOOTINFO_H
#define UK_ARCH_BOOTINFO_H

#include <stdint.h>

#include "arch/x86_64/bootsrc.h"

#define BOOT_MEM_MAX     64
#define BOOT_MOD_MAX     8
#define BOOT_CMDLINE_MAX 1024

enum boot_mem_type {
    BOOT_MEM_USABLE = 1,
    BOOT_MEM_RESERVED = 2,
    BOOT_MEM_ACPI = 3,
    BOOT_MEM_NVS = 4,
    BOOT_MEM_BAD = 5,
};

struct boot_mem {
    uint64_t base, len;
    uint32_t type; /* enum boot_mem_type (E820 numbering) */
};

struct boot_module {
    uint64_t base, len;
};

struct boot_info {
    int source;                     /* BOOT_SRC_* */
    char cmdline[BOOT_CMDLINE_MAX]; /* copied: the loader's memory may be reused */
    int nmem;
    struct boot_mem mem[BOOT_MEM_MAX]; /* sorted by base */
    int nmod;
    struct boot_module mod[BOOT_MOD_MAX];
    uint64_t rsdp;                /* physical address of the ACPI RSDP, 0 if unknown */
    uint64_t info_base, info_len; /* the loader's own structure, kept out of the allocator */
    uint64_t hv_info;             /* jeos-hv: guest-physical address of its boot-info block */
    uint64_t tsc_khz;             /* from the loader, 0 if unknown */
    uint64_t ebda;                /* BIOS extended data area (read before page 0 goes) */
};

/*
 * bootinfo_parse: fills bi from the loader's structure at addr for the given source.
 * Returns 0, or a negative errno with a message in *why (static text).
 */
int bootinfo_parse(struct boot_info *bi, int source, uint64_t addr, const char **why);

/* Name of a boot source ("multiboot2", "pvh", "jeos-hv"). */
const char *bootinfo_source_name(int source);

#endif
