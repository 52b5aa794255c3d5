/* files.h — the file trees of a unikernel: recipe files: as cpio newc (its read-only tree), a
 * volume's files: into a builder tree (its initial content). */
#ifndef JEOS_UKFILES_H
#define JEOS_UKFILES_H

#include "builder/core/ctx.h"
#include "builder/core/tree.h"
#include "builder/core/err.h"
#include "builder/recipe/recipe.h"

/*
 * uk_files_cpio: writes r->files as one cpio newc archive to path (via a temporary file, renamed
 * on success): files and folders (src ending in '/': copied recursively, sorted), every parent
 * folder of a dst, symlinks as links; with a network, /etc/hosts (localhost and the host name)
 * unless files: has one. Owner root (or a numeric owner/group), times clamped to
 * SOURCE_DATE_EPOCH (else 0): same input, same bytes. An empty list gives an empty archive.
 * Returns 0 or a negative errno with the recipe position in err.
 */
int uk_files_cpio(const struct jeos_ctx *ctx, const struct recipe *r, const char *path,
                  struct jeos_err *err);

/*
 * uk_files_tree: adds files[0..n) to `out` with uk_files_cpio's rules (folders recursively,
 * sorted; the last entry of a path wins; every parent folder made 0755; symlinks as links; a
 * numeric owner/group, else root; every time SOURCE_DATE_EPOCH, else 0): a file's bytes are read
 * from its source when the tree is written. `key` names the list in messages
 * ("volumes[0].files"). Returns 0 or a negative errno with the recipe position in err.
 */
int uk_files_tree(const struct jeos_ctx *ctx, const struct recipe *r,
                  const struct recipe_file *files, size_t n, const char *key, struct tree *out,
                  struct jeos_err *err);

#endif
