/* mbr.c — MBR-only ("dos") partition table for old hypervisors; GRUB's core image goes in the gap
 * after LBA 0. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "builder/core/err.h"
#include "images/ptable.h"

static uint8_t role_type(enum jeos_part_role r)
{
    switch (r) {
    case JEOS_PART_ESP: return 0xef; /* EFI system partition: FAT, also read by GRUB on BIOS */
    case JEOS_PART_ROOT:
    case JEOS_PART_DATA: return 0x83; /* Linux */
    case JEOS_PART_BIOS_BOOT: break;
    }
    return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static int mbr_write(const struct jeos_layout *l, int fd, struct jeos_err *err)
{
    uint8_t mbr[JEOS_SECTOR];
    memset(mbr, 0, sizeof(mbr));
    put32(mbr + 0x1b8, l->mbr_id);
    if (l->nparts > 4)
        return jeos_errf(err, -EINVAL, "mbr: %zu partitions (at most 4 primary)", l->nparts);
    for (size_t i = 0; i < l->nparts; i++) {
        const struct jeos_part *p = &l->parts[i];
        uint8_t type = role_type(p->role);
        uint64_t first = p->start / JEOS_SECTOR, count = p->size / JEOS_SECTOR;
        if (!type)
            return jeos_errf(err, -EINVAL,
                             "mbr: partition %d: a BIOS boot partition exists only in GPT",
                             p->number);
        if (first == 0 || first + count > 0xffffffffull || count == 0)
            return jeos_errf(err, -EINVAL,
                             "mbr: partition %d at sectors %llu+%llu does not fit 32-bit LBAs",
                             p->number, (unsigned long long)first, (unsigned long long)count);
        uint8_t *e = mbr + 0x1be + 16 * (size_t)(p->number - 1);
        e[0] = p->role == JEOS_PART_ESP ? 0x80 : 0x00; /* active: some BIOSes want one */
        /* CHS fields: the "use LBA" convention (1023/254/63) */
        e[1] = 0xfe, e[2] = 0xff, e[3] = 0xff;
        e[4] = type;
        e[5] = 0xfe, e[6] = 0xff, e[7] = 0xff;
        put32(e + 8, (uint32_t)first);
        put32(e + 12, (uint32_t)count);
    }
    mbr[0x1fe] = 0x55, mbr[0x1ff] = 0xaa;
    return jeos_pwrite_all(fd, mbr, sizeof(mbr), 0, "mbr: partition table", err);
}

/* Linux names an MBR partition "SSSSSSSS-NN": the disk signature and the partition number. */
static void mbr_partuuid(const struct jeos_layout *l, size_t i, char buf[37])
{
    snprintf(buf, 37, "%08x-%02x", l->mbr_id, (unsigned)l->parts[i].number);
}

/* An MBR disk: the boot signature and no protective GPT entry (type 0xEE) in the table. */
static const char *probe_mbr(const struct jeos_choice *self, int fd, uint64_t size)
{
    unsigned char m[JEOS_SECTOR];
    (void)self;
    if (size < JEOS_SECTOR || pread(fd, m, sizeof(m), 0) != (ssize_t)sizeof(m) ||
        m[0x1fe] != 0x55 || m[0x1ff] != 0xaa)
        return "no boot signature 55 AA at byte 510";
    for (int i = 0; i < 4; i++)
        if (m[0x1be + 16 * i + 4] == 0xee)
            return "a protective MBR (the disk is GPT)";
    return NULL;
}

const struct jeos_ptable_ops jeos_ptable_mbr = {
    .c = {.name = "mbr", .kinds = JEOS_FOR_BOTH, .probe = probe_mbr, .title = "MBR"},
    .grub_module = "part_msdos",
    .size_limit = 1ull << 41, /* 2^32 sectors */
    .bios_boot_part = false,
    .tail_reserve = 0,
    .write = mbr_write,
    .partuuid = mbr_partuuid,
};
