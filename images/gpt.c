/* gpt.c — GUID partition table with a protective MBR: primary at LBA 1-33, backup at the disk's
 * end. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/core/err.h"
#include "images/ptable.h"

#define GPT_ENTRIES       128u
#define GPT_ENTRY_SIZE    128u
#define GPT_ENTRY_SECTORS (GPT_ENTRIES * GPT_ENTRY_SIZE / JEOS_SECTOR) /* 32 */
#define GPT_HEADER_SIZE   92u

/* Type GUIDs, as printed (RFC 4122 order); written mixed-endian like every GUID on disk. */
static const char *role_type(enum jeos_part_role r)
{
    switch (r) {
    case JEOS_PART_BIOS_BOOT: return "21686148-6449-6e6f-744e-656564454649";
    case JEOS_PART_ESP: return "c12a7328-f81f-11d2-ba4b-00a0c93ec93b";
    case JEOS_PART_ROOT: return "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"; /* Linux root (x86-64) */
    case JEOS_PART_DATA: return "0fc63daf-8483-4772-8e79-3d69d8477de4"; /* Linux filesystem */
    }
    return NULL;
}

static const char *role_name(enum jeos_part_role r)
{
    switch (r) {
    case JEOS_PART_BIOS_BOOT: return "bios-boot";
    case JEOS_PART_ESP: return "esp";
    case JEOS_PART_ROOT: return "root";
    case JEOS_PART_DATA: return "data";
    }
    return "";
}

static void parse_uuid(const char *s, uint8_t out[16])
{
    for (int i = 0; i < 16; i++) {
        while (*s == '-')
            s++;
        char hex[3] = {s[0], s[1], 0};
        out[i] = (uint8_t)strtoul(hex, NULL, 16);
        s += 2;
    }
}

