/* cache.c — content-addressed cache with flock and temporary + rename (see cache.h). */
#include "builder/core/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/util.h"

static void to_hex(const unsigned char *d, unsigned n, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[2 * n] = '\0';
}

void cache_sha256_hex(const void *buf, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL);
    to_hex(md, n, hex);
}

int cache_sha256_file(const char *path, char hex[65], uint64_t *size, struct jeos_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return jeos_errf(err, -errno, "%s: cannot open: %s", path, strerror(errno));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    static const size_t bufsz = 1 << 16;
    unsigned char *buf = xmalloc(bufsz);
    uint64_t total = 0;
    int rc = 0;
    for (;;) {
        ssize_t r = read(fd, buf, bufsz);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = jeos_errf(err, -errno, "%s: read: %s", path, strerror(errno));
            break;
        }
        if (r == 0)
            break;
        EVP_DigestUpdate(md, buf, (size_t)r);
        total += (uint64_t)r;
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_DigestFinal_ex(md, d, &n);
    EVP_MD_CTX_free(md);
    free(buf);
    close(fd);
    if (rc == 0) {
        to_hex(d, n, hex);
        if (size)
            *size = total;
    }
    return rc;
}

bool cache_valid_sha256(const char *s)
{
    size_t i;
    for (i = 0; s[i]; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return i == 64;
}

char *cache_object_path(const struct jeos_ctx *ctx, const char *sha256)
{
    return xasprintf("%s/sha256/%.2s/%s", ctx->cache_dir, sha256, sha256);
}

int cache_store(const struct jeos_ctx *ctx, const char *sha256, uint64_t size, const char *what,
                cache_fill_fn fill, void *arg, char **path, struct jeos_err *err)
{
    if (!cache_valid_sha256(sha256))
        return jeos_errf(err, -EINVAL, "%s: bad sha256 \"%s\" (expected 64 hex digits)", what,
                         sha256);
    char *final = cache_object_path(ctx, sha256);
    char *dir = xasprintf("%s/sha256/%.2s", ctx->cache_dir, sha256);
    char *lockdir = xasprintf("%s/locks", ctx->cache_dir);
    char *lockpath = xasprintf("%s/%s", lockdir, sha256);
    struct jeos_outfile o = {.fd = -1, .done = true};
    int lockfd = -1, rc = 0;
    struct stat st;

    if (stat(final, &st) == 0)
        goto done;
    if (ctx->offline) {
        rc = jeos_errf(err, -ENOENT, "%s: not in the cache (sha256 %s) and --offline is set", what,
                       sha256);
        goto done;
    }
    if ((rc = jeos_mkdir_p(dir, 0755, err)) < 0 || (rc = jeos_mkdir_p(lockdir, 0755, err)) < 0)
        goto done;
    lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lockfd < 0) {
        rc = jeos_errf(err, -errno, "%s: cannot open: %s", lockpath, strerror(errno));
        goto done;
    }
    while (flock(lockfd, LOCK_EX) < 0) {
        if (errno != EINTR) {
            rc = jeos_errf(err, -errno, "%s: flock: %s", lockpath, strerror(errno));
            goto done;
        }
    }
    /* Another build may have stored it while we waited. */
    if (stat(final, &st) == 0)
        goto done;
    if ((rc = jeos_outfile_open(&o, final, 0644, err)) < 0)
        goto done;
    if ((rc = fill(arg, o.fd, err)) < 0)
        goto done;
    char hex[65];
    uint64_t got_size = 0;
    if ((rc = cache_sha256_file(o.tmp, hex, &got_size, err)) < 0)
        goto done;
    if (size && got_size != size) {
        rc = jeos_errf(err, -EBADMSG,
                       "%s: sha256 mismatch (expected %s, %llu bytes; got %s, %llu bytes)", what,
                       sha256, (unsigned long long)size, hex, (unsigned long long)got_size);
        goto done;
    }
    if (strcmp(hex, sha256) != 0) {
        rc = jeos_errf(err, -EBADMSG, "%s: sha256 mismatch (expected %s, got %s)", what, sha256,
                       hex);
        goto done;
    }
    rc = jeos_outfile_commit(&o, err);
done:
    if (!o.done)
        jeos_outfile_abort(&o);
    if (lockfd >= 0)
        close(lockfd); /* releases the flock */
    if (rc == 0 && path)
        *path = final;
    else
        free(final);
    free(dir);
    free(lockdir);
    free(lockpath);
    return rc;
}

