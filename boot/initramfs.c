/* initramfs.c — the newc cpio through libarchive: /init, /dev/console, the modules and their load
 * order (see initramfs.h). */
#include "boot/initramfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/util.h"

const char *const jeos_initramfs_default_modules[] = {
    /* KVM/QEMU, Firecracker */
    "virtio_pci", "virtio_mmio", "virtio_blk", "virtio_net", "virtio_scsi", "virtio_console",
    /* Xen */
    "xen_blkfront", "xen_netfront",
    /* VMware (the OVA's controller is pvscsi) */
    "vmw_pvscsi", "vmxnet3",
    /* Hyper-V / Azure */
    "hv_vmbus", "hv_storvsc", "hv_netvsc",
    /* AWS (NVMe disks, ENA network), GCE (gVNIC) */
    "nvme", "ena", "gve",
    /* SCSI and IDE disks */
    "sd_mod", "ata_piix",
    /* root filesystems */
    "squashfs", "overlay", "ext4",
    /* the ACPI power button */
    "button", "evdev", NULL};

/* ---- the archive ---- */

struct cpio {
    struct archive *a;
    int64_t mtime;
    int64_t ino;
    const char *out;
};

static int arc_err(struct cpio *c, struct jeos_err *err)
{
    return jeos_errf(err, -EIO, "%s: %s", c->out, archive_error_string(c->a));
}

static int put(struct cpio *c, const char *path, mode_t type, int perm, const void *data,
               size_t len, dev_t rdev, struct jeos_err *err)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, (unsigned)type);
    archive_entry_set_perm(e, (mode_t)perm);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_mtime(e, c->mtime, 0);
    archive_entry_set_nlink(e, type == AE_IFDIR ? 2 : 1);
    archive_entry_set_ino64(e, ++c->ino);
    archive_entry_set_size(e, type == AE_IFREG ? (la_int64_t)len : 0);
    if (rdev)
        archive_entry_set_rdev(e, rdev);
    int rc = 0;
    if (archive_write_header(c->a, e) != ARCHIVE_OK)
        rc = arc_err(c, err);
    else if (type == AE_IFREG && len && archive_write_data(c->a, data, len) != (la_ssize_t)len)
        rc = arc_err(c, err);
    archive_entry_free(e);
    return rc;
}

static int put_file(struct cpio *c, const char *path, const char *src, int perm,
                    struct jeos_err *err)
{
    char *data = NULL;
    size_t len;
    int rc = jeos_read_file(src, &data, &len, err);
    if (!rc)
        rc = put(c, path, AE_IFREG, perm, data, len, 0, err);
    free(data);
    return rc;
}

/* Adds each missing parent folder of `path` (already-added ones are in `dirs`). */
static int put_parents(struct cpio *c, const char *path, char ***dirs, size_t *ndirs,
                       struct jeos_err *err)
{
    for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
        char *d = xstrndup(path, (size_t)(s - path));
        int rc = 0;
        if (!strv_has(*dirs, *ndirs, d)) {
            strv_add(dirs, ndirs, d);
            rc = put(c, d, AE_IFDIR, 0755, NULL, 0, 0, err);
        }
        free(d);
        if (rc)
            return rc;
    }
    return 0;
}

