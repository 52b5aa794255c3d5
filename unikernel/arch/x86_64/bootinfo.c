/* unikernel/arch/x86_64/bootinfo.c — multiboot2 and PVH start info normalised into struct
 * boot_info. */
#include <stddef.h>

#include "arch/x86_64/bootinfo.h"
#include "arch/x86_64/cpu.h"
#include "lib/string.h"
#include "platform/platform.h"

#define PVH_MAGIC 0x336ec578u

struct hvm_start_info {
    uint32_t magic, version, flags, nr_modules;
    uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
    uint64_t memmap_paddr; /* version >= 1 */
    uint32_t memmap_entries, reserved;
};

struct hvm_modlist_entry {
    uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_entry {
    uint64_t addr, size;
    uint32_t type, reserved;
};

struct mb2_tag {
    uint32_t type, size;
};

struct mb2_mmap_entry {
    uint64_t base, len;
    uint32_t type, reserved;
};

static void copy_cmdline(struct boot_info *bi, const char *s)
{
    size_t n = 0;
    if (s)
        while (s[n] && n < BOOT_CMDLINE_MAX - 1) {
            bi->cmdline[n] = s[n];
            n++;
        }
    bi->cmdline[n] = '\0';
}

static void add_mem(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t type)
{
    if (len == 0 || bi->nmem >= BOOT_MEM_MAX)
        return;
    if (type < BOOT_MEM_USABLE || type > BOOT_MEM_BAD)
        type = BOOT_MEM_RESERVED;
    int i = bi->nmem++;
    while (i > 0 && bi->mem[i - 1].base > base) { /* insertion sort by base */
        bi->mem[i] = bi->mem[i - 1];
        i--;
    }
    bi->mem[i] = (struct boot_mem){base, len, type};
}

static void add_module(struct boot_info *bi, uint64_t base, uint64_t len)
{
    if (bi->nmod < BOOT_MOD_MAX)
        bi->mod[bi->nmod++] = (struct boot_module){base, len};
}

static uint8_t cmos_read(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

/* No map from the loader: the PC CMOS holds the memory size below and above 16 MiB. */
static void mem_from_cmos(struct boot_info *bi)
{
    uint64_t ext = ((uint64_t)cmos_read(0x31) << 8 | cmos_read(0x30)) * 1024;
    uint64_t high = ((uint64_t)cmos_read(0x35) << 8 | cmos_read(0x34)) * 65536;
    add_mem(bi, 0, 0x9f000, BOOT_MEM_USABLE);
    if (high)
        add_mem(bi, 0x100000, 0xf00000 + high, BOOT_MEM_USABLE);
    else
        add_mem(bi, 0x100000, ext, BOOT_MEM_USABLE);
}

static int parse_pvh(struct boot_info *bi, uint64_t addr, const char **why)
{
    const struct hvm_start_info *si = (const void *)addr;
    if (si->magic != PVH_MAGIC) {
        *why = "PVH start info: bad magic";
        return -22;
    }
    bi->info_base = addr;
    bi->info_len = sizeof(*si);
    if (si->cmdline_paddr)
        copy_cmdline(bi, (const char *)si->cmdline_paddr);
    const struct hvm_modlist_entry *m = (const void *)si->modlist_paddr;
    for (uint32_t i = 0; m && i < si->nr_modules; i++)
        add_module(bi, m[i].paddr, m[i].size);
    bi->rsdp = si->rsdp_paddr;
    if (si->version >= 1 && si->memmap_paddr && si->memmap_entries) {
        const struct hvm_memmap_entry *e = (const void *)si->memmap_paddr;
        for (uint32_t i = 0; i < si->memmap_entries; i++)
            add_mem(bi, e[i].addr, e[i].size, e[i].type);
    } else {
        mem_from_cmos(bi);
    }
    return 0;
}

static int parse_mb2(struct boot_info *bi, uint64_t addr, const char **why)
{
    uint32_t total = *(const uint32_t *)addr;
    if (total < 16 || total > (1u << 24)) {
        *why = "multiboot2 information: bad total size";
        return -22;
    }
    bi->info_base = addr;
    bi->info_len = total;
    int have_map = 0;
    for (uint64_t p = addr + 8; p + 8 <= addr + total;) {
        const struct mb2_tag *t = (const void *)p;
        if (t->type == 0 || t->size < 8)
            break;
        const uint8_t *body = (const uint8_t *)(t + 1);
        switch (t->type) {
        case 1: copy_cmdline(bi, (const char *)body); break;
        case 3: {
            const uint32_t *mod = (const uint32_t *)body;
            add_module(bi, mod[0], mod[1] - mod[0]);
            break;
        }
        case 6: {
            uint32_t esize = ((const uint32_t *)body)[0];
            if (esize < sizeof(struct mb2_mmap_entry))
                break;
            for (uint64_t e = (uint64_t)body + 8; e + esize <= p + t->size; e += esize) {
                const struct mb2_mmap_entry *me = (const void *)e;
                add_mem(bi, me->base, me->len, me->type);
            }
            have_map = 1;
            break;
        }
        case 14: /* ACPI 1.0 RSDP copy */
        case 15: /* ACPI 2.0+ RSDP copy */
            if (!bi->rsdp || t->type == 15)
                bi->rsdp = (uint64_t)body;
            break;
        default: break;
        }
        p += (t->size + 7) & ~7u;
    }
    if (!have_map)
        mem_from_cmos(bi);
    return 0;
}

/* The real-mode segment of the EBDA, from the BIOS data area at 0x40e (page 0, still mapped). */
static uint64_t read_ebda(void)
{
    uint16_t seg;
    __asm__ volatile("movw 0x40e, %0" : "=r"(seg));
    return (uint64_t)seg << 4;
}

int bootinfo_parse(struct boot_info *bi, int source, uint64_t addr, const char **why)
{
    memset(bi, 0, sizeof(*bi));
    bi->source = source;
    if (source != BOOT_SRC_JEOS_HV)
        bi->ebda = read_ebda();
    switch (source) {
    case BOOT_SRC_PVH: return parse_pvh(bi, addr, why);
    case BOOT_SRC_MULTIBOOT2: return parse_mb2(bi, addr, why);
    case BOOT_SRC_JEOS_HV: bi->hv_info = addr; return platform_parse_hv_bootinfo(bi, addr, why);
    default: *why = "unknown boot source"; return -22;
    }
}

const char *bootinfo_source_name(int source)
{
    switch (source) {
    case BOOT_SRC_PVH: return "pvh";
    case BOOT_SRC_MULTIBOOT2: return "multiboot2";
    case BOOT_SRC_JEOS_HV: return "jeos-hv";
    default: return "unknown";
    }
}
