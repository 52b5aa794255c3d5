/* grub_bios.c — bios: GRUB for BIOS firmware, embedded without root: boot.img in LBA 0, core.img
 * in the BIOS boot partition (GPT) or the gap after the MBR (boot/README.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/boot.h"
#include "boot/grub.h"
#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/core/util.h"

#define BOOT_IMG "/usr/lib/grub/i386-pc/boot.img"

static int bios_install(const struct jeos_boot_work *w, struct jeos_err *err)
{
    char *bootimg = NULL, *core = NULL;
    char *core_path = xasprintf("%s/core.img", w->tmpdir);
    size_t blen = 0, clen = 0;
    int rc = jeos_read_file(BOOT_IMG, &bootimg, &blen, err);
    if (rc == 0 && blen != JEOS_SECTOR)
        rc = jeos_errf(err, -EINVAL, "%s: %zu bytes (expected 512)", BOOT_IMG, blen);
    if (rc == 0)
        rc = jeos_grub_mkimage("i386-pc", w->layout, w->volid, w->multiboot2, NULL, w->tmpdir,
                               core_path, err);
    if (rc == 0)
        rc = jeos_read_file(core_path, &core, &clen, err);
    if (rc == 0)
        rc = jeos_grub_install_bios(w->fd, w->layout, (const uint8_t *)bootimg,
                                    (const uint8_t *)core, clen, err);
    unlink(core_path);
    free(core_path), free(core), free(bootimg);
    return rc;
}

/* LBA 0 holds GRUB's boot.img: its messages ("GRUB ", "Geom", "Hard Disk") sit before the
   partition table. */
static const char *bios_probe(const struct jeos_choice *self, int fd, uint64_t size)
{
    unsigned char m[JEOS_SECTOR];
    (void)self;
    if (size < JEOS_SECTOR || pread(fd, m, sizeof(m), 0) != (ssize_t)sizeof(m))
        return "shorter than one sector";
    if (m[0x1fe] != 0x55 || m[0x1ff] != 0xaa)
        return "no boot signature 55 AA at byte 510";
    if (!memmem(m, 0x1b8, "GRUB ", 5))
        return "no GRUB boot.img in LBA 0";
    return NULL;
}

const struct jeos_boot_ops jeos_boot_bios = {
    .c = {.name = "bios", .kinds = JEOS_FOR_BOTH, .probe = bios_probe, .title = "BIOS"},
    .install = bios_install,
};
