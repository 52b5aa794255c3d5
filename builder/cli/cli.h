/* cli.h — the jeos subcommands: one entry point each, listed in builder/cli/main.c's table. */
#ifndef JEOS_CLI_H
#define JEOS_CLI_H

#include "builder/core/ctx.h"

/* Exit codes of the jeos command (documented in jeos --help and README.md). */
#define JEOS_EXIT_OK    0
#define JEOS_EXIT_FAIL  1
#define JEOS_EXIT_USAGE 2

/*
 * A subcommand gets the build context and its own arguments (argv[0] is the
 * subcommand's name). It returns an exit code; messages of failures are in
 * `err`, which main prints once.
 */
struct jeos_command {
    const char *name;
    const char *summary; /* one line for jeos --help */
    const char *usage;   /* full text for jeos CMD --help */
    int (*run)(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err);
};

int cmd_validate(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err);
extern const char cmd_validate_usage[];
int cmd_resolve(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err);
extern const char cmd_resolve_usage[];
int cmd_why(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err);
extern const char cmd_why_usage[];
int cmd_rootfs(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err);
extern const char cmd_rootfs_usage[];
int cmd_build(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err);
extern const char cmd_build_usage[];
int cmd_run(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err);
extern const char cmd_run_usage[];
int cmd_source(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err);
extern const char cmd_source_usage[];
int cmd_clean(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err);
extern const char cmd_clean_usage[];
int cmd_cache(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err);
extern const char cmd_cache_usage[];

int cmd_inspect(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err);
extern const char cmd_inspect_usage[];
int cmd_diff(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err);
extern const char cmd_diff_usage[];

/* True when argv holds -h or --help (before a "--"). */
int cli_wants_help(int argc, char **argv);

#endif
