/* cmd_source.c — jeos source NAME[=VERSION]: a Debian source package fetched, checked and
 * unpacked into the cache; prints the tree's folder. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/debian/repo.h"
#include "builder/debian/source.h"
#include "builder/recipe/recipe.h"

const char cmd_source_usage[] =
    "usage: jeos source [OPTIONS] NAME[=VERSION]\n"
    "\n"
    "Finds the Debian source package NAME (the highest version, or VERSION) in the\n"
    "Sources indexes of the sources (InRelease checked with gpgv, each index against\n"
    "the Release sha256), fetches its .dsc and tarballs into the cache checked\n"
    "against the index and the .dsc, unpacks them with dpkg-source (patches applied)\n"
    "into CACHE/source/<sha256 of the .dsc>, and prints that folder. A warm run\n"
    "reads only the cache. Used by make for lwIP, and by jeos build for recipes\n"
    "with source: {debian: NAME}.\n"
    "\n"
    "Options:\n"
    "  --suite SUITE            the distribution (default bookworm)\n"
    "  --mirror URI             the archive root (default: the host's apt sources)\n"
    "  --component NAME         a component to search (default main; repeatable)\n"
    "  --keyring FILE           check signatures against FILE (default Debian's)\n"
    "  --offline                use only the cache; a miss is an error\n"
    "  --allow-unauthenticated  do not check signatures (local test repositories)\n"
    "\n"
    "Environment: JEOS_CACHE (cache folder), JEOS_APT_ETC (apt configuration\n"
    "folder read for the host's sources; default /etc/apt).\n"
    "\n"
    "Exit status: 0 unpacked (the folder is printed), 1 failure, 2 usage error.\n";

enum { OPT_SUITE = 256, OPT_MIRROR, OPT_COMPONENT, OPT_KEYRING, OPT_OFFLINE, OPT_UNAUTH };

int cmd_source(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err)
{
    static const struct option longopts[] = {
        {"suite", required_argument, NULL, OPT_SUITE},
        {"mirror", required_argument, NULL, OPT_MIRROR},
        {"component", required_argument, NULL, OPT_COMPONENT},
        {"keyring", required_argument, NULL, OPT_KEYRING},
        {"offline", no_argument, NULL, OPT_OFFLINE},
        {"allow-unauthenticated", no_argument, NULL, OPT_UNAUTH},
        {0, 0, 0, 0},
    };
    /* The sources are chosen as for a recipe's debian: key (repo_sources_for_recipe). */
    struct recipe r;
    memset(&r, 0, sizeof(r));
    r.path = "jeos source";
    r.dir = ".";
    char *comps[16];
    size_t ncomps = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_SUITE: r.debian.suite = optarg; break;
        case OPT_MIRROR: r.debian.mirror = optarg; break;
        case OPT_KEYRING: r.debian.keyring = optarg; break;
        case OPT_COMPONENT:
            if (ncomps == sizeof(comps) / sizeof(comps[0])) {
                fputs("jeos source: at most 16 --component options\n", stderr);
                return JEOS_EXIT_USAGE;
            }
            comps[ncomps++] = optarg;
            break;
        case OPT_OFFLINE: ctx->offline = true; break;
        case OPT_UNAUTH: ctx->allow_unauthenticated = true; break;
        default: fputs(cmd_source_usage, stderr); return JEOS_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        fputs(cmd_source_usage, stderr);
        return JEOS_EXIT_USAGE;
    }
    r.debian.components.v = comps;
    r.debian.components.n = ncomps;
    struct repo_sources src = {0};
    char *tree = NULL, *version = NULL;
    int rc = repo_sources_for_recipe(&r, &src, err);
    if (rc == 0)
        rc = jeos_source_get(ctx, &src, argv[optind], "jeos source", &tree, &version, err);
    if (rc == 0) {
        jeos_log(ctx, JEOS_LOG_INFO, "%s %s", argv[optind], version);
        printf("%s\n", tree);
    }
    free(tree);
    free(version);
    repo_sources_free(&src);
    return rc == 0 ? JEOS_EXIT_OK : JEOS_EXIT_FAIL;
}
