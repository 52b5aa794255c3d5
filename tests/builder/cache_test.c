/* cache_test.c — the content-addressed cache: hits skip the fill, mismatches leave nothing, offline
 * misses say so. */
#include <errno.h>
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
#include "tests/harness.h"

static struct jeos_ctx ctx;
static int fills;

static int fill_hello(void *arg, int fd, struct jeos_err *err)
{
    (void)err;
    fills++;
    const char *s = arg;
    return jeos_write_all(fd, s, strlen(s));
}

/* sha256("hello\n") */
#define HELLO "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

static int count_files(const char *dir)
{
    char *cmd[] = {"find", (char *)dir, "-type", "f", NULL};
    struct sbuf out = {0};
    struct jeos_err e = {0};
    int n = 0;
    if (jeos_spawn(cmd, &out, &e) == 0 && out.s)
        for (char *p = out.s; *p; p++)
            n += *p == '\n';
    sbuf_free(&out);
    jeos_err_free(&e);
    return n;
}

static void test_store_and_hit(void)
{
    char hex[65];
    cache_sha256_hex("hello\n", 6, hex);
    T_EQ_STR(hex, HELLO);
    char *path = NULL;
    struct jeos_err e = {0};
    fills = 0;
    T_EQ_INT(cache_store(&ctx, HELLO, 6, "hello", fill_hello, "hello\n", &path, &e), 0);
    T_EQ_INT(fills, 1);
    char *want = xasprintf("%s/sha256/58/%s", ctx.cache_dir, HELLO);
    T_EQ_STR(path, want);
    free(path);
    path = NULL;
    T_EQ_INT(cache_store(&ctx, HELLO, 6, "hello", fill_hello, "hello\n", &path, &e), 0);
    T_EQ_INT(fills, 1); /* a hit does not fill again */
    T_EQ_STR(path, want);
    ctx.offline = true;
    T_EQ_INT(cache_store(&ctx, HELLO, 6, "hello", fill_hello, "hello\n", NULL, &e), 0);
    ctx.offline = false;
    free(path);
    free(want);
    jeos_err_free(&e);
}

static void test_mismatch_leaves_nothing(void)
{
    struct jeos_err e = {0};
    const char *other = "0000000000000000000000000000000000000000000000000000000000000000";
    int before = count_files(ctx.cache_dir);
    T_EQ_INT(cache_store(&ctx, other, 6, "pool/x.deb", fill_hello, "hello\n", NULL, &e), -EBADMSG);
    T_CHECK(e.n == 1 &&
            strcmp(e.msgs[0],
                   "pool/x.deb: sha256 mismatch (expected 0000000000000000"
                   "000000000000000000000000000000000000000000000000, got " HELLO ")") == 0);
    jeos_err_free(&e);
    T_EQ_INT(cache_store(&ctx, other, 7, "pool/x.deb", fill_hello, "hello\n", NULL, &e), -EBADMSG);
    T_CHECK(e.n == 1 && strstr(e.msgs[0], "7 bytes; got " HELLO ", 6 bytes)") != NULL);
    jeos_err_free(&e);
    /* Only the lock file may be new. */
    T_EQ_INT(count_files(ctx.cache_dir), before + 1);
    char *obj = xasprintf("%s/sha256/00/%s", ctx.cache_dir, other);
    T_CHECK(access(obj, F_OK) != 0);
    free(obj);
}

static void test_offline_miss_and_bad_hash(void)
{
    struct jeos_err e = {0};
    const char *missing = "1111111111111111111111111111111111111111111111111111111111111111";
    ctx.offline = true;
    fills = 0;
    T_EQ_INT(cache_store(&ctx, missing, 0, "pool/y.deb", fill_hello, "x", NULL, &e), -ENOENT);
    T_EQ_INT(fills, 0);
    T_CHECK(e.n == 1 && strcmp(e.msgs[0], "pool/y.deb: not in the cache (sha256 1111111111111111111"
                                          "111111111111111111111111111111111111111111111) and "
                                          "--offline is set") == 0);
    ctx.offline = false;
    jeos_err_free(&e);
    T_CHECK(cache_store(&ctx, "../../etc/passwd", 0, "evil", fill_hello, "x", NULL, &e) < 0);
    T_CHECK(!cache_valid_sha256("ABCDEF") && cache_valid_sha256(HELLO));
    jeos_err_free(&e);
}

int main(void)
{
    struct jeos_err e = {0};
    char dir[] = "/tmp/jeos-cache-test-XXXXXX";
    if (!mkdtemp(dir) || jeos_ctx_init(&ctx, &e) < 0) {
        printf("FAIL cache_test: setup\n");
        return 1;
    }
    free(ctx.cache_dir);
    ctx.cache_dir = xstrdup(dir);
    T_RUN(test_store_and_hit);
    T_RUN(test_mismatch_leaves_nothing);
    T_RUN(test_offline_miss_and_bad_hash);
    char *rm[] = {"rm", "-rf", dir, NULL};
    jeos_spawn(rm, NULL, &e);
    jeos_err_free(&e);
    jeos_ctx_free(&ctx);
    return T_DONE();
}
