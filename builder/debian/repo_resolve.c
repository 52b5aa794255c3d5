/* repo_resolve.c — recipe -> sources -> indexes -> solver -> jeos_resolution (see repo_resolve.h).
 */
#include "builder/debian/repo_resolve.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/debian/deb_version.h"
#include "builder/core/err.h"
#include "builder/recipe/recipe.h"
#include "builder/debian/repo.h"
#include "builder/debian/solver.h"

void jeos_resolution_free(struct jeos_resolution *res)
{
    for (size_t i = 0; i < res->n; i++) {
        struct jeos_pkgref *p = &res->v[i];
        free(p->name);
        free(p->version);
        free(p->arch);
        free(p->filename);
        free(p->sha256);
        free(p->uri);
        free(p->origin);
        free(p->why);
    }
    free(res->v);
    memset(res, 0, sizeof(*res));
}

char *jeos_resolution_chain(const struct jeos_resolution *res, size_t i)
{
    size_t depth = 0;
    for (int k = (int)i; k >= 0 && depth <= res->n; k = res->v[k].parent)
        depth++;
    const char **names = xcalloc(depth, sizeof(*names));
    size_t d = depth;
    for (int k = (int)i; k >= 0 && d > 0; k = res->v[k].parent)
        names[--d] = res->v[k].name;
    struct sbuf b = {0};
    for (size_t k = 0; k < depth; k++)
        sbuf_printf(&b, "%s%s", k ? " → " : "", names[k]);
    free(names);
    return sbuf_take(&b);
}

