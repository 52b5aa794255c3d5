/* inspect.c — a disk image read part by part: format, table, boot files, kernel, root, packages
 * (see inspect.h). */
#include "builder/inspect/inspect.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "builder/core/alloc.h"
#include "builder/core/cleanup.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/spawn.h"
#include "builder/core/util.h"
#include "builder/debian/pkgindex.h"
#include "boot/bootfiles.h"
#include "images/format.h"

#define HEAD_BYTES (1u << 20) /* what the partition table is read from */
#define SB_BYTES   (64u << 10)

static void note(struct jeos_inspect *in, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note(struct jeos_inspect *in, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    strv_add(&in->notes, &in->nnotes, s);
    free(s);
}

static size_t read_at(int fd, uint64_t off, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

/* The format by content: every format's probe but raw's, then raw's. */
static const struct jeos_format_ops *format_of(int fd, uint64_t size)
{
    const struct jeos_format_ops *f, *raw = jeos_format_find("raw");
    for (size_t i = 0; (f = jeos_formats[i]); i++)
        if (f != raw && f->c.probe && !f->c.probe(&f->c, fd, size))
            return f;
    return raw->c.probe(&raw->c, fd, size) ? NULL : raw;
}

/* Which member of an archive is wanted: `name` exactly ("./" ignored), else any whose name ends
   with one of `suffix`. */
struct member_want {
    const char *name;
    const char *const *suffix;
};

static bool member_is(const char *n, const struct member_want *w)
{
    if (!strncmp(n, "./", 2))
        n += 2;
    if (w->name)
        return !strcmp(n, w->name);
    size_t l = strlen(n);
    for (size_t i = 0; w->suffix[i]; i++) {
        size_t k = strlen(w->suffix[i]);
        if (l > k && !strcmp(n + l - k, w->suffix[i]))
            return true;
    }
    return false;
}

/* The first member of the tar (any compression) at `path` that `w` wants: copied to `dst`, or
   with dst NULL read into *data (at most `max` bytes, NUL-terminated). *found gets its name. */
static int archive_member(const char *path, const struct member_want *w, const char *dst,
                          char **data, size_t max, char **found, struct jeos_err *err)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    int rc;
    if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
        rc = jeos_errf(err, -EBADMSG, "%s: %s", path, archive_error_string(a));
        goto out;
    }
    struct archive_entry *e;
    int r;
    while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *n = archive_entry_pathname(e);
        if (!n || !member_is(n, w))
            continue;
        *found = xstrdup(n);
        if (!dst) {
            la_int64_t sz = archive_entry_size(e);
            if (sz < 0 || (uint64_t)sz > max) {
                rc = jeos_errf(err, -EFBIG, "%s: %s: %lld bytes, more than %zu", path, n,
                               (long long)sz, max);
                goto out;
            }
            *data = xmalloc((size_t)sz + 1);
            la_ssize_t got = 0, k = 1;
            while (got < sz && (k = archive_read_data(a, *data + got, (size_t)(sz - got))) > 0)
                got += k;
            (*data)[got] = '\0';
            rc = got == sz ? 0 : jeos_errf(err, -EBADMSG, "%s: %s: truncated", path, n);
            goto out;
        }
        int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
            rc = jeos_errf(err, -errno, "%s: %s", dst, strerror(errno));
            goto out;
        }
        r = archive_read_data_into_fd(a, fd);
        close(fd);
        rc = r == ARCHIVE_OK
                 ? 0
                 : jeos_errf(err, -EBADMSG, "%s: %s: %s", path, n,
                             archive_error_string(a) ? archive_error_string(a) : "unreadable");
        goto out;
    }
    rc = r == ARCHIVE_EOF ? -ENOENT
                          : jeos_errf(err, -EBADMSG, "%s: %s", path, archive_error_string(a));
out:
    archive_read_free(a);
    return rc;
}

