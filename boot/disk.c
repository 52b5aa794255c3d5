/* disk.c — the bootable disk: plan, partition, FAT boot partition, boot methods, root copy (see
 * disk.h). */
#include "boot/disk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/boot.h"
#include "boot/fat.h"
#include "boot/grub.h"
#include "builder/core/alloc.h"
#include "builder/core/cleanup.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/spawn.h"
#include "builder/core/util.h"

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

/* Copies `src` into `fd` (the disk `dst`) at `off`, skipping holes (SEEK_DATA) so the output
   stays sparse. */
static int copy_into(int fd, const char *dst, uint64_t off, const char *src, uint64_t max,
                     struct jeos_err *err)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return jeos_errf(err, -errno, "%s: %s", src, strerror(errno));
    struct stat st;
    int rc = 0;
    char *buf = NULL;
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
    buf = xmalloc(bufsz);
    for (off_t pos = 0; pos < st.st_size;) {
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
                goto out;
            }
            if ((rc = jeos_pwrite_all(fd, buf, (size_t)got, off + (uint64_t)p, dst, err)))
                goto out;
            p += got;
        }
        pos = hole;
    }
out:
    free(buf);
    close(in);
    return rc;
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

/* Everything one jeos_disk_write holds, freed in one place. */
struct disk {
    const struct jeos_disk_spec *spec;
    const char *out_path;
    bool mb2;
    const char *kname; /* MULTIBOOT2: the ELF's name under /boot */
    char *work;        /* scratch folder */
    char *cfgpath;     /* grub.cfg, written before it is copied */
    char *mb2_path;    /* MULTIBOOT2: "/boot/NAME.elf" */
    struct jeos_boot_work bw;
    struct jeos_outfile of;
};

/* The spec's fields against each other, before any work. */
static int check_spec(struct disk *d, struct jeos_err *err)
{
    const struct jeos_disk_spec *s = d->spec;
    const char *out = d->out_path;
    if (s->kind != JEOS_DISK_LINUX && !d->mb2)
        return jeos_errf(err, -EINVAL, "%s: disk: unknown kind %d (expected linux or multiboot2)",
                         out, (int)s->kind);
    if (!d->mb2 &&
        (!s->kernel || !s->initramfs || !s->rootfs || !s->rootfstype || !s->seed || !s->ptable))
        return jeos_errf(err, -EINVAL,
                         "%s: disk: kernel, initramfs, root image, its type, "
                         "partition table and seed are all required",
                         out);
    if (d->mb2 && (!s->kernel || !s->seed || !s->ptable))
        return jeos_errf(err, -EINVAL,
                         "%s: disk: a multiboot2 disk needs a kernel ELF, a partition table "
                         "and a seed",
                         out);
    if (d->mb2 && (s->initramfs || s->rootfs || s->data_size))
        return jeos_errf(err, -EINVAL,
                         "%s: disk: a multiboot2 disk has no initramfs, root or data partition",
                         out);
    if (d->mb2 && !name_ok(d->kname))
        return jeos_errf(err, -EINVAL,
                         "%s: disk: kernel file name \"%s\" (expected letters, digits, '.', '_' "
                         "or '-', not starting with '.')",
                         out, d->kname);
    if (!s->boot[0])
        return jeos_errf(err, -EINVAL, "%s: disk: no boot method (expected bios, uefi or both)",
                         out);
    for (size_t i = 0; i < JEOS_BOOT_MAX && s->boot[i]; i++) {
        const char *need = jeos_boot_needs_ptable(s->boot[i]);
        if (need && strcmp(need, s->ptable->c.name))
            return jeos_errf(err, -EINVAL, "%s: disk: %s boot needs a %s partition table (got %s)",
                             out, s->boot[i]->c.title, need, s->ptable->c.name);
    }
    return 0;
}

/* Plans the layout: a first plan gives the boot methods the table kind and partition numbers
   their images embed; their ESP files then size the ESP for the final plan. */
