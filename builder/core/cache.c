/* cache.c — content-addressed cache with flock and temporary + rename (see cache.h). */
#include "builder/core/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
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
