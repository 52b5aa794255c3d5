/* diff.c — packages and root files compared between two images or lock files (see diff.h). */
#include "builder/inspect/diff.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/core/util.h"
#include "builder/debian/lock.h"
#include "builder/inspect/inspect.h"

/* One side: its packages (name, version), sorted by name, and an inspected image or nothing. */
struct side {
    char **names, **versions;
    size_t n;
    char *from;
    bool image;
    struct jeos_inspect in;
};

static bool is_lock(const char *path)
{
    bool yes = false;
    FILE *f = fopen(path, "re");
    if (f) {
        char head[16] = {0};
        yes = fread(head, 1, 10, f) == 10 && memcmp(head, "Jeos-Lock:", 10) == 0;
        fclose(f);
    }
    return yes;
}

static void side_add(struct side *s, const char *name, const char *version)
{
    strv_add(&s->names, &s->n, name);
    size_t n = s->n - 1;
    strv_add(&s->versions, &n, version ? version : "?");
}

static int side_load(const struct jeos_ctx *ctx, const char *path, struct side *s,
                     struct jeos_err *err)
{
    memset(s, 0, sizeof(*s));
    if (is_lock(path)) {
        struct jeos_resolution res;
        int rc = jeos_lock_read(path, &res, err);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < res.n; i++)
            side_add(s, res.v[i].name, res.v[i].version);
        jeos_resolution_free(&res);
        s->from = xasprintf("lock file %s", path);
        return 0;
    }
    s->image = true;
    int rc = jeos_inspect_image(ctx, path, true, &s->in, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < s->in.npkgs; i++)
        if (s->in.pkgs[i].in_image)
            side_add(s, s->in.pkgs[i].name, s->in.pkgs[i].version);
    if (!s->in.pkgs_from)
        return jeos_errf(err, -ENODATA, "%s: its packages are not known (%s)", path,
                         s->in.nnotes ? s->in.notes[s->in.nnotes - 1] : "no SBOM");
    s->from = xasprintf("%s: %s", path, s->in.pkgs_from);
    return 0;
}

static void side_free(struct side *s)
{
    strv_free(s->names, s->n);
    strv_free(s->versions, s->n);
    free(s->from);
    if (s->image)
        jeos_inspect_free(&s->in);
}

static void change(struct jeos_change **v, size_t *n, char kind, const char *name, const char *a,
                   const char *b)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = (struct jeos_change){.kind = kind,
                                        .name = xstrdup(name),
                                        .a = a ? xstrdup(a) : NULL,
                                        .b = b ? xstrdup(b) : NULL};
}

static int find(const struct side *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name) == 0)
            return (int)i;
    return -1;
}

/* What differs between two entries of the same path, or NULL. */
static char *file_delta(const struct jeos_fsentry *x, const struct jeos_fsentry *y)
{
    struct sbuf b = {0};
    if (x->type != y->type)
        sbuf_printf(&b, "type %c -> %c", x->type, y->type);
    if (x->mode != y->mode)
        sbuf_printf(&b, "%smode %04o -> %04o", b.len ? ", " : "", x->mode, y->mode);
    if (x->uid != y->uid || x->gid != y->gid)
        sbuf_printf(&b, "%sowner %u:%u -> %u:%u", b.len ? ", " : "", x->uid, x->gid, y->uid,
                    y->gid);
    if (x->type == y->type && x->type == 'f' &&
        (x->size != y->size || strcmp(x->sha256, y->sha256) != 0))
        sbuf_printf(&b, "%scontent (%llu -> %llu bytes)", b.len ? ", " : "",
                    (unsigned long long)x->size, (unsigned long long)y->size);
    if ((x->target || y->target) && (!x->target || !y->target || strcmp(x->target, y->target) != 0))
        sbuf_printf(&b, "%starget %s -> %s", b.len ? ", " : "", x->target ? x->target : "-",
                    y->target ? y->target : "-");
    return b.s ? sbuf_take(&b) : NULL;
}

static void diff_files(const struct jeos_fslist *a, const struct jeos_fslist *b,
                       struct jeos_diff *d)
{
    size_t i = 0, j = 0;
    while (i < a->n || j < b->n) {
        int c = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->v[i].path, b->v[j].path);
        if (c < 0) {
            change(&d->files, &d->nfiles, '-', a->v[i++].path, NULL, NULL);
        } else if (c > 0) {
            change(&d->files, &d->nfiles, '+', b->v[j++].path, NULL, NULL);
        } else {
            char *what = file_delta(&a->v[i], &b->v[j]);
            if (what)
                change(&d->files, &d->nfiles, '~', a->v[i].path, what, NULL);
            free(what);
            i++, j++;
        }
    }
}

int jeos_diff(const struct jeos_ctx *ctx, const char *a, const char *b, struct jeos_diff *d,
              struct jeos_err *err)
{
    memset(d, 0, sizeof(*d));
    struct side sa, sb;
    int rc = side_load(ctx, a, &sa, err);
    if (rc == 0)
        rc = side_load(ctx, b, &sb, err);
    else
        memset(&sb, 0, sizeof(sb));
    if (rc == 0) {
        for (size_t i = 0; i < sa.n; i++) {
            int k = find(&sb, sa.names[i]);
            if (k < 0)
                change(&d->pkgs, &d->npkgs, '-', sa.names[i], sa.versions[i], NULL);
            else if (strcmp(sa.versions[i], sb.versions[k]) != 0)
                change(&d->pkgs, &d->npkgs, '~', sa.names[i], sa.versions[i], sb.versions[k]);
        }
        for (size_t i = 0; i < sb.n; i++)
            if (find(&sa, sb.names[i]) < 0)
                change(&d->pkgs, &d->npkgs, '+', sb.names[i], NULL, sb.versions[i]);
        d->a_from = sa.from, d->b_from = sb.from;
        sa.from = sb.from = NULL;
        d->files_compared = sa.image && sb.image && sa.in.root_kind && sb.in.root_kind;
        if (d->files_compared)
            diff_files(&sa.in.files, &sb.in.files, d);
    }
    side_free(&sa);
    side_free(&sb);
    return rc;
}

void jeos_diff_free(struct jeos_diff *d)
{
    for (size_t i = 0; i < d->npkgs; i++)
        free(d->pkgs[i].name), free(d->pkgs[i].a), free(d->pkgs[i].b);
    for (size_t i = 0; i < d->nfiles; i++)
        free(d->files[i].name), free(d->files[i].a), free(d->files[i].b);
    free(d->pkgs), free(d->files), free(d->a_from), free(d->b_from);
    memset(d, 0, sizeof(*d));
}