/* An archive's disk (an OVA's .vmdk, a GCE tarball's disk.raw) copied out to `dst`. */
static int from_archive(const char *path, const char *dst, const char **fmt, struct jeos_err *err)
{
    static const char *const vmdk[] = {".vmdk", NULL};
    struct member_want wv = {.suffix = vmdk}, wr = {.name = "disk.raw"};
    char *found = NULL;
    int rc = archive_member(path, &wv, dst, NULL, 0, &found, err);
    *fmt = "vmdk";
    if (rc == -ENOENT) {
        rc = archive_member(path, &wr, dst, NULL, 0, &found, err);
        *fmt = "raw";
    }
    free(found);
    return rc == -ENOENT ? jeos_errf(err, -ENOENT, "%s: no .vmdk or disk.raw member", path) : rc;
}

/* A small file `name` of an OCI layout (index.json, a manifest blob), from its folder or its
   tar, into *data (NUL-terminated). */
static int oci_file(const char *layout, bool dir, const char *name, char **data,
                    struct jeos_err *err)
{
    const size_t max = 1 << 20;
    if (!dir) {
        struct member_want w = {.name = name};
        char *found = NULL;
        int rc = archive_member(layout, &w, NULL, data, max, &found, err);
        free(found);
        return rc == -ENOENT ? jeos_errf(err, -ENOENT, "%s: no %s member", layout, name) : rc;
    }
    char *path = xasprintf("%s/%s", layout, name);
    size_t len = 0;
    int rc = jeos_read_file(path, data, &len, err);
    if (rc == 0 && len > max)
        rc = jeos_errf(err, -EFBIG, "%s: %zu bytes, more than %zu", path, len, max);
    if (rc == 0 && !*data)
        *data = xstrdup("");
    free(path);
    return rc;
}

/* The blob "blobs/sha256/HEX" that the first entry of `array` in JSON object `text` names by
   its digest "sha256:HEX" (`what` names the text in messages). */
static int oci_digest(const char *layout, const char *what, const char *text, const char *array,
                      char **blob, struct jeos_err *err)
{
    json_object *o = json_tokener_parse(text), *arr, *first, *d;
    const char *hex = NULL;
    if (o && json_object_object_get_ex(o, array, &arr) &&
        json_object_is_type(arr, json_type_array) && json_object_array_length(arr) > 0 &&
        (first = json_object_array_get_idx(arr, 0)) &&
        json_object_object_get_ex(first, "digest", &d) &&
        json_object_is_type(d, json_type_string)) {
        const char *s = json_object_get_string(d);
        if (!strncmp(s, "sha256:", 7) && strlen(s + 7) == 64 &&
            strspn(s + 7, "0123456789abcdef") == 64)
            hex = s + 7;
    }
    int rc = 0;
    if (hex)
        *blob = xasprintf("blobs/sha256/%s", hex);
    else if (!o)
        rc = jeos_errf(err, -EBADMSG, "%s: %s: not JSON", layout, what);
    else
        rc = jeos_errf(err, -EBADMSG, "%s: %s: no sha256 digest in the first of its \"%s\"", layout,
                       what, array);
    json_object_put(o);
    return rc;
}

/* A KubeVirt containerDisk (NAME.oci/ or NAME.oci.tar): index.json -> the manifest -> its first
   layer (copied into `scratch` from a tar), whose .qcow2 member is copied to `dst`. */
static int from_oci(const char *layout, bool dir, const char *scratch, const char *dst,
                    struct jeos_err *err)
{
    char *index = NULL, *mname = NULL, *manifest = NULL, *lname = NULL, *layer = NULL;
    int rc = oci_file(layout, dir, "index.json", &index, err);
    if (rc == 0)
        rc = oci_digest(layout, "index.json", index, "manifests", &mname, err);
    if (rc == 0)
        rc = oci_file(layout, dir, mname, &manifest, err);
    if (rc == 0)
        rc = oci_digest(layout, mname, manifest, "layers", &lname, err);
    if (rc == 0 && dir) {
        layer = xasprintf("%s/%s", layout, lname);
    } else if (rc == 0) {
        layer = xasprintf("%s/layer", scratch);
        struct member_want w = {.name = lname};
        char *found = NULL;
        rc = archive_member(layout, &w, layer, NULL, 0, &found, err);
        if (rc == -ENOENT)
            rc = jeos_errf(err, -ENOENT, "%s: no %s member", layout, lname);
        free(found);
    }
    if (rc == 0) {
        static const char *const qcow2[] = {".qcow2", NULL};
        struct member_want w = {.suffix = qcow2};
        char *found = NULL;
        rc = archive_member(layer, &w, dst, NULL, 0, &found, err);
        if (rc == -ENOENT)
            rc = jeos_errf(err, -ENOENT, "%s: %s: a layer with no .qcow2 disk", layout, lname);
        free(found);
    }
    if (layer && !dir)
        unlink(layer);
    free(index), free(mname), free(manifest), free(lname), free(layer);
    return rc;
}

