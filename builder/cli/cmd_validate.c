/* cmd_validate.c — jeos validate FILE...: load each recipe and print "FILE: ok" or its errors. */
#include <getopt.h>
#include <stdio.h>

#include "builder/cli/cli.h"
#include "builder/recipe/recipe.h"

const char cmd_validate_usage[] =
    "usage: jeos validate RECIPE.yaml...\n"
    "\n"
    "Loads each recipe and checks it against the reference in recipes/README.md,\n"
    "including that the files it names exist. Prints \"RECIPE: ok\" for a good one;\n"
    "for a bad one, every error as FILE:LINE:COLUMN: FIELD: what was expected.\n"
    "\n"
    "Exit status: 0 all good, 1 some recipe has errors, 2 usage error.\n";

int cmd_validate(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err)
{
    (void)ctx;
    static const struct option longopts[] = {{0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        fputs(cmd_validate_usage, stderr);
        return JEOS_EXIT_USAGE;
    }
    if (optind >= argc) {
        fputs(cmd_validate_usage, stderr);
        return JEOS_EXIT_USAGE;
    }
    int bad = 0;
    for (int i = optind; i < argc; i++) {
        struct recipe *r = NULL;
        if (recipe_load_file(argv[i], &r, err) == 0) {
            printf("%s: ok\n", argv[i]);
            recipe_free(r);
        } else {
            bad++;
        }
        fflush(stdout);
    }
    return bad ? JEOS_EXIT_FAIL : JEOS_EXIT_OK;
}
