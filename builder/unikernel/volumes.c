/* volumes.c — a unikernel recipe's volumes: sparse raw disk files beside the ELFs (kept across
 * rebuilds when their size is unchanged) and the NAME.volumes list jeos run reads. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/util.h"
#include "builder/recipe/recipe.h"
#include "builder/unikernel/volumes.h"

/* A fresh volume: `size` bytes of zeros, none of them stored (a sparse file). */
static int write_empty(const char *path, uint64_t size, struct jeos_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return jeos_errf(err, -errno, "%s: %s", path, strerror(errno));
    int rc = 0;
    if (ftruncate(fd, (off_t)size) != 0)
        rc = jeos_errf(err, -errno, "%s: cannot make it %llu bytes: %s", path,
                       (unsigned long long)size, strerror(errno));
    if (close(fd) != 0 && rc == 0)
        rc = jeos_errf(err, -errno, "%s: %s", path, strerror(errno));
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
            jeos_log(ctx, JEOS_LOG_INFO, "%s: volume %s kept (%s, what the application wrote)",
                     r->path, v->name, old);
        } else {
            rc = write_empty(path, v->size, err);
            if (rc == 0)
                jeos_log(ctx, JEOS_LOG_INFO, "%s: volume %s: %llu bytes, empty", r->path, v->name,
                         (unsigned long long)v->size);
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