struct bufarg {
    const void *buf;
    size_t len;
};

static int fill_buffer(void *arg, int fd, struct jeos_err *err)
{
    struct bufarg *b = arg;
    int rc = jeos_write_all(fd, b->buf, b->len);
    if (rc < 0)
        return jeos_errf(err, rc, "cache: write: %s", strerror(-rc));
    return 0;
}

int cache_store_buffer(const struct jeos_ctx *ctx, const char *sha256, const void *buf, size_t len,
                       const char *what, char **path, struct jeos_err *err)
{
    struct bufarg b = {buf, len};
    /* A buffer already in memory is stored even offline: nothing is downloaded. */
    struct jeos_ctx c = *ctx;
    c.offline = false;
    return cache_store(&c, sha256, len, what, fill_buffer, &b, path, err);
}

int cache_quarantine(const struct jeos_ctx *ctx, const char *path, const char *what,
                     const char *why)
{
    char *dir = xasprintf("%s/quarantine", ctx->cache_dir);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char *to = xasprintf("%s/%s.%lld.%d", dir, base, (long long)time(NULL), (int)getpid());
    struct jeos_err e = {0};
    int rc = jeos_mkdir_p(dir, 0755, &e);
    if (rc == 0 && rename(path, to) != 0)
        rc = -errno;
    if (rc == 0)
        fprintf(stderr, "jeos: cache: %s (%s): %s: moved aside to %s\n", path, what, why, to);
    else
        fprintf(stderr, "jeos: cache: %s (%s): %s: removed (%s)\n", path, what, why,
                jeos_remove_tree(path) == 0 ? "could not move it aside" : "could not remove it");
    jeos_err_free(&e);
    free(dir), free(to);
    return rc;
}

/* Marks an object used now (its access time), for cache prune's least-recently-used order. */
static void touch_used(const char *path)
{
    struct timespec ts[2] = {{.tv_nsec = UTIME_NOW}, {.tv_nsec = UTIME_OMIT}};
    (void)utimensat(AT_FDCWD, path, ts, 0);
}

/* A buffer for `size` bytes and a NUL: huge pages where the kernel allows them, so a 50 MB
   index costs a few dozen page faults instead of twelve thousand. */
static char *big_alloc(size_t size)
{
    size_t huge = (size_t)2 << 20, cap = (size + 1 + huge - 1) / huge * huge;
    char *buf = size >= huge ? aligned_alloc(huge, cap) : NULL;
    if (!buf)
        return xmalloc(size + 1);
    madvise(buf, cap, MADV_HUGEPAGE);
    return buf;
}

/* Reads `path` whole, hashing as it reads. Returns 0, -ENOENT when it is not there, or another
   negative errno with a message. */
static int read_hashed(const char *path, char **data, size_t *len, char hex[65],
                       struct jeos_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT
                   ? -ENOENT
                   : jeos_errf(err, -errno, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return jeos_errf(err, -EINVAL, "%s: not a regular file", path);
    }
    size_t size = (size_t)st.st_size, got = 0;
    char *buf = big_alloc(size);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    int rc = 0;
    while (got < size) {
        size_t want = size - got < (4u << 20) ? size - got : (4u << 20);
        ssize_t r = read(fd, buf + got, want);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rc = jeos_errf(err, r < 0 ? -errno : -EIO, "%s: read: %s", path,
                           r < 0 ? strerror(errno) : "file shrank while reading");
            break;
        }
        EVP_DigestUpdate(md, buf + got, (size_t)r);
        got += (size_t)r;
    }
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_DigestFinal_ex(md, d, &n);
    EVP_MD_CTX_free(md);
    close(fd);
    if (rc) {
        free(buf);
        return rc;
    }
    to_hex(d, n, hex);
    buf[size] = '\0';
    *data = buf;
    *len = size;
    return 0;
}