/* A folder holding an oci-layout file (NAME.oci/). */
static bool is_oci_layout(const char *dir)
{
    char *p = xasprintf("%s/oci-layout", dir);
    struct stat st;
    bool yes = stat(p, &st) == 0 && S_ISREG(st.st_mode);
    free(p);
    return yes;
}

/* The bytes of a layout folder's files: oci-layout, index.json and blobs/sha256/. */
static uint64_t tree_bytes(const char *dir)
{
    uint64_t n = 0;
    struct stat st;
    char *blobs = xasprintf("%s/blobs/sha256", dir);
    DIR *d = opendir(blobs);
    for (struct dirent *e; d && (e = readdir(d));) {
        char *p = xasprintf("%s/%s", blobs, e->d_name);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            n += (uint64_t)st.st_size;
        free(p);
    }
    if (d)
        closedir(d);
    static const char *const top[] = {"oci-layout", "index.json"};
    for (size_t i = 0; i < 2; i++) {
        char *p = xasprintf("%s/%s", dir, top[i]);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            n += (uint64_t)st.st_size;
        free(p);
    }
    free(blobs);
    return n;
}

/* Makes in->raw: the file itself, or its disk converted into the scratch folder; fd -1: an OCI
   layout folder. */
static int open_disk(const struct jeos_ctx *ctx, struct jeos_inspect *in, int fd,
                     struct jeos_err *err)
{
    const struct jeos_format_ops *f =
        fd < 0 ? jeos_format_find("oci") : format_of(fd, in->file_size);
    if (!f) {
        in->format = "raw";
        in->raw = xstrdup(in->path);
        note(in, "not a format jeos knows by its bytes (raw, qcow2, vmdk, vhd, ova, gce, oci, "
                 "elf): read as a raw disk");
        return 0;
    }
    in->format = f->c.name;
    if (!strcmp(f->c.name, "raw") || !strcmp(f->c.name, "elf")) {
        in->raw = xstrdup(in->path);
        return 0;
    }
    in->scratch = xasprintf("%s/jeos-inspect.XXXXXX", ctx->tmpdir);
    if (!mkdtemp(in->scratch)) {
        int rc = jeos_errf(err, -errno, "%s: %s", in->scratch, strerror(errno));
        free(in->scratch);
        in->scratch = NULL;
        return rc;
    }
    jeos_cleanup_add(in->scratch);
    const char *src = in->path, *qfmt = f->c.qemu;
    char *inner = NULL;
    int rc = 0;
    if (!qfmt) { /* an archive holding the disk */
        inner = xasprintf("%s/inner", in->scratch);
        if (!strcmp(f->c.name, "oci")) {
            rc = from_oci(in->path, fd < 0, in->scratch, inner, err);
            qfmt = "qcow2";
        } else {
            rc = from_archive(in->path, inner, &qfmt, err);
        }
        if (rc < 0) {
            free(inner);
            return rc;
        }
        src = inner;
    }
    in->raw = xasprintf("%s/disk.raw", in->scratch);
    if (!strcmp(qfmt, "raw")) {
        rc = rename(inner, in->raw) == 0
                 ? 0
                 : jeos_errf(err, -errno, "%s: %s", in->raw, strerror(errno));
    } else {
        char *argv[] = {"qemu-img", "convert", "-q",        "-f",    (char *)qfmt,
                        "-O",       "raw",     (char *)src, in->raw, NULL};
        struct jeos_err sub = {0};
        rc = jeos_spawn(argv, NULL, &sub);
        if (rc < 0)
            jeos_errf(err, rc, "%s: not a readable %s: %s", in->path, f->c.title,
                      sub.n ? sub.msgs[0] : "qemu-img failed");
        jeos_err_free(&sub);
    }
    free(inner);
    return rc;
}

