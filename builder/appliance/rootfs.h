/* rootfs.h — the root filesystem step: cached .debs → tree → trimmed, configured → ext4/squashfs +
 * manifest. */
#ifndef JEOS_ROOTFS_H
#define JEOS_ROOTFS_H

#include <stddef.h>
#include <stdint.h>

#include "builder/debian/deb.h"
#include "builder/appliance/sysconf.h"
#include "builder/core/tree.h"
#include "builder/appliance/trim.h"

struct jeos_ctx;
struct jeos_err;
struct recipe;

/*
 * One root filesystem being built. Typical use (the build step):
 *
 *   struct rootfs *rf = rootfs_new(ctx);
 *   for each package of the lock, in dependency order:
 *       rootfs_add_deb(rf, cache_path, err);          // fails on traversal / conflicts
 *   rootfs_configure(rf, recipe, err);                // trim + users + alternatives + files
 *   rootfs_write_image(rf, recipe->image.root, recipe, 0, "out/NAME/root.squashfs", err);
 *   rootfs_write_manifest(rf, "out/NAME/manifest.txt", err);
 *   rootfs_write_report(rf, "out/NAME/rootfs-report.txt", err);
 *   rootfs_free(rf);
 *
 * Nothing touches the host filesystem but the output files (written atomically).
 * rf->tree may be read (e.g. for the initramfs) after rootfs_configure. The
 * caller may set rf->headroom and rf->compression (an xstrdup'ed string) between
 * rootfs_new and rootfs_write_image; the recipe has no field for them yet.
 * The .deb files are only read during rootfs_add_deb (contents are copied);
 * files: overlays are read from the recipe's folder when the image is written.
 */
struct rootfs {
    const struct jeos_ctx *ctx;
    struct tree *tree;
    struct deb_info *pkgs; /* in the order added */
    size_t npkgs;
    struct trim_rules trim;
    struct sysconf_report sys;
    int64_t epoch;          /* set by rootfs_configure */
    unsigned char seed[32]; /* sha256 over the recipe name and every .deb's sha256 */
    void *seed_ctx;         /* running digest of the .debs */
    uint64_t headroom;      /* ext4 free space when image size is automatic (default 16 MiB) */
    /* squashfs compression: the recipe's image.compression after rootfs_configure; NULL: the
       squashfs writer's default */
    char *compression;
    bool configured;
};

/* A new, empty root: /, and merged /usr (/bin, /sbin, /lib, /lib64 → usr/...). */
struct rootfs *rootfs_new(const struct jeos_ctx *ctx);
void rootfs_free(struct rootfs *rf);

/*
 * Extracts one .deb into the tree (see deb_extract_file for the rules) and
 * folds its sha256 into the image seed. Returns 0 or a negative errno.
 */
int rootfs_add_deb(struct rootfs *rf, const char *path, struct jeos_err *err);

/* The same from a .deb's bytes already read and checked against `sha256` (hex), which goes into
   the seed; `label` names it in messages (the build passes what the cache verified). */
int rootfs_add_deb_buffer(struct rootfs *rf, const char *label, const void *data, size_t len,
                          const char *sha256, struct jeos_err *err);

/*
 * Trims (r->exclude on top of the defaults unless exclude_defaults is false;
 * r->locales kept), applies system configuration (sysconf_apply), sets the
 * epoch (ctx SOURCE_DATE_EPOCH, else the newest package's newest file) and
 * clamps every time stamp to it, and derives the seed. Call once, after the
 * packages.
 */
int rootfs_configure(struct rootfs *rf, const struct recipe *r, struct jeos_err *err);

/*
 * Writes the tree as `fsname` (a jeos_filesystems[] name: "squashfs", "ext4") to `path`,
 * atomically.
 * `size` is the ext4 image size in bytes (0 = content + rf->headroom).
 */
int rootfs_write_image(struct rootfs *rf, const char *fsname, const struct recipe *r, uint64_t size,
                       const char *path, struct jeos_err *err);

/*
 * The manifest: one line per entry, sorted by path:
 *   PATH TYPE MODE UID:GID SIZE EXTRA
 * TYPE is dir/file/symlink/chr/blk/fifo/sock/hardlink; MODE four octal digits;
 * SIZE bytes for files (0 otherwise); EXTRA the sha256 of a file, the target of a
 * symlink, "MAJOR,MINOR" of a device, the first path of a hard link, else "-".
 * Spaces, backslashes and newlines in paths are written as \040, \\ and \n.
 */
int rootfs_manifest(struct rootfs *rf, struct sbuf *out, struct jeos_err *err);
int rootfs_write_manifest(struct rootfs *rf, const char *path, struct jeos_err *err);

/*
 * The report: packages, entries and bytes, what each exclude rule removed,
 * maintainer scripts skipped, what was done in their place, and warnings.
 */
void rootfs_report(struct rootfs *rf, struct sbuf *out);
int rootfs_write_report(struct rootfs *rf, const char *path, struct jeos_err *err);

#endif
