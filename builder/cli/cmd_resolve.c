/* cmd_resolve.c — jeos resolve RECIPE: print the package closure and write RECIPE.lock. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/appliance/build.h"
#include "builder/cli/cli.h"
#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/debian/lock.h"
#include "builder/recipe/recipe.h"
#include "builder/debian/repo_resolve.h"

const char cmd_resolve_usage[] =
    "usage: jeos resolve [OPTIONS] RECIPE.yaml\n"
    "\n"
    "Resolves the recipe's packages (and its kernel) to their minimal dependency\n"
    "closure: Depends and Pre-Depends only, no Recommends, no essential set unless\n"
    "something depends on it. Indexes are fetched from the recipe's sources (by\n"
    "default the host's apt sources), their InRelease checked with gpgv and every\n"
    "index against the Release sha256. Prints each package (name, version,\n"
    "installed size) and the totals, and writes RECIPE.lock with the exact\n"
    "versions, sha256 and source of each, for jeos build --locked.\n"
    "\n"
    "Like jeos build, it then checks the closure: the root's packages are fetched\n"
    "into the cache and assembled in memory, and a package the image needs but no\n"
    "package declares (the shell of a #! line a service runs: /bin/sh -> dash) is\n"
    "resolved in, with its reason in the lock. --no-closure skips that check (the\n"
    "lock then holds only what the recipe's packages declare).\n"
    "\n"
    "Options:\n"
    "  --offline                use only the cache; a miss is an error\n"
    "  --allow-unauthenticated  do not check signatures (local test repositories)\n"
    "  --keyring FILE           check signatures against FILE instead\n"
    "  --no-kernel              leave the recipe's kernel out\n"
    "  --fetch                  also download every .deb into the cache (checked)\n"
    "  --lock FILE              write the lock file to FILE (default RECIPE.lock)\n"
    "  --no-lock                do not write a lock file\n"
    "  --no-closure             resolve the declared dependencies only (no downloads)\n"
    "\n"
    "Environment: JEOS_CACHE (cache folder), JEOS_APT_ETC (apt configuration\n"
    "folder read for the host's sources; default /etc/apt).\n"
    "\n"
    "Exit status: 0 resolved, 1 failure (the errors are printed), 2 usage error.\n";

enum {
    OPT_OFFLINE = 256,
    OPT_UNAUTH,
    OPT_KEYRING,
    OPT_NOKERNEL,
    OPT_FETCH,
    OPT_LOCK,
    OPT_NOLOCK,
    OPT_NOCLOSURE
};

static const struct option longopts[] = {
    {"offline", no_argument, NULL, OPT_OFFLINE},
    {"allow-unauthenticated", no_argument, NULL, OPT_UNAUTH},
    {"keyring", required_argument, NULL, OPT_KEYRING},
    {"no-kernel", no_argument, NULL, OPT_NOKERNEL},
    {"fetch", no_argument, NULL, OPT_FETCH},
    {"lock", required_argument, NULL, OPT_LOCK},
    {"no-lock", no_argument, NULL, OPT_NOLOCK},
    {"no-closure", no_argument, NULL, OPT_NOCLOSURE},
    {0, 0, 0, 0},
};

struct opts {
    struct jeos_resolve_opts ro;
    bool fetch, no_lock, no_closure;
    const char *lock;
};

/* Parses the options; returns -1 on a usage error. */
static int parse_opts(struct jeos_ctx *ctx, int argc, char **argv, struct opts *o)
{
    int c;
    memset(o, 0, sizeof(*o));
    o->ro.with_kernel = true;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_OFFLINE: ctx->offline = true; break;
        case OPT_UNAUTH: ctx->allow_unauthenticated = true; break;
        case OPT_KEYRING: o->ro.keyring = optarg; break;
        case OPT_NOKERNEL: o->ro.with_kernel = false; break;
        case OPT_FETCH: o->fetch = true; break;
        case OPT_LOCK: o->lock = optarg; break;
        case OPT_NOLOCK: o->no_lock = true; break;
        case OPT_NOCLOSURE: o->no_closure = true; break;
        default: return -1;
        }
    }
    return 0;
}

static int by_name(const void *a, const void *b)
{
    const struct jeos_pkgref *x = *(const struct jeos_pkgref *const *)a;
    const struct jeos_pkgref *y = *(const struct jeos_pkgref *const *)b;
    return strcmp(x->name, y->name);
}

int cmd_resolve(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err)
{
    struct opts o;
    if (parse_opts(ctx, argc, argv, &o) < 0 || optind != argc - 1) {
        fputs(cmd_resolve_usage, stderr);
        return JEOS_EXIT_USAGE;
    }
    const char *path = argv[optind];
    struct recipe *r = NULL;
    struct jeos_resolution res = {0};
    int rc = JEOS_EXIT_FAIL;
    if (jeos_resolve_load_recipe(path, &r, err) < 0)
        return JEOS_EXIT_FAIL;
    if ((o.no_closure ? jeos_resolve_recipe(ctx, r, &o.ro, &res, err)
                      : appliance_resolve(ctx, r, &o.ro, &res, err)) < 0)
        goto out;

    const struct jeos_pkgref **sorted = xcalloc(res.n ? res.n : 1, sizeof(*sorted));
    for (size_t i = 0; i < res.n; i++)
        sorted[i] = &res.v[i];
    qsort(sorted, res.n, sizeof(*sorted), by_name);
    printf("%-40s %-32s %10s\n", "PACKAGE", "VERSION", "INSTALLED");
    for (size_t i = 0; i < res.n; i++)
        printf("%-40s %-32s %6llu KiB\n", sorted[i]->name, sorted[i]->version,
               (unsigned long long)sorted[i]->installed_kib);
    free(sorted);
    printf("%zu packages, %.1f MiB installed, %.1f MiB of .deb files\n", res.n,
           (double)res.installed_kib / 1024.0, (double)res.deb_bytes / 1048576.0);

    if (o.fetch) {
        for (size_t i = 0; i < res.n; i++) {
            char *deb = NULL;
            if (jeos_fetch_package(ctx, &res.v[i], &deb, err) < 0)
                goto out;
            jeos_log(ctx, JEOS_LOG_DEBUG, "%s", deb);
            free(deb);
        }
        printf("fetched %zu packages into %s\n", res.n, ctx->cache_dir);
    }
    if (!o.no_lock) {
        char *lock = o.lock ? xstrdup(o.lock) : jeos_lock_path(path);
        int lr = jeos_lock_write(lock, path, &res, err);
        if (lr == 0)
            printf("wrote %s\n", lock);
        free(lock);
        if (lr < 0)
            goto out;
    }
    rc = JEOS_EXIT_OK;
out:
    jeos_resolution_free(&res);
    recipe_free(r);
    return rc;
}