/* A partition's file, read through its filesystem; NULL when absent or unreadable. */
static char *part_cat(const struct jeos_ctx *ctx, struct jeos_inspect *in, int i, const char *path,
                      size_t *len)
{
    const struct jeos_fsinfo *fs = i == -2 ? &in->whole : &in->fs[i];
    uint64_t off = i == -2 ? 0 : in->pt.parts[i].start;
    char *data = NULL;
    struct jeos_err e = {0};
    int rc = fs->kind ? jeos_fs_cat(ctx, in->raw, off, fs->kind, path, &data, len, &e) : -ENOENT;
    if (rc < 0 && rc != -ENOENT)
        note(in, "%s: %s", path, e.n ? e.msgs[0] : "unreadable");
    jeos_err_free(&e);
    return rc == 0 ? data : NULL;
}

static char *efi_text(const char *name, const struct jeos_efi_info *e)
{
    if (!e->pe)
        return xasprintf("%s: not an EFI program", name);
    return xasprintf("%s: %s (%s)", name, e->who, e->signed_ ? "signed" : "unsigned");
}

/* The ESP: what UEFI runs, what it loads next, GRUB's configuration there. */
static void read_esp(const struct jeos_ctx *ctx, struct jeos_inspect *in, int esp)
{
    size_t len = 0;
    char *boot = part_cat(ctx, in, esp, "/EFI/BOOT/BOOTX64.EFI", &len);
    if (!boot) {
        note(in, "the EFI system partition has no /EFI/BOOT/BOOTX64.EFI: no UEFI boot from the "
                 "removable-media path");
        return;
    }
    struct jeos_efi_info b, g = {0};
    jeos_efi_identify((unsigned char *)boot, len, &b);
    free(boot);
    char *first = efi_text("BOOTX64.EFI", &b);
    bool chain = false;
    if (!strcmp(b.who, "shim")) {
        char *grub = part_cat(ctx, in, esp, "/EFI/BOOT/grubx64.efi", &len);
        if (grub) {
            jeos_efi_identify((unsigned char *)grub, len, &g);
            char *second = efi_text("grubx64.efi", &g);
            char *s = xasprintf("%s -> %s", first, second);
            free(first), free(second);
            first = s;
            chain = true;
        }
        free(grub);
    }
    in->uefi = first;
    if (!b.signed_)
        in->secure_boot = xstrdup("refused: BOOTX64.EFI is not signed");
    else if (!strcmp(b.who, "shim") && (!chain || !g.signed_))
        in->secure_boot = xstrdup("refused after shim: no signed grubx64.efi beside it");
    else
        in->secure_boot = xstrdup("signed boot loaders (the kernel not found)");
}

/* The first entry of GRUB's configuration: the ESP's (jeos, Secure Boot layout), else the
   root's (a Debian cloud image). */
