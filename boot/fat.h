/* fat.h — the ESP's FAT made and filled in place inside a disk image file (mkfs.fat --offset and
 * mtools' IMAGE@@OFFSET): no loop device, no mount. */
#ifndef JEOS_FAT_H
#define JEOS_FAT_H

#include <stdint.h>

struct jeos_err;

/*
 * Formats `size` bytes at byte `offset` of the image file `img` as FAT with serial `volid` and
 * label `label`; --invariant pins the times mkfs.fat would write. The FAT is made in IMG.fat, a
 * sparse file of exactly `size` bytes (mkfs.fat picks the FAT type from its file's size), and its
 * data copied into place: the same FAT whatever the disk's size. Returns 0 or a negative errno.
 */
int jeos_fat_format(const char *img, uint64_t offset, uint64_t size, uint32_t volid,
                    const char *label, struct jeos_err *err);

/* mtools' name of that FAT: "IMG@@OFFSET" (caller frees). */
char *jeos_fat_at(const char *img, uint64_t offset);

/* mmd: makes folder `path` ("::/EFI") in the FAT at `at`. */
int jeos_fat_mkdir(const char *at, const char *path, struct jeos_err *err);

/* mcopy: copies host file `src` to `dst` ("::/EFI/BOOT/BOOTX64.EFI"). The times mtools writes
   are SOURCE_DATE_EPOCH's when that is set (mtools reads it). */
int jeos_fat_copy(const char *at, const char *src, const char *dst, struct jeos_err *err);

#endif
