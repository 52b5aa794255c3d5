/* format_qemu.c — the disk formats qemu-img writes and QEMU boots: raw, qcow2, vmdk
 * (streamOptimized), vhd (fixed); what qemu-img makes up is replaced, so each is reproducible. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/cache.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/spawn.h"
#include "builder/core/util.h"
#include "images/format.h"
#include "images/format_qemu.h"
#include "images/ptable.h"

int jeos_qemu_img(const char *raw, const char *out, const char *fmt, const char *opts,
                  struct jeos_err *err)
{
    char *argv[12];
    int n = 0;
    argv[n++] = "qemu-img";
    argv[n++] = "convert";
    argv[n++] = "-q";
    argv[n++] = "-f";
    argv[n++] = "raw";
    argv[n++] = "-O";
    argv[n++] = (char *)fmt;
    if (opts) {
        argv[n++] = "-o";
        argv[n++] = (char *)opts;
    }
    argv[n++] = (char *)raw;
    argv[n++] = (char *)out;
    argv[n] = NULL;
    return jeos_spawn(argv, NULL, err);
}

/* DIR/BASE<suffix>: where a converter writes its output (caller frees). */
static char *out_path(const char *dir, const char *base, const struct jeos_format_ops *f)
{
    return xasprintf("%s/%s%s", dir, base, f->c.suffix);
}

static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* ---- raw ---- */

const struct jeos_format_ops jeos_format_raw;

static int conv_raw(const struct jeos_ctx *ctx, const char *raw, const char *dir, const char *base,
                    const struct jeos_format_opts *o, struct jeos_err *err)
{
    (void)ctx, (void)o;
    char *out = out_path(dir, base, &jeos_format_raw);
    int rc = jeos_qemu_img(raw, out, "raw", NULL, err); /* keeps holes */
    free(out);
    return rc;
}

/* A raw disk made by jeos carries the boot signature 55 AA at byte 510 (an MBR, or GPT's
   protective MBR). */
static const char *probe_raw(const struct jeos_choice *self, int fd, uint64_t size)
{
    (void)self;
    unsigned char h[2];
    if (size < 512)
        return "shorter than one sector; expected a disk made by jeos build";
    if (jeos_format_read(fd, 510, h, 2) != 2 || h[0] != 0x55 || h[1] != 0xaa)
        return "no boot signature 55 AA at byte 510; expected a disk made by jeos build";
    return NULL;
}

static const char *const raw_outputs[] = {".raw", NULL};
const struct jeos_format_ops jeos_format_raw = {.c = {.name = "raw",
                                                      .kinds = JEOS_FOR_BOTH,
                                                      .suffix = ".raw",
                                                      .qemu = "raw",
                                                      .probe = probe_raw,
                                                      .title = "bootable disk"},
                                                .outputs = raw_outputs,
                                                .convert = conv_raw};

/* ---- qcow2 ---- */

const struct jeos_format_ops jeos_format_qcow2;

static int conv_qcow2(const struct jeos_ctx *ctx, const char *raw, const char *dir,
                      const char *base, const struct jeos_format_opts *o, struct jeos_err *err)
{
    (void)ctx, (void)o;
    char *out = out_path(dir, base, &jeos_format_qcow2);
    int rc = jeos_qemu_img(raw, out, "qcow2", NULL, err);
    free(out);
    return rc;
}

static const char *probe_qcow2(const struct jeos_choice *self, int fd, uint64_t size)
{
    (void)self;
    unsigned char h[4];
    (void)size;
    if (jeos_format_read(fd, 0, h, 4) != 4 || memcmp(h, "QFI\xfb", 4) != 0)
        return "no QFI magic at its start";
    return NULL;
}

static const char *const qcow2_outputs[] = {".qcow2", NULL};
const struct jeos_format_ops jeos_format_qcow2 = {.c = {.name = "qcow2",
                                                        .kinds = JEOS_FOR_BOTH,
                                                        .suffix = ".qcow2",
                                                        .qemu = "qcow2",
                                                        .probe = probe_qcow2,
                                                        .title = "qcow2 image"},
                                                  .outputs = qcow2_outputs,
                                                  .convert = conv_qcow2};

/* ---- vmdk ---- */
/* qemu-img gives a VMDK a random CID and names its temporary file as the extent. Rewrites the
   embedded descriptor (its place and size are in the sparse header: descriptorOffset at byte
   28, descriptorSize at 36, in sectors) with `extent` as the extent's name and, when `raw` is
   given, a CID taken from the sha256 of that raw disk (the content the VMDK holds); without
   `raw` the CID stays (a copy of a VMDK already fixed). The text keeps its place, padded with
   NULs. */
