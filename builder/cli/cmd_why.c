/* cmd_why.c — jeos why RECIPE PACKAGE: the dependency chain that pulled a package into the closure.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/debian/lock.h"
#include "builder/recipe/recipe.h"
#include "builder/debian/repo_resolve.h"

const char cmd_why_usage[] =
    "usage: jeos why [OPTIONS] RECIPE.yaml PACKAGE\n"
    "\n"
    "Prints the dependency chain that pulled PACKAGE into the recipe's closure:\n"
    "one line per step from the requested package down to PACKAGE, each with the\n"
    "relation that asked for the next.\n"
    "\n"
    "Options: --offline, --allow-unauthenticated, --keyring FILE, --no-kernel\n"
    "(as for jeos resolve), --locked (read RECIPE.lock instead of resolving; it must\n"
    "still fit the recipe).\n"
    "\n"
    "Exit status: 0 printed, 1 failure or PACKAGE not in the closure, 2 usage error.\n";

enum { OPT_OFFLINE = 256, OPT_UNAUTH, OPT_KEYRING, OPT_NOKERNEL, OPT_LOCKED };

static const struct option longopts[] = {
    {"offline", no_argument, NULL, OPT_OFFLINE},
    {"allow-unauthenticated", no_argument, NULL, OPT_UNAUTH},
    {"keyring", required_argument, NULL, OPT_KEYRING},
    {"no-kernel", no_argument, NULL, OPT_NOKERNEL},
    {"locked", no_argument, NULL, OPT_LOCKED},
    {0, 0, 0, 0},
};

int cmd_why(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err)
{
    struct jeos_resolve_opts ro = {.with_kernel = true};
    bool locked = false;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_OFFLINE: ctx->offline = true; break;
        case OPT_UNAUTH: ctx->allow_unauthenticated = true; break;
        case OPT_KEYRING: ro.keyring = optarg; break;
        case OPT_NOKERNEL: ro.with_kernel = false; break;
        case OPT_LOCKED: locked = true; break;
        default: fputs(cmd_why_usage, stderr); return JEOS_EXIT_USAGE;
        }
    }
    if (optind != argc - 2) {
        fputs(cmd_why_usage, stderr);
        return JEOS_EXIT_USAGE;
    }
    const char *path = argv[optind], *want = argv[optind + 1];
    struct recipe *r = NULL;
    struct jeos_resolution res = {0};
    int rc = JEOS_EXIT_FAIL;
    if (jeos_resolve_load_recipe(path, &r, err) < 0)
        return JEOS_EXIT_FAIL;
    if (locked) {
        char *lock = jeos_lock_path(path);
        int lr = jeos_lock_read(lock, &res, err);
        if (lr == 0)
            lr = jeos_lock_check(&res, lock, r, ro.with_kernel, err);
        free(lock);
        if (lr < 0)
            goto out;
    } else if (jeos_resolve_recipe(ctx, r, &ro, &res, err) < 0) {
        goto out;
    }
    int i = jeos_resolution_find(&res, want);
    if (i < 0) {
        jeos_errf(err, -ENOENT, "%s: %s is not in the closure (%zu packages)", path, want, res.n);
        goto out;
    }
    char *chain = jeos_resolution_chain(&res, (size_t)i);
    printf("%s\n", chain);
    free(chain);
    /* From the request down to the package. */
    size_t depth = 0;
    int idx[4096];
    for (int k = i; k >= 0 && depth < 4096; k = res.v[k].parent)
        idx[depth++] = k;
    for (size_t d = depth; d-- > 0;) {
        const struct jeos_pkgref *p = &res.v[idx[d]];
        if (p->parent < 0)
            printf("  %s %s: %s\n", p->name, p->version, p->why);
        else
            printf("  %s %s: %s %s\n", p->name, p->version, res.v[p->parent].name, p->why);
    }
    rc = JEOS_EXIT_OK;
out:
    jeos_resolution_free(&res);
    recipe_free(r);
    return rc;
}
