/* files.h — the read-only file tree of a unikernel: recipe files: as cpio newc. */
#ifndef JEOS_UKFILES_H
#define JEOS_UKFILES_H

#include "builder/core/ctx.h"
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

#endif
