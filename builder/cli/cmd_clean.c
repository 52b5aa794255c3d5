/* cmd_clean.c — jeos clean [NAME...]: removes output folders and what killed builds left; jeos
 * cache [prune]: what the package cache holds, and making it smaller. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "builder/core/alloc.h"
#include "builder/core/cache.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/debian/lock.h"
#include "builder/output/output.h"
#include "builder/recipe/recipe.h"
#include "builder/unikernel/objcache.h"

const char cmd_clean_usage[] =
    "usage: jeos clean [-o OUTDIR] [NAME...]\n"
    "\n"
    "Removes the output folders OUTDIR/NAME (every one jeos made there when no NAME is given;\n"
    "a folder jeos did not make is never touched), and the staging folders of builds that\n"
    "were killed (a running build's are left alone). Prints what it removed and the space\n"
    "freed. OUTDIR defaults to out.\n"
    "\n"
    "Exit status: 0 done, 1 failure, 2 usage error.\n";

int cmd_clean(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err)
{
    static const struct option longopts[] = {{"output", required_argument, 0, 'o'}, {0, 0, 0, 0}};
    const char *out = ctx->out_dir ? ctx->out_dir : "out";
    int c;
    while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        if (c != 'o') {
            fputs(cmd_clean_usage, stderr);
            return JEOS_EXIT_USAGE;
        }
        out = optarg;
    }
    for (int i = optind; i < argc; i++)
        if (strchr(argv[i], '/') || argv[i][0] == '.') {
            jeos_errf(err, -EINVAL, "jeos clean: %s: a recipe's name, not a path", argv[i]);
            return JEOS_EXIT_USAGE;
        }
    return jeos_output_clean(out, argv + optind, (size_t)(argc - optind), err) < 0 ? JEOS_EXIT_FAIL
                                                                                   : JEOS_EXIT_OK;
}

const char cmd_cache_usage[] =
    "usage: jeos cache\n"
    "       jeos cache prune [--max-size SIZE] [LOCKFILE...]\n"
    "\n"
    "Says what the package cache ($JEOS_CACHE, else ~/.cache/jeos) holds, by kind.\n"
    "\n"
    "prune empties its quarantine (what failed a check), removes what stopped downloads left,\n"
    "then removes packages, indexes and extracted kernels, least recently used first, until\n"
    "the cache holds at most SIZE (without --max-size: every one), keeping whatever the given\n"
    "lock files (RECIPE.yaml.lock) name. A build needing a removed file fetches it again.\n"
    "It also empties the unikernel builds' object cache (objects/: compiled sources, each\n"
    "compiled again when next needed; JEOS_OBJCACHE=off builds without it).\n"
    "\n"
    "Exit status: 0 done, 1 failure, 2 usage error.\n";

static void print_usage_table(const struct jeos_ctx *ctx, const struct cache_usage *u)
{
    uint64_t total = 0;
    for (int k = 0; k < CACHE_NKINDS; k++)
        total += u->bytes[k];
    printf("%s: %.1f MiB\n", ctx->cache_dir, total / 1048576.0);
    for (int k = 0; k < CACHE_NKINDS; k++)
        if (u->count[k])
            printf("  %-20s %6llu  %8.1f MiB\n", cache_kind_names[k],
                   (unsigned long long)u->count[k], u->bytes[k] / 1048576.0);
}

int cmd_cache(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err)
{
    if (argc == 1) {
        struct cache_usage u;
        if (cache_usage(ctx, &u, err) < 0)
            return JEOS_EXIT_FAIL;
        print_usage_table(ctx, &u);
        return JEOS_EXIT_OK;
    }
    if (strcmp(argv[1], "prune") != 0) {
        fputs(cmd_cache_usage, stderr);
        return JEOS_EXIT_USAGE;
    }
    static const struct option longopts[] = {{"max-size", required_argument, 0, 'm'}, {0, 0, 0, 0}};
    uint64_t max = 0;
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c != 'm' || !recipe_parse_size(optarg, &max) || max == 0) {
            if (c == 'm')
                jeos_errf(err, -EINVAL,
                          "jeos cache prune: --max-size: expected a size such as "
                          "2G (got \"%s\")",
                          optarg);
            else
                fputs(cmd_cache_usage, stderr);
            return JEOS_EXIT_USAGE;
        }
    }
    char **keep = NULL;
    size_t nkeep = 0;
    int rc = JEOS_EXIT_OK;
    for (int i = optind; i < argc && rc == JEOS_EXIT_OK; i++) {
        struct jeos_resolution res;
        if (jeos_lock_read(argv[i], &res, err) < 0) {
            rc = JEOS_EXIT_FAIL;
            break;
        }
        for (size_t k = 0; k < res.n; k++)
            strv_add(&keep, &nkeep, res.v[k].sha256);
        jeos_resolution_free(&res);
    }
    uint64_t freed = 0, removed = 0;
    if (rc == JEOS_EXIT_OK && (cache_prune(ctx, max, keep, nkeep, &freed, &removed, err) < 0 ||
                               uk_objcache_clear(ctx, err) < 0))
        rc = JEOS_EXIT_FAIL;
    if (rc == JEOS_EXIT_OK) {
        printf("removed %llu entries, %.1f MiB, and the compiled objects; kept %zu named by lock "
               "files\n",
               (unsigned long long)removed, freed / 1048576.0, nkeep);
        struct cache_usage u;
        if (cache_usage(ctx, &u, err) == 0)
            print_usage_table(ctx, &u);
    }
    strv_free(keep, nkeep);
    return rc;
}
