/* format_oci.c — oci: the disk as a KubeVirt containerDisk, an OCI image whose one layer holds
 * /disk/NAME.qcow2 (owned 107:107, the qemu user of virt-launcher); written as an OCI image
 * layout folder NAME.oci/ and as the same layout in one tar, NAME.oci.tar (skopeo's oci: and
 * oci-archive: transports). */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/util.h"
#include "images/format.h"
#include "images/format_qemu.h"
#include "images/tarball.h"

#define KUBEVIRT_QEMU_ID 107 /* virt-launcher runs QEMU as uid and gid 107 */

static void hex(const unsigned char d[32], char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* ---- the layer: a tar (hashed as written: its diff_id), gzip-compressed (hashed again: its
   digest) in one pass ---- */

struct layer {
    struct archive *gz; /* raw format + gzip filter, fed the tar's bytes */
    EVP_MD_CTX *tar_md, *gz_md;
    int fd;
    uint64_t size; /* compressed bytes */
    int err;       /* first write error (errno) */
};

static la_ssize_t gz_out(struct archive *a, void *arg, const void *buf, size_t n)
{
    (void)a;
    struct layer *l = arg;
    EVP_DigestUpdate(l->gz_md, buf, n);
    if (jeos_write_all(l->fd, buf, n) < 0) {
        l->err = errno;
        return -1;
    }
    l->size += n;
    return (la_ssize_t)n;
}

/* The tar's bytes: hashed, then into the gzip stream. */
static int tar_out(void *arg, const void *buf, size_t n)
{
    struct layer *l = arg;
    EVP_DigestUpdate(l->tar_md, buf, n);
    if (archive_write_data(l->gz, buf, n) != (la_ssize_t)n)
        return l->err ? l->err : EIO;
    return 0;
}

/* Writes the layer blob to `out`: disk/ and disk/NAME.qcow2 (from `qcow2`), owned 107:107.
   Fills the digests (hex) and the blob's size. */
static int write_layer(const char *qcow2, const char *name, int64_t mtime, const char *out,
                       char diff_id[65], char digest[65], uint64_t *size, struct jeos_err *err)
{
    struct layer l = {.tar_md = EVP_MD_CTX_new(), .gz_md = EVP_MD_CTX_new()};
    struct jeos_tar t = {0};
    struct archive_entry *raw = archive_entry_new();
    char *member = xasprintf("disk/%s.qcow2", name);
    int rc = 0;
    EVP_DigestInit_ex(l.tar_md, EVP_sha256(), NULL);
    EVP_DigestInit_ex(l.gz_md, EVP_sha256(), NULL);
    if ((l.fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
        rc = jeos_errf(err, -errno, "%s: %s", out, strerror(errno));
        goto done;
    }
    l.gz = archive_write_new();
    archive_write_set_format_raw(l.gz);
    archive_write_add_filter_gzip(l.gz);
    archive_write_set_filter_option(l.gz, "gzip", "timestamp", NULL); /* no time in the header */
    archive_write_set_bytes_per_block(l.gz, 0);
    archive_entry_set_filetype(raw, AE_IFREG);
    archive_entry_set_pathname(raw, "layer.tar");
    if (archive_write_open(l.gz, &l, NULL, gz_out, NULL) != ARCHIVE_OK ||
        archive_write_header(l.gz, raw) != ARCHIVE_OK) {
        rc = jeos_errf(err, -EIO, "%s: %s", out, archive_error_string(l.gz));
        goto done;
    }
    if ((rc = jeos_tar_open_fn(&t, out, JEOS_TAR_PAX, mtime, tar_out, &l, err)))
        goto done;
    jeos_tar_owner(&t, KUBEVIRT_QEMU_ID, KUBEVIRT_QEMU_ID);
    if ((rc = jeos_tar_add_dir(&t, "disk/", 0555, err)) ||
        (rc = jeos_tar_add_file(&t, member, 0440, qcow2, NULL, err)))
        goto done;
    rc = jeos_tar_close(&t, 0, err);
    if (rc == 0 && archive_write_close(l.gz) != ARCHIVE_OK)
        rc = jeos_errf(err, -EIO, "%s: %s", out,
                       l.err ? strerror(l.err) : archive_error_string(l.gz));
    if (rc == 0) {
        unsigned char d[32];
        unsigned dl;
        EVP_DigestFinal_ex(l.tar_md, d, &dl);
        hex(d, diff_id);
        EVP_DigestFinal_ex(l.gz_md, d, &dl);
        hex(d, digest);
        *size = l.size;
    }
done:
    jeos_tar_close(&t, rc ? rc : -1, err); /* frees it if still open (a no-op after close) */
    if (l.gz)
        archive_write_free(l.gz);
    archive_entry_free(raw);
    EVP_MD_CTX_free(l.tar_md);
    EVP_MD_CTX_free(l.gz_md);
    if (l.fd >= 0 && close(l.fd) != 0 && !rc)
        rc = jeos_errf(err, -errno, "%s: close: %s", out, strerror(errno));
    free(member);
    return rc;
}

/* ---- the layout ---- */

/* Writes a JSON document as a blob of the layout: BLOBS/<sha256>; `digest` gets the hash. */
static int put_blob(const char *blobs, const char *json, char digest[65], struct jeos_err *err)
{
    unsigned char d[32];
    unsigned dl = 0;
    EVP_Digest(json, strlen(json), d, &dl, EVP_sha256(), NULL);
    hex(d, digest);
    char *p = xasprintf("%s/%s", blobs, digest);
    int rc = jeos_write_file_atomic(p, json, strlen(json), 0644, err);
    free(p);
    return rc;
}

/* JSON string contents: the names we write are [A-Za-z0-9._-] (recipe names), but escape
   anyway. */
static void json_str(struct sbuf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            sbuf_printf(b, "\\%c", c);
        else if (c < 0x20)
            sbuf_printf(b, "\\u%04x", c);
        else
            sbuf_add(b, (const char *)&c, 1);
    }
}

/* The layout folder `dir`: oci-layout, index.json, blobs/sha256/ (layer, config, manifest). */
static int write_layout(const struct jeos_ctx *ctx, const char *qcow2, const char *name,
                        const char *dir, struct jeos_err *err)
{
    int64_t epoch = ctx->have_epoch ? ctx->epoch : 0;
    char *blobs = xasprintf("%s/blobs/sha256", dir), *tmp = xasprintf("%s/layer.tmp", dir);
    char diff_id[65], layer[65], config[65], manifest[65], created[32];
    uint64_t layer_size = 0;
    struct sbuf c = {0}, m = {0}, ix = {0};
    struct tm tm;
    time_t t = (time_t)epoch;
    gmtime_r(&t, &tm);
    strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
    int rc = jeos_mkdir_p(blobs, 0755, err);
    if (rc == 0)
        rc = write_layer(qcow2, name, epoch, tmp, diff_id, layer, &layer_size, err);
    if (rc == 0) {
        char *p = xasprintf("%s/%s", blobs, layer);
        if (rename(tmp, p) != 0)
            rc = jeos_errf(err, -errno, "%s: %s", p, strerror(errno));
        free(p);
    }
    if (rc == 0) {
        sbuf_printf(&c,
                    "{\"created\":\"%s\",\"architecture\":\"amd64\",\"os\":\"linux\","
                    "\"config\":{\"Labels\":{\"org.opencontainers.image.title\":\"",
                    created);
        json_str(&c, name);
        sbuf_printf(&c,
                    "\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:%s\"]},"
                    "\"history\":[{\"created\":\"%s\",\"created_by\":\"jeos build (KubeVirt "
                    "containerDisk)\"}]}",
                    diff_id, created);
        rc = put_blob(blobs, c.s, config, err);
    }
    if (rc == 0) {
        sbuf_printf(&m,
                    "{\"schemaVersion\":2,"
                    "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
                    "\"digest\":\"sha256:%s\",\"size\":%zu},"
                    "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
                    "\"digest\":\"sha256:%s\",\"size\":%llu}]}",
                    config, c.len, layer, (unsigned long long)layer_size);
        rc = put_blob(blobs, m.s, manifest, err);
    }
    if (rc == 0) {
        sbuf_printf(&ix,
                    "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
                    "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:%s\","
                    "\"size\":%zu,\"annotations\":{\"org.opencontainers.image.ref.name\":"
                    "\"latest\"}}]}",
                    manifest, m.len);
        char *ixp = xasprintf("%s/index.json", dir), *lp = xasprintf("%s/oci-layout", dir);
        static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
        rc = jeos_write_file_atomic(ixp, ix.s, ix.len, 0644, err);
        if (rc == 0)
            rc = jeos_write_file_atomic(lp, layout, strlen(layout), 0644, err);
        free(ixp), free(lp);
    }
    unlink(tmp);
    free(blobs), free(tmp);
    sbuf_free(&c), sbuf_free(&m), sbuf_free(&ix);
    return rc;
}

/* The layout folder as one tar (oci-archive): its files in a fixed order, timed at the epoch. */
static int write_archive(const struct jeos_ctx *ctx, const char *dir, const char *out,
                         struct jeos_err *err)
{
    struct jeos_tar t;
    int rc = jeos_tar_open(&t, out, JEOS_TAR_PAX, ctx->have_epoch ? ctx->epoch : 0, err);
    if (rc == 0)
        rc = jeos_tar_add_dir(&t, "blobs/", 0, err);
    if (rc == 0)
        rc = jeos_tar_add_dir(&t, "blobs/sha256/", 0, err);
    char *blobs = xasprintf("%s/blobs/sha256", dir);
    if (rc == 0) {
        /* the three blobs, sorted by name (their digests) */
        char *argv[3] = {NULL};
        size_t n = 0;
        DIR *d = opendir(blobs);
        struct dirent *e;
        while (d && (e = readdir(d)))
            if (e->d_name[0] != '.' && n < 3)
                argv[n++] = xstrdup(e->d_name);
        if (d)
            closedir(d);
        for (size_t i = 0; i < n; i++)
            for (size_t k = i + 1; k < n; k++)
                if (strcmp(argv[k], argv[i]) < 0) {
                    char *x = argv[i];
                    argv[i] = argv[k], argv[k] = x;
                }
        for (size_t i = 0; i < n; i++) {
            char *src = xasprintf("%s/%s", blobs, argv[i]);
            char *member = xasprintf("blobs/sha256/%s", argv[i]);
            if (rc == 0)
                rc = jeos_tar_add_file(&t, member, 0, src, NULL, err);
            free(src), free(member), free(argv[i]);
        }
    }
    for (int i = 0; i < 2 && rc == 0; i++) {
        const char *f = i == 0 ? "index.json" : "oci-layout";
        char *src = xasprintf("%s/%s", dir, f);
        rc = jeos_tar_add_file(&t, f, 0, src, NULL, err);
        free(src);
    }
    free(blobs);
    return jeos_tar_close(&t, rc, err);
}

/* o->from: the build's qcow2; without one, a qcow2 is made here from the raw disk. */
static int conv_oci(const struct jeos_ctx *ctx, const char *raw, const char *dir, const char *base,
                    const struct jeos_format_opts *o, struct jeos_err *err)
{
    char *qcow2 = o->from ? xstrdup(o->from) : xasprintf("%s/disk.qcow2", dir);
    char *layout = xasprintf("%s/%s.oci", dir, base), *tar = xasprintf("%s/%s.oci.tar", dir, base);
    int rc = o->from ? 0 : jeos_qemu_img(raw, qcow2, "qcow2", NULL, err);
    if (rc == 0 && mkdir(layout, 0755) != 0)
        rc = jeos_errf(err, -errno, "%s: %s", layout, strerror(errno));
    if (rc == 0)
        rc = write_layout(ctx, qcow2, o->name ? o->name : base, layout, err);
    if (rc == 0)
        rc = write_archive(ctx, layout, tar, err);
    if (!o->from)
        unlink(qcow2);
    free(qcow2), free(layout), free(tar);
    return rc;
}

/* The layout archive: a tar with an oci-layout member among its first few (members are
   skipped by their sizes, not read). */
static const char *probe_oci(const struct jeos_choice *self, int fd, uint64_t size)
{
    (void)self;
    unsigned char h[512];
    uint64_t off = 0;
    for (int i = 0; i < 16 && off + sizeof(h) <= size; i++) {
        if (jeos_format_read(fd, off, h, sizeof(h)) != sizeof(h) ||
            memcmp(h + 257, "ustar", 5) != 0)
            return i ? "no oci-layout among its first members" : "not a tar archive";
        char name[101], octal[13];
        memcpy(name, h, 100), name[100] = 0;
        memcpy(octal, h + 124, 12), octal[12] = 0;
        if (!strcmp(name, "oci-layout") || !strcmp(name, "./oci-layout"))
            return NULL;
        uint64_t len = strtoull(octal, NULL, 8);
        off += 512 + (len + 511) / 512 * 512;
    }
    return "no oci-layout among its first members";
}

static const char *const oci_outputs[] = {".oci.tar", ".oci", NULL};
const struct jeos_format_ops jeos_format_oci = {.c = {.name = "oci",
                                                      .kinds = JEOS_FOR_BOTH,
                                                      .suffix = ".oci.tar",
                                                      .probe = probe_oci,
                                                      .title = "OCI image archive"},
                                                .outputs = oci_outputs,
                                                .from = "qcow2",
                                                .convert = conv_oci};
