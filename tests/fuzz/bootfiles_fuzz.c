/* bootfiles_fuzz.c — libFuzzer target: any bytes as a grub.cfg, a bzImage, an EFI program, a
 * Debian copyright file and an SPDX document; every reader stays inside the input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "builder/core/err.h"
#include "builder/debian/copyright.h"
#include "boot/bootfiles.h"
#include "builder/output/sbom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    struct jeos_grub_entry g;
    if (jeos_grub_cfg_parse((const char *)copy, size, &g) && (!g.kernel || !g.cmdline))
        __builtin_trap();
    jeos_grub_entry_free(&g);
    char ver[64];
    if (jeos_bzimage_version(copy, size, ver, sizeof(ver)) && strlen(ver) >= sizeof(ver))
        __builtin_trap();
    struct jeos_efi_info e;
    jeos_efi_identify(copy, size, &e);
    struct jeos_copyright c;
    jeos_copyright_parse((const char *)copy, size, &c);
    if ((c.expression == NULL) == (c.why == NULL))
        __builtin_trap();
    jeos_copyright_free(&c);
    struct jeos_sbom_summary s;
    struct jeos_err err;
    jeos_err_init(&err);
    int rc = jeos_sbom_read((const char *)copy, size, "fuzz", &s, &err);
    if ((rc < 0) != (jeos_err_count(&err) != 0))
        __builtin_trap();
    if (rc == 0)
        jeos_sbom_summary_free(&s);
    jeos_err_free(&err);
    free(copy);
    return 0;
}
