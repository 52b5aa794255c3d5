/* ptable.h — partition tables (GPT with protective MBR, MBR-only) as ops structs, and disk layout
 * planning. */
#ifndef JEOS_PTABLE_H
#define JEOS_PTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "builder/recipe/axis.h"

struct jeos_err;

#define JEOS_SECTOR    512u
#define JEOS_MIB       (1024u * 1024u)
#define JEOS_MAX_PARTS 4

/* What a partition is for; the table backend maps a role to its type GUID or MBR type byte. */
enum jeos_part_role {
    JEOS_PART_BIOS_BOOT, /* GPT only: holds GRUB's core image (MBR keeps it in the gap after LBA 0)
                          */
    JEOS_PART_ESP,  /* FAT: EFI/BOOT/BOOTX64.EFI, boot/grub/grub.cfg, the kernel, the initramfs */
    JEOS_PART_ROOT, /* the root filesystem image (ext4 or squashfs) */
    JEOS_PART_DATA, /* optional writable data partition (overlay upper layer) */
};

struct jeos_part {
    enum jeos_part_role role;
    uint64_t start;   /* byte offset on the disk, a multiple of 1 MiB */
    uint64_t size;    /* bytes, a multiple of 1 MiB */
    uint8_t uuid[16]; /* GPT partition GUID in RFC 4122 byte order (as printed); derived from the
                         seed */
    int number;       /* 1-based partition number in the table */
};

struct jeos_ptable_ops;

/* A planned disk: the table kind, the partitions in on-disk order, the identifiers. */
struct jeos_layout {
    const struct jeos_ptable_ops *ops;
    uint64_t disk_size;    /* bytes, a multiple of 1 MiB */
    uint8_t disk_uuid[16]; /* GPT disk GUID (RFC 4122 byte order) */
    uint32_t mbr_id;       /* MBR disk signature (bytes 0x1b8..0x1bb) */
    size_t nparts;
    struct jeos_part parts[JEOS_MAX_PARTS];
};

/*
 * One partition-table kind. All are listed in jeos_ptables[] (ptable.c).
 *   c:              name ("gpt", "mbr": image.partition_table) and a probe
 *   grub_module:    GRUB's module that reads this table ("part_gpt", "part_msdos")
 *   size_limit:     disks must be smaller than this (bytes)
 *   bios_boot_part: true when GRUB's BIOS core image needs a BIOS boot partition
 *                   (GPT); false when it goes in the gap after the MBR
 *   tail_reserve:   bytes the table needs at the end of the disk (GPT backup)
 *   write:          writes the table(s) of `l` into the disk image open at `fd`,
 *                   which is already `l->disk_size` bytes long. Returns 0 or a
 *                   negative errno with a message in `err`.
 *   partuuid:       writes the Linux PARTUUID of part `i` (what root=PARTUUID= takes)
 *                   into buf (at least 37 bytes)
 */
struct jeos_ptable_ops {
    struct jeos_choice c;
    const char *grub_module;
    uint64_t size_limit;
    bool bios_boot_part;
    uint64_t tail_reserve;
    int (*write)(const struct jeos_layout *l, int fd, struct jeos_err *err);
    void (*partuuid)(const struct jeos_layout *l, size_t i, char buf[37]);
};

/* Every partition-table kind, NULL-terminated. */
extern const struct jeos_ptable_ops *const jeos_ptables[];

/* Looks a kind up by name; NULL when unknown. */
const struct jeos_ptable_ops *jeos_ptable_find(const char *name);

/* What the caller asks for; sizes in bytes (rounded up to 1 MiB by the planner). */
struct jeos_layout_req {
    const struct jeos_ptable_ops *ops;
    const char *seed;       /* identifiers derive from it: same seed, same GUIDs */
    uint64_t esp_size;      /* required */
    uint64_t root_size;     /* required, unless no_root */
    uint64_t data_size;     /* 0: no data partition */
    uint64_t min_disk_size; /* 0: just big enough; else the disk is grown to at least this */
    bool no_root; /* true: no root partition, root_size must be 0 (a unikernel disk: the kernel
                     lives on the ESP) */
};

/*
 * Plans a layout: partitions in order [BIOS boot (GPT only), ESP, root, data?]
 * (no root with req->no_root), each starting on a 1 MiB boundary, the first at
 * 1 MiB; GUIDs and the MBR id derived from `req->seed`. When min_disk_size leaves
 * room, the last partition (data, else root, else the ESP) is grown to fill the disk.
 * A disk is never made smaller than its partitions need. Returns 0, or -EINVAL
 * with a message when a required size is zero or the disk is too large for the
 * table (MBR: 2 TiB).
 */
int jeos_layout_plan(const struct jeos_layout_req *req, struct jeos_layout *l,
                     struct jeos_err *err);

/* Index of the first partition with `role` in `l`, or -1. */
int jeos_layout_find(const struct jeos_layout *l, enum jeos_part_role role);

/*
 * Derives 16 bytes from sha256(seed || "\0" || label) and stamps them as an
 * RFC 4122 version-4 / variant-1 UUID, so derived GUIDs look like any other.
 */
void jeos_uuid_derive(const char *seed, const char *label, uint8_t out[16]);

/* Formats a UUID (RFC 4122 byte order) as lower-case 8-4-4-4-12 into buf (37 bytes). */
void jeos_uuid_format(const uint8_t u[16], char buf[37]);

/*
 * The disk open at `fd`, whose GPT jeos wrote for `old_size` bytes, has been made `new_size`
 * bytes long: moves the backup header and entries to the new end, extends the usable area and
 * the protective MBR, and redoes the checksums (what sgdisk -e does). An MBR disk is left alone.
 */
int jeos_gpt_grow(int fd, uint64_t old_size, uint64_t new_size, struct jeos_err *err);

/* IEEE 802.3 CRC-32 (as GPT uses), continuing from `crc` (start with 0). */
uint32_t jeos_crc32(uint32_t crc, const void *data, size_t len);

/* pwrite of the whole buffer at `off`; 0 or a negative errno with a message naming `what`. */
int jeos_pwrite_all(int fd, const void *buf, size_t len, uint64_t off, const char *what,
                    struct jeos_err *err);

#endif
