/* squashfs.h — tree → squashfs through squashfs-tools' sqfstar, fed a pax tar stream from the tree.
 */
#ifndef JEOS_SQUASHFS_H
#define JEOS_SQUASHFS_H

#include "images/fs.h"

/*
 * Writes `t` as squashfs to `path`. The tree is streamed as a tar archive
 * (ustar headers, pax records for xattrs/long names/big ids, GNU long-link
 * records; written in squashfs.c) through a pipe into
 *   sqfstar -reproducible -mkfs-time EPOCH -all-time EPOCH -comp C
 * Every time stamp is EPOCH (sqfstar 4.5.1 ignores -root-time; the root folder
 * would otherwise carry the wall clock). Owners, modes, device nodes, hard
 * links and xattrs travel in the tar headers and every file's bytes come from
 * the tree, so nothing is staged on the host and no privilege is needed (a
 * plain user runs sqfstar under `unshare --user --map-root-user`, since
 * sqfstar 4.5.1 ignores -root-uid/-root-gid). Sockets cannot be stored (tar).
 * Returns 0 or a negative errno.
 */
int squashfs_write(struct tree *t, const struct fs_opts *o, const char *path,
                   const struct jeos_ctx *ctx, struct jeos_err *err);

#endif
