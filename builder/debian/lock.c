/* lock.c — reading and writing RECIPE.lock (see lock.h). */
#include "builder/debian/lock.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "builder/core/alloc.h"
#include "builder/core/cache.h"
#include "builder/core/err.h"
#include "builder/core/util.h"
#include "builder/debian/pkgindex.h"
#include "builder/recipe/recipe.h"

char *jeos_lock_path(const char *recipe_path)
{
    return xasprintf("%s.lock", recipe_path);
}

int jeos_lock_write(const char *path, const char *recipe_path, const struct jeos_resolution *res,
                    struct jeos_err *err)
{
    struct sbuf b = {0};
    sbuf_printf(&b, "Jeos-Lock: 1\nRecipe: %s\nPackages: %zu\nInstalled-Size: %llu\n", recipe_path,
                res->n, (unsigned long long)res->installed_kib);
    for (size_t i = 0; i < res->n; i++) {
        const struct jeos_pkgref *p = &res->v[i];
        sbuf_printf(&b,
                    "\nPackage: %s\nVersion: %s\nArchitecture: %s\nFilename: %s\nSHA256: %s\n"
                    "Size: %llu\nInstalled-Size: %llu\nSource-URI: %s\nOrigin: %s\nParent: %s\n"
                    "Why: %s\n",
                    p->name, p->version, p->arch, p->filename, p->sha256,
                    (unsigned long long)p->size, (unsigned long long)p->installed_kib, p->uri,
                    p->origin, p->parent >= 0 ? res->v[p->parent].name : "-", p->why);
    }
    int rc = jeos_write_file_atomic(path, b.s, b.len, 0644, err);
    sbuf_free(&b);
    return rc;
}

static bool parse_u64(const char *s, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-')
        return false;
    *v = x;
    return true;
}

/* The fields of a package stanza and where they go in a struct jeos_pkgref. */
static const struct {
    const char *name;
    size_t off;
    bool number; /* a uint64_t, else a char * */
} lock_fields[] = {
    {"Package", offsetof(struct jeos_pkgref, name), false},
    {"Version", offsetof(struct jeos_pkgref, version), false},
    {"Architecture", offsetof(struct jeos_pkgref, arch), false},
    {"Filename", offsetof(struct jeos_pkgref, filename), false},
    {"SHA256", offsetof(struct jeos_pkgref, sha256), false},
    {"Source-URI", offsetof(struct jeos_pkgref, uri), false},
    {"Origin", offsetof(struct jeos_pkgref, origin), false},
    {"Why", offsetof(struct jeos_pkgref, why), false},
    {"Size", offsetof(struct jeos_pkgref, size), true},
    {"Installed-Size", offsetof(struct jeos_pkgref, installed_kib), true},
};

/* One lock file being read: the stanza in hand and what came before. */
struct lock_reader {
    const char *path;
    struct jeos_resolution *out;
    struct jeos_pkgref cur;
    char *parent;   /* the stanza's Parent, by name */
    char **parents; /* one per package read */
    size_t start;   /* line where the stanza began, 0 between stanzas */
    bool header, seen_header;
};

static void pkgref_clear(struct jeos_pkgref *p)
{
    free(p->name), free(p->version), free(p->arch), free(p->filename), free(p->sha256);
    free(p->uri), free(p->origin), free(p->why);
    memset(p, 0, sizeof(*p));
}

/* One "Field: value" line of the header or of a package stanza. */
static int lock_field(struct lock_reader *lr, const struct deb822_field *f, struct jeos_err *err)
{
    if (lr->header) {
        if (deb822_is(f, "Jeos-Lock")) {
            lr->seen_header = true;
            if (strcmp(f->val, "1") != 0)
                return jeos_errf(err, -EINVAL,
                                 "%s:%zu: Jeos-Lock: unknown lock format %s (expected 1)", lr->path,
                                 f->line, f->val);
        }
        return 0;
    }
    if (deb822_is(f, "Parent")) {
        free(lr->parent);
        lr->parent = xstrdup(f->val);
        return 0;
    }
    for (size_t i = 0; i < sizeof(lock_fields) / sizeof(lock_fields[0]); i++) {
        if (!deb822_is(f, lock_fields[i].name))
            continue;
        void *at = (char *)&lr->cur + lock_fields[i].off;
        if (lock_fields[i].number && !parse_u64(f->val, at))
            return jeos_errf(err, -EINVAL, "%s:%zu: %.*s: not a number (got \"%s\")", lr->path,
                             f->line, (int)f->nlen, f->name, f->val);
        if (!lock_fields[i].number) {
            free(*(char **)at);
            *(char **)at = xstrdup(f->val);
        }
    }
    return 0; /* fields of later formats are ignored */
}

