/* cmd_rootfs.c — jeos rootfs RECIPE DEB...: the root filesystem step on its own, from given .deb
 * files. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/cli/cli.h"
#include "builder/core/alloc.h"
#include "builder/core/util.h"
#include "builder/recipe/axis.h"
#include "builder/recipe/recipe.h"
#include "images/fs.h"
#include "builder/appliance/rootfs.h"

const char cmd_rootfs_usage[] =
    "usage: jeos rootfs [-t ext4|squashfs] [-d DIR] [--size SIZE] [--comp lz4|zstd|xz|gzip|lzo]\n"
    "                   RECIPE.yaml PACKAGE.deb...\n"
    "\n"
    "Extracts the .deb files (in the order given: dependencies first) into an\n"
    "in-memory tree, trims and configures it from the recipe, and writes\n"
    "DIR/root.ext4 or DIR/root.squashfs, DIR/manifest.txt and DIR/rootfs-report.txt.\n"
    "No root privileges are needed; nothing is unpacked on the host.\n"
    "\n"
    "  -t, --type FS     ext4 or squashfs (default: the recipe's image.root)\n"
    "  -d, --dir DIR     output folder (default: OUT/NAME, OUT from jeos -o or \"out\")\n"
    "      --size SIZE   ext4 image size (default: content + 16M)\n"
    "      --comp C      squashfs compression (default: the recipe's image.compression)\n"
    "      --no-image    write only the manifest and the report\n"
    "\n"
    "Times are clamped to SOURCE_DATE_EPOCH (default: the newest packaged file), so\n"
    "the same inputs give byte-identical images.\n"
    "\n"
    "Exit status: 0 done, 1 failed, 2 usage error.\n";

int cmd_rootfs(struct jeos_ctx *ctx, int argc, char **argv, struct jeos_err *err)
{
    static const struct option longopts[] = {
        {"type", required_argument, 0, 't'}, {"dir", required_argument, 0, 'd'},
        {"size", required_argument, 0, 's'}, {"comp", required_argument, 0, 'c'},
        {"no-image", no_argument, 0, 'n'},   {0, 0, 0, 0}};
    const char *type = NULL, *dir = NULL, *comp = NULL;
    uint64_t size = 0;
    bool image = true;
    int c;
    while ((c = getopt_long(argc, argv, "t:d:", longopts, NULL)) != -1) {
        switch (c) {
        case 't': type = optarg; break;
        case 'd': dir = optarg; break;
        case 'c': comp = optarg; break;
        case 'n': image = false; break;
        case 's':
            if (!recipe_parse_size(optarg, &size)) {
                fprintf(stderr, "jeos rootfs: --size: not a size: %s\n", optarg);
                return JEOS_EXIT_USAGE;
            }
            break;
        default: fputs(cmd_rootfs_usage, stderr); return JEOS_EXIT_USAGE;
        }
    }
    if (argc - optind < 1) {
        fputs(cmd_rootfs_usage, stderr);
        return JEOS_EXIT_USAGE;
    }
    for (int k = 0; k < 2; k++) {
        const struct jeos_axis *a = k == 0 ? &jeos_axis_fs : &jeos_axis_compression;
        const char *v = k == 0 ? type : comp;
        if (v && !jeos_axis_find(a, v)) {
            struct sbuf all = {0};
            jeos_axis_names(a, JEOS_FOR_BOTH, &all);
            fprintf(stderr, "jeos rootfs: %s: %s (expected one of: %s)\n",
                    k == 0 ? "--type" : "--comp", v, all.s);
            sbuf_free(&all);
            return JEOS_EXIT_USAGE;
        }
    }
    struct recipe *r = NULL;
    if (recipe_load_file(argv[optind], &r, err) < 0)
        return JEOS_EXIT_FAIL;
    if (r->kind != RECIPE_APPLIANCE) {
        jeos_errf(err, -EINVAL, "%s: kind: a root filesystem needs an appliance recipe",
                  argv[optind]);
        recipe_free(r);
        return JEOS_EXIT_FAIL;
    }
    if (!type)
        type = r->image.root;
    char *outdir =
        dir ? xstrdup(dir) : xasprintf("%s/%s", ctx->out_dir ? ctx->out_dir : "out", r->name);
    int rc = JEOS_EXIT_FAIL;
    struct rootfs *rf = rootfs_new(ctx);
    for (int i = optind + 1; i < argc; i++)
        if (rootfs_add_deb(rf, argv[i], err) < 0)
            goto out;
    if (rootfs_configure(rf, r, err) < 0 || jeos_mkdir_p(outdir, 0755, err) < 0)
        goto out;
    if (comp) {
        free(rf->compression);
        rf->compression = xstrdup(comp);
    }
    char *img = xasprintf("%s/root%s", outdir, jeos_fs_find(type)->c.suffix);
    char *mf = xasprintf("%s/manifest.txt", outdir);
    char *rep = xasprintf("%s/rootfs-report.txt", outdir);
    int e = image ? rootfs_write_image(rf, type, r, size, img, err) : 0;
    if (e == 0)
        e = rootfs_write_manifest(rf, mf, err);
    if (e == 0)
        e = rootfs_write_report(rf, rep, err);
    if (e == 0) {
        if (image)
            printf("%s\n", img);
        printf("%s\n%s\n", mf, rep);
        rc = JEOS_EXIT_OK;
    }
    free(img);
    free(mf);
    free(rep);
out:
    rootfs_free(rf);
    recipe_free(r);
    free(outdir);
    return rc;
}
