/* disk.c — the bootable disk: plan, partition, FAT boot partition, GRUB BIOS+UEFI, root copy (see
 * disk.h). */
#include "boot/disk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/grub.h"
#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/spawn.h"
#include "builder/core/util.h"
#include "builder/recipe/recipe.h"

static int file_size(const char *path, const char *what, uint64_t *size, struct jeos_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return jeos_errf(err, -errno, "%s: %s: %s", path, what, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return jeos_errf(err, -EINVAL, "%s: %s: not a regular file", path, what);
    *size = (uint64_t)st.st_size;
    return 0;
}

/* Copies `src` into `fd` at `off`, skipping holes (SEEK_DATA) so the output stays sparse. */
static int copy_into(int fd, uint64_t off, const char *src, uint64_t max, struct jeos_err *err)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return jeos_errf(err, -errno, "%s: %s", src, strerror(errno));
    struct stat st;
    int rc = 0;
    if (fstat(in, &st) != 0) {
        rc = jeos_errf(err, -errno, "%s: %s", src, strerror(errno));
        goto out;
    }
    if ((uint64_t)st.st_size > max) {
        rc = jeos_errf(err, -ENOSPC, "%s: %lld bytes do not fit the partition's %llu", src,
                       (long long)st.st_size, (unsigned long long)max);
        goto out;
    }
    const size_t bufsz = 1 << 20;
    char *buf = xmalloc(bufsz);
    off_t pos = 0;
    while (pos < st.st_size) {
        off_t data = lseek(in, pos, SEEK_DATA);
        if (data < 0)
            break; /* only holes left */
        off_t hole = lseek(in, data, SEEK_HOLE);
        if (hole < 0)
            hole = st.st_size;
        for (off_t p = data; p < hole;) {
            size_t want = (size_t)(hole - p) < bufsz ? (size_t)(hole - p) : bufsz;
            ssize_t got = pread(in, buf, want, p);
            if (got <= 0) {
                rc = jeos_errf(err, got < 0 ? -errno : -EIO, "%s: read: %s", src,
                               got < 0 ? strerror(errno) : "unexpected end of file");
                free(buf);
                goto out;
            }
            if ((rc = jeos_pwrite_all(fd, buf, (size_t)got, off + (uint64_t)p, src, err))) {
                free(buf);
                goto out;
            }
            p += got;
        }
        pos = hole;
    }
    free(buf);
out:
    close(in);
    return rc;
}

/* mtools on the image file at the boot partition's offset: "IMG@@OFFSET". The times it
   writes are SOURCE_DATE_EPOCH's when that is set (mtools reads it), so the FAT is reproducible. */
static int mtool(const char *tool, const char *img_at, const char *a, const char *b,
                 struct jeos_err *err)
{
    char *argv[8];
    int n = 0;
    argv[n++] = (char *)tool;
    argv[n++] = "-i";
    argv[n++] = (char *)img_at;
    if (a)
        argv[n++] = (char *)a;
    if (b)
        argv[n++] = (char *)b;
    argv[n] = NULL;
    return jeos_spawn(argv, NULL, err);
}

/* A file name safe on FAT, in grub.cfg and in mtools' ::/path: [A-Za-z0-9._-], no leading dot. */
static bool name_ok(const char *name)
{
    if (!*name || *name == '.' || strlen(name) > 200)
        return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return false;
    return true;
}