static int plan(struct disk *d, struct jeos_disk_info *info, struct jeos_err *err)
{
    const struct jeos_disk_spec *s = d->spec;
    uint64_t ksz, isz = 0, rsz = 0, esz = 0;
    int rc;
    if ((rc = file_size(s->kernel, "kernel", &ksz, err)) ||
        (!d->mb2 && (rc = file_size(s->initramfs, "initramfs", &isz, err))) ||
        (!d->mb2 && (rc = file_size(s->rootfs, "root filesystem image", &rsz, err))))
        return rc;
    uint8_t vid[16];
    jeos_uuid_derive(s->seed, "fat-volid", vid);
    info->esp_volid =
        (uint32_t)vid[0] << 24 | (uint32_t)vid[1] << 16 | (uint32_t)vid[2] << 8 | vid[3];
    struct jeos_layout_req req = {.ops = s->ptable,
                                  .seed = s->seed,
                                  .esp_size = JEOS_MIB,
                                  .root_size = d->mb2 ? 0
                                               : rsz  ? rsz
                                                      : JEOS_MIB,
                                  .data_size = s->data_size,
                                  .min_disk_size = s->min_size,
                                  .no_root = d->mb2};
    if ((rc = jeos_layout_plan(&req, &info->layout, err)))
        return rc;
    d->bw = (struct jeos_boot_work){.ctx = d->bw.ctx,
                                    .layout = &info->layout,
                                    .volid = info->esp_volid,
                                    .multiboot2 = d->mb2,
                                    .tmpdir = d->work,
                                    .fd = -1,
                                    .shim = s->shim, /* Secure Boot: the signed chain */
                                    .signed_grub = s->signed_grub};
    for (size_t i = 0; i < JEOS_BOOT_MAX && s->boot[i]; i++)
        if (s->boot[i]->prepare && (rc = s->boot[i]->prepare(&d->bw, &esz, err)))
            return rc;
    /* FAT overhead (FATs, directories, cluster slack) stays well under 1/16 + 1 MiB here. */
    uint64_t used = ksz + isz + esz + 64 * 1024;
    info->esp_used = used;
    req.esp_size = used + used / 16 + 2 * JEOS_MIB;
    if (req.esp_size < 8 * JEOS_MIB)
        req.esp_size = 8 * JEOS_MIB;
    return jeos_layout_plan(&req, &info->layout, err);
}

/* grub.cfg for what the layout holds, written into the scratch folder. */
static int write_cfg(struct disk *d, struct jeos_disk_info *info, struct jeos_err *err)
{
    const struct jeos_layout *l = &info->layout;
    int root = jeos_layout_find(l, JEOS_PART_ROOT), data = jeos_layout_find(l, JEOS_PART_DATA);
    info->data_partuuid[0] = 0;
    if (root >= 0)
        l->ops->partuuid(l, (size_t)root, info->root_partuuid);
    if (data >= 0)
        l->ops->partuuid(l, (size_t)data, info->data_partuuid);
    if (d->mb2)
        d->mb2_path = xasprintf("/boot/%s", d->kname);
    struct jeos_grub_cfg gc = {.title = d->spec->title ? d->spec->title : "jeos",
                               .multiboot2 = d->mb2_path,
                               .partuuid = info->root_partuuid,
                               .rootfstype = d->spec->rootfstype,
                               .data_partuuid = data >= 0 ? info->data_partuuid : NULL,
                               .extra = d->spec->cmdline,
                               .timeout = d->spec->timeout};
    struct sbuf cfg = {0};
    int rc = jeos_grub_cfg_write(&gc, &cfg, err);
    if (rc == 0)
        rc = jeos_write_file_atomic(d->cfgpath, cfg.s, cfg.len, 0644, err);
    sbuf_free(&cfg);
    return rc;
}

/* The boot FAT, made and filled in place at its offset: grub.cfg and the kernel (and the
   initramfs); the boot methods add theirs after. */
static int fill_esp(struct disk *d, const struct jeos_layout *l, uint32_t volid,
                    struct jeos_err *err)
{
    const struct jeos_part *ep = &l->parts[jeos_layout_find(l, JEOS_PART_ESP)];
    const struct jeos_fat *at = d->bw.esp;
    int rc = jeos_fat_format(d->of.tmp, ep->start, ep->size, volid, "JEOSBOOT", err);
    if (rc == 0)
        rc = jeos_fat_mkdir(at, "::/boot", err);
    if (rc == 0)
        rc = jeos_fat_mkdir(at, "::/boot/grub", err);
    if (rc == 0)
        rc = jeos_fat_copy(at, d->cfgpath, "::" JEOS_GRUB_CFG, err);
    if (rc == 0 && d->mb2) {
        char *dst = xasprintf("::%s", d->mb2_path);
        rc = jeos_fat_copy(at, d->spec->kernel, dst, err);
        free(dst);
    } else if (rc == 0) {
        rc = jeos_fat_copy(at, d->spec->kernel, "::" JEOS_GRUB_KERNEL, err);
        if (rc == 0)
            rc = jeos_fat_copy(at, d->spec->initramfs, "::" JEOS_GRUB_INITRD, err);
    }
    return rc;
}

/* The data partition gets an empty ext4 now (mke2fs writes at an offset into the image
   file), so the appliance needs no mkfs of its own. */
