/* fs.h — root filesystem writers (tree → image file), one ops struct each, listed in
 * jeos_filesystems[] (fs.c). */
#ifndef JEOS_FS_H
#define JEOS_FS_H

#include <stdint.h>

#include "builder/core/tree.h"
#include "builder/recipe/axis.h"

struct jeos_ctx;
struct jeos_err;

/* What every writer needs besides the tree. */
struct fs_opts {
    int64_t epoch;           /* creation time and upper bound of every time stamp */
    unsigned char seed[32];  /* from recipe + lock: UUIDs and hash seeds (same input, same bytes) */
    uint64_t size;           /* ext4: image bytes, 0 = content + headroom */
    uint64_t headroom;       /* ext4 with size 0: free bytes to leave */
    const char *compression; /* squashfs: a jeos_axis_compression choice (NULL: its default) */
    const char *label;       /* volume name, may be NULL */
};

/*
 * A filesystem writer.
 *   c:     name ("ext4", "squashfs": image.root, and the kernel's rootfstype=), suffix of the
 *          image file (".ext4"), the keys it brings (squashfs: compression), a probe
 *   write: turns `t` into an image at `path`, written under a temporary name and renamed on
 *          success (nothing is left on failure). It may use the inodes' `id` field as scratch.
 *          Returns 0 or a negative errno with a message in `err`.
 */
struct fs_ops {
    struct jeos_choice c;
    int (*write)(struct tree *t, const struct fs_opts *o, const char *path,
                 const struct jeos_ctx *ctx, struct jeos_err *err);
};

/* Every writer, NULL-terminated. */
extern const struct fs_ops *const jeos_filesystems[];

/* The writer named `name`, or NULL. */
const struct fs_ops *jeos_fs_find(const char *name);

#endif
