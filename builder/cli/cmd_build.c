/* cmd_build.c — jeos build RECIPE.yaml: builds the recipe's images (appliance or unikernel) into
 * <out>/<name>/. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "builder/appliance/build.h"
#include "builder/cli/cli.h"
#include "builder/core/cleanup.h"
#include "builder/recipe/recipe.h"
#include "builder/unikernel/build.h"

const char cmd_build_usage[] =
    "usage: jeos build [-o OUTDIR] [--locked | --update] [--lock FILE] [--size-report]\n"
    "                  RECIPE.yaml\n"
    "\n"
    "Builds the recipe's images into OUTDIR/NAME/ (OUTDIR defaults to out).\n"
    "A unikernel recipe gives NAME.elf (qemu -kernel / Xen PVH / GRUB multiboot2),\n"
    "NAME-hv.elf (jeos-hv) and, with format raw, NAME.raw (a GRUB disk, BIOS and UEFI),\n"
    "and the recipe's other disk formats converted from that disk;\n"
    "--size-report prints the unikernel ELF's size and its largest symbols.\n"
    "An appliance recipe gives NAME.raw (GPT or MBR, BIOS and/or UEFI), NAME.qcow2, the\n"
    "recipe's other formats, manifest.txt and build-report.txt (packages, sizes and\n"
    "time per stage, what was trimmed). Its packages come from RECIPE.lock when the lock\n"
    "still fits the recipe, else they are resolved and the lock is written.\n"
    "\n"
    "  --locked      install exactly the lock; fail if it is missing or stale\n"
    "  --update      resolve again and rewrite the lock\n"
    "  --lock FILE   the lock file (default RECIPE.lock)\n"
    "  --offline     use only the cache (packages and indexes)\n"
    "\n"
    "Exit status: 0 built, 1 failure (errors printed), 2 usage error.\n";

int cmd_build(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err)
{
    static const struct option longopts[] = {{"output", required_argument, 0, 'o'},
                                             {"locked", no_argument, 0, 'L'},
                                             {"update", no_argument, 0, 'U'},
                                             {"lock", required_argument, 0, 'l'},
                                             {"offline", no_argument, 0, 'F'},
                                             {"size-report", no_argument, 0, 'S'},
                                             {0, 0, 0, 0}};
    struct appliance_build_opts ao = {0};
    int size_report = 0;
    const char *out_dir = ctx->out_dir ? ctx->out_dir : "out";
    int c;
    while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        if (c == 'o') {
            out_dir = optarg;
            continue;
        }
        if (c == 'S') {
            size_report = 1;
            continue;
        }
        if (c == 'L' || c == 'U' || c == 'l' || c == 'F') {
            ao.locked |= c == 'L';
            ao.update |= c == 'U';
            ctx->offline |= c == 'F';
            if (c == 'l')
                ao.lock_path = optarg;
            continue;
        }
        fputs(cmd_build_usage, stderr);
        return JEOS_EXIT_USAGE;
    }
    if (optind != argc - 1 || (ao.locked && ao.update)) {
        fputs(cmd_build_usage, stderr);
        return JEOS_EXIT_USAGE;
    }
    struct recipe *r = NULL;
    if (recipe_load_file(argv[optind], &r, err) < 0)
        return JEOS_EXIT_FAIL;
    jeos_cleanup_start(); /* a stopped build leaves no staging folder, no tool running */
    int rc;
    if (r->kind != RECIPE_UNIKERNEL) {
        ao.out_dir = out_dir;
        rc = appliance_build(ctx, r, &ao, err);
        if (rc == 0)
            printf("%s/%s/%s.raw\n", out_dir, r->name, r->name);
    } else {
        char *kit = NULL;
        rc = uk_kit_find(&kit, err);
        if (rc == 0)
            rc = unikernel_build(ctx, r, kit, out_dir, size_report, err);
        if (rc == 0)
            printf("%s/%s/\n", out_dir, r->name);
        free(kit);
    }
    recipe_free(r);
    return rc < 0 ? JEOS_EXIT_FAIL : JEOS_EXIT_OK;
}
