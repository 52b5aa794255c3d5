/* tarball.c — reproducible tar archives through libarchive (see tarball.h). */
#include "images/tarball.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/err.h"

static int tar_fail(struct jeos_tar *t, struct jeos_err *err)
{
    return jeos_errf(err, -EIO, "%s: %s", t->out,
                     t->sink_err ? strerror(t->sink_err) : archive_error_string(t->a));
}

static la_ssize_t to_sink(struct archive *a, void *arg, const void *buf, size_t n)
{
    (void)a;
    struct jeos_tar *t = arg;
    int e = t->sink(t->sink_arg, buf, n);
    if (e) {
        t->sink_err = e;
        return -1;
    }
    return (la_ssize_t)n;
}

/* The archive of `kind`, not yet opened. */
static struct archive *tar_new(struct jeos_tar *t, const char *out, enum jeos_tar_kind kind,
                               int64_t mtime)
{
    memset(t, 0, sizeof(*t));
    t->out = out;
    t->mtime = mtime;
    struct archive *a = t->a = archive_write_new();
    switch (kind) {
    case JEOS_TAR_USTAR: archive_write_set_format_ustar(a); break;
    case JEOS_TAR_PAX:
    case JEOS_TAR_PAX_GZIP: archive_write_set_format_pax_restricted(a); break;
    }
    if (kind == JEOS_TAR_PAX_GZIP) {
        archive_write_add_filter_gzip(a);
        archive_write_set_filter_option(a, "gzip", "timestamp", NULL); /* no time in the header */
    }
    archive_write_set_bytes_in_last_block(a, 1);
    return a;
}

int jeos_tar_open(struct jeos_tar *t, const char *out, enum jeos_tar_kind kind, int64_t mtime,
                  struct jeos_err *err)
{
    if (archive_write_open_filename(tar_new(t, out, kind, mtime), out) != ARCHIVE_OK)
        return tar_fail(t, err);
    return 0;
}

int jeos_tar_open_fn(struct jeos_tar *t, const char *out, enum jeos_tar_kind kind, int64_t mtime,
                     jeos_tar_sink sink, void *arg, struct jeos_err *err)
{
    struct archive *a = tar_new(t, out, kind, mtime);
    t->sink = sink;
    t->sink_arg = arg;
    if (archive_write_open(a, t, NULL, to_sink, NULL) != ARCHIVE_OK)
        return tar_fail(t, err);
    return 0;
}

void jeos_tar_owner(struct jeos_tar *t, int64_t uid, int64_t gid)
{
    t->uid = uid;
    t->gid = gid;
}

static int header(struct jeos_tar *t, const char *name, unsigned type, int mode, uint64_t size,
                  struct jeos_err *err)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, (mode_t)mode);
    archive_entry_set_size(e, (la_int64_t)size);
    archive_entry_set_mtime(e, t->mtime, 0);
    archive_entry_set_uid(e, t->uid);
    archive_entry_set_gid(e, t->gid);
    if (t->uid == 0)
        archive_entry_set_uname(e, "root");
    if (t->gid == 0)
        archive_entry_set_gname(e, "root");
    int rc = archive_write_header(t->a, e) == ARCHIVE_OK ? 0 : tar_fail(t, err);
    archive_entry_free(e);
    return rc;
}

int jeos_tar_add_dir(struct jeos_tar *t, const char *name, int mode, struct jeos_err *err)
{
    return header(t, name, AE_IFDIR, mode ? mode : 0755, 0, err);
}

int jeos_tar_add_buf(struct jeos_tar *t, const char *name, int mode, const void *data, size_t len,
                     struct jeos_err *err)
{
    int rc = header(t, name, AE_IFREG, mode ? mode : 0644, len, err);
    if (!rc && len && archive_write_data(t->a, data, len) != (la_ssize_t)len)
        rc = tar_fail(t, err);
    return rc;
}

