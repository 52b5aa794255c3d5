/* ptread.c — a disk's GPT or MBR read back from its first bytes, every field checked (see
 * ptread.h). */
#include "images/ptread.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "builder/core/err.h"
#include "images/bytes.h"
#include "images/ptable.h"

#define SECTOR 512u

/* A GUID as stored (the first three fields little-endian) into its printed form. */
static void guid_text(const uint8_t *g, char out[37])
{
    snprintf(out, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", jeos_le32(g),
             jeos_le16(g + 4), jeos_le16(g + 6), g[8], g[9], g[10], g[11], g[12], g[13], g[14],
             g[15]);
}

/* Partition kinds by GPT type GUID and by MBR type byte. */
static const struct {
    const char *guid;
    unsigned mbr;
    const char *kind;
} kinds[] = {
    {"c12a7328-f81f-11d2-ba4b-00a0c93ec93b", 0xef, "esp"},
    {"21686148-6449-6e6f-744e-656564454649", 0, "bios-boot"},
    {"4f68bce3-e8cd-4db1-96e7-fbcaf984b709", 0, "linux-root-x86-64"},
    {"0fc63daf-8483-4772-8e79-3d69d8477de4", 0x83, "linux"},
    {"0657fd6d-a4ab-43c4-84e5-0933c84b4f4f", 0x82, "swap"},
    {"bc13c2ff-59e6-4262-a352-b275fd6f7172", 0, "linux-extended-boot"},
    {"e6d6d379-f507-44c2-a23c-238f2a3df928", 0x8e, "linux-lvm"},
    {"a19d880f-05fc-4d3b-a006-743f0f84911e", 0xfd, "linux-raid"},
    {"ebd0a0a2-b9e5-4433-87c0-68b6b72699c7", 0x07, "microsoft-basic-data"},
    {"e3c9e316-0b5c-4db8-817d-f92df00215ae", 0, "microsoft-reserved"},
    {NULL, 0x0c, "fat32"},
    {NULL, 0x0b, "fat32"},
    {NULL, 0x06, "fat16"},
    {NULL, 0x05, "extended"},
    {NULL, 0x0f, "extended"},
};

static const char *kind_of(const char *guid, unsigned mbr)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (guid ? kinds[i].guid && strcmp(kinds[i].guid, guid) == 0 : kinds[i].mbr == mbr)
            return kinds[i].kind;
    return "unknown";
}

static const char *boot_code(const uint8_t *mbr)
{
    bool zero = true;
    for (size_t i = 0; i < 440 && zero; i++)
        zero = mbr[i] == 0;
    if (zero)
        return "none (zeros)";
    /* GRUB's boot.img carries its messages: "GRUB \0Geom\0Hard Disk\0Read\0 Error" */
    if (memmem(mbr, 440, "GRUB ", 5) && memmem(mbr, 440, "Geom", 4))
        return "GRUB (i386-pc boot.img)";
    if (memmem(mbr, 440, "SYSLINUX", 8) || memmem(mbr, 440, "MBR", 3))
        return "another boot loader's MBR code";
    return "unknown";
}

static int read_mbr(const uint8_t *buf, uint64_t disk_size, struct jeos_ptread *t,
                    struct jeos_err *err)
{
    for (int i = 0; i < 4; i++) {
        const uint8_t *e = buf + 446 + 16 * i;
        unsigned type = e[4];
        uint64_t lba = jeos_le32(e + 8), n = jeos_le32(e + 12);
        if (type == 0 || n == 0)
            continue;
        if (e[0] != 0 && e[0] != 0x80)
            return jeos_errf(err, -EBADMSG, "MBR entry %d: boot flag 0x%02x (0x00 or 0x80)", i + 1,
                             e[0]);
        if ((lba + n) * SECTOR > disk_size)
            snprintf(t->note, sizeof(t->note),
                     "MBR entry %d ends at byte %llu, past the disk's end (%llu): truncated?",
                     i + 1, (unsigned long long)((lba + n) * SECTOR),
                     (unsigned long long)disk_size);
        struct jeos_ptread_part *p = &t->parts[t->nparts++];
        memset(p, 0, sizeof(*p));
        p->number = i + 1;
        p->start = lba * SECTOR;
        p->size = n * SECTOR;
        snprintf(p->type, sizeof(p->type), "0x%02x", type);
        p->kind = kind_of(NULL, type);
        p->active = e[0] == 0x80;
    }
    t->table = "mbr";
    return 0;
}