static int vmdk_fix(const char *path, const char *extent, const char *raw, struct jeos_err *err)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return jeos_errf(err, -errno, "%s: %s", path, strerror(errno));
    unsigned char h[512];
    char *desc = NULL;
    struct sbuf nd = {0};
    int rc = 0;
    if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h, "KDMV", 4) != 0) {
        rc = jeos_errf(err, -EINVAL, "%s: not a sparse VMDK (no KDMV header)", path);
        goto out;
    }
    uint64_t doff = get_le64(h + 28), dsize = get_le64(h + 36);
    if (doff == 0 || dsize == 0 || dsize > 2048 || doff > 2048) {
        rc = jeos_errf(err, -EINVAL, "%s: no embedded descriptor (offset %llu, %llu sectors)", path,
                       (unsigned long long)doff, (unsigned long long)dsize);
        goto out;
    }
    size_t dlen = (size_t)dsize * 512;
    desc = xmalloc(dlen + 1);
    if (pread(fd, desc, dlen, (off_t)doff * 512) != (ssize_t)dlen) {
        rc = jeos_errf(err, -EIO, "%s: cannot read the descriptor", path);
        goto out;
    }
    desc[dlen] = 0;
    char hex[65] = "";
    uint64_t rawsize;
    if (raw && (rc = cache_sha256_file(raw, hex, &rawsize, err)))
        goto out;
    int cid = 0, ext = 0;
    for (char *line = desc, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        char *q;
        if (strncmp(line, "CID=", 4) == 0) {
            if (raw)
                sbuf_printf(&nd, "CID=%.8s\n", hex);
            else
                sbuf_printf(&nd, "%s\n", line);
            cid++;
        } else if ((strncmp(line, "RW ", 3) == 0 || strncmp(line, "RDONLY ", 7) == 0) &&
                   (q = strchr(line, '"')) != NULL) {
            sbuf_printf(&nd, "%.*s\"%s\"\n", (int)(q - line), line, extent);
            ext++;
        } else {
            sbuf_printf(&nd, "%s\n", line);
        }
    }
    if (cid != 1 || ext != 1 || nd.len > dlen) {
        rc = jeos_errf(err, -EINVAL,
                       "%s: unexpected descriptor (%d CID lines, %d extents, %zu of %zu bytes)",
                       path, cid, ext, nd.len, dlen);
        goto out;
    }
    memset(desc, 0, dlen);
    memcpy(desc, nd.s, nd.len);
    if (pwrite(fd, desc, dlen, (off_t)doff * 512) != (ssize_t)dlen)
        rc = jeos_errf(err, -errno, "%s: write: %s", path, strerror(errno));
out:
    if (close(fd) != 0 && !rc)
        rc = jeos_errf(err, -errno, "%s: close: %s", path, strerror(errno));
    free(desc);
    sbuf_free(&nd);
    return rc;
}