static int make_data(struct disk *d, const struct jeos_part *dp, struct jeos_err *err)
{
    const struct jeos_ctx *ctx = d->bw.ctx;
    char off[160], blocks[32], uuid[37], fake[64];
    jeos_uuid_format(dp->uuid, uuid);
    snprintf(off, sizeof(off), "offset=%llu,hash_seed=%s", (unsigned long long)dp->start, uuid);
    snprintf(blocks, sizeof(blocks), "%lluk", (unsigned long long)(dp->size / 1024));
    /* mke2fs takes its clock from E2FSPROGS_FAKE_TIME: set through env(1), no shell */
    snprintf(fake, sizeof(fake), "E2FSPROGS_FAKE_TIME=%lld",
             (long long)(ctx->have_epoch ? ctx->epoch : 0));
    char *mk[] = {"env", fake, "mkfs.ext4", "-q", "-F",      "-L",   "data",
                  "-U",  uuid, "-E",        off,  d->of.tmp, blocks, NULL};
    return jeos_spawn(ctx->have_epoch ? mk : mk + 2, NULL, err);
}

int jeos_disk_write(const struct jeos_ctx *ctx, const struct jeos_disk_spec *spec,
                    const char *out_path, struct jeos_disk_info *info, struct jeos_err *err)
{
    struct jeos_disk_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof(*info));
    struct disk d = {.spec = spec,
                     .out_path = out_path,
                     .mb2 = spec->kind == JEOS_DISK_MULTIBOOT2,
                     .kname = spec->kernel_name ? spec->kernel_name : "kernel.elf",
                     .bw = {.ctx = ctx},
                     .of = {.fd = -1}};
    int rc = check_spec(&d, err);
    if (rc)
        return rc;
    d.work = xasprintf("%s/jeos-disk.XXXXXX", ctx->tmpdir);
    if (!mkdtemp(d.work)) {
        rc = jeos_errf(err, -errno, "%s: %s", d.work, strerror(errno));
        free(d.work);
        return rc;
    }
    jeos_cleanup_add(d.work);
    d.cfgpath = xasprintf("%s/grub.cfg", d.work);
    const struct jeos_layout *l = &info->layout;
    struct jeos_fat esp = {0};
    if ((rc = plan(&d, info, err)) || (rc = write_cfg(&d, info, err)) ||
        (rc = jeos_outfile_open(&d.of, out_path, 0644, err)))
        goto out;
    if (ftruncate(d.of.fd, (off_t)l->disk_size) != 0) {
        rc = jeos_errf(err, -errno, "%s: cannot size to %llu bytes: %s", out_path,
                       (unsigned long long)l->disk_size, strerror(errno));
        goto out;
    }
    if ((rc = l->ops->write(l, d.of.fd, err)))
        goto out;
    jeos_fat_open(&esp, ctx, d.of.tmp, l->parts[jeos_layout_find(l, JEOS_PART_ESP)].start);
    d.bw.fd = d.of.fd;
    d.bw.esp = &esp;
    if ((rc = fill_esp(&d, l, info->esp_volid, err)))
        goto out;
    for (size_t i = 0; i < JEOS_BOOT_MAX && spec->boot[i]; i++)
        if ((rc = spec->boot[i]->install(&d.bw, err)))
            goto out;
    int root = jeos_layout_find(l, JEOS_PART_ROOT), data = jeos_layout_find(l, JEOS_PART_DATA);
    if (root >= 0 && (rc = copy_into(d.of.fd, d.of.tmp, l->parts[root].start, spec->rootfs,
                                     l->parts[root].size, err)))
        goto out;
    if (data >= 0 && (rc = make_data(&d, &l->parts[data], err)))
        goto out;
    rc = jeos_outfile_commit(&d.of, err);
out:
    if (rc && d.of.tmp)
        jeos_outfile_abort(&d.of);
    jeos_remove_tree(d.work); /* grub.cfg and what the boot methods left there */
    jeos_cleanup_drop(d.work);
    jeos_fat_close(&esp);
    free(d.mb2_path);
    free(d.cfgpath);
    free(d.work);
    if (rc == 0 && d.mb2)
        jeos_log(ctx, JEOS_LOG_DEBUG, "%s: %llu MiB, multiboot2 /boot/%s", out_path,
                 (unsigned long long)(l->disk_size / JEOS_MIB), d.kname);
    else if (rc == 0)
        jeos_log(ctx, JEOS_LOG_DEBUG, "%s: %llu MiB, root PARTUUID=%s", out_path,
                 (unsigned long long)(l->disk_size / JEOS_MIB), info->root_partuuid);
    return rc;
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
