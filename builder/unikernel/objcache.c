/* objcache.c — compiled objects cached by source, headers, arguments and compiler (objcache.h). */
#include "builder/unikernel/objcache.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "builder/core/alloc.h"
#include "builder/core/cache.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/spawn.h"
#include "builder/core/util.h"

#define ENTRY_MAGIC  "jeos-objcache 1 "
#define MEMO_BUCKETS 256

/* A file's sha256, hashed once per build. */
struct memo {
    char *path;
    char hex[65];
    bool ok;            /* it could be read */
    bool dated;         /* it names __DATE__, __TIME__ or __TIMESTAMP__ */
    struct timespec at; /* when it was read (coarse realtime): a later change is not in hex */
    struct memo *next;
};

struct uk_objcache {
    const struct jeos_ctx *ctx;
    char *dir;   /* CACHE/objects */
    char id[65]; /* the compiler's identity and the variables it reads */
    struct memo *memo[MEMO_BUCKETS];
    size_t hits, compiled;
};

static const char *const cc_vars[] = {
    "CPATH",         "C_INCLUDE_PATH",    "GCC_EXEC_PREFIX",
    "COMPILER_PATH", "SOURCE_DATE_EPOCH", "GCC_COMPARE_DEBUG",
    "LC_ALL",        "LC_MESSAGES",       "LANG",
};