int cache_load(const struct jeos_ctx *ctx, const char *sha256, uint64_t size, const char *what,
               cache_fill_fn fill, void *arg, char **data, size_t *len, struct jeos_err *err)
{
    *data = NULL;
    *len = 0;
    if (!cache_valid_sha256(sha256))
        return jeos_errf(err, -EINVAL, "%s: bad sha256 \"%s\" (expected 64 hex digits)", what,
                         sha256);
    char *path = cache_object_path(ctx, sha256), hex[65];
    int rc = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        rc = read_hashed(path, data, len, hex, err);
        if (rc == 0 && strcmp(hex, sha256) == 0 && (!size || *len == size)) {
            touch_used(path);
            break;
        }
        if (rc == 0) { /* the bytes are not what their name says */
            char *why = xasprintf("its sha256 is %s, not %s", hex, sha256);
            free(*data);
            *data = NULL;
            cache_quarantine(ctx, path, what, why);
            free(why);
            rc = -ENOENT;
        }
        if (rc != -ENOENT || attempt == 1)
            break;
        if (!fill) /* the caller makes it another way */
            break;
        if ((rc = cache_store(ctx, sha256, size, what, fill, arg, NULL, err)) < 0)
            break;
    }
    if (rc < 0) {
        free(*data);
        *data = NULL;
        *len = 0;
    }
    free(path);
    return rc;
}

int cache_verified_path(const struct jeos_ctx *ctx, const char *sha256, uint64_t size,
                        const char *what, cache_fill_fn fill, void *arg, char **path,
                        struct jeos_err *err)
{
    char *p = NULL;
    int rc = cache_store(ctx, sha256, size, what, fill, arg, &p, err);
    for (int attempt = 0; rc == 0 && attempt < 2; attempt++) {
        char hex[65];
        uint64_t got = 0;
        if ((rc = cache_sha256_file(p, hex, &got, err)) < 0)
            break;
        if (strcmp(hex, sha256) == 0 && (!size || got == size)) {
            touch_used(p);
            *path = p;
            return 0;
        }
        char *why = xasprintf("its sha256 is %s, not %s", hex, sha256);
        cache_quarantine(ctx, p, what, why);
        free(why);
        free(p);
        p = NULL;
        rc = attempt == 0 ? cache_store(ctx, sha256, size, what, fill, arg, &p, err)
                          : jeos_errf(err, -EBADMSG, "%s: the cache keeps giving bad bytes", what);
    }
    free(p);
    return rc;
}

/* The sealed listing of `dir` (relative paths under `rel`), into `out`: sorted by the walk.
   Without `hash`, a file's sha256 is written as "-" (the listing checks names and sizes). */
static int tree_list(const char *dir, const char *rel, bool hash, struct sbuf *out,
                     struct jeos_err *err)
{
    char *path = *rel ? xasprintf("%s/%s", dir, rel) : xstrdup(dir);
    struct dirent **ents = NULL;
    int n = scandir(path, &ents, NULL, alphasort), rc = 0;
    if (n < 0)
        rc = jeos_errf(err, -errno, "%s: %s", path, strerror(errno));
    for (int i = 0; i < n; i++) {
        const char *name = ents[i]->d_name;
        if (rc || !strcmp(name, ".") || !strcmp(name, "..") ||
            (!*rel && !strcmp(name, ".jeos-sums"))) {
            free(ents[i]);
            continue;
        }
        char *sub = *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
        char *full = xasprintf("%s/%s", dir, sub);
        struct stat st;
        if (lstat(full, &st) != 0) {
            rc = jeos_errf(err, -errno, "%s: %s", full, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            rc = tree_list(dir, sub, hash, out, err);
        } else if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t l = readlink(full, target, sizeof(target) - 1);
            target[l > 0 ? l : 0] = 0;
            sbuf_printf(out, "L %s %s\n", target, sub);
        } else if (S_ISREG(st.st_mode) && !hash) {
            sbuf_printf(out, "F - %llu %s\n", (unsigned long long)st.st_size, sub);
        } else if (S_ISREG(st.st_mode)) {
            char hex[65];
            uint64_t size = 0;
            if ((rc = cache_sha256_file(full, hex, &size, err)) == 0)
                sbuf_printf(out, "F %s %llu %s\n", hex, (unsigned long long)size, sub);
        } else {
            sbuf_printf(out, "? %o %s\n", (unsigned)st.st_mode, sub);
        }
        free(sub), free(full), free(ents[i]);
    }
    free(ents);
    free(path);
    return rc;
}

