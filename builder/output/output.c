/* output.c — staging, the whole-folder move into place, and the recipe's disk (see output.h). */
#include "builder/output/output.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "boot/boot.h"
#include "builder/core/alloc.h"
#include "builder/core/cleanup.h"
#include "builder/core/err.h"
#include "builder/core/util.h"
#include "builder/recipe/recipe.h"
#include "images/ptable.h"

/* The bytes a folder's files take on disk. */
static uint64_t tree_bytes(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return 0;
    uint64_t n = (uint64_t)st.st_blocks * 512;
    DIR *d = S_ISDIR(st.st_mode) ? opendir(path) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *p = xasprintf("%s/%s", path, e->d_name);
        n += tree_bytes(p);
        free(p);
    }
    if (d)
        closedir(d);
    return n;
}

/*
 * Removes the staging folders of earlier builds of `name` (every name when NULL) in `out_dir`
 * that nobody owns now:
 * an owner file whose flock we can take (its build is gone); a folder with no owner file only
 * when it is an hour old (a build between making its folder and its owner file has one).
 */
static uint64_t remove_stale(const char *out_dir, const char *name)
{
    DIR *d = opendir(out_dir);
    if (!d)
        return 0;
    char *prefix = name ? xasprintf(".%s.build.", name) : xstrdup(".");
    size_t pl = strlen(prefix);
    uint64_t freed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (strncmp(e->d_name, prefix, pl) != 0 || (l > 6 && !strcmp(e->d_name + l - 6, ".owner")))
            continue;
        if (!name && !strstr(e->d_name, ".build."))
            continue;
        char *stage = xasprintf("%s/%s", out_dir, e->d_name), *owner = xasprintf("%s.owner", stage);
        int fd = open(owner, O_RDWR | O_CLOEXEC);
        struct stat st;
        bool stale = false;
        char pid[32] = "?";
        if (fd >= 0) {
            ssize_t n = pread(fd, pid, sizeof(pid) - 1, 0);
            pid[n > 0 ? n : 0] = 0;
            pid[strcspn(pid, "\n")] = 0;
            stale = flock(fd, LOCK_EX | LOCK_NB) == 0;
        } else if (stat(stage, &st) == 0 && time(NULL) - st.st_mtime > 3600) {
            stale = true;
        }
        /* the owner file stays while any of the folder does: the next build tries again */
        uint64_t bytes = stale ? tree_bytes(stage) : 0;
        if (stale && jeos_remove_tree(stage) == 0) {
            freed += bytes;
            fprintf(stderr, "jeos: removed %s, left by build %s, which did not end cleanly\n",
                    stage, pid);
            unlink(owner);
        }
        if (fd >= 0)
            close(fd); /* releases the lock we took */
        free(stage), free(owner);
    }
    closedir(d);
    free(prefix);
    return freed;
}