static void read_grub(const struct jeos_ctx *ctx, struct jeos_inspect *in, int esp)
{
    static const char *const where[] = {"/boot/grub/grub.cfg", "/EFI/debian/grub.cfg"};
    char *cfg = NULL;
    size_t len = 0;
    int from = -1;
    for (size_t k = 0; k < 2 && !cfg && esp >= 0; k++)
        if ((cfg = part_cat(ctx, in, esp, where[k], &len))) {
            in->grub_cfg = xasprintf("EFI system partition: %s", where[k]);
            from = esp;
        }
    if (!cfg && in->root != -1 &&
        (cfg = part_cat(ctx, in, in->root, "/boot/grub/grub.cfg", &len))) {
        in->grub_cfg = xstrdup("root filesystem: /boot/grub/grub.cfg");
        from = in->root;
    }
    if (!cfg) {
        note(in, "no GRUB configuration found: the kernel and command line are not known");
        return;
    }
    struct jeos_grub_entry e;
    if (!jeos_grub_cfg_parse(cfg, len, &e)) {
        note(in, "%s has no linux or multiboot line", in->grub_cfg);
        free(cfg);
        return;
    }
    free(cfg);
    in->loader = e.loader, in->kernel = e.kernel, in->cmdline = e.cmdline, in->initrd = e.initrd;
    /* the kernel's path without GRUB's device prefix "(hd0,gpt1)" or "($root)" */
    const char *kp =
        in->kernel[0] == '(' && strchr(in->kernel, ')') ? strchr(in->kernel, ')') + 1 : in->kernel;
    char *k = part_cat(ctx, in, from, kp, &len);
    if (!k && from != in->root && in->root != -1)
        k = part_cat(ctx, in, in->root, kp, &len);
    if (!k) {
        note(in, "the kernel %s was not found where GRUB reads it", kp);
        return;
    }
    char ver[160];
    struct jeos_efi_info ke;
    jeos_efi_identify((unsigned char *)k, len, &ke);
    if (jeos_bzimage_version((unsigned char *)k, len, ver, sizeof(ver)))
        in->kernel_version = xasprintf(
            "Linux %s; %s", ver, ke.signed_ ? "signed (EFI stub with a signature)" : "unsigned");
    else if (len > 4 && memcmp(k, "\177ELF", 4) == 0)
        in->kernel_version = xasprintf("an ELF (%s): a unikernel, not signed", in->loader);
    else
        in->kernel_version = xstrdup("not a bzImage or ELF");
    if (in->secure_boot && strncmp(in->secure_boot, "signed", 6) == 0) {
        free(in->secure_boot);
        in->secure_boot = ke.signed_
                              ? xstrdup("shim, GRUB and the kernel are signed: it boots where the "
                                        "firmware trusts shim's signer (Microsoft's UEFI CA); the "
                                        "initramfs is not verified")
                              : xstrdup("refused at the kernel: it is not signed (GRUB loads only "
                                        "kernels shim can verify)");
    }
    free(k);
}

