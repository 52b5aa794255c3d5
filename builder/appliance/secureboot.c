/* secureboot.c — the signed shim and GRUB out of their Debian packages; the kernel's signature
 * checked (see secureboot.h). */
#include "builder/appliance/secureboot.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/bootfiles.h"
#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/core/spawn.h"
#include "builder/core/util.h"
#include "builder/recipe/recipe.h"

bool sb_package(const char *name)
{
    return strcmp(name, RECIPE_SECURE_BOOT_SHIM) == 0 || strcmp(name, RECIPE_SECURE_BOOT_GRUB) == 0;
}

/* `path` must be a signed PE image that is `who` ("shim", "GRUB"). */
static int check_signed(const char *path, const char *who, const char *recipe, struct jeos_err *err)
{
    char *data = NULL;
    size_t len = 0;
    int rc = jeos_read_file(path, &data, &len, err);
    if (rc < 0)
        return jeos_errf(err, rc, "%s: image.secure_boot: %s is not in its package", recipe, path);
    struct jeos_efi_info e;
    jeos_efi_identify((const unsigned char *)data, len, &e);
    free(data);
    if (!e.pe || !e.signed_ || (who && strcmp(e.who, who) != 0))
        return jeos_errf(err, -EINVAL, "%s: image.secure_boot: %s is %s%s, not a signed %s", recipe,
                         path, e.pe ? e.who : "not an EFI program",
                         e.pe && !e.signed_ ? " without a signature" : "", who ? who : "kernel");
    return 0;
}

int sb_extract(const struct jeos_ctx *ctx, const struct jeos_resolution *res, const char *recipe,
               const char *dir, char **shim, char **grub, struct jeos_err *err)
{
    *shim = *grub = NULL;
    int rc = jeos_mkdir_p(dir, 0755, err), found = 0;
    for (size_t i = 0; i < res->n && rc == 0; i++) {
        if (!sb_package(res->v[i].name))
            continue;
        char *deb = NULL;
        if ((rc = jeos_package_path(ctx, &res->v[i], &deb, err)) == 0) {
            char *argv[] = {"dpkg-deb", "-x", deb, (char *)dir, NULL};
            rc = jeos_spawn(argv, NULL, err);
            found++;
        }
        free(deb);
    }
    if (rc == 0 && found != 2)
        return jeos_errf(err, -ENOENT,
                         "%s: image.secure_boot: %s and %s are not both in the resolution (run "
                         "jeos resolve again)",
                         recipe, RECIPE_SECURE_BOOT_SHIM, RECIPE_SECURE_BOOT_GRUB);
    if (rc < 0)
        return rc;
    *shim = xasprintf("%s/usr/lib/shim/shimx64.efi.signed", dir);
    *grub = xasprintf("%s/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed", dir);
    rc = check_signed(*shim, "shim", recipe, err);
    if (rc == 0)
        rc = check_signed(*grub, "GRUB", recipe, err);
    if (rc < 0) {
        free(*shim), free(*grub);
        *shim = *grub = NULL;
    }
    return rc;
}

int sb_check_kernel(const char *vmlinuz, const char *pkg, const char *recipe, struct jeos_err *err)
{
    char *data = NULL;
    size_t len = 0;
    int rc = jeos_read_file(vmlinuz, &data, &len, err);
    if (rc < 0)
        return rc;
    struct jeos_efi_info e;
    jeos_efi_identify((const unsigned char *)data, len, &e);
    free(data);
    if (!e.pe || !e.signed_)
        return jeos_errf(err, -EINVAL,
                         "%s: image.secure_boot: the kernel of %s is not signed, so shim would "
                         "refuse it (Debian signs linux-image-amd64 and linux-image-cloud-amd64)",
                         recipe, pkg);
    return 0;
}