int jeos_disk_write(const struct jeos_ctx *ctx, const struct jeos_disk_spec *spec,
                    const char *out_path, struct jeos_disk_info *info, struct jeos_err *err)
{
    struct jeos_disk_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof(*info));
    const bool mb2 = spec->kind == JEOS_DISK_MULTIBOOT2;
    if (spec->kind != JEOS_DISK_LINUX && !mb2)
        return jeos_errf(err, -EINVAL, "%s: disk: unknown kind %d (expected linux or multiboot2)",
                         out_path, (int)spec->kind);
    if (!mb2 && (!spec->kernel || !spec->initramfs || !spec->rootfs || !spec->rootfstype ||
                 !spec->seed || !spec->ptable))
        return jeos_errf(err, -EINVAL,
                         "%s: disk: kernel, initramfs, root image, its type, "
                         "partition table and seed are all required",
                         out_path);
    if (mb2 && (!spec->kernel || !spec->seed || !spec->ptable))
        return jeos_errf(err, -EINVAL,
                         "%s: disk: a multiboot2 disk needs a kernel ELF, a partition table "
                         "and a seed",
                         out_path);
    if (mb2 && (spec->initramfs || spec->rootfs || spec->data_size))
        return jeos_errf(err, -EINVAL,
                         "%s: disk: a multiboot2 disk has no initramfs, root or data partition",
                         out_path);
    const char *kname = spec->kernel_name ? spec->kernel_name : "kernel.elf";
    if (mb2 && !name_ok(kname))
        return jeos_errf(err, -EINVAL,
                         "%s: disk: kernel file name \"%s\" (expected letters, digits, '.', '_' "
                         "or '-', not starting with '.')",
                         out_path, kname);
    if (!(spec->boot & (JEOS_BOOT_BIOS | JEOS_BOOT_UEFI)))
        return jeos_errf(err, -EINVAL, "%s: disk: no boot method (expected bios, uefi or both)",
                         out_path);
    if ((spec->boot & JEOS_BOOT_UEFI) && strcmp(spec->ptable->name, "gpt") != 0)
        return jeos_errf(err, -EINVAL, "%s: disk: UEFI boot needs a gpt partition table (got %s)",
                         out_path, spec->ptable->name);

    int rc = 0;
    char *work = xasprintf("%s/jeos-disk.XXXXXX", ctx->tmpdir);
    char *efi = NULL, *core = NULL, *cfgpath = NULL, *img_at = NULL, *mb2_path = NULL;
    uint8_t *core_buf = NULL;
    char *bootimg = NULL;
    struct jeos_outfile of = {.fd = -1};
    struct sbuf cfg = {0};
    if (!mkdtemp(work)) {
        rc = jeos_errf(err, -errno, "%s: %s", work, strerror(errno));
        free(work);
        return rc;
    }
    efi = xasprintf("%s/BOOTX64.EFI", work);
    core = xasprintf("%s/core.img", work);
    cfgpath = xasprintf("%s/grub.cfg", work);

    uint64_t ksz, isz = 0, rsz = 0, esz = 0;
    if ((rc = file_size(spec->kernel, "kernel", &ksz, err)) ||
        (!mb2 && (rc = file_size(spec->initramfs, "initramfs", &isz, err))) ||
        (!mb2 && (rc = file_size(spec->rootfs, "root filesystem image", &rsz, err))))
        goto out;

    /* A first plan for the partition numbers and identifiers the GRUB images embed. */
    uint8_t vid[16];
    jeos_uuid_derive(spec->seed, "fat-volid", vid);
    info->esp_volid =
        (uint32_t)vid[0] << 24 | (uint32_t)vid[1] << 16 | (uint32_t)vid[2] << 8 | vid[3];
    struct jeos_layout_req req = {.ops = spec->ptable,
                                  .seed = spec->seed,
                                  .esp_size = JEOS_MIB,
                                  .root_size = mb2   ? 0
                                               : rsz ? rsz
                                                     : JEOS_MIB,
                                  .data_size = spec->data_size,
                                  .min_disk_size = spec->min_size,
                                  .no_root = mb2};
    if ((rc = jeos_layout_plan(&req, &info->layout, err)))
        goto out;
    if (spec->boot & JEOS_BOOT_UEFI) {
        if ((rc = jeos_grub_mkimage("x86_64-efi", &info->layout, info->esp_volid, mb2,
                                    spec->grub_efi_dir, work, efi, err)) ||
            (rc = file_size(efi, "BOOTX64.EFI", &esz, err)))
            goto out;
    }
    /* FAT overhead (FATs, directories, cluster slack) stays well under 1/16 + 1 MiB here. */
    uint64_t used = ksz + isz + esz + 64 * 1024;
    info->esp_used = used;
    req.esp_size = used + used / 16 + 2 * JEOS_MIB;
    if (req.esp_size < 8 * JEOS_MIB)
        req.esp_size = 8 * JEOS_MIB;
    if ((rc = jeos_layout_plan(&req, &info->layout, err)))
        goto out;
    const struct jeos_layout *l = &info->layout;
    int esp = jeos_layout_find(l, JEOS_PART_ESP), root = jeos_layout_find(l, JEOS_PART_ROOT);
    int data = jeos_layout_find(l, JEOS_PART_DATA);
    if (root >= 0)
        l->ops->partuuid(l, (size_t)root, info->root_partuuid);

    char data_uuid[37] = "";
    if (data >= 0)
        l->ops->partuuid(l, (size_t)data, data_uuid);
    if (mb2)
        mb2_path = xasprintf("/boot/%s", kname);
    struct jeos_grub_cfg gc = {.title = spec->title ? spec->title : "jeos",
                               .multiboot2 = mb2_path,
                               .partuuid = info->root_partuuid,
                               .rootfstype = spec->rootfstype,
                               .data_partuuid = data >= 0 ? data_uuid : NULL,
                               .extra = spec->cmdline,
                               .timeout = spec->timeout};
    if ((rc = jeos_grub_cfg_write(&gc, &cfg, err)) ||
        (rc = jeos_write_file_atomic(cfgpath, cfg.s, cfg.len, 0644, err)))
        goto out;

    if ((rc = jeos_outfile_open(&of, out_path, 0644, err)))
        goto out;
    if (ftruncate(of.fd, (off_t)l->disk_size) != 0) {
        rc = jeos_errf(err, -errno, "%s: cannot size to %llu bytes: %s", out_path,
                       (unsigned long long)l->disk_size, strerror(errno));
        goto out;
    }
    if ((rc = l->ops->write(l, of.fd, err)))
        goto out;

    /* The boot FAT, made and filled in place at its offset. */
    const struct jeos_part *ep = &l->parts[esp];
    char secarg[40], volid[16], kib[32];
    snprintf(secarg, sizeof(secarg), "--offset=%llu", (unsigned long long)(ep->start / 512));
    snprintf(volid, sizeof(volid), "%08X", info->esp_volid);
    snprintf(kib, sizeof(kib), "%llu", (unsigned long long)(ep->size / 1024));
    /* --invariant pins the times it would write; it also sets a fixed serial, so -i
       must come after it. */
    char *mkfs[] = {"mkfs.fat", "--invariant", secarg, "-i", volid,
                    "-n",       "JEOSBOOT",    of.tmp, kib,  NULL};
    if ((rc = jeos_spawn(mkfs, NULL, err)))
        goto out;
    img_at = xasprintf("%s@@%llu", of.tmp, (unsigned long long)ep->start);
    if ((rc = mtool("mmd", img_at, "::/boot", NULL, err)) ||
        (rc = mtool("mmd", img_at, "::/boot/grub", NULL, err)) ||
        (rc = mtool("mcopy", img_at, cfgpath, "::" JEOS_GRUB_CFG, err)))
        goto out;
    if (mb2) {
        char *dst = xasprintf("::%s", mb2_path);
        rc = mtool("mcopy", img_at, spec->kernel, dst, err);
        free(dst);
        if (rc)
            goto out;
    } else if ((rc = mtool("mcopy", img_at, spec->kernel, "::" JEOS_GRUB_KERNEL, err)) ||
               (rc = mtool("mcopy", img_at, spec->initramfs, "::" JEOS_GRUB_INITRD, err))) {
        goto out;
    }
    if (spec->boot & JEOS_BOOT_UEFI) {
        if ((rc = mtool("mmd", img_at, "::/EFI", NULL, err)) ||
            (rc = mtool("mmd", img_at, "::/EFI/BOOT", NULL, err)) ||
            (rc = mtool("mcopy", img_at, efi, "::/EFI/BOOT/BOOTX64.EFI", err)))
            goto out;
    }

    if (root >= 0 &&
        (rc = copy_into(of.fd, l->parts[root].start, spec->rootfs, l->parts[root].size, err)))
        goto out;
    if (data >= 0) {
        /* The data partition gets an empty ext4 now (mke2fs writes at an offset into the
           image file), so the appliance needs no mkfs of its own. */
        const struct jeos_part *dp = &l->parts[data];
        char off[160], blocks[32], uuid[37], fake[64];
        jeos_uuid_format(dp->uuid, uuid);
        snprintf(off, sizeof(off), "offset=%llu,hash_seed=%s", (unsigned long long)dp->start, uuid);
        snprintf(blocks, sizeof(blocks), "%lluk", (unsigned long long)(dp->size / 1024));
        /* mke2fs takes its clock from E2FSPROGS_FAKE_TIME: set through env(1), no shell */
        snprintf(fake, sizeof(fake), "E2FSPROGS_FAKE_TIME=%lld",
                 (long long)(ctx->have_epoch ? ctx->epoch : 0));
        char *mk[] = {"env", fake, "mkfs.ext4", "-q", "-F",   "-L",   "data",
                      "-U",  uuid, "-E",        off,  of.tmp, blocks, NULL};
        char *const *mkv = ctx->have_epoch ? mk : mk + 2;
        if ((rc = jeos_spawn(mkv, NULL, err)))
            goto out;
    }

    if (spec->boot & JEOS_BOOT_BIOS) {
        const char *bdir = spec->grub_bios_dir ? spec->grub_bios_dir : "/usr/lib/grub/i386-pc";
        char *bpath = xasprintf("%s/boot.img", bdir);
        size_t blen = 0, clen = 0;
        rc = jeos_read_file(bpath, &bootimg, &blen, err);
        free(bpath);
        if (rc)
            goto out;
        if (blen != JEOS_SECTOR) {
            rc = jeos_errf(err, -EINVAL, "%s/boot.img: %zu bytes (expected 512)", bdir, blen);
            goto out;
        }
        char *cbuf = NULL;
        if ((rc = jeos_grub_mkimage("i386-pc", l, info->esp_volid, mb2, spec->grub_bios_dir, work,
                                    core, err)) ||
            (rc = jeos_read_file(core, &cbuf, &clen, err)))
            goto out;
        core_buf = (uint8_t *)cbuf;
        if ((rc = jeos_grub_install_bios(of.fd, l, (const uint8_t *)bootimg, core_buf, clen, err)))
            goto out;
    }
    rc = jeos_outfile_commit(&of, err);
