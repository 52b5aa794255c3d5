/* util.c — allocation, strings, atomic files and spawning (see util.h). */
#include "builder/core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder/core/err.h"

extern char **environ;

static void oom(size_t n)
{
    fprintf(stderr, "jeos: out of memory (allocating %zu bytes)\n", n);
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        n = 0;
    char *p = xmalloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = xvasprintf(fmt, ap);
    va_end(ap);
    return p;
}

static void sbuf_grow(struct sbuf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->s = xrealloc(b->s, cap);
    b->cap = cap;
}

void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
    sbuf_grow(b, n);
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void sbuf_puts(struct sbuf *b, const char *s)
{
    sbuf_add(b, s, strlen(s));
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = xvasprintf(fmt, ap);
    va_end(ap);
    sbuf_puts(b, p);
    free(p);
}

void sbuf_free(struct sbuf *b)
{
    free(b->s);
    memset(b, 0, sizeof(*b));
}

char *sbuf_take(struct sbuf *b)
{
    char *s = b->s ? b->s : xstrdup("");
    memset(b, 0, sizeof(*b));
    return s;
}

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
    if (o->tmp)
        unlink(o->tmp);
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

/* Reads both pipes until EOF, so neither tool output can block the other. */
static void drain(int outfd, int errfd, struct sbuf *out, struct sbuf *errbuf)
{
    struct pollfd pf[2] = {{outfd, POLLIN, 0}, {errfd, POLLIN, 0}};
    int open_fds = (outfd >= 0) + (errfd >= 0);
    if (outfd < 0)
        pf[0].fd = -1;
    char buf[65536];
    while (open_fds > 0) {
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = read(pf[i].fd, buf, sizeof(buf));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                pf[i].fd = -1;
                open_fds--;
                continue;
            }
            struct sbuf *dst = i == 0 ? out : errbuf;
            if (i == 1 && errbuf->len > 16384)
                continue; /* keep the start; enough to explain a failure */
            sbuf_add(dst, buf, (size_t)n);
        }
    }
}

int jeos_spawn(char *const argv[], struct sbuf *out, struct jeos_err *err)
{
    int outp[2] = {-1, -1}, errp[2] = {-1, -1};
    int rc = 0;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    struct sbuf errbuf = {0};

    if ((out && pipe2(outp, O_CLOEXEC) < 0) || pipe2(errp, O_CLOEXEC) < 0) {
        rc = jeos_errf(err, -errno, "%s: pipe: %s", argv[0], strerror(errno));
        goto out;
    }
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (out)
        posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
    else
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, errp[1], 2);

    pid_t pid;
    int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    if (e != 0) {
        rc = jeos_errf(err, -e, "%s: cannot run: %s", argv[0], strerror(e));
        goto out;
    }
    if (out) {
        close(outp[1]);
        outp[1] = -1;
    }
    close(errp[1]);
    errp[1] = -1;
    struct sbuf dummy = {0};
    drain(out ? outp[0] : -1, errp[0], out ? out : &dummy, &errbuf);
    sbuf_free(&dummy);

    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            rc = jeos_errf(err, -errno, "%s: waitpid: %s", argv[0], strerror(errno));
            goto out;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        goto out;
    /* Quote the tool's own words, trimmed to their last line of substance. */
    while (errbuf.len && (errbuf.s[errbuf.len - 1] == '\n' || errbuf.s[errbuf.len - 1] == ' '))
        errbuf.s[--errbuf.len] = '\0';
    if (WIFEXITED(status))
        rc = jeos_errf(err, -EIO, "%s failed (exit status %d)%s%s", argv[0], WEXITSTATUS(status),
                       errbuf.len ? ": " : "", errbuf.len ? errbuf.s : "");
    else
        rc = jeos_errf(err, -EIO, "%s killed by signal %d%s%s", argv[0], WTERMSIG(status),
                       errbuf.len ? ": " : "", errbuf.len ? errbuf.s : "");
out:
    posix_spawn_file_actions_destroy(&fa);
    for (int i = 0; i < 2; i++) {
        if (outp[i] >= 0)
            close(outp[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
    sbuf_free(&errbuf);
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
