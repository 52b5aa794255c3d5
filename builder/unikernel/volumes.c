/* volumes.c — a unikernel recipe's volumes: sparse raw disk files beside the ELFs, each an ext4
 * filesystem holding the volume's files: (images/ext4.c: the guest mounts it, runtime/ext4), kept
 * across rebuilds when their size is unchanged, and the NAME.volumes list jeos run reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/cache.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/util.h"
#include "builder/recipe/recipe.h"
#include "builder/core/tree.h"
#include "builder/unikernel/files.h"
#include "builder/unikernel/volumes.h"
#include "images/fs.h"

/* A fresh volume: an ext4 filesystem of `size` bytes holding the volume's files: (sparse: only
 * its tables and files are stored), the same bytes each build: times from SOURCE_DATE_EPOCH
 * (else 0), UUID and hash seed from the recipe's and the volume's names, the volume's name as the
 * label. */
static int write_fresh(const struct jeos_ctx *ctx, const struct recipe *r, size_t index,
                       const char *path, struct jeos_err *err)
{
    const struct recipe_volume *v = &r->volumes[index];
    const struct fs_ops *ext4 = jeos_fs_find("ext4");
    if (!ext4)
        return jeos_errf(err, -ENOSYS, "%s: volume %s: no ext4 writer", r->path, v->name);
    int64_t epoch = ctx->have_epoch ? ctx->epoch : 0;
    struct fs_opts o = {.epoch = epoch, .size = v->size, .label = v->name};
    char *what = xasprintf("jeos volume %s/%s", r->name, v->name), hex[65];
    cache_sha256_hex(what, strlen(what), hex);
    free(what);
    for (size_t i = 0; i < sizeof(o.seed); i++) {
        unsigned byte;
        sscanf(hex + 2 * i, "%2x", &byte);
        o.seed[i] = (unsigned char)byte;
    }
    struct tree *t = tree_new(epoch);
    t->root->ino->mode = 0755;
    char *key = xasprintf("volumes[%zu].files", index);
    int rc = uk_files_tree(ctx, r, v->files, v->nfiles, key, t, err);
    free(key);
    size_t from = jeos_err_count(err);
    if (rc == 0)
        rc = ext4->write(t, &o, path, ctx, err);
    if (rc == -ENOSPC) { /* the volume's room, not the build folder's: say it as such */
        jeos_err_truncate(err, from);
        rc = jeos_errf(err, -EFBIG,
                       "%s:%d:%d: volume %s: its files: do not fit in its %llu bytes (a bigger "
                       "size:, or fewer files)",
                       r->path, v->pos.line, v->pos.col, v->name, (unsigned long long)v->size);
    }
    tree_free(t);
    return rc;
}

int uk_volumes_write(const struct jeos_ctx *ctx, const struct recipe *r, const char *stage,
                     const char *final, struct jeos_err *err)
{
    if (r->nvolumes == 0)
        return 0;
    struct sbuf list = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < r->nvolumes; i++) {
        const struct recipe_volume *v = &r->volumes[i];
        char *path = xasprintf("%s/%s.%s.vol", stage, r->name, v->name);
        char *old = xasprintf("%s/%s.%s.vol", final, r->name, v->name);
        struct stat st;
        if (stat(old, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == v->size &&
            link(old, path) == 0) {
            jeos_log(ctx, JEOS_LOG_INFO, "%s: volume %s kept (%s, what the application wrote%s)",
                     r->path, v->name, old, v->nfiles ? "; its files: are not written again" : "");
        } else {
            rc = write_fresh(ctx, r, i, path, err);
            if (rc == 0)
                jeos_log(ctx, JEOS_LOG_INFO, "%s: volume %s: %llu bytes, ext4%s", r->path, v->name,
                         (unsigned long long)v->size, v->nfiles ? " with its files:" : ", empty");
        }
        sbuf_printf(&list, "%s %llu %s\n", v->name, (unsigned long long)v->size, v->mount);
        free(path);
        free(old);
    }
    if (rc == 0) {
        char *path = xasprintf("%s/%s.volumes", stage, r->name);
        rc = jeos_write_file_atomic(path, list.s, list.len, 0644, err);
        free(path);
    }
    sbuf_free(&list);
    return rc;
}