int jeos_initramfs_write(const struct jeos_ctx *ctx, const struct jeos_initramfs_spec *spec,
                         const char *out_path, struct jeos_modlist *mods, struct jeos_err *err)
{
    struct jeos_modlist local = {0};
    struct jeos_modlist *ml = mods ? mods : &local;
    memset(ml, 0, sizeof(*ml));
    if (!spec->init)
        return jeos_errf(err, -EINVAL, "%s: initramfs: no init binary given", out_path);
    int rc = 0;
    char *version = NULL;
    if (spec->modroot) {
        const char **req = NULL;
        if (spec->nmodules) {
            req = xcalloc(spec->nmodules + 1, sizeof(char *));
            memcpy(req, spec->modules, spec->nmodules * sizeof(char *));
        }
        rc = jeos_modules_resolve(spec->modroot, req ? req : spec->modules,
                                  spec->default_modules ? jeos_initramfs_default_modules : NULL, ml,
                                  err);
        free(req);
        if (rc)
            return rc;
        const char *b = strrchr(spec->modroot, '/');
        version = xstrdup(b && b[1] ? b + 1 : spec->modroot);
    }

    struct jeos_outfile of = {.fd = -1};
    struct cpio c = {.mtime = ctx->have_epoch ? ctx->epoch : 0, .out = out_path};
    char **dirs = NULL;
    size_t ndirs = 0;
    struct sbuf list = {0};
    if ((rc = jeos_outfile_open(&of, out_path, 0644, err)))
        goto out;
    c.a = archive_write_new();
    archive_write_set_format_cpio_newc(c.a);
    int f = ARCHIVE_OK;
    if (spec->compress == JEOS_INITRAMFS_ZSTD) {
        f = archive_write_add_filter_zstd(c.a);
        if (f == ARCHIVE_OK)
            archive_write_set_filter_option(c.a, "zstd", "compression-level", "9");
    } else if (spec->compress == JEOS_INITRAMFS_GZIP) {
        f = archive_write_add_filter_gzip(c.a);
        /* no name or time in the gzip header: reproducible */
        if (f == ARCHIVE_OK)
            archive_write_set_filter_option(c.a, "gzip", "timestamp", NULL);
    }
    if (f != ARCHIVE_OK && f != ARCHIVE_WARN) {
        rc = arc_err(&c, err);
        goto out;
    }
    archive_write_set_bytes_in_last_block(c.a, 1);
    if (archive_write_open_fd(c.a, of.fd) != ARCHIVE_OK) {
        rc = arc_err(&c, err);
        goto out;
    }
    static const char *const top[] = {"dev",     "etc",  "etc/jeos", "lib",
                                      "newroot", "proc", "run",      "sys"};
    for (size_t i = 0; i < sizeof(top) / sizeof(top[0]); i++) {
        strv_add(&dirs, &ndirs, top[i]);
        if ((rc = put(&c, top[i], AE_IFDIR, 0755, NULL, 0, 0, err)))
            goto out;
    }
    if ((rc = put(&c, "dev/console", AE_IFCHR, 0600, NULL, 0, makedev(5, 1), err)) ||
        (rc = put_file(&c, "init", spec->init, 0755, err)))
        goto out;
    for (size_t i = 0; i < ml->n; i++) {
        char *dst = xasprintf("lib/modules/%s/%s", version, ml->paths[i]);
        char *src = xasprintf("%s/%s", spec->modroot, ml->paths[i]);
        /* "NAME PATH DEPS ALIASES": DEPS comma-separated or "-"; ALIASES the modalias
           patterns that call for it, "*" for always, "-" for only as a dependency */
        sbuf_printf(&list, "%s /%s %s %s\n", ml->names[i], dst, ml->deps[i][0] ? ml->deps[i] : "-",
                    ml->always[i]       ? "*"
                    : ml->aliases[i][0] ? ml->aliases[i]
                                        : "-");
        rc = put_parents(&c, dst, &dirs, &ndirs, err);
        if (!rc)
            rc = put_file(&c, dst, src, 0644, err);
        free(dst);
        free(src);
        if (rc)
            goto out;
    }
    /* Its presence tells init it runs from the initramfs (even with no module in it). */
    if ((rc = put(&c, "etc/jeos/modules", AE_IFREG, 0644, list.s ? list.s : "", list.len, 0, err)))
        goto out;
    if (archive_write_close(c.a) != ARCHIVE_OK) {
        rc = arc_err(&c, err);
        goto out;
    }
    rc = jeos_outfile_commit(&of, err);
out:
    if (c.a)
        archive_write_free(c.a);
    if (rc)
        jeos_outfile_abort(&of);
    for (size_t i = 0; i < ndirs; i++)
        free(dirs[i]);
    free(dirs);
    sbuf_free(&list);
    free(version);
    if (rc || !mods)
        jeos_modlist_free(ml);
    return rc;
}