/* The root's packages: the SBOM jeos keeps there, else dpkg's status file. */
static void read_packages(const struct jeos_ctx *ctx, struct jeos_inspect *in)
{
    size_t len = 0;
    char *text = in->root != -1 ? part_cat(ctx, in, in->root, JEOS_SBOM_ROOT_PATH, &len) : NULL;
    char *beside = NULL;
    if (!text && in->root == -1) { /* a unikernel disk: NAME.spdx.json beside the image */
        char *p = xstrdup(in->path), *dot = strrchr(p, '.'), *slash = strrchr(p, '/');
        size_t l = strlen(p);
        const struct jeos_format_ops *f = jeos_format_find(in->format);
        for (size_t i = 0; f && f->outputs && f->outputs[i]; i++) { /* NAME.tar.gz, NAME.oci.tar */
            size_t k = strlen(f->outputs[i]);
            if (l > k && !strcmp(p + l - k, f->outputs[i])) {
                dot = p + l - k;
                break;
            }
        }
        if (dot && (!slash || dot > slash))
            *dot = 0;
        beside = xasprintf("%s%s", p, JEOS_SBOM_SUFFIX);
        free(p);
        struct jeos_err e = {0};
        if (jeos_read_file(beside, &text, &len, &e) < 0)
            text = NULL;
        jeos_err_free(&e);
    }
    if (text) {
        struct jeos_sbom_summary s;
        struct jeos_err e = {0};
        const char *what = beside ? beside : JEOS_SBOM_ROOT_PATH;
        if (jeos_sbom_read(text, len, what, &s, &e) == 0) {
            in->pkgs = s.pkgs, in->npkgs = s.npkgs;
            s.pkgs = NULL, s.npkgs = 0;
            in->pkgs_from = beside ? xasprintf("%s, beside the image (not in it)", beside)
                                   : xstrdup(JEOS_SBOM_ROOT_PATH " in the root");
        } else {
            note(in, "%s", e.msgs[0]);
        }
        jeos_sbom_summary_free(&s);
        jeos_err_free(&e);
        free(text), free(beside);
        return;
    }
    free(beside);
    text = in->root != -1 ? part_cat(ctx, in, in->root, "/var/lib/dpkg/status", &len) : NULL;
    if (!text) {
        note(in, "no SBOM (%s) or /var/lib/dpkg/status in the root: the packages are not known",
             JEOS_SBOM_ROOT_PATH);
        return;
    }
    struct deb822_iter it;
    struct deb822_field f;
    deb822_init(&it, text, len);
    struct jeos_sbom_entry cur = {0};
    bool installed = false;
    int r;
    in->pkgs_from = xstrdup("/var/lib/dpkg/status in the root");
    while ((r = deb822_next(&it, &f)) != -1) {
        if (r == -2) {
            note(in, "/var/lib/dpkg/status:%zu: not a field; the list stops there", it.line);
            break;
        }
        char **dst = deb822_is(&f, "Package")        ? &cur.name
                     : deb822_is(&f, "Version")      ? &cur.version
                     : deb822_is(&f, "Architecture") ? &cur.arch
                                                     : NULL;
        if (r == 1 && dst && !*dst)
            *dst = xstrdup(f.val);
        if (r == 1 && deb822_is(&f, "Status"))
            installed = strstr(f.val, " installed") != NULL;
        if (r == 0) {
            if (cur.name && installed) {
                in->pkgs = xrealloc(in->pkgs, (in->npkgs + 1) * sizeof(*in->pkgs));
                cur.in_image = true;
                in->pkgs[in->npkgs++] = cur;
            } else {
                free(cur.name), free(cur.version), free(cur.arch);
            }
            memset(&cur, 0, sizeof(cur));
            installed = false;
        }
    }
    free(cur.name), free(cur.version), free(cur.arch);
    free(text);
}

/* Which partition is the root: GPT's x86-64 root type, else the largest Linux one holding a
   filesystem jeos reads. */
static int find_root(const struct jeos_inspect *in)
{
    int best = -1;
    for (size_t i = 0; i < in->pt.nparts; i++) {
        const struct jeos_ptread_part *p = &in->pt.parts[i];
        if (!in->fs[i].kind || !strcmp(in->fs[i].kind, "fat") || !strcmp(in->fs[i].kind, "swap"))
            continue;
        if (!strcmp(p->kind, "linux-root-x86-64"))
            return (int)i;
        if (!strcmp(p->kind, "linux") && (best < 0 || p->size > in->pt.parts[best].size))
            best = (int)i;
    }
    return best;
}

