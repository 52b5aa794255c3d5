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
    case JEOS_TAR_GNU_GZIP: archive_write_set_format_gnutar(a); break;
    case JEOS_TAR_PAX:
    case JEOS_TAR_PAX_GZIP: archive_write_set_format_pax_restricted(a); break;
    }
    if (kind == JEOS_TAR_GNU_GZIP || kind == JEOS_TAR_PAX_GZIP) {
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
