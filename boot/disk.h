/* disk.h — writes a bootable disk (partitions, GRUB BIOS+UEFI, kernel, initramfs, root), of an
 * appliance or of a unikernel, to one file, atomically. */
#ifndef JEOS_DISK_H
#define JEOS_DISK_H

#include <stdint.h>

#include "images/ptable.h"

struct jeos_ctx;
struct jeos_err;

#define JEOS_BOOT_MAX 4 /* boot methods one disk can carry */

struct jeos_boot_ops;

/* What boots from the disk. */
enum jeos_disk_kind {
    JEOS_DISK_LINUX = 0,  /* an appliance: bzImage + initramfs on the ESP, a root partition */
    JEOS_DISK_MULTIBOOT2, /* a unikernel: one multiboot2 ELF on the ESP (/boot/<kernel_name>),
                             no initramfs, no root or data partition */
};

/* Everything the disk is made of. Paths are host files; nothing is modified. */
struct jeos_disk_spec {
    enum jeos_disk_kind kind;             /* JEOS_DISK_LINUX unless set */
    const char *kernel;                   /* vmlinuz (bzImage) from the kernel package, or the
                                             unikernel ELF (JEOS_DISK_MULTIBOOT2) */
    const char *kernel_name;              /* MULTIBOOT2: its file name under /boot on the ESP,
                                             e.g. "hello.elf" ([A-Za-z0-9._-], NULL:
                                             "kernel.elf"); unused for LINUX (/boot/vmlinuz) */
    const char *initramfs;                /* from jeos_initramfs_write; LINUX only */
    const char *rootfs;                   /* ext4 or squashfs image file; LINUX only */
    const char *rootfstype;               /* "ext4" or "squashfs": goes to rootfstype=; LINUX */
    const struct jeos_ptable_ops *ptable; /* jeos_ptable_find("gpt"), ... */
    const struct jeos_boot_ops *boot[JEOS_BOOT_MAX]; /* the boot methods, NULL-terminated;
                                                        each installed in this order */
    uint64_t data_size;  /* bytes of an empty data partition (jeos.data=); 0 = none;
                            LINUX only */
    uint64_t min_size;   /* the disk is at least this big (recipe image.size); 0 = just fit */
    const char *seed;    /* GUIDs, the MBR id and the FAT serial derive from it */
    const char *title;   /* GRUB menu entry, e.g. the recipe's name */
    const char *cmdline; /* extra kernel command line (MULTIBOOT2: the whole), or NULL */
    int timeout;         /* GRUB timeout, seconds */
    /* Secure Boot (uefi only; both or neither): Debian's signed shim and GRUB, put on the ESP
       instead of a GRUB of our own (boot/grub_uefi.c) */
    const char *shim;        /* shimx64.efi.signed, from shim-signed */
    const char *signed_grub; /* grubx64.efi.signed, from grub-efi-amd64-signed */
};

/* What was written, for the build report and for tests. */
struct jeos_disk_info {
    struct jeos_layout layout;
    uint32_t esp_volid;     /* FAT volume serial of the boot partition */
    char root_partuuid[37]; /* "" without a root partition (MULTIBOOT2) */
    char data_partuuid[37]; /* "" without a data partition */
    uint64_t esp_used;      /* bytes of files put on the boot partition */
};

/*
 * Finds the kernel image and the module tree in an extracted kernel package (or
 * an image tree): `root`/boot/vmlinuz-VERSION and `root`/lib/modules/VERSION (or
 * usr/lib/modules). Exactly one version must be there. The paths returned are
 * the caller's to free. Returns 0, or -ENOENT / -EINVAL with a message naming `root`.
 */
int jeos_kernel_find(const char *root, char **vmlinuz, char **modroot, struct jeos_err *err);

/*
 * Writes the disk to `out_path` through a temporary file renamed at the end, so a
 * failure leaves nothing behind. Layout: [BIOS boot (GPT)] ESP/boot FAT, root,
 * [data]; the FAT (made with mkfs.fat --offset, filled with mtools) holds
 * boot/grub/grub.cfg, boot/vmlinuz and boot/initrd.img, then what each boot method
 * puts there (UEFI: EFI/BOOT/BOOTX64.EFI); BIOS GRUB is embedded as boot/README.md
 * describes; the root image is copied into its partition keeping holes. A
 * JEOS_DISK_MULTIBOOT2 disk is [BIOS boot (GPT)] and the ESP only, which holds
 * boot/<kernel_name> instead of vmlinuz and initrd.img; its grub.cfg entry is
 * "multiboot2 /boot/<kernel_name> [cmdline]" and both core images carry the multiboot2
 * loader instead of linux. A boot method that needs another partition table
 * (UEFI: gpt) is refused. Runs grub-mkimage, mkfs.fat, mmd and mcopy. `info` may be
 * NULL. Returns 0 or a negative errno with a message in `err`.
 */
int jeos_disk_write(const struct jeos_ctx *ctx, const struct jeos_disk_spec *spec,
                    const char *out_path, struct jeos_disk_info *info, struct jeos_err *err);

#endif
