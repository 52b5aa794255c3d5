/* ptread.h — reading a disk's partition table (GPT or MBR) and boot code from its first bytes, for
 * jeos inspect: images jeos did not write included, every field checked before it is used. */
#ifndef JEOS_PTREAD_H
#define JEOS_PTREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jeos_err;

#define JEOS_PTREAD_MAX 128 /* GPT's usual entry count; more are counted, not kept */

struct jeos_ptread_part {
    int number;           /* 1-based, as the table numbers it */
    uint64_t start, size; /* bytes */
    char type[37];        /* the GPT type GUID, or the MBR type byte ("0x83") */
    const char *kind;     /* "esp", "bios-boot", "linux-root-x86-64", "linux", "swap", ...,
                             or "unknown" */
    char uuid[37];        /* GPT partition GUID ("" for MBR) */
    char name[73];        /* GPT name, UTF-16 read as ASCII ('?' for the rest) */
    bool active;          /* MBR boot flag */
};

struct jeos_ptread {
    const char *table;     /* "gpt", "mbr", or NULL: none found */
    const char *boot_code; /* what LBA 0's code area holds: "GRUB (i386-pc boot.img)",
                              "none (zeros)", "unknown" */
    char disk_uuid[37];    /* GPT */
    uint32_t mbr_id;       /* the MBR disk signature */
    struct jeos_ptread_part parts[JEOS_PTREAD_MAX];
    size_t nparts;
    char note[160]; /* what could not be told, or was odd ("backup GPT not checked: ...") */
};

/*
 * Reads the table from `buf`, the first `len` bytes of a disk of `disk_size` bytes (the caller
 * reads at least 34 sectors, or the whole disk when smaller; entries further out are an
 * error). GPT is taken from LBA 1 when LBA 0 has a protective entry (0xEE) and the header's
 * signature, size, CRC32, LBAs and entry CRC32 hold; partitions are checked to lie inside the
 * disk. Returns 0 (out->table NULL when the disk has no table: no 55 AA signature), or -EBADMSG
 * with a message naming the field ("GPT header: CRC32 0x... but the header sums to 0x...").
 */
int jeos_ptable_read(const uint8_t *buf, size_t len, uint64_t disk_size, struct jeos_ptread *out,
                     struct jeos_err *err);

/* The first partition of `kind` ("esp", "linux-root-x86-64"...), or NULL. */
const struct jeos_ptread_part *jeos_ptread_find(const struct jeos_ptread *t, const char *kind);

#endif
