/* output.c — staging, the whole-folder move into place, and the recipe's disk (see output.h). */
#include "builder/output/output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/boot.h"
#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/core/util.h"
#include "builder/recipe/recipe.h"
#include "images/ptable.h"

int jeos_output_begin(const char *out_dir, const char *name, struct jeos_output *o,
                      struct jeos_err *err)
{
    memset(o, 0, sizeof(*o));
    int rc = jeos_mkdir_p(out_dir, 0755, err);
    if (rc)
        return rc;
    o->dir = xasprintf("%s/%s", out_dir, name);
    o->stage = xasprintf("%s/.%s.build.XXXXXX", out_dir, name);
    if (!mkdtemp(o->stage)) {
        rc = jeos_errf(err, -errno, "%s: cannot create the staging folder: %s", o->stage,
                       strerror(errno));
        free(o->stage);
        o->stage = NULL;
        jeos_output_abort(o);
        return rc;
    }
    /* mkdtemp makes it 0700; the output folder is for everyone to read, as before */
    chmod(o->stage, 0755);
    return 0;
}

int jeos_output_commit(struct jeos_output *o, struct jeos_err *err)
{
    int rc = 0;
    /* Swap the staging folder and the previous output in one step; the previous output is then
       in the staging folder's place and removed. Without a previous output, or where the
       filesystem cannot exchange, a plain rename (after moving the old one aside). */
    if (renameat2(AT_FDCWD, o->stage, AT_FDCWD, o->dir, RENAME_EXCHANGE) == 0) {
        jeos_remove_tree(o->stage);
    } else if (errno == ENOENT) {
        if (rename(o->stage, o->dir) != 0)
            rc = jeos_errf(err, -errno, "%s: cannot move the build into place: %s", o->dir,
                           strerror(errno));
    } else if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
        char *old = xasprintf("%s.old.XXXXXX", o->stage);
        if (!mkdtemp(old) || rename(o->dir, old) != 0 || rename(o->stage, o->dir) != 0)
            rc = jeos_errf(err, -errno, "%s: cannot move the build into place: %s", o->dir,
                           strerror(errno));
        jeos_remove_tree(old);
        free(old);
    } else {
        rc = jeos_errf(err, -errno, "%s: cannot move the build into place: %s", o->dir,
                       strerror(errno));
    }
    if (rc)
        jeos_output_abort(o);
    free(o->stage), free(o->dir);
    memset(o, 0, sizeof(*o));
    return rc;
}

void jeos_output_abort(struct jeos_output *o)
{
    if (o->stage)
        jeos_remove_tree(o->stage);
    free(o->stage), free(o->dir);
    memset(o, 0, sizeof(*o));
}

int jeos_output_disk_spec(const struct recipe *r, struct jeos_disk_spec *spec, char **seed,
                          struct jeos_err *err)
{
    const char *where = r->path ? r->path : "recipe";
    spec->ptable = jeos_ptable_find(r->image.ptable);
    size_t n = 0;
    /* the recipe's methods in the table's order: the order the disk installs them */
    for (size_t i = 0; jeos_bootloaders[i]; i++)
        for (size_t k = 0; k < r->image.nboot; k++)
            if (!strcmp(r->image.boot[k], jeos_bootloaders[i]->c.name) && n < JEOS_BOOT_MAX)
                spec->boot[n++] = jeos_bootloaders[i];
    if (n < JEOS_BOOT_MAX)
        spec->boot[n] = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *need = jeos_boot_needs_ptable(spec->boot[i]);
        if (need && strcmp(need, r->image.ptable))
            return jeos_errf(err, -EINVAL,
                             "%s: image.boot: %s needs image.partition_table: %s (got %s)", where,
                             spec->boot[i]->c.name, need, r->image.ptable);
    }
    spec->rootfstype = r->image.root;
    spec->data_size = r->image.data_size;
    spec->min_size = r->image.size;
    spec->timeout = r->image.timeout;
    spec->cmdline = r->cmdline;
    spec->title = r->name;
    *seed = xasprintf("%s-%s", r->name ? r->name : "jeos", r->version ? r->version : "1");
    spec->seed = *seed;
    return 0;
}

struct jeos_format_opts jeos_output_format_opts(const struct recipe *r, const char *seed)
{
    return (struct jeos_format_opts){
        .name = r->name, .cpus = r->cpus, .memory = r->memory, .seed = seed};
}