int jeos_resolution_find(const struct jeos_resolution *res, const char *name)
{
    for (size_t i = 0; i < res->n; i++)
        if (strcmp(res->v[i].name, name) == 0)
            return (int)i;
    return -1;
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/* A request written in the recipe: where, and its name and version. */
struct req_src {
    struct recipe_pos pos;
    const char *field;
};

int jeos_resolve_recipe(const struct jeos_ctx *ctx, const struct recipe *r,
                        const struct jeos_resolve_opts *opts, struct jeos_resolution *out,
                        struct jeos_err *err)
{
    struct repo_sources src = {0};
    struct pkg_universe u;
    struct solver_result sr = {0};
    size_t nk = opts->with_kernel && r->kernel && *r->kernel ? 1 : 0;
    size_t nsb = opts->with_kernel && r->image.secure_boot ? 2 : 0; /* shim and GRUB, signed */
    size_t nrecipe = r->packages.n + nk + nsb;
    size_t nreq = nrecipe + opts->nextra;
    struct solver_request *req = xcalloc(nreq ? nreq : 1, sizeof(*req));
    struct req_src *rs = xcalloc(nreq ? nreq : 1, sizeof(*rs));
    char **copies = xcalloc(nreq ? nreq : 1, sizeof(*copies));
    int rc = 0;

    memset(out, 0, sizeof(*out));
    pkgu_init(&u, "amd64");
    for (size_t i = 0; i < r->packages.n; i++) {
        copies[i] = xstrdup(r->packages.v[i]);
        char *eq = strchr(copies[i], '=');
        if (eq)
            *eq = '\0';
        req[i].name = copies[i];
        req[i].version = eq ? eq + 1 : NULL;
        rs[i].pos = r->packages.pos ? r->packages.pos[i] : (struct recipe_pos){0, 0};
        rs[i].field = "packages";
        const char *vp = eq ? deb_ver_problem(eq + 1) : NULL;
        if (vp)
            rc = jeos_errf(err, -EINVAL, "%s:%d:%d: packages: \"%s\": %s", r->path, rs[i].pos.line,
                           rs[i].pos.col, r->packages.v[i], vp);
    }
    if (nk) {
        req[r->packages.n].name = r->kernel;
        rs[r->packages.n].field = "kernel";
    }
    if (nsb) {
        req[r->packages.n + nk].name = RECIPE_SECURE_BOOT_SHIM;
        req[r->packages.n + nk + 1].name = RECIPE_SECURE_BOOT_GRUB;
        rs[r->packages.n + nk].field = rs[r->packages.n + nk + 1].field = "image.secure_boot";
    }
    for (size_t i = 0; i < opts->nextra; i++) {
        req[nrecipe + i].name = opts->extra[i].name;
        rs[nrecipe + i].field = "packages";
    }
    if (rc < 0)
        goto out;
    if ((rc = repo_sources_for_recipe(r, &src, err)) < 0)
        goto out;
    if (opts->keyring)
        for (size_t i = 0; i < src.n; i++) {
            free(src.v[i].keyring);
            src.v[i].keyring = xstrdup(opts->keyring);
        }
    struct timespec t0, t1, t2;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((rc = repo_load(ctx, &src, &u, err)) < 0)
        goto out;
    clock_gettime(CLOCK_MONOTONIC, &t1);

    struct jeos_err e = {0};
    rc = solver_resolve(&u, req, nreq, &sr, &e);
    clock_gettime(CLOCK_MONOTONIC, &t2);
    jeos_log(ctx, JEOS_LOG_DEBUG,
             "indexes: %zu packages from %zu indexes in %.1f ms; solver: %.1f ms", u.n, u.norigins,
             ms_between(&t0, &t1), ms_between(&t1, &t2));
    if (rc < 0) {
        /* Name the request the failing chain starts from, where the recipe wrote it. */
        const char *m = e.n ? e.msgs[0] : "cannot resolve";
        size_t which = nreq;
        for (size_t i = 0; i < nreq && which == nreq; i++) {
            size_t l = strlen(req[i].name);
            if (strncmp(m, req[i].name, l) == 0 && (m[l] == ' ' || m[l] == '\0'))
                which = i;
        }
        if (which < nreq && rs[which].pos.line)
            jeos_errf(err, rc, "%s:%d:%d: %s: %s", r->path, rs[which].pos.line, rs[which].pos.col,
                      rs[which].field, m);
        else if (which < nreq)
            jeos_errf(err, rc, "%s: %s: %s", r->path, rs[which].field, m);
        else
            jeos_errf(err, rc, "%s: %s", r->path, m);
        jeos_err_free(&e);
        goto out;
    }
    jeos_err_free(&e);

    out->v = xcalloc(sr.n ? sr.n : 1, sizeof(*out->v));
    out->n = sr.n;
    out->installed_kib = sr.installed_kib;
    out->deb_bytes = sr.deb_bytes;
    for (size_t i = 0; i < sr.n; i++) {
        const struct solver_item *it = &sr.items[i];
        const struct pkg *p = &u.pkgs[it->pkg];
        struct jeos_pkgref *o = &out->v[i];
        o->name = xstrdup(p->name);
        o->version = xstrdup(p->version);
        o->arch = xstrdup(p->arch);
        o->filename = xstrdup(p->filename);
        o->sha256 = xstrdup(p->sha256);
        o->size = p->size;
        o->installed_kib = p->installed_size;
        o->uri = xstrdup(u.origins[p->origin].base_uri);
        o->origin = xstrdup(u.origins[p->origin].label);
        o->parent = it->parent;
        if (it->parent < 0 && it->request >= nrecipe) {
            o->why = xstrdup(opts->extra[it->request - nrecipe].why);
        } else if (it->parent < 0) {
            const struct req_src *q = &rs[it->request];
            o->why = q->pos.line
                         ? xasprintf("requested (%s:%d:%d)", r->path, q->pos.line, q->pos.col)
                         : xasprintf("requested (%s)", q->field);
        } else {
            o->why = xasprintf("%s: %s", it->field, it->relation);
        }
    }
out:
    solver_result_free(&sr);
    pkgu_free(&u);
    repo_sources_free(&src);
    for (size_t i = 0; i < nreq; i++)
        free(copies[i]);
    free(copies);
    free(req);
    free(rs);
    if (rc < 0)
        jeos_resolution_free(out);
    return rc;
}

/* The package's URL, once its Filename is checked (NULL with a message when it is unsafe). */
static char *package_uri(const struct jeos_pkgref *p, struct jeos_err *err)
{
    if (!*p->filename || !*p->sha256) {
        jeos_errf(err, -EINVAL, "%s %s: the index gives no Filename or SHA256", p->name,
                  p->version);
        return NULL;
    }
    if (strstr(p->filename, "..") || p->filename[0] == '/') {
        jeos_errf(err, -EINVAL, "%s %s: unsafe Filename \"%s\"", p->name, p->version, p->filename);
        return NULL;
    }
    return xasprintf("%s/%s", p->uri, p->filename);
}

int jeos_fetch_package(const struct jeos_ctx *ctx, const struct jeos_pkgref *p, char **path,
                       struct jeos_err *err)
{
    char *uri = package_uri(p, err);
    int rc = uri ? repo_fetch_to_cache(ctx, uri, p->sha256, p->size, uri, path, err) : -EINVAL;
    free(uri);
    return rc;
}

int jeos_load_package(const struct jeos_ctx *ctx, const struct jeos_pkgref *p, char **data,
                      size_t *len, struct jeos_err *err)
{
    char *uri = package_uri(p, err);
    int rc = uri ? repo_load_cached(ctx, uri, p->sha256, p->size, uri, data, len, err) : -EINVAL;
    free(uri);
    return rc;
}

int jeos_package_path(const struct jeos_ctx *ctx, const struct jeos_pkgref *p, char **path,
                      struct jeos_err *err)
{
    char *uri = package_uri(p, err);
    int rc = uri ? repo_verified_path(ctx, uri, p->sha256, p->size, uri, path, err) : -EINVAL;
    free(uri);
    return rc;
}

int jeos_resolve_load_recipe(const char *path, struct recipe **r, struct jeos_err *err)
{
    int rc = recipe_load_file(path, r, err);
    if (rc < 0)
        return rc;
    if ((*r)->kind != RECIPE_APPLIANCE) {
        rc = jeos_errf(err, -EINVAL, "%s: kind: %s recipes have no Debian packages to resolve",
                       path, recipe_kind_name((*r)->kind));
        recipe_free(*r);
        *r = NULL;
    }
    return rc;
}