/* Copies `from` to the new file `to` (which the caller removes on failure). */
static int copy_file(const char *from, const char *to, struct jeos_err *err)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return jeos_errf(err, -errno, "%s: %s", from, strerror(errno));
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        int e = errno;
        close(in);
        return jeos_errf(err, -e, "%s: %s", to, strerror(e));
    }
    char *buf = xmalloc(1 << 20);
    int rc = 0;
    for (;;) {
        ssize_t n = read(in, buf, 1 << 20);
        if (n < 0) {
            rc = jeos_errf(err, -errno, "%s: read: %s", from, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        if (jeos_write_all(out, buf, (size_t)n) < 0) {
            rc = jeos_errf(err, -errno, "%s: write: %s", to, strerror(errno));
            break;
        }
    }
    free(buf);
    close(in);
    if (close(out) != 0 && !rc)
        rc = jeos_errf(err, -errno, "%s: close: %s", to, strerror(errno));
    return rc;
}

int jeos_vmdk_write(const char *raw, const char *reuse, const char *out, const char *extent,
                    struct jeos_err *err)
{
    int rc = reuse ? copy_file(reuse, out, err)
                   : jeos_qemu_img(raw, out, "vmdk",
                                   "subformat=streamOptimized,adapter_type=lsilogic", err);
    return rc ? rc : vmdk_fix(out, extent, reuse ? NULL : raw, err);
}

const struct jeos_format_ops jeos_format_vmdk;

static int conv_vmdk(const struct jeos_ctx *ctx, const char *raw, const char *dir, const char *base,
                     const struct jeos_format_opts *o, struct jeos_err *err)
{
    (void)ctx, (void)o;
    char *out = out_path(dir, base, &jeos_format_vmdk);
    const char *slash = strrchr(out, '/');
    int rc = jeos_vmdk_write(raw, NULL, out, slash ? slash + 1 : out, err);
    free(out);
    return rc;
}

static const char *probe_vmdk(const struct jeos_choice *self, int fd, uint64_t size)
{
    (void)self;
    unsigned char h[21];
    (void)size;
    size_t got = jeos_format_read(fd, 0, h, sizeof(h));
    if (got < 21 || (memcmp(h, "KDMV", 4) != 0 && memcmp(h, "# Disk DescriptorFile", 21) != 0))
        return "neither a sparse header nor a descriptor at its start";
    return NULL;
}

static const char *const vmdk_outputs[] = {".vmdk", NULL};
const struct jeos_format_ops jeos_format_vmdk = {.c = {.name = "vmdk",
                                                       .kinds = JEOS_FOR_BOTH,
                                                       .suffix = ".vmdk",
                                                       .qemu = "vmdk",
                                                       .probe = probe_vmdk,
                                                       .title = "VMDK"},
                                                 .outputs = vmdk_outputs,
                                                 .convert = conv_vmdk};

/* ---- vhd ---- */

const struct jeos_format_ops jeos_format_vhd;

/* Azure: a fixed VHD whose virtual size is exactly the raw size (a whole number of MiB). */
static int conv_vhd(const struct jeos_ctx *ctx, const char *raw, const char *dir, const char *base,
                    const struct jeos_format_opts *o, struct jeos_err *err)
{
    struct stat st;
    if (stat(raw, &st) != 0)
        return jeos_errf(err, -errno, "%s: %s", raw, strerror(errno));
    if (st.st_size % (1024 * 1024))
        return jeos_errf(err, -EINVAL,
                         "%s: %lld bytes is not a whole number of MiB (Azure needs that for VHD)",
                         raw, (long long)st.st_size);
    char *out = out_path(dir, base, &jeos_format_vhd);
    int rc = jeos_qemu_img(raw, out, "vpc", "subformat=fixed,force_size=on", err);
    int fd = -1;
    if (rc)
        goto done;
    /* qemu-img stamps the footer (the last sector; big-endian fields) with the time and a
       random unique id: timestamp at 24 (seconds since 2000-01-01 UTC), checksum at 64 (the
       ones' complement of the byte sum of the rest), unique id at 68. */
    fd = open(out, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        rc = jeos_errf(err, -errno, "%s: %s", out, strerror(errno));
        goto done;
    }
    unsigned char f[512];
    off_t at = lseek(fd, -512, SEEK_END);
    if (at < 0 || pread(fd, f, sizeof(f), at) != (ssize_t)sizeof(f) ||
        memcmp(f, "conectix", 8) != 0) {
        rc = jeos_errf(err, -EINVAL, "%s: no VHD footer in its last sector", out);
        goto done;
    }
    int64_t t = (ctx->have_epoch ? ctx->epoch : 0) - 946684800; /* 2000-01-01T00:00:00Z */
    put_be32(f + 24, t < 0 ? 0 : t > UINT32_MAX ? UINT32_MAX : (uint32_t)t);
    jeos_uuid_derive(o->seed ? o->seed : "", "vhd", f + 68);
    memset(f + 64, 0, 4);
    uint32_t sum = 0;
    for (size_t i = 0; i < sizeof(f); i++)
        sum += f[i];
    put_be32(f + 64, ~sum);
    if (pwrite(fd, f, sizeof(f), at) != (ssize_t)sizeof(f))
        rc = jeos_errf(err, -errno, "%s: write: %s", out, strerror(errno));
done:
    if (fd >= 0 && close(fd) != 0 && !rc)
        rc = jeos_errf(err, -errno, "%s: close: %s", out, strerror(errno));
    free(out);
    return rc;
}

/* A fixed VHD has its footer in the last sector; a dynamic one has a copy at its start too. */
static const char *probe_vhd(const struct jeos_choice *self, int fd, uint64_t size)
{
    (void)self;
    unsigned char h[8];
    if (jeos_format_read(fd, 0, h, 8) == 8 && memcmp(h, "conectix", 8) == 0)
        return NULL;
    if (size >= 512 && jeos_format_read(fd, size - 512, h, 8) == 8 && memcmp(h, "conectix", 8) == 0)
        return NULL;
    return "no \"conectix\" footer";
}

static const char *const vhd_outputs[] = {".vhd", NULL};
const struct jeos_format_ops jeos_format_vhd = {.c = {.name = "vhd",
                                                      .kinds = JEOS_FOR_BOTH,
                                                      .suffix = ".vhd",
                                                      .qemu = "vpc",
                                                      .probe = probe_vhd,
                                                      .title = "VHD"},
                                                .outputs = vhd_outputs,
                                                .convert = conv_vhd};
