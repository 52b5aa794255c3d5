/* build.h — `jeos build` for a unikernel recipe: compile its sources, link them with the kernel
 * once per platform, the GRUB disk and its formats. */
#ifndef JEOS_UNIKERNEL_BUILD_H
#define JEOS_UNIKERNEL_BUILD_H

#include <stdbool.h>

struct jeos_ctx;
struct jeos_err;
struct recipe;

/*
 * uk_kit_find: the unikernel kit (headers, kernel libraries, linker script, link helper):
 * $JEOS_UK_KIT if set, else <folder of the jeos binary>/unikernel/kit. Sets *kit (caller frees).
 * Returns 0, or a negative errno with a message naming where it looked.
 */
int uk_kit_find(char **kit, struct jeos_err *err);

/*
 * Builds recipe r (kind unikernel) into <out_dir>/<name>/:
 *   <name>.elf     platform qemu-kvm (PVH entry for qemu -kernel and Xen, multiboot2 for GRUB)
 *   <name>-hv.elf  platform hv (the jeos-hv entry)
 *   <name>.raw     when image.formats has raw: a GRUB disk (BIOS and UEFI) booting <name>.elf,
 *                  written by jeos_disk_write (boot/disk.h, JEOS_DISK_MULTIBOOT2), seeded by
 *                  "name-version"
 *   <name>.qcow2, .vmdk, .vhd, .ova, .tar.gz (gce): the formats image.formats asks for,
 *                  converted from that disk (made in a temporary folder when raw is not asked)
 *   <name>.<volume>.vol, <name>.volumes  the recipe's volumes (volumes.h)
 * Sources are compiled against musl's headers (Debian musl-dev; uk.h from the kit after them)
 * with -O2, the stack protector, _FORTIFY_SOURCE=2, the recipe's defines and cflags, and linked
 * statically with the POSIX runtime (kit lib/uk-runtime.o), the recipe's libs, musl's libc.a and
 * the kernel. argv[0] is the recipe's name and args come next; env becomes the environment.
 * report_size: print the ELF's size and largest symbols on stdout. Everything is written into a
 * staging folder beside <out_dir>/<name>/ that takes its place at the end (output.h); a failure
 * leaves the previous output untouched. Returns 0 or a negative errno with messages in err.
 */
int unikernel_build(const struct jeos_ctx *ctx, const struct recipe *r, const char *kit,
                    const char *out_dir, bool report_size, struct jeos_err *err);

#endif