/* "PATH SIZE MTIME\n" of a program (its link followed), for the identity. */
static bool stat_line(struct sbuf *b, const char *prog)
{
    char *path = jeos_find_exe(prog);
    struct stat st;
    bool ok = path && stat(path, &st) == 0;
    if (ok)
        sbuf_printf(b, "%s %lld %lld.%09ld\n", path, (long long)st.st_size,
                    (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    free(path);
    return ok;
}

/* `cc ARG`'s output (its first line when `line`), or NULL. */
static char *cc_says(const char *cc, const char *arg, bool line)
{
    char *argv[] = {(char *)cc, (char *)arg, NULL};
    struct sbuf out = {0};
    struct jeos_err quiet = {0};
    int rc = jeos_spawn(argv, &out, &quiet);
    jeos_err_free(&quiet);
    if (rc < 0 || !out.s) {
        sbuf_free(&out);
        return NULL;
    }
    if (line)
        out.s[strcspn(out.s, "\n")] = '\0';
    return sbuf_take(&out);
}

/* The compiler's identity: gcc's --version and the files of gcc, cc1 and as. */
static bool identity(const char *cc, char hex[65])
{
    struct sbuf b = {0};
    char *version = cc_says(cc, "--version", false);
    char *cc1 = cc_says(cc, "-print-prog-name=cc1", true);
    char *as = cc_says(cc, "-print-prog-name=as", true);
    bool ok = version && cc1 && as && stat_line(&b, cc) && stat_line(&b, cc1) && stat_line(&b, as);
    if (ok) {
        sbuf_puts(&b, version);
        for (size_t i = 0; i < sizeof(cc_vars) / sizeof(cc_vars[0]); i++) {
            const char *v = getenv(cc_vars[i]);
            sbuf_printf(&b, "%s%c%s%c", cc_vars[i], v ? '=' : '-', v ? v : "", 0);
        }
        cache_sha256_hex(b.s, b.len, hex);
    }
    free(version), free(cc1), free(as);
    sbuf_free(&b);
    return ok;
}

void uk_objcache_open(const struct jeos_ctx *ctx, const char *cc, struct uk_objcache **oc)
{
    *oc = NULL;
    const char *e = getenv("JEOS_OBJCACHE");
    if (e && !strcmp(e, "off"))
        return;
    struct uk_objcache *c = xcalloc(1, sizeof(*c));
    c->ctx = ctx;
    c->dir = xasprintf("%s/objects", ctx->cache_dir);
    if (!identity(cc, c->id)) {
        jeos_log(ctx, JEOS_LOG_INFO, "%s: the compiler's identity is unknown: objects not cached",
                 cc);
        uk_objcache_free(c);
        return;
    }
    *oc = c;
}

void uk_objcache_free(struct uk_objcache *oc)
{
    if (!oc)
        return;
    for (size_t i = 0; i < MEMO_BUCKETS; i++)
        for (struct memo *m = oc->memo[i], *next; m; m = next) {
            next = m->next;
            free(m->path);
            free(m);
        }
    free(oc->dir);
    free(oc);
}

void uk_objkey_free(struct uk_objkey *k)
{
    free(k->entry), free(k->cwd);
    k->entry = k->cwd = NULL;
}

/* The file at `path` (absolute), hashed once per build. */
static const struct memo *file_hash(struct uk_objcache *oc, const char *path)
{
    uint32_t h = 2166136261u;
    for (const char *p = path; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    struct memo **slot = &oc->memo[h % MEMO_BUCKETS];
    for (struct memo *m = *slot; m; m = m->next)
        if (!strcmp(m->path, path))
            return m;
    struct memo *m = xcalloc(1, sizeof(*m));
    m->path = xstrdup(path);
    clock_gettime(CLOCK_REALTIME_COARSE, &m->at);
    char *data = NULL;
    size_t len = 0;
    struct jeos_err quiet = {0};
    if (jeos_read_file(path, &data, &len, &quiet) == 0) {
        m->ok = true;
        cache_sha256_hex(data, len, m->hex);
        m->dated = memmem(data, len, "__DATE__", 8) || memmem(data, len, "__TIME__", 8) ||
                   memmem(data, len, "__TIMESTAMP__", 13);
    }
    jeos_err_free(&quiet);
    free(data);
    m->next = *slot;
    *slot = m;
    return m;
}

static char *absolute(const char *cwd, const char *path)
{
    return path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", cwd, path);
}

/* word with each `from` replaced by `to` (caller frees). */
static char *replaced(const char *word, const char *from, const char *to)
{
    struct sbuf b = {0};
    size_t n = strlen(from);
    for (const char *p = word, *q; *p; p = q + n) {
        if (!n || !(q = strstr(p, from))) {
            sbuf_puts(&b, p);
            break;
        }
        sbuf_add(&b, p, (size_t)(q - p));
        sbuf_puts(&b, to);
    }
    return b.s ? sbuf_take(&b) : xstrdup("");
}

static void feed(EVP_MD_CTX *md, const char *s)
{
    EVP_DigestUpdate(md, s, strlen(s) + 1);
}

bool uk_objcache_lookup(struct uk_objcache *oc, char *const *argv, const char *cwd, const char *src,
                        const char *obj, const char *tmpdir, struct sbuf *warnings,
                        struct uk_objkey *k)
{
    *k = (struct uk_objkey){0};
    clock_gettime(CLOCK_REALTIME_COARSE, &k->start); /* before anything is read */
    char *srcpath = absolute(cwd, src);
    const struct memo *s = file_hash(oc, srcpath);
    free(srcpath);
    if (!s->ok)
        return false;                    /* the compiler will say why */
    for (char *const *a = argv; *a; a++) /* options naming files gcc reads that -MD does not list */
        if (**a == '@' || !strncmp(*a, "-specs", 6) || !strncmp(*a, "-fplugin", 8))
            return false;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    feed(md, "jeos object key 2");
    feed(md, oc->id);
    /* the recipe's folder (where gcc runs) and the temporary folder do not reach the object
       (-ffile-prefix-map): fixed words in the key, so that the same recipe elsewhere hits; the
       longer is replaced first, in case one holds the other */
    bool tmp_first = strlen(tmpdir) >= strlen(cwd);
    const char *first = tmp_first ? tmpdir : cwd, *second = tmp_first ? cwd : tmpdir;
    const char *w1 = tmp_first ? "@TMP@" : "@RECIPE@", *w2 = tmp_first ? "@RECIPE@" : "@TMP@";
    for (char *const *a = argv; *a; a++) {
        if (!strcmp(*a, obj)) {
            feed(md, "@OBJ@");
            continue;
        }
        char *t = replaced(*a, first, w1), *w = replaced(t, second, w2);
        feed(md, w);
        free(t);
        free(w);
    }
    feed(md, "source");
    feed(md, s->hex);
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_DigestFinal_ex(md, d, &n);
    EVP_MD_CTX_free(md);
    char key[65];
    cache_sha256_hex(d, n, key); /* the digest's digest: 64 hex digits either way */
    k->entry = xasprintf("%s/%.2s/%s", oc->dir, key, key);
    k->cwd = xstrdup(cwd);

    char *data = NULL;
    size_t len = 0;
    struct jeos_err quiet = {0};
    bool hit = jeos_read_file(k->entry, &data, &len, &quiet) == 0;
    jeos_err_free(&quiet);
    const char *why = NULL; /* a corrupt entry */
    size_t magic = strlen(ENTRY_MAGIC), nw = 0, no = 0;
    char *body = NULL, *p = NULL;
    if (hit) {
        char sum[65];
        body = len > magic + 65 ? data + magic + 65 : NULL;
        if (!body || memcmp(data, ENTRY_MAGIC, magic) || data[magic + 64] != '\n')
            why = "not an object cache entry";
        else if (cache_sha256_hex(body, len - (size_t)(body - data), sum),
                 memcmp(sum, data + magic, 64))
            why = "its checksum does not match (corrupt or truncated)";
        p = body;
    }
    /* "dep SHA256 PATH\n"..., "warnings N\nobject N\n", then the bytes */
    while (hit && !why && !strncmp(p, "dep ", 4)) {
        char *nl = strchr(p, '\n');
        if (!nl || nl - p < 70) {
            why = "a bad dep line";
            break;
        }
        *nl = '\0';
        char *path = absolute(cwd, p + 69);
        const struct memo *m = file_hash(oc, path);
        if (!m->ok || memcmp(m->hex, p + 4, 64)) {
            jeos_log(oc->ctx, JEOS_LOG_DEBUG, "object cache: %s: %s changed", src, path);
            hit = false;
        } else if (m->dated && !oc->ctx->have_epoch) {
            hit = false;
        }
        free(path);
        p = nl + 1;
    }
    if (hit && !why) {
        char *q = p;
        if (!strncmp(p, "warnings ", 9))
            nw = strtoull(p + 9, &q, 10);
        if (*q == '\n' && !strncmp(q + 1, "object ", 7))
            no = strtoull(q + 8, &q, 10);
        size_t at = (size_t)(q + 1 - data);
        if (*q != '\n' || nw > len - at || no != len - at - nw)
            why = "its sizes do not match";
        p = q + 1;
    }
    if (why) {
        cache_quarantine(oc->ctx, k->entry, src, why);
        hit = false;
    }
    if (hit) {
        struct jeos_err e = {0};
        hit = jeos_write_file_atomic(obj, p + nw, no, 0644, &e) == 0;
        if (!hit)
            jeos_log(oc->ctx, JEOS_LOG_INFO, "object cache: %s", e.n ? e.msgs[0] : "?");
        jeos_err_free(&e);
    }
    if (hit) {
        sbuf_add(warnings, p, nw);
        oc->hits++;
        uk_objkey_free(k);
    }
    free(data);
    return hit;
}

/* The files of a gcc -MD depfile ("OBJ: SRC HDR \\\n HDR..."), unescaped. */
static size_t depfile_paths(char *s, char ***out)
{
    char **v = NULL;
    size_t n = 0;
    char *p = s;
    while (*p && !(*p == ':' && (p[1] == ' ' || p[1] == '\n' || p[1] == '\0')))
        p++;
    if (*p)
        p++;
    struct sbuf w = {0};
    for (;; p++) {
        if (*p == '\\' && p[1] == '\n') {
            p++;
            continue;
        }
        bool end = *p == '\0' || *p == '\n';
        if (end || *p == ' ' || *p == '\t') {
            if (w.len) {
                strv_add(&v, &n, w.s);
                sbuf_free(&w);
                w = (struct sbuf){0};
            }
            if (end)
                break;
            continue;
        }
        if (*p == '\\' && (p[1] == ' ' || p[1] == '#' || p[1] == '\\'))
            p++;
        else if (*p == '$' && p[1] == '$')
            p++;
        sbuf_add(&w, p, 1);
    }
    sbuf_free(&w);
    *out = v;
    return n;
}

static bool newer(const struct timespec *t, const struct timespec *start)
{
    return t->tv_sec > start->tv_sec ||
           (t->tv_sec == start->tv_sec && t->tv_nsec >= start->tv_nsec);
}

/* The entry's body for the files a compile read, or NULL when it must not be stored. */
static char *entry_deps(struct uk_objcache *oc, const struct uk_objkey *k, const char *depfile)
{
    char *dep = NULL, **paths = NULL;
    size_t len = 0, n = 0;
    struct jeos_err quiet = {0};
    if (jeos_read_file(depfile, &dep, &len, &quiet) == 0)
        n = depfile_paths(dep, &paths);
    jeos_err_free(&quiet);
    free(dep);
    struct sbuf b = {0};
    const char *why = n ? NULL : "no dependency list";
    for (size_t i = 0; i < n && !why; i++) {
        struct stat st;
        const struct memo *m = NULL;
        char *path = absolute(k->cwd, paths[i]); /* as the compiler, in cwd, opened it */
        free(paths[i]);
        paths[i] = path;
        if (strchr(paths[i], '\n'))
            why = "a file name with a newline";
        else if (!(m = file_hash(oc, paths[i]))->ok || stat(paths[i], &st) < 0)
            why = "a file it read cannot be read";
        else if (newer(&st.st_mtim, &k->start) || newer(&st.st_ctim, &k->start) ||
                 newer(&st.st_mtim, &m->at) || newer(&st.st_ctim, &m->at))
            why = "a file it read changed after the compile or its hash began";
        else if (m->dated && !oc->ctx->have_epoch)
            why = "__DATE__ or __TIME__ without SOURCE_DATE_EPOCH";
        size_t cl = strlen(k->cwd); /* below the recipe's folder: relative to it (see the key) */
        const char *shown =
            !strncmp(paths[i], k->cwd, cl) && paths[i][cl] == '/' ? paths[i] + cl + 1 : paths[i];
        if (!why)
            sbuf_printf(&b, "dep %s %s\n", m->hex, shown);
        if (why)
            jeos_log(oc->ctx, JEOS_LOG_DEBUG, "object cache: not stored: %s: %s", why, paths[i]);
    }
    strv_free(paths, n);
    if (why) {
        sbuf_free(&b);
        return NULL;
    }
    return sbuf_take(&b);
}

void uk_objcache_store(struct uk_objcache *oc, const struct uk_objkey *k, const char *depfile,
                       const char *obj, const struct sbuf *warnings)
{
    oc->compiled++;
    if (!k->entry)
        return;
    char *deps = entry_deps(oc, k, depfile);
    if (!deps)
        return;
    char *o = NULL;
    size_t olen = 0;
    struct jeos_err e = {0};
    struct jeos_outfile f = {.fd = -1};
    int rc = jeos_read_file(obj, &o, &olen, &e);
    if (rc == 0) {
        struct sbuf body = {0};
        sbuf_puts(&body, deps);
        sbuf_printf(&body, "warnings %zu\nobject %zu\n", warnings->len, olen);
        sbuf_add(&body, warnings->s ? warnings->s : "", warnings->len);
        sbuf_add(&body, o, olen);
        char sum[65];
        cache_sha256_hex(body.s, body.len, sum);
        char *dir = xstrndup(k->entry, (size_t)(strrchr(k->entry, '/') - k->entry));
        char *head = xasprintf(ENTRY_MAGIC "%s\n", sum);
        if ((rc = jeos_mkdir_p(dir, 0755, &e)) == 0 &&
            (rc = jeos_outfile_open(&f, k->entry, 0644, &e)) == 0) {
            rc = jeos_write_all(f.fd, head, strlen(head));
            if (rc == 0)
                rc = jeos_write_all(f.fd, body.s, body.len);
            if (rc < 0)
                jeos_errf(&e, rc, "%s: write: %s", f.tmp, strerror(-rc));
            else
                rc = jeos_outfile_commit(&f, &e);
        }
        jeos_outfile_abort(&f);
        free(dir), free(head);
        sbuf_free(&body);
    }
    if (rc < 0)
        jeos_log(oc->ctx, JEOS_LOG_INFO, "object cache: not stored: %s", e.n ? e.msgs[0] : "?");
    jeos_err_free(&e);
    free(o);
    free(deps);
}

void uk_objcache_counts(const struct uk_objcache *oc, size_t *hits, size_t *compiled)
{
    *hits = oc ? oc->hits : 0;
    *compiled = oc ? oc->compiled : 0;
}

int uk_objcache_clear(const struct jeos_ctx *ctx, struct jeos_err *err)
{
    char *dir = xasprintf("%s/objects", ctx->cache_dir);
    int rc = jeos_remove_tree(dir);
    if (rc < 0 && rc != -ENOENT)
        rc = jeos_errf(err, rc, "%s: cannot remove: %s", dir, strerror(-rc));
    else
        rc = 0;
    free(dir);
    return rc;
}