out:
    if (rc && of.tmp)
        jeos_outfile_abort(&of);
    unlink(efi);
    unlink(core);
    unlink(cfgpath);
    rmdir(work);
    sbuf_free(&cfg);
    free(core_buf);
    free(bootimg);
    free(img_at);
    free(mb2_path);
    free(efi);
    free(core);
    free(cfgpath);
    free(work);
    if (rc == 0 && mb2)
        jeos_log(ctx, JEOS_LOG_DEBUG, "%s: %llu MiB, multiboot2 /boot/%s", out_path,
                 (unsigned long long)(info->layout.disk_size / JEOS_MIB), kname);
    else if (rc == 0)
        jeos_log(ctx, JEOS_LOG_DEBUG, "%s: %llu MiB, root PARTUUID=%s", out_path,
                 (unsigned long long)(info->layout.disk_size / JEOS_MIB), info->root_partuuid);
    return rc;
}

int jeos_disk_spec_from_recipe(const struct recipe *r, struct jeos_disk_spec *spec, char **seed,
                               struct jeos_err *err)
{
    const char *where = r->path ? r->path : "recipe";
    if (r->image.ptable == RECIPE_PT_MBR && (r->image.boot & RECIPE_BOOT_UEFI))
        return jeos_errf(err, -EINVAL,
                         "%s: image.boot: uefi needs image.partition_table: gpt (got mbr)", where);
    spec->rootfstype = r->image.root == RECIPE_ROOT_EXT4 ? "ext4" : "squashfs";
    spec->ptable = r->image.ptable == RECIPE_PT_MBR ? &jeos_ptable_mbr : &jeos_ptable_gpt;
    spec->boot = (r->image.boot & RECIPE_BOOT_BIOS ? JEOS_BOOT_BIOS : 0) |
                 (r->image.boot & RECIPE_BOOT_UEFI ? JEOS_BOOT_UEFI : 0);
    spec->data_size = r->image.data_size;
    spec->min_size = r->image.size;
    spec->timeout = r->image.timeout;
    spec->cmdline = r->cmdline;
    spec->title = r->name;
    *seed = xasprintf("%s-%s", r->name ? r->name : "jeos", r->version ? r->version : "1");
    spec->seed = *seed;
    return 0;
}

