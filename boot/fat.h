/* fat.h — the ESP's FAT made and filled in place inside a disk image file (mkfs.fat --offset and
 * mtools' IMAGE@@OFFSET): no loop device, no mount. */
#ifndef JEOS_FAT_H
#define JEOS_FAT_H

#include <stdint.h>

struct jeos_ctx;
struct jeos_err;

/* A FAT at an offset of an image file, as mtools names it, and the time its files get. */
struct jeos_fat {
    char *at;      /* "IMG@@OFFSET" */
    char *vars[2]; /* SOURCE_DATE_EPOCH=... for mtools, NULL-terminated */
};

/* The earliest time a FAT can hold (1980-01-01), for builds with no epoch at all. */
#define JEOS_FAT_EPOCH 315532800

/*
 * Names the FAT at byte `offset` of `img`; its files are timed at the build's epoch (ctx), or
 * JEOS_FAT_EPOCH without one, never the clock: same input, same bytes. Free with
 * jeos_fat_close.
 */
void jeos_fat_open(struct jeos_fat *f, const struct jeos_ctx *ctx, const char *img,
                   uint64_t offset);
void jeos_fat_close(struct jeos_fat *f);

/*
 * Formats `size` bytes at byte `offset` of the image file `img` as FAT with serial `volid` and
 * label `label`; --invariant pins the times mkfs.fat would write. The FAT is made in IMG.fat, a
 * sparse file of exactly `size` bytes (mkfs.fat picks the FAT type from its file's size), and its
 * data copied into place: the same FAT whatever the disk's size. Returns 0 or a negative errno.
 */
int jeos_fat_format(const char *img, uint64_t offset, uint64_t size, uint32_t volid,
                    const char *label, struct jeos_err *err);

/* mmd: makes folder `path` ("::/EFI") in the FAT `f`. */
int jeos_fat_mkdir(const struct jeos_fat *f, const char *path, struct jeos_err *err);

/* mcopy: copies host file `src` to `dst` ("::/EFI/BOOT/BOOTX64.EFI") in the FAT `f`. */
int jeos_fat_copy(const struct jeos_fat *f, const char *src, const char *dst, struct jeos_err *err);

#endif