int jeos_tar_add_file(struct jeos_tar *t, const char *name, int mode, const char *src,
                      char sha256[65], struct jeos_err *err)
{
    int fd = open(src, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return jeos_errf(err, -errno, "%s: %s", src, strerror(errno));
    struct stat st;
    int rc = 0;
    char *buf = NULL;
    EVP_MD_CTX *md = sha256 ? EVP_MD_CTX_new() : NULL;
    if (md)
        EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    if (fstat(fd, &st) != 0) {
        rc = jeos_errf(err, -errno, "%s: %s", src, strerror(errno));
        goto out;
    }
    if ((rc = header(t, name, AE_IFREG, mode ? mode : 0644, (uint64_t)st.st_size, err)))
        goto out;
    buf = xmalloc(1 << 20);
    for (;;) {
        ssize_t n = read(fd, buf, 1 << 20);
        if (n < 0) {
            rc = jeos_errf(err, -errno, "%s: read: %s", src, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        if (md)
            EVP_DigestUpdate(md, buf, (size_t)n);
        if (archive_write_data(t->a, buf, (size_t)n) != n) {
            rc = tar_fail(t, err);
            goto out;
        }
    }
    if (md) {
        unsigned char d[32];
        unsigned dl = 0;
        EVP_DigestFinal_ex(md, d, &dl);
        for (unsigned i = 0; i < 32; i++)
            snprintf(sha256 + 2 * i, 3, "%02x", d[i]);
    }
out:
    if (md)
        EVP_MD_CTX_free(md);
    free(buf);
    close(fd);
    return rc;
}

int jeos_tar_close(struct jeos_tar *t, int rc, struct jeos_err *err)
{
    if (!t->a)
        return rc;
    if (!rc && archive_write_close(t->a) != ARCHIVE_OK)
        rc = tar_fail(t, err);
    archive_write_free(t->a);
    t->a = NULL;
    return rc;
}

/* ---- the old-GNU sparse member (GCE) ---- */

struct region {
    uint64_t off, len;
};

/* An octal number field of `w` bytes (NUL-terminated), or base-256 (GNU's: a leading 0x80) when
   it does not fit. */
static void tar_num(unsigned char *p, size_t w, uint64_t v)
{
    if (w > 1 && v < (1ull << (3 * (w - 1)))) {
        char tmp[32];
        snprintf(tmp, sizeof(tmp), "%0*llo", (int)(w - 1), (unsigned long long)v);
        memcpy(p, tmp, w - 1);
        p[w - 1] = 0;
        return;
    }
    memset(p, 0, w);
    p[0] = 0x80;
    for (size_t i = w - 1; i > 0 && v; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

/* The runs of src's blocks of `blk` bytes (a power of two up to 1 MiB) that hold a non-zero
   byte; holes are skipped unread. */
static int sparse_map(int fd, const char *src, uint64_t fsize, size_t blk, struct region **out,
                      size_t *nout, struct jeos_err *err)
{
    const size_t BLK = blk, BUF = 1 << 20;
    unsigned char *buf = xmalloc(BUF);
    struct region *r = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    uint64_t off = 0;
    while (off < fsize) {
        off_t d = lseek(fd, (off_t)off, SEEK_DATA);
        if (d < 0 && errno == ENXIO)
            break;
        off_t h = d < 0 ? -1 : lseek(fd, d, SEEK_HOLE);
        if (d < 0 || h < 0) {
            rc = jeos_errf(err, -errno, "%s: seek: %s", src, strerror(errno));
            goto out;
        }
        /* whole blocks, wherever the host filesystem's holes begin and end */
        uint64_t at = (uint64_t)d / BLK * BLK, end = ((uint64_t)h + BLK - 1) / BLK * BLK;
        if (end > fsize)
            end = fsize;
        while (at < end) {
            size_t want = end - at < BUF ? (size_t)(end - at) : BUF;
            ssize_t got = pread(fd, buf, want, (off_t)at);
            if (got <= 0) {
                rc = jeos_errf(err, got < 0 ? -errno : -EIO, "%s: read: %s", src,
                               got < 0 ? strerror(errno) : "short file");
                goto out;
            }
            for (size_t b = 0; b < (size_t)got; b += BLK) {
                size_t bl = (size_t)got - b < BLK ? (size_t)got - b : BLK;
                bool zero = true;
                for (size_t i = 0; i < bl && zero; i++)
                    zero = buf[b + i] == 0;
                if (zero)
                    continue;
                uint64_t bo = at + b;
                if (n && r[n - 1].off + r[n - 1].len == bo) {
                    r[n - 1].len += bl;
                    continue;
                }
                if (n == cap)
                    r = xrealloc(r, (cap = cap ? 2 * cap : 64) * sizeof(*r));
                r[n++] = (struct region){bo, bl};
            }
            at += (uint64_t)got;
        }
        off = end;
    }
out:
    free(buf);
    if (rc)
        free(r), r = NULL, n = 0;
    *out = r;
    *nout = n;
    return rc;
}

static void tar_chksum(unsigned char *h)
{
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += h[i];
    char tmp[8];
    snprintf(tmp, sizeof(tmp), "%06o", sum);
    memcpy(h + 148, tmp, 6);
    h[154] = 0;
    h[155] = ' ';
}

int jeos_tar_gnu_sparse(const char *out, const char *name, const char *src, uint64_t size,
                        int64_t mtime, struct jeos_err *err)
{
    int fd = open(src, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return jeos_errf(err, -errno, "%s: %s", src, strerror(errno));
    struct stat st;
    struct region *r = NULL;
    size_t n = 0;
    unsigned char *hdr = NULL, *buf = NULL;
    struct jeos_tar t = {0};
    int rc = 0;
    if (fstat(fd, &st) != 0) {
        rc = jeos_errf(err, -errno, "%s: %s", src, strerror(errno));
        goto out;
    }
    if ((uint64_t)st.st_size > size || strlen(name) >= 100) {
        rc = jeos_errf(err, -EINVAL, "%s: %lld bytes do not fit a member of %llu bytes named %s",
                       src, (long long)st.st_size, (unsigned long long)size, name);
        goto out;
    }
    if ((rc = sparse_map(fd, src, (uint64_t)st.st_size, 4096, &r, &n, err)))
        goto out;
    if (!n || r[n - 1].off + r[n - 1].len < size) { /* GNU tar ends the map at the file's end */
        r = xrealloc(r, (n + 1) * sizeof(*r));
        r[n++] = (struct region){size, 0};
    }
    /* the header holds 4 entries, each extension header 21 more */
    size_t next = n > 4 ? (n - 4 + 20) / 21 : 0, hlen = 512 * (1 + next);
    hdr = xcalloc(1, hlen);
    uint64_t stored = 0;
    for (size_t i = 0; i < n; i++)
        stored += r[i].len;
    memcpy(hdr, name, strlen(name));
    tar_num(hdr + 100, 8, 0644);
    tar_num(hdr + 108, 8, 0);
    tar_num(hdr + 116, 8, 0);
    tar_num(hdr + 124, 12, stored);
    tar_num(hdr + 136, 12, mtime < 0 ? 0 : (uint64_t)mtime);
    hdr[156] = 'S';
    memcpy(hdr + 257, "ustar  ", 8); /* old GNU: "ustar" two spaces and a NUL */
    memcpy(hdr + 265, "root", 4);
    memcpy(hdr + 297, "root", 4);
    tar_num(hdr + 483, 12, size);
    for (size_t i = 0; i < n; i++) {
        unsigned char *e, *ext;
        if (i < 4) {
            e = hdr + 386 + 24 * i;
            ext = hdr + 482;
        } else {
            size_t k = (i - 4) / 21;
            e = hdr + 512 * (1 + k) + 24 * ((i - 4) % 21);
            ext = k ? hdr + 512 * k + 504 : hdr + 482;
        }
        tar_num(e, 12, r[i].off);
        tar_num(e + 12, 12, r[i].len);
        if (i == 4 || (i > 4 && (i - 4) % 21 == 0))
            *ext = 1; /* the header before this entry's says another follows */
    }
    tar_chksum(hdr);
    /* the bytes are the archive's own: libarchive's raw format, through its gzip filter */
    struct archive *a = t.a = archive_write_new();
    t.out = out;
    archive_write_set_format_raw(a);
    archive_write_add_filter_gzip(a);
    archive_write_set_filter_option(a, "gzip", "timestamp", NULL);
    archive_write_set_bytes_in_last_block(a, 1);
    struct archive_entry *ae = archive_entry_new();
    archive_entry_set_pathname(ae, name);
    archive_entry_set_filetype(ae, AE_IFREG);
    if (archive_write_open_filename(a, out) != ARCHIVE_OK ||
        archive_write_header(a, ae) != ARCHIVE_OK ||
        archive_write_data(a, hdr, hlen) != (la_ssize_t)hlen) {
        archive_entry_free(ae);
        rc = tar_fail(&t, err);
        goto out;
    }
    archive_entry_free(ae);
    buf = xmalloc(1 << 20);
    uint64_t written = 0;
    for (size_t i = 0; i < n && !rc; i++)
        for (uint64_t at = r[i].off, end = r[i].off + r[i].len; at < end && !rc;) {
            size_t want = end - at < (1 << 20) ? (size_t)(end - at) : (1 << 20);
            ssize_t got = pread(fd, buf, want, (off_t)at);
            if (got <= 0)
                rc = jeos_errf(err, got < 0 ? -errno : -EIO, "%s: read: %s", src,
                               got < 0 ? strerror(errno) : "short file");
            else if (archive_write_data(a, buf, (size_t)got) != got)
                rc = tar_fail(&t, err);
            else
                at += (uint64_t)got, written += (uint64_t)got;
        }
    if (!rc) { /* the member padded to 512, two zero blocks, the record padded to 10240 */
        uint64_t total = hlen + (written + 511) / 512 * 512 + 1024;
        uint64_t pad = (total + 10239) / 10240 * 10240 - hlen - written;
        memset(buf, 0, (size_t)pad);
        if (archive_write_data(a, buf, (size_t)pad) != (la_ssize_t)pad)
            rc = tar_fail(&t, err);
    }
out:
    rc = jeos_tar_close(&t, rc, err);
    close(fd);
    free(r), free(hdr), free(buf);
    return rc;
}

int jeos_nonzero_bytes(const char *src, size_t blk, uint64_t *bytes, struct jeos_err *err)
{
    int fd = open(src, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return jeos_errf(err, -errno, "%s: %s", src, strerror(errno));
    struct stat st;
    struct region *r = NULL;
    size_t n = 0;
    int rc = fstat(fd, &st) != 0 ? jeos_errf(err, -errno, "%s: %s", src, strerror(errno))
                                 : sparse_map(fd, src, (uint64_t)st.st_size, blk, &r, &n, err);
    *bytes = 0;
    for (size_t i = 0; i < n; i++)
        *bytes += r[i].len;
    free(r);
    close(fd);
    return rc;
}
