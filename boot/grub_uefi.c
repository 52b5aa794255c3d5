/* grub_uefi.c — uefi: GRUB for UEFI firmware as the removable-media loader
 * EFI/BOOT/BOOTX64.EFI on the ESP (no NVRAM entry needed); GPT only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/boot.h"
#include "boot/fat.h"
#include "boot/grub.h"
#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/core/util.h"

/* Secure Boot: where Debian's signed GRUB reads its configuration ($cmdpath's device, prefix
   /EFI/debian, built into the signed image), sending it to the one both GRUBs read. */
#define SB_GRUB_CFG "::/EFI/debian/grub.cfg"
static const char sb_redirect[] = "# jeos: Debian's signed GRUB reads this (its prefix is "
                                  "/EFI/debian); the boot entries are in /boot/grub/grub.cfg\n"
                                  "configfile /boot/grub/grub.cfg\n";

static int sb_prepare(const struct jeos_boot_work *w, uint64_t *esp_bytes, struct jeos_err *err)
{
    const char *files[] = {w->shim, w->signed_grub};
    for (size_t i = 0; i < 2; i++) {
        struct stat st;
        if (stat(files[i], &st) != 0)
            return jeos_errf(err, -errno, "%s: %s", files[i], strerror(errno));
        if (esp_bytes)
            *esp_bytes += (uint64_t)st.st_size;
    }
    return 0;
}

/* shim as the removable-media loader; shim loads grubx64.efi from its own folder; GRUB, in
   lockdown, loads only what shim verifies (the kernel). */
static int sb_install(const struct jeos_boot_work *w, struct jeos_err *err)
{
    char *cfg = xasprintf("%s/sb-grub.cfg", w->tmpdir);
    int rc = jeos_write_file_atomic(cfg, sb_redirect, strlen(sb_redirect), 0644, err);
    if (rc == 0)
        rc = jeos_fat_mkdir(w->esp, "::/EFI", err);
    if (rc == 0)
        rc = jeos_fat_mkdir(w->esp, "::/EFI/BOOT", err);
    if (rc == 0)
        rc = jeos_fat_mkdir(w->esp, "::/EFI/debian", err);
    if (rc == 0)
        rc = jeos_fat_copy(w->esp, w->shim, "::/EFI/BOOT/BOOTX64.EFI", err);
    if (rc == 0)
        rc = jeos_fat_copy(w->esp, w->signed_grub, "::/EFI/BOOT/grubx64.efi", err);
    if (rc == 0)
        rc = jeos_fat_copy(w->esp, cfg, SB_GRUB_CFG, err);
    unlink(cfg);
    free(cfg);
    return rc;
}

/* BOOTX64.EFI's size counts in the ESP's: it is made before the partitions are sized. */
static int uefi_prepare(const struct jeos_boot_work *w, uint64_t *esp_bytes, struct jeos_err *err)
{
    if (w->shim || w->signed_grub)
        return w->shim && w->signed_grub
                   ? sb_prepare(w, esp_bytes, err)
                   : jeos_errf(err, -EINVAL, "uefi: Secure Boot needs both shim and GRUB signed");
    char *efi = xasprintf("%s/BOOTX64.EFI", w->tmpdir);
    int rc = jeos_grub_mkimage("x86_64-efi", w->layout, w->volid, w->multiboot2, NULL, w->tmpdir,
                               efi, err);
    struct stat st;
    if (rc == 0 && stat(efi, &st) != 0)
        rc = jeos_errf(err, -errno, "%s: %s", efi, strerror(errno));
    if (rc == 0 && esp_bytes)
        *esp_bytes += (uint64_t)st.st_size;
    free(efi);
    return rc;
}

static int uefi_install(const struct jeos_boot_work *w, struct jeos_err *err)
{
    if (w->shim)
        return sb_install(w, err);
    char *efi = xasprintf("%s/BOOTX64.EFI", w->tmpdir);
    int rc = jeos_fat_mkdir(w->esp, "::/EFI", err);
    if (rc == 0)
        rc = jeos_fat_mkdir(w->esp, "::/EFI/BOOT", err);
    if (rc == 0)
        rc = jeos_fat_copy(w->esp, efi, "::/EFI/BOOT/BOOTX64.EFI", err);
    unlink(efi);
    free(efi);
    return rc;
}

/* The ESP's type GUID C12A7328-F81F-11D2-BA4B-00A0C93EC93B, as GPT stores it. */
static const unsigned char esp_type[16] = {0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
                                           0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b};

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    while (n--)
        v = v << 8 | p[n];
    return v;
}

/* A GPT whose entries hold an EFI system partition (the firmware looks there for
   EFI/BOOT/BOOTX64.EFI). */
static const char *uefi_probe(const struct jeos_choice *self, int fd, uint64_t size)
{
    unsigned char h[92], e[128];
    (void)self;
    if (size < 2 * JEOS_SECTOR || pread(fd, h, sizeof(h), JEOS_SECTOR) != (ssize_t)sizeof(h) ||
        memcmp(h, "EFI PART", 8) != 0)
        return "no GPT (UEFI boots jeos disks from GPT only)";
    uint64_t lba = le(h + 72, 8), n = le(h + 80, 4), esz = le(h + 84, 4);
    if (esz < 128 || n > 1024 || lba == 0 || lba > size / JEOS_SECTOR)
        return "a GPT header with impossible entries";
    for (uint64_t i = 0; i < n; i++)
        if (pread(fd, e, sizeof(e), (off_t)(lba * JEOS_SECTOR + i * esz)) == (ssize_t)sizeof(e) &&
            memcmp(e, esp_type, 16) == 0)
            return NULL;
    return "no EFI system partition";
}

const struct jeos_boot_ops jeos_boot_uefi = {
    .c = {.name = "uefi",
          .kinds = JEOS_FOR_BOTH,
          .probe = uefi_probe,
          .title = "UEFI",
          .needs = {"partition_table", "gpt"}},
    .firmware = "/usr/share/OVMF/OVMF_CODE_4M.fd",
    .prepare = uefi_prepare,
    .install = uefi_install,
};
