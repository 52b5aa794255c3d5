/* bootfiles.h — what the files a firmware and a boot loader read say about themselves: GRUB's
 * configuration, a Linux bzImage's version, an EFI program's kind and signature. */
#ifndef JEOS_BOOTFILES_H
#define JEOS_BOOTFILES_H

#include <stdbool.h>
#include <stddef.h>

/* The first boot entry of a grub.cfg. */
struct jeos_grub_entry {
    char *loader;  /* "linux", "linux16", "linuxefi", "multiboot2", "multiboot", "chainloader" */
    char *kernel;  /* its path as written ("/boot/vmlinuz", "($root)/boot/x.elf" kept as is) */
    char *cmdline; /* the rest of the line ("" when none) */
    char *initrd;  /* the initrd line's first path, or NULL */
    int entries;   /* how many menuentry lines the file has */
};

/* Reads the first kernel-loading line (and the initrd line after it) of `text` (`len` bytes).
   Returns true when one was found; free with jeos_grub_entry_free. */
bool jeos_grub_cfg_parse(const char *text, size_t len, struct jeos_grub_entry *out);
void jeos_grub_entry_free(struct jeos_grub_entry *e);

/* The kernel version string of a bzImage ("6.1.0-57-cloud-amd64 (debian-kernel@...) #1 ..."),
   from its setup header (HdrS, kernel_version), into out (cap bytes). False when `buf` is not a
   bzImage or the string is not inside it. */
bool jeos_bzimage_version(const unsigned char *buf, size_t len, char *out, size_t cap);

/* An EFI program (PE32+): is it one, which (shim, GRUB, a Linux EFI stub, other), and does it
   carry an Authenticode signature (a certificate table)? */
struct jeos_efi_info {
    bool pe;         /* an MZ/PE32+ image */
    bool signed_;    /* its certificate table is not empty */
    const char *who; /* "shim", "GRUB", "Linux EFI stub", "other" */
};
void jeos_efi_identify(const unsigned char *buf, size_t len, struct jeos_efi_info *out);

#endif