int cache_tree_seal(const char *dir, struct jeos_err *err)
{
    struct sbuf b = {0};
    int rc = tree_list(dir, "", true, &b, err);
    if (rc == 0) {
        char *p = xasprintf("%s/.jeos-sums", dir);
        rc = jeos_write_file_atomic(p, b.s ? b.s : "", b.len, 0444, err);
        free(p);
    }
    sbuf_free(&b);
    return rc;
}

/* The seal of `dir`, or NULL (with *why) when there is none. */
static char *read_seal(const char *dir, char **why)
{
    char *p = xasprintf("%s/.jeos-sums", dir), *text = NULL;
    size_t len = 0;
    struct jeos_err e = {0};
    if (jeos_read_file(p, &text, &len, &e) < 0)
        *why = xstrdup("not sealed (no .jeos-sums)");
    jeos_err_free(&e);
    free(p);
    return text;
}

int cache_tree_check(const char *dir, char **why, struct jeos_err *err)
{
    *why = NULL;
    char *want = read_seal(dir, why);
    if (!want)
        return -EBADMSG;
    /* the seal without its hashes: what a listing by names and sizes gives */
    struct sbuf plain = {0}, got = {0};
    for (char *l = want; *l;) {
        size_t n = strcspn(l, "\n");
        if (l[0] == 'F' && l[1] == ' ' && n > 67)
            sbuf_printf(&plain, "F -%.*s\n", (int)(n - 66), l + 66);
        else
            sbuf_printf(&plain, "%.*s\n", (int)n, l);
        l += n + (l[n] == '\n');
    }
    int rc = tree_list(dir, "", false, &got, err);
    const char *w = plain.s ? plain.s : "", *g = got.s ? got.s : "";
    if (rc == 0 && strcmp(g, w) != 0) {
        /* the first line that differs names what changed (the seal's, or an added one) */
        size_t i = 0;
        while (w[i] && w[i] == g[i])
            i++;
        while (i > 0 && w[i - 1] != '\n')
            i--;
        const char *a = w[i] ? w + i : g + i;
        size_t l = strcspn(a, "\n");
        *why = xasprintf("differs from its seal at \"%.*s\"", (int)(l > 200 ? 200 : l), a);
        rc = -EBADMSG;
    }
    if (rc == 0) {
        char *sums = xasprintf("%s/.jeos-sums", dir);
        touch_used(sums); /* the folder's last use, for cache prune */
        free(sums);
    }
    sbuf_free(&plain), sbuf_free(&got);
    free(want);
    return rc;
}

int cache_tree_file(const char *dir, const char *rel, char **why, struct jeos_err *err)
{
    *why = NULL;
    char *seal = read_seal(dir, why);
    if (!seal)
        return -EBADMSG;
    /* its line: "F SHA256 SIZE REL" */
    char *line = NULL;
    size_t rl = strlen(rel);
    for (char *l = seal; *l && !line;) {
        size_t n = strcspn(l, "\n");
        const char *sp = n > 67 && l[0] == 'F' ? memchr(l + 67, ' ', n - 67) : NULL;
        if (sp && (size_t)(l + n - sp - 1) == rl && memcmp(sp + 1, rel, rl) == 0)
            line = l;
        l += n + (l[n] == '\n');
    }
    int rc = 0;
    if (!line) {
        *why = xasprintf("%s is not in its seal", rel);
        rc = -EBADMSG;
    } else {
        char *path = xasprintf("%s/%s", dir, rel), hex[65];
        uint64_t size = 0;
        rc = cache_sha256_file(path, hex, &size, err);
        if (rc == 0 && (memcmp(hex, line + 2, 64) != 0 || size != strtoull(line + 67, NULL, 10))) {
            *why = xasprintf("%s: its sha256 is %s, not the sealed %.64s", rel, hex, line + 2);
            rc = -EBADMSG;
        }
        free(path);
    }
    free(seal);
    return rc;
}

