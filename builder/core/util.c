/* util.c — whole files, atomic outputs, folders and numbers (see util.h). */
#include "builder/core/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/cleanup.h"
#include "builder/core/err.h"

int jeos_read_file(const char *path, char **data, size_t *len, struct jeos_err *err)
{
    int rc;
    struct sbuf b = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return jeos_errf(err, -errno, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        rc = jeos_errf(err, -EISDIR, "%s: is a directory, not a file", path);
        goto out;
    }
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = jeos_errf(err, -errno, "%s: read failed: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        sbuf_add(&b, chunk, (size_t)n);
    }
    *len = b.len;
    *data = sbuf_take(&b);
    rc = 0;
out:
    sbuf_free(&b);
    close(fd);
    return rc;
}

int jeos_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int jeos_outfile_open(struct jeos_outfile *o, const char *path, int mode, struct jeos_err *err)
{
    memset(o, 0, sizeof(*o));
    o->fd = -1;
    o->path = xstrdup(path);
    o->tmp = xasprintf("%s.tmp.XXXXXX", path);
    o->fd = mkostemp(o->tmp, O_CLOEXEC);
    if (o->fd < 0) {
        int rc = jeos_errf(err, -errno, "%s: cannot create: %s", path, strerror(errno));
        free(o->path);
        free(o->tmp);
        memset(o, 0, sizeof(*o));
        o->fd = -1;
        o->done = true;
        return rc;
    }
    jeos_cleanup_add(o->tmp);
    if (fchmod(o->fd, (mode_t)(mode ? mode : 0644)) < 0) {
        int rc = jeos_errf(err, -errno, "%s: chmod: %s", o->tmp, strerror(errno));
        jeos_outfile_abort(o);
        return rc;
    }
    return 0;
}

int jeos_outfile_commit(struct jeos_outfile *o, struct jeos_err *err)
{
    int rc = 0;
    if (o->done)
        return jeos_errf(err, -EINVAL, "%s: output already closed", o->path ? o->path : "?");
    if (fsync(o->fd) < 0 && errno != EINVAL) {
        rc = jeos_errf(err, -errno, "%s: fsync: %s", o->tmp, strerror(errno));
        goto fail;
    }
    if (close(o->fd) < 0) {
        o->fd = -1;
        rc = jeos_errf(err, -errno, "%s: close: %s", o->tmp, strerror(errno));
        goto fail;
    }
    o->fd = -1;
    if (rename(o->tmp, o->path) < 0) {
        rc = jeos_errf(err, -errno, "%s: rename into place: %s", o->path, strerror(errno));
        goto fail;
    }
    jeos_cleanup_drop(o->tmp);
    o->done = true;
    free(o->tmp);
    free(o->path);
    o->tmp = o->path = NULL;
    return 0;
fail:
    jeos_outfile_abort(o);
    return rc;
}

void jeos_outfile_abort(struct jeos_outfile *o)
{
    if (o->done)
        return;
    if (o->fd >= 0)
        close(o->fd);
    if (o->tmp) {
        unlink(o->tmp);
        jeos_cleanup_drop(o->tmp);
    }
    free(o->tmp);
    free(o->path);
    o->tmp = o->path = NULL;
    o->fd = -1;
    o->done = true;
}

int jeos_write_file_atomic(const char *path, const void *data, size_t len, int mode,
                           struct jeos_err *err)
{
    struct jeos_outfile o;
    int rc = jeos_outfile_open(&o, path, mode, err);
    if (rc < 0)
        return rc;
    rc = jeos_write_all(o.fd, data, len);
    if (rc < 0) {
        jeos_errf(err, rc, "%s: write: %s", path, strerror(-rc));
        jeos_outfile_abort(&o);
        return rc;
    }
    return jeos_outfile_commit(&o, err);
}

int jeos_mkdir_p(const char *path, int mode, struct jeos_err *err)
{
    char *p = xstrdup(path);
    int rc = 0;
    for (char *s = p + 1;; s++) {
        char c = *s;
        if (c != '/' && c != '\0')
            continue;
        *s = '\0';
        if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
            rc = jeos_errf(err, -errno, "%s: cannot create folder: %s", p, strerror(errno));
            break;
        }
        *s = c;
        if (c == '\0')
            break;
    }
    if (rc == 0) {
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
            rc = jeos_errf(err, -ENOTDIR, "%s: exists and is not a folder", path);
    }
    free(p);
    return rc;
}

int jeos_remove_tree(const char *path)
{
    /* what is already gone counts as removed: another thread or process may be removing the
       same folder (a stopped build's cleanup and its own commit) */
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -errno;
    int rc = 0;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            return errno == ENOENT ? 0 : -errno;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *p = xasprintf("%s/%s", path, e->d_name);
            int r = jeos_remove_tree(p);
            if (r && !rc)
                rc = r;
            free(p);
        }
        closedir(d);
        if (rmdir(path) != 0 && errno != ENOENT && !rc)
            rc = -errno;
    } else if (unlink(path) != 0 && errno != ENOENT && !rc) {
        rc = -errno;
    }
    return rc;
}

bool jeos_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    if (!s || !*s)
        return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v < min || v > max)
        return false;
    *out = v;
    return true;
}
