/* boot.h — boot methods (BIOS GRUB, UEFI GRUB) as ops, listed in jeos_bootloaders[] (boot.c):
 * what each puts on a disk that jeos_disk_write is making. */
#ifndef JEOS_BOOT_H
#define JEOS_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "builder/recipe/axis.h"
#include "images/ptable.h"

struct jeos_ctx;
struct jeos_err;
struct jeos_fat;

/* The disk being made, as a boot method sees it. */
struct jeos_boot_work {
    const struct jeos_ctx *ctx;
    const struct jeos_layout *layout; /* the plan (its table kind is final; sizes only after
                                         prepare) */
    uint32_t volid;                   /* the ESP's FAT serial, which GRUB's core images search */
    bool multiboot2;                  /* the kernel is a multiboot2 ELF (a unikernel) */
    const char *tmpdir;               /* a scratch folder of the disk's own */
    int fd;                           /* the disk image file (install only) */
    const struct jeos_fat *esp;       /* the ESP's FAT (install only) */
    const char *shim, *signed_grub;   /* Secure Boot: signed EFI programs for uefi, or NULL */
};

/*
 * One boot method.
 *   c:            name ("bios", "uefi": image.boot), a probe recognising a disk that has it,
 *                 and in c.needs the only partition-table kind it works with ({"partition_table",
 *                 "gpt"} for UEFI)
 *   firmware:     what QEMU boots it with: NULL for its own SeaBIOS, else an OVMF code file
 *   prepare:      before the partitions are sized: builds what it puts on the ESP in
 *                 w->tmpdir and adds its bytes to *esp_bytes (may be NULL)
 *   install:      once the table, the ESP's FAT and the partitions are written: installs
 *                 itself into the image (w->fd, w->esp)
 * Both return 0 or a negative errno with a message in `err`.
 */
struct jeos_boot_ops {
    struct jeos_choice c;
    const char *firmware;
    int (*prepare)(const struct jeos_boot_work *w, uint64_t *esp_bytes, struct jeos_err *err);
    int (*install)(const struct jeos_boot_work *w, struct jeos_err *err);
};

/* Every boot method, NULL-terminated. */
extern const struct jeos_boot_ops *const jeos_bootloaders[];

/* The boot method named `name`, or NULL. */
const struct jeos_boot_ops *jeos_boot_find(const char *name);

/* The partition-table kind boot method `b` needs (c.needs), or NULL when any will do. */
const char *jeos_boot_needs_ptable(const struct jeos_boot_ops *b);

#endif
