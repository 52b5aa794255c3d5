/* ext4.h — tree → ext4 image through libext2fs, deterministic (fixed UUID and hash seed, clamped
 * times). */
#ifndef JEOS_EXT4_H
#define JEOS_EXT4_H

#include <stdint.h>

#include "images/fs.h"

/*
 * Writes `t` as an ext4 filesystem (4 KiB blocks, 256-byte inodes, extents,
 * flex_bg, 64bit, dir_nlink, extra_isize, ext_attr, metadata_csum; no journal) to `path`:
 * owners, modes (setuid/setgid/sticky), xattrs, device nodes, fifos, sockets,
 * hard links and symlinks; runs of zero blocks are left as holes. Size: o->size,
 * or when 0 the content's blocks and inodes plus o->headroom, rounded up to 1 MiB.
 * The UUID and directory hash seed come from o->seed and every time stamp is
 * min(entry's mtime, o->epoch), so the same tree gives the same bytes.
 * Returns 0 or a negative errno (-ENOSPC when a fixed size is too small).
 */
int ext4_write(struct tree *t, const struct fs_opts *o, const char *path,
               const struct jeos_ctx *ctx, struct jeos_err *err);

/* The size ext4_write picks when o->size is 0 (bytes). */
uint64_t ext4_auto_size(struct tree *t, uint64_t headroom, uint64_t *inodes);

#endif