/* The one entry of `dir` starting with `prefix`; -ENOENT when none, -EINVAL when several. */
static int only_entry(const char *dir, const char *prefix, char **name, struct jeos_err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return -ENOENT;
    struct dirent *e;
    int n = 0;
    *name = NULL;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        if (n++ == 0)
            *name = xstrdup(e->d_name);
    }
    closedir(d);
    if (n > 1) {
        free(*name);
        *name = NULL;
        return jeos_errf(err, -EINVAL, "%s: %d entries named %s* (expected one kernel)", dir, n,
                         prefix);
    }
    return n ? 0 : -ENOENT;
}

int jeos_kernel_find(const char *root, char **vmlinuz, char **modroot, struct jeos_err *err)
{
    *vmlinuz = *modroot = NULL;
    char *boot = xasprintf("%s/boot", root), *name = NULL;
    int rc = only_entry(boot, "vmlinuz-", &name, err);
    if (rc == -ENOENT)
        rc = jeos_errf(err, -ENOENT, "%s: no boot/vmlinuz-* (is this a kernel package?)", root);
    if (rc) {
        free(boot);
        return rc;
    }
    *vmlinuz = xasprintf("%s/%s", boot, name);
    const char *version = name + strlen("vmlinuz-");
    free(boot);
    const char *trees[] = {"lib/modules", "usr/lib/modules"};
    for (int i = 0; i < 2 && !*modroot; i++) {
        char *m = xasprintf("%s/%s/%s", root, trees[i], version);
        struct stat st;
        if (stat(m, &st) == 0 && S_ISDIR(st.st_mode))
            *modroot = m;
        else
            free(m);
    }
    if (!*modroot) {
        rc = jeos_errf(err, -ENOENT, "%s: no lib/modules/%s for %s", root, version, *vmlinuz);
        free(*vmlinuz);
        *vmlinuz = NULL;
    }
    free(name);
    return rc;
}