int jeos_inspect_image(const struct jeos_ctx *ctx, const char *path, bool hashes,
                       struct jeos_inspect *in, struct jeos_err *err)
{
    memset(in, 0, sizeof(*in));
    in->path = xstrdup(path);
    in->root = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && is_oci_layout(path)) {
        close(fd);
        fd = -1;
        in->file_size = tree_bytes(path);
    } else if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        int rc = jeos_errf(err, fd < 0 ? -errno : -EINVAL, "%s: %s", path,
                           fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return rc;
    }
    if (fd >= 0)
        in->file_size = (uint64_t)st.st_size;
    int rc = open_disk(ctx, in, fd, err);
    if (fd >= 0)
        close(fd);
    if (rc < 0)
        return rc;
    if (!strcmp(in->format, "elf")) {
        note(in, "a unikernel ELF, not a disk: it boots with qemu -kernel, Xen PVH or jeos-hv");
        read_packages(ctx, in);
        return 0;
    }
    if ((fd = open(in->raw, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0)
        return jeos_errf(err, -errno, "%s: %s", in->raw, strerror(errno));
    in->disk_size = (uint64_t)st.st_size;
    uint8_t *buf = xmalloc(HEAD_BYTES);
    size_t n = read_at(fd, 0, buf, HEAD_BYTES);
    struct jeos_err sub = {0};
    rc = jeos_ptable_read(buf, n, in->disk_size, &in->pt, &sub);
    if (rc < 0) {
        jeos_errf(err, rc, "%s: corrupt partition table: %s", path, sub.msgs[0]);
        jeos_err_free(&sub);
        free(buf);
        close(fd);
        return rc;
    }
    if (in->pt.note[0])
        note(in, "%s", in->pt.note);
    for (size_t i = 0; i < in->pt.nparts; i++) {
        const struct jeos_ptread_part *p = &in->pt.parts[i];
        size_t got = p->start < in->disk_size ? read_at(fd, p->start, buf, SB_BYTES) : 0;
        jeos_fs_identify(buf, got, p->size, &in->fs[i]);
        if (p->start + p->size > in->disk_size)
            note(in, "partition %d ends past the end of the disk (%llu bytes): truncated",
                 p->number, (unsigned long long)in->disk_size);
    }
    if (!in->pt.table)
        jeos_fs_identify(buf, n, in->disk_size, &in->whole);
    free(buf);
    close(fd);

    const struct jeos_ptread_part *esp_p = jeos_ptread_find(&in->pt, "esp");
    int esp = esp_p && in->fs[esp_p - in->pt.parts].kind ? (int)(esp_p - in->pt.parts) : -1;
    if (in->pt.table && in->pt.boot_code && strstr(in->pt.boot_code, "GRUB"))
        in->bios = !strcmp(in->pt.table, "mbr") ? "GRUB (boot.img in LBA 0, core.img in "
                                                  "the gap after it)"
                   : jeos_ptread_find(&in->pt, "bios-boot") ? "GRUB (boot.img in LBA 0, core.img "
                                                              "in the BIOS boot partition)"
                                                            : "GRUB boot.img in LBA 0, but no BIOS "
                                                              "boot partition";
    in->root = in->pt.table ? find_root(in) : in->whole.kind ? -2 : -1;
    if (in->root >= 0) {
        in->root_off = in->pt.parts[in->root].start;
        in->root_size = in->pt.parts[in->root].size;
        in->root_kind = in->fs[in->root].kind;
    } else if (in->root == -2) {
        in->root_size = in->disk_size;
        in->root_kind = in->whole.kind;
    }
    if (!in->pt.table && !in->whole.kind)
        note(in, "the disk's content: %s", in->whole.detail);
    if (esp >= 0)
        read_esp(ctx, in, esp);
    if (in->root != -1 && in->root_kind) {
        rc = jeos_fs_list(ctx, in->raw, in->root_off, in->root_kind, hashes, &in->files, err);
        if (rc < 0) {
            jeos_errf(err, rc, "%s: the root filesystem (%s, partition %d) cannot be read", path,
                      in->root_kind, in->root >= 0 ? in->pt.parts[in->root].number : 0);
            return rc;
        }
    } else if (in->pt.table) {
        note(in, "no root filesystem jeos reads (squashfs or ext2/3/4 on a Linux partition)");
    }
    if (esp >= 0 || in->root != -1)
        read_grub(ctx, in, esp);
    read_packages(ctx, in);
    return 0;
}

void jeos_inspect_free(struct jeos_inspect *in)
{
    if (in->scratch) {
        jeos_remove_tree(in->scratch);
        jeos_cleanup_drop(in->scratch);
    }
    for (size_t i = 0; i < in->npkgs; i++)
        free(in->pkgs[i].name), free(in->pkgs[i].version), free(in->pkgs[i].arch),
            free(in->pkgs[i].license);
    free(in->pkgs);
    jeos_fslist_free(&in->files);
    strv_free(in->notes, in->nnotes);
    free(in->path), free(in->raw), free(in->scratch), free(in->uefi), free(in->secure_boot);
    free(in->grub_cfg), free(in->loader), free(in->kernel), free(in->cmdline), free(in->initrd);
    free(in->kernel_version), free(in->pkgs_from);
    memset(in, 0, sizeof(*in));
}