int jeos_output_begin(const char *out_dir, const char *name, struct jeos_output *o,
                      struct jeos_err *err)
{
    memset(o, 0, sizeof(*o));
    o->owner_fd = -1;
    int rc = jeos_mkdir_p(out_dir, 0755, err);
    if (rc)
        return rc;
    if (access(out_dir, W_OK) != 0)
        return jeos_errf(err, -errno, "%s: the output folder cannot be written: %s", out_dir,
                         strerror(errno));
    remove_stale(out_dir, name);
    struct statvfs fs;
    if (statvfs(out_dir, &fs) == 0)
        o->free_bytes = (uint64_t)fs.f_bavail * fs.f_frsize;
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
    jeos_cleanup_add(o->stage);
    /* mkdtemp makes it 0700; the output folder is for everyone to read, as before */
    chmod(o->stage, 0755);
    o->owner = xasprintf("%s.owner", o->stage);
    o->owner_fd = open(o->owner, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (o->owner_fd < 0 || flock(o->owner_fd, LOCK_EX) != 0) {
        rc = jeos_errf(err, -errno, "%s: %s", o->owner, strerror(errno));
        jeos_output_abort(o);
        return rc;
    }
    jeos_cleanup_add(o->owner);
    char pid[32];
    int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
    (void)jeos_write_all(o->owner_fd, pid, (size_t)n);
    return 0;
}

/* The owner file goes when the staging folder has gone (moved into place or removed). */
static void drop_owner(struct jeos_output *o)
{
    if (!o->owner)
        return; /* never begun (owner_fd may be 0 in a zeroed struct) */
    unlink(o->owner);
    jeos_cleanup_drop(o->owner);
    if (o->owner_fd >= 0)
        close(o->owner_fd);
    free(o->owner);
    o->owner = NULL;
    o->owner_fd = -1;
}

int jeos_output_commit(struct jeos_output *o, struct jeos_err *err)
{
    char *mark = xasprintf("%s/" JEOS_OUTPUT_MARK, o->stage);
    static const char text[] = "A folder written by jeos build; jeos clean removes it.\n";
    int rc = jeos_write_file_atomic(mark, text, sizeof(text) - 1, 0644, err);
    free(mark);
    if (rc) {
        jeos_output_abort(o);
        return rc;
    }
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
    if (rc) {
        jeos_output_abort(o);
        return rc;
    }
    jeos_cleanup_drop(o->stage);
    drop_owner(o);
    free(o->stage), free(o->dir);
    memset(o, 0, sizeof(*o));
    o->owner_fd = -1;
    return 0;
}

void jeos_output_abort(struct jeos_output *o)
{
    if (o->stage) {
        jeos_remove_tree(o->stage);
        jeos_cleanup_drop(o->stage);
    }
    drop_owner(o);
    free(o->stage), free(o->dir);
    memset(o, 0, sizeof(*o));
    o->owner_fd = -1;
}

void jeos_output_failed(const struct jeos_output *o, const char *stage, const char *recipe, int rc,
                        size_t from, uint64_t needs, struct jeos_err *err)
{
    bool full = rc == -ENOSPC;
    for (size_t i = from; i < err->n && !full; i++)
        full = strcasestr(err->msgs[i], "no space left on device") != NULL;
    /* a tool that failed without saying why (sqfstar, killed or silent) on a full filesystem: the
       filesystem says it (under 1 MiB, or under 1 %, left) */
    struct statvfs fs;
    if (!full && o->stage && statvfs(o->stage, &fs) == 0 && fs.f_blocks) {
        uint64_t left = (uint64_t)fs.f_bavail * fs.f_frsize;
        full = left < 1048576 || fs.f_bavail < fs.f_blocks / 100;
    }
    if (!full || !o->stage) {
        size_t rl = recipe ? strlen(recipe) : 0;
        for (size_t i = from; i < err->n; i++)
            if (!rl || strncmp(err->msgs[i], recipe, rl) != 0) {
                char *m = xasprintf("%s: %s", stage, err->msgs[i]);
                free(err->msgs[i]);
                err->msgs[i] = m;
            }
        return;
    }
    /* the file: what the first message names before its first ": ", when that is a path */
    char *file = NULL;
    if (err->n > from && err->msgs[from][0] == '/') {
        file = xstrndup(err->msgs[from], strcspn(err->msgs[from], ":"));
    }
    jeos_err_truncate(err, from);
    struct sbuf m = {0};
    sbuf_printf(&m, "%s: no space left on device in %s", stage, o->stage);
    if (file && strncmp(file, o->stage, strlen(o->stage)) == 0)
        sbuf_printf(&m, " (writing %s)", file + strlen(o->stage) + 1);
    sbuf_printf(&m, "; %.0f MiB were free when the build began", o->free_bytes / 1048576.0);
    if (needs)
        sbuf_printf(&m, ", it needs about %.0f MiB", needs / 1048576.0);
    jeos_errf(err, -ENOSPC, "%s", m.s);
    sbuf_free(&m);
    free(file);
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
    return (struct jeos_format_opts){.name = r->name,
                                     .cpus = r->cpus,
                                     .memory = r->memory,
                                     .uefi = r->image.nboot == 1 &&
                                             strcmp(r->image.boot[0], "uefi") == 0,
                                     .seed = seed};
}

int jeos_output_clean(const char *out_dir, char *const *names, size_t n, struct jeos_err *err)
{
    DIR *d = opendir(out_dir);
    if (!d)
        return errno == ENOENT ? 0 : jeos_errf(err, -errno, "%s: %s", out_dir, strerror(errno));
    uint64_t freed = remove_stale(out_dir, NULL);
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) && rc == 0) {
        if (e->d_name[0] == '.')
            continue;
        bool asked = n == 0;
        for (size_t i = 0; i < n && !asked; i++)
            asked = strcmp(names[i], e->d_name) == 0;
        char *dir = xasprintf("%s/%s", out_dir, e->d_name);
        char *mark = xasprintf("%s/" JEOS_OUTPUT_MARK, dir);
        if (asked && access(mark, F_OK) == 0) {
            uint64_t bytes = tree_bytes(dir);
            if (jeos_remove_tree(dir) == 0) {
                printf("removed %s\n", dir);
                freed += bytes;
            } else {
                rc = jeos_errf(err, -EIO, "%s: could not remove it all", dir);
            }
        }
        free(dir), free(mark);
    }
    closedir(d);
    printf("%.1f MiB freed in %s\n", freed / 1048576.0, out_dir);
    return rc;
}