/* The end of a stanza: the header checked, or the package checked and added. */
static int lock_stanza_end(struct lock_reader *lr, struct jeos_err *err)
{
    struct jeos_pkgref *c = &lr->cur;
    if (lr->header) {
        lr->header = false;
        if (!lr->seen_header)
            return jeos_errf(err, -EINVAL, "%s:%zu: not a jeos lock file (no Jeos-Lock field)",
                             lr->path, lr->start);
        return 0;
    }
    const char *missing = !c->name       ? "Package"
                          : !c->version  ? "Version"
                          : !c->sha256   ? "SHA256"
                          : !c->filename ? "Filename"
                          : !c->uri      ? "Source-URI"
                                         : NULL;
    if (missing)
        return jeos_errf(err, -EINVAL, "%s:%zu: package stanza without %s", lr->path, lr->start,
                         missing);
    if (!cache_valid_sha256(c->sha256))
        return jeos_errf(err, -EINVAL, "%s:%zu: SHA256: not 64 hex digits (got \"%s\")", lr->path,
                         lr->start, c->sha256);
    if (!c->arch)
        c->arch = xstrdup("amd64");
    if (!c->origin)
        c->origin = xstrdup("");
    if (!c->why)
        c->why = xstrdup("");
    struct jeos_resolution *out = lr->out;
    out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
    lr->parents = xrealloc(lr->parents, (out->n + 1) * sizeof(*lr->parents));
    lr->parents[out->n] = lr->parent ? lr->parent : xstrdup("-");
    lr->parent = NULL;
    out->installed_kib += c->installed_kib;
    out->deb_bytes += c->size;
    out->v[out->n++] = *c;
    memset(c, 0, sizeof(*c));
    return 0;
}

/* Parents by name: each must come earlier. */
static int lock_link_parents(struct lock_reader *lr, struct jeos_err *err)
{
    struct jeos_resolution *out = lr->out;
    for (size_t i = 0; i < out->n; i++) {
        out->v[i].parent = -1;
        if (strcmp(lr->parents[i], "-") == 0)
            continue;
        for (size_t k = 0; k < i; k++)
            if (strcmp(out->v[k].name, lr->parents[i]) == 0)
                out->v[i].parent = (int)k;
        if (out->v[i].parent < 0)
            return jeos_errf(err, -EINVAL, "%s: %s: Parent %s is not listed before it", lr->path,
                             out->v[i].name, lr->parents[i]);
    }
    return 0;
}

int jeos_lock_read(const char *path, struct jeos_resolution *out, struct jeos_err *err)
{
    char *text;
    size_t len;
    int rc = jeos_read_file(path, &text, &len, err);
    if (rc < 0)
        return rc;
    memset(out, 0, sizeof(*out));
    struct lock_reader lr = {.path = path, .out = out, .header = true};
    struct deb822_iter it;
    struct deb822_field f;
    deb822_init(&it, text, len);
    for (int r; rc == 0;) {
        r = deb822_next(&it, &f);
        if (r == -2) {
            rc = jeos_errf(err, -EINVAL, "%s:%zu: not a \"Field: value\" line", path, it.line);
        } else if (r == 1) {
            if (!lr.start)
                lr.start = f.line;
            rc = lock_field(&lr, &f, err);
        } else { /* the end of a stanza (r == 0) or of the file (r == -1) */
            if (lr.start)
                rc = lock_stanza_end(&lr, err);
            lr.start = 0;
            if (r == -1)
                break;
        }
    }
    if (rc == 0 && !lr.seen_header)
        rc = jeos_errf(err, -EINVAL, "%s: not a jeos lock file (no Jeos-Lock field)", path);
    if (rc == 0)
        rc = lock_link_parents(&lr, err);
    for (size_t i = 0; i < out->n; i++)
        free(lr.parents[i]);
    free(lr.parents);
    free(lr.parent);
    pkgref_clear(&lr.cur);
    free(text);
    if (rc < 0)
        jeos_resolution_free(out);
    return rc;
}

int jeos_lock_check(const struct jeos_resolution *lock, const char *lock_path,
                    const struct recipe *r, bool with_kernel, struct jeos_err *err)
{
    int rc = 0;
    size_t n = r->packages.n + (with_kernel && r->kernel && *r->kernel ? 1 : 0);
    size_t nsb = with_kernel && r->image.secure_boot ? 2 : 0; /* and what Secure Boot brings */
    for (size_t i = 0; i < n + nsb; i++) {
        bool kernel = i >= r->packages.n;
        const char *spec = i < n    ? (kernel ? r->kernel : r->packages.v[i])
                           : i == n ? RECIPE_SECURE_BOOT_SHIM
                                    : RECIPE_SECURE_BOOT_GRUB;
        struct recipe_pos pos =
            kernel || !r->packages.pos ? (struct recipe_pos){0, 0} : r->packages.pos[i];
        const char *eq = strchr(spec, '=');
        char *name = eq ? xstrndup(spec, (size_t)(eq - spec)) : xstrdup(spec);
        int k = jeos_resolution_find(lock, name);
        const char *field = i >= n ? "image.secure_boot" : kernel ? "kernel" : "packages";
        if (k < 0 && !kernel && pos.line) {
            /* A virtual package asked for: its provider is a root requested at that place. */
            char *why = xasprintf("requested (%s:%d:%d)", r->path, pos.line, pos.col);
            for (size_t j = 0; j < lock->n; j++)
                if (lock->v[j].parent < 0 && strcmp(lock->v[j].why, why) == 0 && !eq) {
                    free(why);
                    why = NULL;
                    break;
                }
            if (!why) {
                free(name);
                continue;
            }
            free(why);
        }
        char *at = pos.line ? xasprintf("%s:%d:%d", r->path, pos.line, pos.col) : xstrdup(r->path);
        if (k < 0)
            rc = jeos_errf(err, -ESTALE, "%s: %s: %s is not in %s (run jeos resolve again)", at,
                           field, name, lock_path);
        else if (eq && strcmp(eq + 1, lock->v[k].version) != 0)
            rc = jeos_errf(err, -ESTALE,
                           "%s: %s: %s is pinned to %s but %s has %s (run jeos resolve again)", at,
                           field, name, eq + 1, lock_path, lock->v[k].version);
        free(at);
        free(name);
    }
    return rc;
}
