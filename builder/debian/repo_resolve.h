/* repo_resolve.h — the package step of the pipeline: recipe -> verified closure -> .debs in the
 * cache.
 *
 * This is the API the build step calls:
 *
 *     struct jeos_resolution res;
 *     jeos_resolve_recipe(ctx, recipe, &opts, &res, err);   // or jeos_lock_read(lock, &res, err)
 *     for (size_t i = 0; i < res.n; i++) {
 *         char *deb;                                         // CACHE/sha256/ab/abcd...
 *         jeos_fetch_package(ctx, &res.v[i], &deb, err);     // checked against res.v[i].sha256
 *         ... extract deb ...
 *         free(deb);
 *     }
 *     jeos_resolution_free(&res);
 */
#ifndef JEOS_REPO_RESOLVE_H
#define JEOS_REPO_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jeos_ctx;
struct jeos_err;
struct recipe;

/* One package of a resolution. All strings are owned by the resolution. */
struct jeos_pkgref {
    char *name, *version, *arch;
    char *filename; /* path below the repository root: "pool/main/n/nginx/nginx-light_...deb" */
    char *sha256;   /* of the .deb, from the signed index */
    uint64_t size;  /* bytes of the .deb */
    uint64_t installed_kib;
    char *uri;    /* repository root; the .deb is at uri/filename */
    char *origin; /* "bookworm/main" */
    int parent;   /* index of the package whose dependency pulled this one in; -1 if requested */
    char *why;    /* "requested (nginx.yaml:6:11)" or "Depends: libc6 (>= 2.34)" */
};

struct jeos_resolution {
    struct jeos_pkgref *v; /* breadth-first: requests first, parents before children */
    size_t n;
    uint64_t installed_kib; /* totals */
    uint64_t deb_bytes;
};

/* A package the build found the image needs beyond the recipe (an interpreter's provider): a
   request of its own (Parent: -), its Why: saying what needs it and the chain to that. */
struct jeos_extra_req {
    const char *name; /* "dash" */
    const char *why;  /* "interpreter /bin/sh of /etc/init.d/nginx (nginx-light → nginx →
                         nginx-common)" */
};

struct jeos_resolve_opts {
    bool with_kernel;                   /* resolve recipe->kernel too (the build wants it) */
    const char *keyring;                /* overrides every source's keyring when not NULL */
    const struct jeos_extra_req *extra; /* requested after the recipe's (and the kernel) */
    size_t nextra;
};

/*
 * Loads the appliance recipe at `path` for resolving: 0 and *r (free with
 * recipe_free), or a negative errno with a message when it does not load or is
 * not kind appliance (unikernels have no Debian packages).
 */
int jeos_resolve_load_recipe(const char *path, struct recipe **r, struct jeos_err *err);

/*
 * Resolves the recipe's packages (and kernel, when asked) against its sources
 * (see repo_sources_for_recipe), fetching and verifying the indexes as
 * repo_load does. Returns 0 and fills `out`, or a negative errno; a request
 * that cannot be met is reported as "RECIPE:LINE:COL: packages: CHAIN".
 */
int jeos_resolve_recipe(const struct jeos_ctx *ctx, const struct recipe *r,
                        const struct jeos_resolve_opts *opts, struct jeos_resolution *out,
                        struct jeos_err *err);

/*
 * Puts the package's .deb into the cache (downloading it unless it is there
 * already; with ctx->offline a miss is an error) and returns its path in *path
 * (caller frees). A .deb whose sha256 or size differs from the index is an
 * error naming its URL and both hashes; nothing is left in the cache then.
 */
int jeos_fetch_package(const struct jeos_ctx *ctx, const struct jeos_pkgref *p, char **path,
                       struct jeos_err *err);

/*
 * A use of a package: jeos_load_package gives its bytes (*data, caller frees), checked against
 * its sha256 while they are read from the cache; jeos_package_path the path, checked, for a
 * tool that reads it (dpkg-deb). Either way a cached .deb that does not match is moved aside,
 * fetched again (an error with ctx->offline), and the line saying so names it.
 */
int jeos_load_package(const struct jeos_ctx *ctx, const struct jeos_pkgref *p, char **data,
                      size_t *len, struct jeos_err *err);
int jeos_package_path(const struct jeos_ctx *ctx, const struct jeos_pkgref *p, char **path,
                      struct jeos_err *err);

/* The chain "nginx-light → libssl3" of package i (caller frees). */
char *jeos_resolution_chain(const struct jeos_resolution *res, size_t i);

/* Index of the package named `name`, or -1. */
int jeos_resolution_find(const struct jeos_resolution *res, const char *name);

void jeos_resolution_free(struct jeos_resolution *res);

#endif
