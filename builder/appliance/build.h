/* build.h — `jeos build` for an appliance recipe: every stage from the recipe to the disk
 * images and the build report. */
#ifndef JEOS_APPLIANCE_BUILD_H
#define JEOS_APPLIANCE_BUILD_H

#include <stdbool.h>

struct jeos_ctx;
struct jeos_err;
struct jeos_resolution;
struct jeos_resolve_opts;
struct recipe;

struct appliance_build_opts {
    const char *out_dir;   /* images go to OUT_DIR/NAME/ (NULL: "out") */
    const char *lock_path; /* NULL: RECIPE.lock */
    bool locked;           /* use exactly the lock; fail when it is missing or stale */
    bool update;           /* resolve again even when the lock still fits the recipe */
    const char *init_path; /* runtime/init binary; NULL: JEOS_INIT, else jeos-init beside jeos */
};

/*
 * Builds `r` (kind appliance) through every stage:
 *   resolve   the lock when it fits the recipe (always with opts->locked), else the
 *             recipe's sources; the lock is (re)written after a resolution
 *   fetch     every .deb into the cache, checked against its sha256
 *   root      the packages (not the kernel's own closure) into the in-memory tree,
 *             trimmed and configured; /etc/jeos/init.conf; the trimmed module tree
 *   kernel    the kernel package extracted once into CACHE/kernel/SHA256/
 *   rootfs    squashfs or ext4 (image.root)
 *   initramfs runtime/init and the modules the targets need
 *   disk      GPT/MBR, BIOS/UEFI (image.*) into NAME.raw
 *   formats   NAME.qcow2 and the recipe's image.formats
 * Everything is written into the staging folder OUT/.NAME.build.XXXXXX (intermediates in its
 * .work/), build-report.txt last, and the folder takes OUT/NAME's place at the end
 * (builder/output/output.h); a failure removes the staging folder and leaves the previous
 * output as it was. JEOS_FAULT=STAGE (a stage's name, or "commit") fails there on purpose, for
 * tests. Returns 0 or a negative errno with a message.
 */
int appliance_build(const struct jeos_ctx *ctx, const struct recipe *r,
                    const struct appliance_build_opts *opts, struct jeos_err *err);

/*
 * The package set `jeos build` would use for `r`, for `jeos resolve`: the recipe's resolution
 * from its sources (`ro` as given) and what the closure check adds to it (an interpreter's
 * package, with its reason), found the way the build finds it: the root's packages fetched into
 * the cache and assembled into the root tree in memory; no image, no output folder, no lock
 * (the caller writes it). With ro->with_kernel false every package counts as the root's.
 * 0 and *out (jeos_resolution_free), or a negative errno with a message.
 */
int appliance_resolve(const struct jeos_ctx *ctx, const struct recipe *r,
                      const struct jeos_resolve_opts *ro, struct jeos_resolution *out,
                      struct jeos_err *err);

#endif
