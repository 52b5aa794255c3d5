/* bootkit.c — test driver for the boot pieces without the resolver: initramfs, disk, formats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot.h"
#include "boot/disk.h"
#include "boot/initramfs.h"
#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/recipe/recipe.h"
#include "builder/appliance/init_conf.h"
#include "builder/appliance/units.h"
#include "builder/core/tree.h"
#include "images/format.h"

static int usage(void)
{
    fputs("usage: bootkit initramfs INIT MODROOT OUT\n"
          "       bootkit disk KERNEL INITRD ROOTFS ext4|squashfs gpt|mbr bios|uefi|both OUT "
          "[DATA_MIB]\n"
          "       bootkit ukdisk ELF OUT [CMDLINE]   (multiboot2 disk, GPT, BIOS + UEFI)\n"
          "       bootkit convert RAW FORMAT[,FORMAT...] DIR BASE [NAME]   (DIR/BASE<suffix>)\n"
          "       bootkit initconf RECIPE   (prints /etc/jeos/init.conf)\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    struct jeos_ctx ctx;
    struct jeos_err err = {0};
    int rc = 0;
    if (jeos_ctx_init(&ctx, &err) != 0) {
        jeos_err_print(&err, stderr, "bootkit");
        return 1;
    }
    if (argc == 5 && strcmp(argv[1], "initramfs") == 0) {
        struct jeos_initramfs_spec s = {.init = argv[2],
                                        .modroot = argv[3],
                                        .default_modules = true,
                                        .compress = JEOS_INITRAMFS_ZSTD};
        struct jeos_modlist m;
        rc = jeos_initramfs_write(&ctx, &s, argv[4], &m, &err);
        if (!rc) {
            printf("modules:");
            for (size_t i = 0; i < m.n; i++)
                printf(" %s", m.names[i]);
            printf("\nbuilt-in:");
            for (size_t i = 0; i < m.nbuiltin; i++)
                printf(" %s", m.builtin[i]);
            printf("\n");
            jeos_modlist_free(&m);
        }
    } else if ((argc == 9 || argc == 10) && strcmp(argv[1], "disk") == 0) {
        const struct jeos_boot_ops *bios = jeos_boot_find("bios"), *uefi = jeos_boot_find("uefi");
        struct jeos_disk_spec s = {
            .kernel = argv[2],
            .initramfs = argv[3],
            .rootfs = argv[4],
            .rootfstype = argv[5],
            .ptable = jeos_ptable_find(argv[6]),
            .boot = {strcmp(argv[7], "uefi") ? bios : uefi, strcmp(argv[7], "both") ? NULL : uefi},
            .data_size = argc == 10 ? strtoull(argv[9], NULL, 10) << 20 : 0,
            .seed = "bootkit",
            .title = "jeos test",
            .timeout = 0};
        if (!s.ptable) {
            jeos_ctx_free(&ctx);
            return usage();
        }
        struct jeos_disk_info info;
        rc = jeos_disk_write(&ctx, &s, argv[8], &info, &err);
        if (!rc)
            printf("disk %llu MiB, root PARTUUID=%s\n",
                   (unsigned long long)(info.layout.disk_size >> 20), info.root_partuuid);
    } else if ((argc == 4 || argc == 5) && strcmp(argv[1], "ukdisk") == 0) {
        struct jeos_disk_spec s = {.kind = JEOS_DISK_MULTIBOOT2,
                                   .kernel = argv[2],
                                   .kernel_name = "uk.elf",
                                   .ptable = jeos_ptable_find("gpt"),
                                   .boot = {jeos_boot_find("bios"), jeos_boot_find("uefi")},
                                   .seed = "bootkit-uk",
                                   .title = "jeos unikernel test",
                                   .cmdline = argc == 5 ? argv[4] : NULL,
                                   .timeout = 0};
        struct jeos_disk_info info;
        rc = jeos_disk_write(&ctx, &s, argv[3], &info, &err);
        if (!rc)
            printf("disk %llu MiB, %zu partitions\n",
                   (unsigned long long)(info.layout.disk_size >> 20), info.layout.nparts);
    } else if (argc == 3 && strcmp(argv[1], "initconf") == 0) {
        /* the recipe's exec service (a unit needs the packages: jeos build) */
        struct recipe *r = NULL;
        struct sbuf b = {0}, log = {0};
        struct svc_plan p = {0};
        struct tree *t = tree_new(0);
        struct deb_strs warnings = {0};
        struct units_ctx uc = {t, NULL, NULL, 0, 0, &log, &warnings};
        rc = recipe_load_file(argv[2], &r, &err);
        if (!rc)
            rc = units_plan(&uc, r, &p, &err);
        if (!rc)
            rc = jeos_init_conf_write(r, &p, &b, &err);
        if (!rc)
            fputs(b.s, stdout);
        sbuf_free(&b);
        sbuf_free(&log);
        svc_plan_free(&p);
        tree_free(t);
        deb_strs_free(&warnings);
        recipe_free(r);
    } else if ((argc == 6 || argc == 7) && strcmp(argv[1], "convert") == 0) {
        /* FORMAT may be a comma-separated list (made together, as a build does); $BOOTKIT_UEFI
           set: the recipe boots by UEFI only */
        char *list = xstrdup(argv[3]), *names[16], *sv = NULL;
        size_t n = 0;
        for (char *t = strtok_r(list, ",", &sv); t && n < 16; t = strtok_r(NULL, ",", &sv))
            names[n++] = t;
        for (size_t i = 0; i < n; i++)
            if (!jeos_format_find(names[i])) {
                fprintf(stderr, "bootkit: unknown format %s\n", names[i]);
                free(list);
                jeos_ctx_free(&ctx);
                return 2;
            }
        const char *uefi = getenv("BOOTKIT_UEFI");
        struct jeos_format_opts o = {.name = argc == 7 ? argv[6] : "test",
                                     .cpus = 2,
                                     .memory = 256ull << 20,
                                     .uefi = uefi && *uefi,
                                     .seed = "bootkit-1"};
        rc = n == 1 ? jeos_format_write(&ctx, jeos_format_find(names[0]), argv[2], argv[4], argv[5],
                                        &o, &err)
                    : jeos_formats_write(&ctx, argv[2], argv[4], argv[5],
                                         (const char *const *)names, n, &o, &err);
        free(list);
    } else {
        jeos_ctx_free(&ctx);
        return usage();
    }
    if (rc)
        jeos_err_print(&err, stderr, "bootkit");
    jeos_err_free(&err);
    jeos_ctx_free(&ctx);
    return rc ? 1 : 0;
}
