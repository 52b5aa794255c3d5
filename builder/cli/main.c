/* main.c — the jeos command: global options, the subcommand table, and the one place errors are
 * reported. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"

static const struct jeos_command commands[] = {
    {"validate", "check recipes; report every error with file:line:column", cmd_validate_usage,
     cmd_validate},
    {"resolve", "resolve a recipe's packages to their minimal closure; write RECIPE.lock",
     cmd_resolve_usage, cmd_resolve},
    {"why", "print the dependency chain that pulled a package into a recipe", cmd_why_usage,
     cmd_why},
    {"rootfs", "build a root filesystem image from a recipe and .deb files", cmd_rootfs_usage,
     cmd_rootfs},
    {"build", "build a recipe's images (unikernels: ELF and GRUB disk)", cmd_build_usage,
     cmd_build},
    {"run", "boot a disk image under QEMU, serial on the terminal", cmd_run_usage, cmd_run},
    {"clean", "remove output folders and what killed builds left", cmd_clean_usage, cmd_clean},
    {"cache", "what the package cache holds; prune it (least recently used first)", cmd_cache_usage,
     cmd_cache},
    {"source", "fetch, check and unpack a Debian source package into the cache", cmd_source_usage,
     cmd_source},
    {"inspect", "what a disk image holds: table, boot, kernel, root, packages", cmd_inspect_usage,
     cmd_inspect},
    {"diff", "packages and root files that differ between two images or lock files", cmd_diff_usage,
     cmd_diff},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: jeos [-v|-q] [--version] [--help] COMMAND [ARGS...]\n"
               "\n"
               "Turn an application into a virtual appliance: a minimal Debian system or a\n"
               "unikernel, from one YAML recipe (reference: recipes/README.md).\n"
               "\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n"
               "Options:\n"
               "  -v, --verbose   say every step\n"
               "  -q, --quiet     errors only\n"
               "  -h, --help      this text; 'jeos COMMAND --help' for a command's\n"
               "      --version   print the version\n"
               "\n"
               "Environment: SOURCE_DATE_EPOCH (time stamps in images), JEOS_CACHE (package\n"
               "cache folder), TMPDIR, JEOS_JOBS (compilers at once for a unikernel; default:\n"
               "the CPUs).\n"
               "\n"
               "Exit status: 0 success, 1 failure (the errors are printed), 2 usage error.\n");
}

int cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return 0;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct jeos_err err;
    struct jeos_ctx ctx;
    int level = -1;
    int i = 1;

    jeos_err_init(&err);
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            level = JEOS_LOG_DEBUG;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            level = JEOS_LOG_QUIET;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return JEOS_EXIT_OK;
        } else if (strcmp(a, "--version") == 0) {
            printf("jeos %s\n", JEOS_VERSION);
            return JEOS_EXIT_OK;
        } else {
            fprintf(stderr, "jeos: unknown option \"%s\" (see jeos --help)\n", a);
            return JEOS_EXIT_USAGE;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return JEOS_EXIT_USAGE;
    }

    const struct jeos_command *cmd = NULL;
    for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
        if (strcmp(commands[k].name, argv[i]) == 0)
            cmd = &commands[k];
    if (!cmd) {
        fprintf(stderr, "jeos: unknown command \"%s\" (see jeos --help)\n", argv[i]);
        return JEOS_EXIT_USAGE;
    }
    if (cli_wants_help(argc - i, argv + i)) {
        fputs(cmd->usage, stdout);
        return JEOS_EXIT_OK;
    }

    if (jeos_ctx_init(&ctx, &err) < 0) {
        jeos_err_print(&err, stderr, "jeos");
        jeos_err_free(&err);
        jeos_ctx_free(&ctx);
        return JEOS_EXIT_FAIL;
    }
    if (level >= 0)
        ctx.log_level = level;

    optind = 1; /* subcommands parse their own options with getopt_long */
    int rc = cmd->run(&ctx, argc - i, argv + i, &err);
    if (jeos_err_count(&err))
        jeos_err_print(&err, stderr, NULL);
    if (rc == JEOS_EXIT_FAIL && !jeos_err_count(&err))
        fprintf(stderr, "jeos %s: failed\n", cmd->name);
    jeos_err_free(&err);
    jeos_ctx_free(&ctx);
    return rc;
}
