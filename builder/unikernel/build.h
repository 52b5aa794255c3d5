/* build.h — host side: compile a unikernel recipe's sources and link them with the
 * kernel. */
#ifndef JEOS_UKBUILD_H
#define JEOS_UKBUILD_H

#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/recipe/recipe.h"

/*
 * uk_kit_find: the unikernel kit (headers, kernel libraries, linker script, link helper):
 * $JEOS_UK_KIT if set, else <folder of the jeos binary>/unikernel/kit. Sets *kit (caller frees).
 * Returns 0, or a negative errno with a message naming where it looked.
 */
int uk_kit_find(char **kit, struct jeos_err *err);

/*
 * uk_build: builds recipe r (kind unikernel) into <out_dir>/<name>/:
 *   <name>.elf     platform qemu-kvm (PVH entry for qemu -kernel and Xen, multiboot2 for GRUB)
 *   <name>-hv.elf  platform hv (the jeos-hv entry)
 *   <name>.raw     when image.formats has raw: a GRUB disk (BIOS and UEFI) booting <name>.elf,
 *                  written by jeos_disk_write (boot/disk.h, JEOS_DISK_MULTIBOOT2), seeded by
 *                  "name-version"
 *   <name>.qcow2, .vmdk, .vhd, .ova, .tar.gz (gce): the formats image.formats asks for,
 *                  converted from that disk (made in a temporary folder when raw is not asked)
 * Sources are compiled against musl's headers (Debian musl-dev; uk.h from the kit after them)
 * with -O2, the stack protector, _FORTIFY_SOURCE=2, the recipe's defines and cflags, and linked
 * statically with the POSIX runtime (kit lib/uk-runtime.o), the recipe's libs, musl's libc.a and
 * the kernel. argv[0] is the recipe's name and args come next; env becomes the environment.
 * size_report: print the ELF's size and largest symbols on stdout. Every output is written
 * under a temporary name and renamed. Returns 0 or a negative errno with messages in err.
 */
int uk_build(const struct jeos_ctx *ctx, const struct recipe *r, const char *kit,
             const char *out_dir, int size_report, struct jeos_err *err);

#endif
