/* secureboot.h — image.secure_boot for an appliance: Debian's signed shim and GRUB taken from their
 * packages, and the kernel checked to be signed. */
#ifndef JEOS_SECUREBOOT_H
#define JEOS_SECUREBOOT_H

#include <stdbool.h>

#include "builder/debian/repo_resolve.h"

struct jeos_ctx;
struct jeos_err;

/* True for the packages image.secure_boot brings (RECIPE_SECURE_BOOT_SHIM, _GRUB): fetched and
   extracted apart, like the kernel, never installed in the root. */
bool sb_package(const char *name);

/*
 * Extracts those two packages of `res` (their .debs checked as they are read) into `dir` and
 * returns their signed EFI programs, shimx64.efi.signed and grubx64.efi.signed (*shim, *grub:
 * the caller frees), each checked to be a PE image with an Authenticode signature. Returns 0,
 * or a negative errno with "RECIPE: image.secure_boot: ..." naming what is missing.
 */
int sb_extract(const struct jeos_ctx *ctx, const struct jeos_resolution *res, const char *recipe,
               const char *dir, char **shim, char **grub, struct jeos_err *err);

/* The kernel `vmlinuz` of package `pkg` must be signed (an EFI stub with a signature), else
   shim would refuse it: -EINVAL with a message saying which kernels Debian signs. */
int sb_check_kernel(const char *vmlinuz, const char *pkg, const char *recipe, struct jeos_err *err);

#endif