const char *const cache_kind_names[CACHE_NKINDS] = {"packages (.deb)",   "package indexes",
                                                    "extracted kernels", "Release files",
                                                    "quarantine",        "other"};

/* One entry the cache could remove: a file under sha256/ or a folder under kernel/. */
struct entry {
    char *path;
    char sha[65];
    uint64_t bytes;
    time_t used;
    enum cache_kind kind;
};

static uint64_t disk_bytes(const char *path, time_t *newest_use)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return 0;
    uint64_t n = (uint64_t)st.st_blocks * 512;
    if (newest_use && st.st_atime > *newest_use)
        *newest_use = st.st_atime;
    if (!S_ISDIR(st.st_mode))
        return n;
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *p = xasprintf("%s/%s", path, e->d_name);
        n += disk_bytes(p, NULL);
        free(p);
    }
    if (d)
        closedir(d);
    return n;
}

/* What a cached object holds, from its first bytes. */
static enum cache_kind object_kind(const char *path)
{
    unsigned char m[8] = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, m, sizeof(m)) : 0;
    if (fd >= 0)
        close(fd);
    if (n >= 8 && memcmp(m, "!<arch>\n", 8) == 0)
        return CACHE_DEB;
    return CACHE_INDEX; /* Packages, plain or compressed: what else is stored by hash */
}

/* Every removable entry: sha256/xx/HASH and kernel/HASH. */
static void list_entries(const struct jeos_ctx *ctx, struct entry **v, size_t *n)
{
    char *objs = xasprintf("%s/sha256", ctx->cache_dir);
    DIR *top = opendir(objs);
    struct dirent *e;
    while (top && (e = readdir(top))) {
        if (strlen(e->d_name) != 2)
            continue;
        char *sub = xasprintf("%s/%s", objs, e->d_name);
        DIR *d = opendir(sub);
        struct dirent *f;
        while (d && (f = readdir(d))) {
            if (!cache_valid_sha256(f->d_name))
                continue;
            struct entry x = {.path = xasprintf("%s/%s", sub, f->d_name)};
            memcpy(x.sha, f->d_name, 65);
            x.bytes = disk_bytes(x.path, &x.used);
            x.kind = object_kind(x.path);
            *v = xrealloc(*v, (*n + 1) * sizeof(**v));
            (*v)[(*n)++] = x;
        }
        if (d)
            closedir(d);
        free(sub);
    }
    if (top)
        closedir(top);
    free(objs);
    char *kdir = xasprintf("%s/kernel", ctx->cache_dir);
    DIR *k = opendir(kdir);
    while (k && (e = readdir(k))) {
        if (!cache_valid_sha256(e->d_name))
            continue;
        struct entry x = {.path = xasprintf("%s/%s", kdir, e->d_name), .kind = CACHE_KERNEL};
        memcpy(x.sha, e->d_name, 65);
        x.bytes = disk_bytes(x.path, NULL);
        char *sums = xasprintf("%s/.jeos-sums", x.path);
        struct stat st;
        x.used = stat(sums, &st) == 0 ? st.st_atime : 0;
        free(sums);
        *v = xrealloc(*v, (*n + 1) * sizeof(**v));
        (*v)[(*n)++] = x;
    }
    if (k)
        closedir(k);
    free(kdir);
}

