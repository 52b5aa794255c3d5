/* rootops.h — small edits of the root tree shared by the configuration steps: folders, files,
 * links, reading a file's text. */
#ifndef JEOS_ROOTOPS_H
#define JEOS_ROOTOPS_H

#include <stdbool.h>
#include <stdint.h>

#include "builder/core/tree.h"

struct jeos_err;

/* The content of a regular file at `path` (symlinks followed), NUL-terminated, or NULL when there
 * is none. The caller frees it. */
char *root_text(struct tree *t, const char *path);

/* True when `path` names an entry (symlinks followed when `follow`). */
bool root_exists(struct tree *t, const char *path, bool follow);

/*
 * Makes the folder `path` with `mode`, `uid`:`gid` (re-owning it when it is a folder already);
 * missing parents are made 0755 root:root. Returns 0 or a negative errno with a message.
 */
int root_put_dir(struct tree *t, const char *path, uint32_t mode, uint32_t uid, uint32_t gid,
                 int64_t epoch, struct jeos_err *err);

/*
 * Puts a new entry of `type` at `path`, replacing what is there (but never a folder). Returns the
 * inode (owned by the tree), or NULL with a message.
 */
struct tree_inode *root_put_entry(struct tree *t, const char *path, enum tree_type type,
                                  uint32_t mode, uint32_t uid, uint32_t gid, int64_t epoch,
                                  struct jeos_err *err);

/* A regular file holding a copy of `len` bytes of `data`. */
int root_put_file(struct tree *t, const char *path, const void *data, size_t len, uint32_t mode,
                  uint32_t uid, uint32_t gid, int64_t epoch, struct jeos_err *err);

/* A symlink to `target`, root-owned. */
int root_put_symlink(struct tree *t, const char *path, const char *target, int64_t epoch,
                     struct jeos_err *err);

#endif