/* RFC 4122 byte order to the GUID layout on disk (first three fields little-endian). */
static void guid_to_disk(const uint8_t u[16], uint8_t *d)
{
    d[0] = u[3], d[1] = u[2], d[2] = u[1], d[3] = u[0];
    d[4] = u[5], d[5] = u[4];
    d[6] = u[7], d[7] = u[6];
    memcpy(d + 8, u + 8, 8);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void fill_header(uint8_t *h, const struct jeos_layout *l, uint64_t my_lba, uint64_t alt_lba,
                        uint64_t entries_lba, uint32_t entries_crc)
{
    uint64_t sectors = l->disk_size / JEOS_SECTOR;
    memset(h, 0, JEOS_SECTOR);
    memcpy(h, "EFI PART", 8);
    put32(h + 8, 0x00010000);       /* revision 1.0 */
    put32(h + 12, GPT_HEADER_SIZE); /* header size */
    put64(h + 24, my_lba);
    put64(h + 32, alt_lba);
    put64(h + 40, 2 + GPT_ENTRY_SECTORS);           /* first usable LBA: 34 */
    put64(h + 48, sectors - 2 - GPT_ENTRY_SECTORS); /* last usable LBA */
    guid_to_disk(l->disk_uuid, h + 56);
    put64(h + 72, entries_lba);
    put32(h + 80, GPT_ENTRIES);
    put32(h + 84, GPT_ENTRY_SIZE);
    put32(h + 88, entries_crc);
    put32(h + 16, jeos_crc32(0, h, GPT_HEADER_SIZE)); /* computed with its own field zero */
}

static int gpt_write(const struct jeos_layout *l, int fd, struct jeos_err *err)
{
    uint64_t sectors = l->disk_size / JEOS_SECTOR;
    if (l->disk_size % JEOS_SECTOR || sectors < 2 * (2 + GPT_ENTRY_SECTORS) + 1)
        return jeos_errf(err, -EINVAL, "gpt: disk of %llu bytes is too small or not whole sectors",
                         (unsigned long long)l->disk_size);
    uint64_t last_usable = sectors - 2 - GPT_ENTRY_SECTORS;

    uint8_t entries[GPT_ENTRIES * GPT_ENTRY_SIZE];
    memset(entries, 0, sizeof(entries));
    for (size_t i = 0; i < l->nparts; i++) {
        const struct jeos_part *p = &l->parts[i];
        uint64_t first = p->start / JEOS_SECTOR, last = (p->start + p->size) / JEOS_SECTOR - 1;
        if (first < 2 + GPT_ENTRY_SECTORS || last > last_usable || p->size == 0)
            return jeos_errf(err, -EINVAL,
                             "gpt: partition %d (%s) at sectors %llu-%llu is outside the usable "
                             "area 34-%llu",
                             p->number, role_name(p->role), (unsigned long long)first,
                             (unsigned long long)last, (unsigned long long)last_usable);
        uint8_t *e = entries + (size_t)(p->number - 1) * GPT_ENTRY_SIZE;
        uint8_t type[16];
        parse_uuid(role_type(p->role), type);
        guid_to_disk(type, e);
        guid_to_disk(p->uuid, e + 16);
        put64(e + 32, first);
        put64(e + 40, last);
        /* attributes (e + 48) stay 0; the name is UTF-16LE, ASCII here */
        const char *name = role_name(p->role);
        for (size_t k = 0; name[k] && k < 36; k++)
            put16(e + 56 + 2 * k, (uint16_t)(unsigned char)name[k]);
    }
    uint32_t ecrc = jeos_crc32(0, entries, sizeof(entries));

    /* Protective MBR: one partition of type 0xEE covering the disk (capped at 2^32-1 sectors). */
    uint8_t mbr[JEOS_SECTOR];
    memset(mbr, 0, sizeof(mbr));
    uint8_t *pe = mbr + 0x1be;
    pe[1] = 0x00, pe[2] = 0x02, pe[3] = 0x00; /* CHS of LBA 1 */
    pe[4] = 0xee;
    pe[5] = 0xff, pe[6] = 0xff, pe[7] = 0xff;
    put32(pe + 8, 1);
    put32(pe + 12, sectors - 1 > 0xffffffffull ? 0xffffffffu : (uint32_t)(sectors - 1));
    mbr[0x1fe] = 0x55, mbr[0x1ff] = 0xaa;

    uint8_t hdr[JEOS_SECTOR];
    int rc = jeos_pwrite_all(fd, mbr, sizeof(mbr), 0, "gpt: protective MBR", err);
    if (rc)
        return rc;
    fill_header(hdr, l, 1, sectors - 1, 2, ecrc);
    if ((rc = jeos_pwrite_all(fd, hdr, sizeof(hdr), JEOS_SECTOR, "gpt: primary header", err)) ||
        (rc = jeos_pwrite_all(fd, entries, sizeof(entries), 2 * JEOS_SECTOR, "gpt: primary entries",
                              err)))
        return rc;
    uint64_t backup_entries = sectors - 1 - GPT_ENTRY_SECTORS;
    fill_header(hdr, l, sectors - 1, 1, backup_entries, ecrc);
    if ((rc = jeos_pwrite_all(fd, entries, sizeof(entries), backup_entries * JEOS_SECTOR,
                              "gpt: backup entries", err)) ||
        (rc = jeos_pwrite_all(fd, hdr, sizeof(hdr), (sectors - 1) * JEOS_SECTOR,
                              "gpt: backup header", err)))
        return rc;
    return 0;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

int jeos_gpt_grow(int fd, uint64_t old_size, uint64_t new_size, struct jeos_err *err)
{
    uint8_t h[JEOS_SECTOR], mbr[JEOS_SECTOR];
    if (pread(fd, mbr, sizeof(mbr), 0) != (ssize_t)sizeof(mbr) ||
        pread(fd, h, sizeof(h), JEOS_SECTOR) != (ssize_t)sizeof(h))
        return jeos_errf(err, -EIO, "gpt: cannot read the disk's first sectors");
    if (memcmp(h, "EFI PART", 8) != 0)
        return 0; /* MBR: its partitions hold on a longer disk as they are */
    uint64_t old_last = old_size / JEOS_SECTOR - 1, new_last = new_size / JEOS_SECTOR - 1;
    uint32_t crc =
        (uint32_t)h[16] | (uint32_t)h[17] << 8 | (uint32_t)h[18] << 16 | (uint32_t)h[19] << 24;
    memset(h + 16, 0, 4);
    if (jeos_crc32(0, h, GPT_HEADER_SIZE) != crc || get64(h + 32) != old_last ||
        get64(h + 72) != 2 || new_size % JEOS_SECTOR || new_last < old_last)
        return jeos_errf(err, -EINVAL,
                         "gpt: not a header jeos wrote for a disk of %llu bytes (to grow to %llu)",
                         (unsigned long long)old_size, (unsigned long long)new_size);
    uint8_t entries[GPT_ENTRIES * GPT_ENTRY_SIZE], zero[JEOS_SECTOR] = {0};
    if (pread(fd, entries, sizeof(entries), 2 * JEOS_SECTOR) != (ssize_t)sizeof(entries))
        return jeos_errf(err, -EIO, "gpt: cannot read the partition entries");
    /* the old backup goes (its area is now ordinary disk space), the new one at the end */
    int rc =
        jeos_pwrite_all(fd, zero, sizeof(zero), old_last * JEOS_SECTOR, "gpt: old backup", err);
    uint64_t backup_entries = new_last - GPT_ENTRY_SECTORS;
    put64(h + 32, new_last);
    put64(h + 48, new_last - 1 - GPT_ENTRY_SECTORS); /* the usable area grows too */
    put32(h + 16, jeos_crc32(0, h, GPT_HEADER_SIZE));
    if (!rc)
        rc = jeos_pwrite_all(fd, h, sizeof(h), JEOS_SECTOR, "gpt: primary header", err);
    memset(h + 16, 0, 4);
    put64(h + 24, new_last);
    put64(h + 32, 1);
    put64(h + 72, backup_entries);
    put32(h + 16, jeos_crc32(0, h, GPT_HEADER_SIZE));
    if (!rc)
        rc = jeos_pwrite_all(fd, entries, sizeof(entries), backup_entries * JEOS_SECTOR,
                             "gpt: backup entries", err);
    if (!rc)
        rc = jeos_pwrite_all(fd, h, sizeof(h), new_last * JEOS_SECTOR, "gpt: backup header", err);
    /* the protective MBR's 0xEE partition covers the whole disk again */
    for (int i = 0; i < 4 && !rc; i++) {
        uint8_t *pe = mbr + 0x1be + 16 * i;
        if (pe[4] != 0xee)
            continue;
        put32(pe + 12, new_last > 0xffffffffull ? 0xffffffffu : (uint32_t)new_last);
        rc = jeos_pwrite_all(fd, mbr, sizeof(mbr), 0, "gpt: protective MBR", err);
    }
    return rc;
}

static void gpt_partuuid(const struct jeos_layout *l, size_t i, char buf[37])
{
    jeos_uuid_format(l->parts[i].uuid, buf);
}

/* A GPT disk: the protective MBR, then "EFI PART" at LBA 1. */
static const char *probe_gpt(const struct jeos_choice *self, int fd, uint64_t size)
{
    unsigned char h[8];
    (void)self;
    if (size < 2 * JEOS_SECTOR || pread(fd, h, 8, JEOS_SECTOR) != 8 || memcmp(h, "EFI PART", 8))
        return "no GPT header (\"EFI PART\") at LBA 1";
    return NULL;
}

const struct jeos_ptable_ops jeos_ptable_gpt = {
    .c = {.name = "gpt", .kinds = JEOS_FOR_BOTH, .probe = probe_gpt, .title = "GPT"},
    .grub_module = "part_gpt",
    .size_limit = UINT64_MAX,
    .bios_boot_part = true,
    .tail_reserve = (1 + GPT_ENTRY_SECTORS) * JEOS_SECTOR,
    .write = gpt_write,
    .partuuid = gpt_partuuid,
};