int cache_usage(const struct jeos_ctx *ctx, struct cache_usage *u, struct jeos_err *err)
{
    (void)err;
    memset(u, 0, sizeof(*u));
    struct entry *v = NULL;
    size_t n = 0;
    list_entries(ctx, &v, &n);
    for (size_t i = 0; i < n; i++) {
        u->bytes[v[i].kind] += v[i].bytes;
        u->count[v[i].kind]++;
        free(v[i].path);
    }
    free(v);
    DIR *d = opendir(ctx->cache_dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "sha256") || !strcmp(e->d_name, "kernel") ||
            !strcmp(e->d_name, "locks"))
            continue;
        char *p = xasprintf("%s/%s", ctx->cache_dir, e->d_name);
        enum cache_kind k = !strcmp(e->d_name, "dists")        ? CACHE_RELEASE
                            : !strcmp(e->d_name, "quarantine") ? CACHE_QUARANTINE
                                                               : CACHE_OTHER;
        u->bytes[k] += disk_bytes(p, NULL);
        u->count[k]++;
        free(p);
    }
    if (d)
        closedir(d);
    return 0;
}

static int by_use(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    return x->used < y->used ? -1 : x->used > y->used ? 1 : strcmp(x->path, y->path);
}

/* Temporary files of stopped downloads: OBJECT.tmp.XXXXXX whose object's lock is free. */
static void remove_stopped_downloads(const struct jeos_ctx *ctx, uint64_t *freed)
{
    char *objs = xasprintf("%s/sha256", ctx->cache_dir);
    DIR *top = opendir(objs);
    struct dirent *e;
    while (top && (e = readdir(top))) {
        if (strlen(e->d_name) != 2)
            continue;
        char *sub = xasprintf("%s/%s", objs, e->d_name);
        DIR *d = opendir(sub);
        struct dirent *f;
        while (d && (f = readdir(d))) {
            const char *t = strstr(f->d_name, ".tmp.");
            if (!t || t - f->d_name != 64)
                continue;
            char *lock = xasprintf("%s/locks/%.64s", ctx->cache_dir, f->d_name);
            int fd = open(lock, O_RDWR | O_CLOEXEC);
            if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) == 0) {
                char *p = xasprintf("%s/%s", sub, f->d_name);
                *freed += disk_bytes(p, NULL);
                unlink(p);
                free(p);
            }
            if (fd >= 0)
                close(fd);
            free(lock);
        }
        if (d)
            closedir(d);
        free(sub);
    }
    if (top)
        closedir(top);
    free(objs);
}

int cache_prune(const struct jeos_ctx *ctx, uint64_t max_bytes, char *const *keep, size_t nkeep,
                uint64_t *freed, uint64_t *removed, struct jeos_err *err)
{
    *freed = *removed = 0;
    char *q = xasprintf("%s/quarantine", ctx->cache_dir);
    uint64_t qb = disk_bytes(q, NULL);
    if (qb && jeos_remove_tree(q) == 0) {
        *freed += qb;
        (*removed)++;
    }
    free(q);
    remove_stopped_downloads(ctx, freed);
    struct cache_usage u;
    int rc = cache_usage(ctx, &u, err);
    if (rc)
        return rc;
    uint64_t total = 0;
    for (int k = 0; k < CACHE_NKINDS; k++)
        total += u.bytes[k];
    struct entry *v = NULL;
    size_t n = 0;
    list_entries(ctx, &v, &n);
    if (n) /* qsort of NULL is undefined, even for none */
        qsort(v, n, sizeof(*v), by_use);
    for (size_t i = 0; i < n; i++) {
        bool kept = false;
        for (size_t k = 0; k < nkeep && !kept; k++)
            kept = strcmp(keep[k], v[i].sha) == 0;
        if (!kept && (max_bytes == 0 || total > max_bytes) && jeos_remove_tree(v[i].path) == 0) {
            *freed += v[i].bytes;
            total -= v[i].bytes < total ? v[i].bytes : total;
            (*removed)++;
        }
        free(v[i].path);
    }
    free(v);
    return 0;
}
