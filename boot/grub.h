/* grub.h — GRUB for BIOS and UEFI written into a disk image file: no root, no loop device (see
 * boot/README.md). */
#ifndef JEOS_GRUB_H
#define JEOS_GRUB_H

#include <stdbool.h>
#include <stdint.h>

#include "images/ptable.h"

struct jeos_err;
struct jeos_ctx;
struct sbuf;

/* Where the kernel and initramfs sit on the boot (FAT) partition, as grub.cfg names them. */
#define JEOS_GRUB_KERNEL "/boot/vmlinuz"
#define JEOS_GRUB_INITRD "/boot/initrd.img"
#define JEOS_GRUB_CFG    "/boot/grub/grub.cfg"

/* What grub.cfg says. */
struct jeos_grub_cfg {
    const char *title;         /* menu entry title, e.g. the recipe's name */
    const char *multiboot2;    /* a multiboot2 kernel's path on the boot FAT ("/boot/NAME.elf"):
                                  the entry is "multiboot2 PATH [extra]" and the three root
                                  fields below are unused; NULL: a Linux kernel (below) */
    const char *partuuid;      /* root=PARTUUID=... */
    const char *rootfstype;    /* "ext4" or "squashfs" */
    const char *data_partuuid; /* NULL: no data partition (tmpfs overlay) */
    const char *extra;         /* extra kernel command-line words, or NULL */
    int timeout;               /* seconds; 0 boots at once */
};

/*
 * Appends grub.cfg to `out`: serial (115200 8N1) and VGA console for GRUB itself,
 * one entry booting JEOS_GRUB_KERNEL with JEOS_GRUB_INITRD and the command line
 * "root=PARTUUID=<p> rootfstype=<t> [jeos.data=PARTUUID=<d>] ro
 *  no_timer_check console=ttyS0,115200 console=tty0 [extra]" (linux16/initrd16 on BIOS,
 * linux/initrd on UEFI); or, with cfg->multiboot2, one entry "multiboot2 <path> [extra]" for both.
 * Returns 0, or -EINVAL when a value holds a character that would break the file
 * (quote, newline, ...).
 */
int jeos_grub_cfg_write(const struct jeos_grub_cfg *cfg, struct sbuf *out, struct jeos_err *err);

/*
 * The small configuration built into both core images: it finds the boot FAT
 * by its volume serial `volid` and reads JEOS_GRUB_CFG from there. Appends to `out`.
 */
void jeos_grub_early_cfg(uint32_t volid, struct sbuf *out);

/*
 * Runs grub-mkimage for "i386-pc" (BIOS) or "x86_64-efi" (UEFI) with the modules
 * the layout needs (partition map, fat, search, normal, serial, ...), the loader
 * (linux, plus linux16 on BIOS; or multiboot2 alone when `multiboot2` is true) and
 * the early config for `volid`, writing `out_path`. `moddir` is GRUB's module folder
 * (NULL: /usr/lib/grub/<target>). `tmpdir` holds the early config while it runs.
 */
int jeos_grub_mkimage(const char *target, const struct jeos_layout *l, uint32_t volid,
                      bool multiboot2, const char *moddir, const char *tmpdir, const char *out_path,
                      struct jeos_err *err);

/*
 * BIOS install into the disk image open at `fd` (partition table already written):
 * core.img (`core`, `core_len` bytes, as grub-mkimage -O i386-pc made it) goes
 * into the BIOS boot partition (GPT) or the gap after the MBR (MBR tables), with
 * its first block list patched to the sectors that follow its first one; boot.img
 * (`boot_img`, 512 bytes) goes into LBA 0 keeping the partition table, with the
 * core image's first sector at 0x5c. Returns 0 or a negative errno with a message.
 */
int jeos_grub_install_bios(int fd, const struct jeos_layout *l, const uint8_t *boot_img,
                           const uint8_t *core, size_t core_len, struct jeos_err *err);

#endif
