/* lock.c — reading and writing RECIPE.lock (see lock.h). */
#include "builder/debian/lock.h"

#include <errno.h>
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

int jeos_lock_read(const char *path, struct jeos_resolution *out, struct jeos_err *err)
{
    char *text;
    size_t len;
    int rc = jeos_read_file(path, &text, &len, err);
    if (rc < 0)
        return rc;
    memset(out, 0, sizeof(*out));
    struct deb822_iter it;
    struct deb822_field f;
    deb822_init(&it, text, len);
    char **parents = NULL;
    bool header = true, seen_header = false;
    int r;
    size_t start = 0;
    struct jeos_pkgref cur;
    memset(&cur, 0, sizeof(cur));
    char *parent = NULL;
    for (;;) {
        r = deb822_next(&it, &f);
        if (r == -2) {
            rc = jeos_errf(err, -EINVAL, "%s:%zu: not a \"Field: value\" line", path, it.line);
            break;
        }
        if (r == 1) {
            if (!start)
                start = f.line;
            if (header) {
                if (deb822_is(&f, "Jeos-Lock")) {
                    seen_header = true;
                    if (strcmp(f.val, "1") != 0) {
                        rc = jeos_errf(err, -EINVAL,
                                       "%s:%zu: Jeos-Lock: unknown lock format %s (expected 1)",
                                       path, f.line, f.val);
                        break;
                    }
                }
                continue;
            }
            char **dst = NULL;
            uint64_t *num = NULL;
            if (deb822_is(&f, "Package"))
                dst = &cur.name;
            else if (deb822_is(&f, "Version"))
                dst = &cur.version;
            else if (deb822_is(&f, "Architecture"))
                dst = &cur.arch;
            else if (deb822_is(&f, "Filename"))
                dst = &cur.filename;
            else if (deb822_is(&f, "SHA256"))
                dst = &cur.sha256;
            else if (deb822_is(&f, "Source-URI"))
                dst = &cur.uri;
            else if (deb822_is(&f, "Origin"))
                dst = &cur.origin;
            else if (deb822_is(&f, "Why"))
                dst = &cur.why;
            else if (deb822_is(&f, "Parent"))
                dst = &parent;
            else if (deb822_is(&f, "Size"))
                num = &cur.size;
            else if (deb822_is(&f, "Installed-Size"))
                num = &cur.installed_kib;
            if (dst) {
                free(*dst);
                *dst = xstrdup(f.val);
            } else if (num && !parse_u64(f.val, num)) {
                rc = jeos_errf(err, -EINVAL, "%s:%zu: %.*s: not a number (got \"%s\")", path,
                               f.line, (int)f.nlen, f.name, f.val);
                break;
            }
            continue;
        }
        /* End of a stanza (r == 0) or of the file (r == -1). */
        if (header && start) {
            header = false;
            if (!seen_header) {
                rc = jeos_errf(err, -EINVAL, "%s:%zu: not a jeos lock file (no Jeos-Lock field)",
                               path, start);
                break;
            }
        } else if (start) {
            const char *missing = !cur.name       ? "Package"
                                  : !cur.version  ? "Version"
                                  : !cur.sha256   ? "SHA256"
                                  : !cur.filename ? "Filename"
                                  : !cur.uri      ? "Source-URI"
                                                  : NULL;
            if (missing) {
                rc = jeos_errf(err, -EINVAL, "%s:%zu: package stanza without %s", path, start,
                               missing);
                break;
            }
            if (!cache_valid_sha256(cur.sha256)) {
                rc = jeos_errf(err, -EINVAL, "%s:%zu: SHA256: not 64 hex digits (got \"%s\")", path,
                               start, cur.sha256);
                break;
            }
            if (!cur.arch)
                cur.arch = xstrdup("amd64");
            if (!cur.origin)
                cur.origin = xstrdup("");
            if (!cur.why)
                cur.why = xstrdup("");
            out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
            parents = xrealloc(parents, (out->n + 1) * sizeof(*parents));
            parents[out->n] = parent ? parent : xstrdup("-");
            parent = NULL;
            out->installed_kib += cur.installed_kib;
            out->deb_bytes += cur.size;
            out->v[out->n++] = cur;
            memset(&cur, 0, sizeof(cur));
        }
        start = 0;
        if (r == -1)
            break;
    }
    if (rc == 0 && !seen_header)
        rc = jeos_errf(err, -EINVAL, "%s: not a jeos lock file (no Jeos-Lock field)", path);
    /* Parents by name: each must come earlier. */
    for (size_t i = 0; rc == 0 && i < out->n; i++) {
        out->v[i].parent = -1;
        if (strcmp(parents[i], "-") == 0)
            continue;
        for (size_t k = 0; k < i; k++)
            if (strcmp(out->v[k].name, parents[i]) == 0)
                out->v[i].parent = (int)k;
        if (out->v[i].parent < 0)
            rc = jeos_errf(err, -EINVAL, "%s: %s: Parent %s is not listed before it", path,
                           out->v[i].name, parents[i]);
    }
    for (size_t i = 0; i < out->n; i++)
        free(parents[i]);
    free(parents);
    free(parent);
    free(cur.name);
    free(cur.version);
    free(cur.arch);
    free(cur.filename);
    free(cur.sha256);
    free(cur.uri);
    free(cur.origin);
    free(cur.why);
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
    for (size_t i = 0; i < n; i++) {
        bool kernel = i == r->packages.n;
        const char *spec = kernel ? r->kernel : r->packages.v[i];
        struct recipe_pos pos =
            kernel || !r->packages.pos ? (struct recipe_pos){0, 0} : r->packages.pos[i];
        const char *eq = strchr(spec, '=');
        char *name = eq ? xstrndup(spec, (size_t)(eq - spec)) : xstrdup(spec);
        int k = jeos_resolution_find(lock, name);
        const char *field = kernel ? "kernel" : "packages";
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