/* The GPT header at LBA 1 and its entries, checked. */
static int read_gpt(const uint8_t *buf, size_t len, uint64_t disk_size, struct jeos_ptread *t,
                    struct jeos_err *err)
{
    if (len < 2 * SECTOR)
        return jeos_errf(err, -EBADMSG, "GPT: the disk ends before its header (LBA 1)");
    const uint8_t *h = buf + SECTOR;
    if (memcmp(h, "EFI PART", 8) != 0)
        return jeos_errf(err, -EBADMSG,
                         "GPT: LBA 0 has a protective entry (0xEE) but LBA 1 no \"EFI PART\" "
                         "header");
    uint32_t hsize = jeos_le32(h + 12);
    if (hsize < 92 || hsize > SECTOR)
        return jeos_errf(err, -EBADMSG, "GPT header: size %u (92 to 512)", hsize);
    uint8_t copy[SECTOR];
    memcpy(copy, h, hsize);
    memset(copy + 16, 0, 4);
    uint32_t want = jeos_le32(h + 16), got = jeos_crc32(0, copy, hsize);
    if (want != got)
        return jeos_errf(err, -EBADMSG, "GPT header: CRC32 0x%08x but the header sums to 0x%08x",
                         want, got);
    uint64_t sectors = disk_size / SECTOR;
    uint64_t self = jeos_le64(h + 24), alt = jeos_le64(h + 32), first = jeos_le64(h + 40),
             last = jeos_le64(h + 48);
    uint64_t elba = jeos_le64(h + 72);
    uint32_t n = jeos_le32(h + 80), esz = jeos_le32(h + 84);
    if (self != 1)
        return jeos_errf(err, -EBADMSG, "GPT header: its own LBA is %llu (1)",
                         (unsigned long long)self);
    if (first > last)
        return jeos_errf(err, -EBADMSG, "GPT header: first usable LBA %llu after the last, %llu",
                         (unsigned long long)first, (unsigned long long)last);
    if (last >= sectors)
        return jeos_errf(err, -EBADMSG,
                         "GPT header: usable LBAs %llu-%llu, but the disk has %llu sectors "
                         "(%llu bytes): truncated",
                         (unsigned long long)first, (unsigned long long)last,
                         (unsigned long long)sectors, (unsigned long long)disk_size);
    if (esz < 128 || esz > 4096 || esz % 8 || n == 0 || n > 1024)
        return jeos_errf(err, -EBADMSG, "GPT header: %u entries of %u bytes (1-1024 of 128-4096)",
                         n, esz);
    uint64_t eoff = elba * SECTOR, ebytes = (uint64_t)n * esz;
    if (elba < 2 || eoff > len || ebytes > len - eoff)
        return jeos_errf(err, -EBADMSG,
                         "GPT header: entries at LBA %llu (%llu bytes) lie outside the %zu bytes "
                         "read",
                         (unsigned long long)elba, (unsigned long long)ebytes, len);
    uint32_t ewant = jeos_le32(h + 88), egot = jeos_crc32(0, buf + eoff, (size_t)ebytes);
    if (ewant != egot)
        return jeos_errf(err, -EBADMSG, "GPT entries: CRC32 0x%08x but they sum to 0x%08x", ewant,
                         egot);
    if (alt >= sectors)
        snprintf(t->note, sizeof(t->note),
                 "the backup GPT should be at LBA %llu, past the disk's end (%llu sectors): "
                 "truncated?",
                 (unsigned long long)alt, (unsigned long long)sectors);
    guid_text(h + 56, t->disk_uuid);
    static const uint8_t zero[16];
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = buf + eoff + (uint64_t)i * esz;
        if (memcmp(e, zero, 16) == 0)
            continue;
        if (t->nparts == JEOS_PTREAD_MAX)
            break;
        uint64_t s = jeos_le64(e + 32), l = jeos_le64(e + 40);
        if (s > l || s < first || l > last)
            return jeos_errf(err, -EBADMSG,
                             "GPT entry %u: LBAs %llu-%llu outside the usable %llu-%llu", i + 1,
                             (unsigned long long)s, (unsigned long long)l,
                             (unsigned long long)first, (unsigned long long)last);
        struct jeos_ptread_part *p = &t->parts[t->nparts++];
        memset(p, 0, sizeof(*p));
        p->number = (int)i + 1;
        p->start = s * SECTOR;
        p->size = (l - s + 1) * SECTOR;
        guid_text(e, p->type);
        guid_text(e + 16, p->uuid);
        p->kind = kind_of(p->type, 0);
        for (size_t k = 0; k < 36; k++) {
            uint16_t c = jeos_le16(e + 56 + 2 * k);
            if (!c)
                break;
            p->name[k] = c >= 0x20 && c < 0x7f ? (char)c : '?';
        }
    }
    t->table = "gpt";
    return 0;
}

int jeos_ptable_read(const uint8_t *buf, size_t len, uint64_t disk_size, struct jeos_ptread *out,
                     struct jeos_err *err)
{
    memset(out, 0, sizeof(*out));
    if (len > disk_size)
        len = (size_t)disk_size;
    if (len < SECTOR || buf[510] != 0x55 || buf[511] != 0xaa) {
        snprintf(out->note, sizeof(out->note), "%s",
                 len < SECTOR ? "shorter than one sector: no partition table"
                              : "no boot signature 55 AA at byte 510: no partition table");
        return 0;
    }
    out->boot_code = boot_code(buf);
    out->mbr_id = jeos_le32(buf + 440);
    bool protective = false;
    for (int i = 0; i < 4; i++)
        protective |= buf[446 + 16 * i + 4] == 0xee;
    return protective ? read_gpt(buf, len, disk_size, out, err)
                      : read_mbr(buf, disk_size, out, err);
}

const struct jeos_ptread_part *jeos_ptread_find(const struct jeos_ptread *t, const char *kind)
{
    for (size_t i = 0; i < t->nparts; i++)
        if (strcmp(t->parts[i].kind, kind) == 0)
            return &t->parts[i];
    return NULL;
}
