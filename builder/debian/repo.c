/* repo.c — signed Release files and verified Packages indexes, cached (see repo.h). */
#include "builder/debian/repo.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>

#include "builder/core/alloc.h"
#include "builder/core/cache.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/spawn.h"
#include "builder/core/util.h"

/* ---- Release ---- */

void repo_release_free(struct repo_release *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].path);
        free(r->v[i].sha256);
    }
    free(r->v);
    free(r->suite);
    free(r->codename);
    memset(r, 0, sizeof(*r));
}

const struct repo_release_entry *repo_release_find(const struct repo_release *r, const char *path)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].path, path) == 0)
            return &r->v[i];
    return NULL;
}

int repo_release_parse(char *text, size_t len, const char *what, struct repo_release *out,
                       struct jeos_err *err)
{
    struct deb822_iter it;
    struct deb822_field f;
    int r;
    bool found = false;
    deb822_init(&it, text, len);
    while ((r = deb822_next(&it, &f)) >= 0) {
        if (r == 0)
            break; /* only the first stanza matters */
        if (deb822_is(&f, "Suite") || deb822_is(&f, "Codename")) {
            char **dst = deb822_is(&f, "Suite") ? &out->suite : &out->codename;
            free(*dst);
            *dst = xstrdup(f.val);
            continue;
        }
        if (deb822_is(&f, "Valid-Until")) {
            struct tm tm;
            memset(&tm, 0, sizeof(tm));
            const char *end = strptime(f.val, "%a, %d %b %Y %H:%M:%S", &tm);
            if (!end || (*end && strcmp(end, " UTC") != 0 && strcmp(end, " GMT") != 0 &&
                         strcmp(end, " +0000") != 0))
                return jeos_errf(err, -EINVAL,
                                 "%s:%zu: Valid-Until: not a date like \"Sat, 28 Nov 2026 20:13:56 "
                                 "UTC\" (got \"%s\")",
                                 what, f.line, f.val);
            out->valid_until = (int64_t)timegm(&tm);
            continue;
        }
        if (!deb822_is(&f, "SHA256"))
            continue;
        found = true;
        char *save = NULL;
        size_t line = f.line;
        for (char *l = strtok_r(f.val, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
            char hash[65], path[512];
            unsigned long long size;
            line++;
            if (sscanf(l, " %64s %llu %511s", hash, &size, path) != 3 || !cache_valid_sha256(hash))
                return jeos_errf(err, -EINVAL,
                                 "%s:%zu: SHA256: expected \"HASH SIZE PATH\" (got \"%s\")", what,
                                 line, l);
            out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
            out->v[out->n++] = (struct repo_release_entry){xstrdup(path), xstrdup(hash), size};
        }
    }
    if (r == -2)
        return jeos_errf(err, -EINVAL, "%s:%zu: not a \"Field: value\" line", what, it.line);
    if (!found)
        return jeos_errf(err, -EINVAL, "%s: no SHA256 field (jeos needs sha256 index hashes)",
                         what);
    return 0;
}

/* "http://deb.debian.org/debian" -> "http_deb.debian.org_debian" (a folder name). */
static char *uri_key(const char *uri)
{
    char *k = xstrdup(uri);
    for (char *p = k; *p; p++)
        if (*p == '/' || *p == ':')
            *p = '_';
    return k;
}

/* Downloads `uri` to `path` atomically. */
static int download(const char *uri, const char *path, struct jeos_err *err)
{
    struct jeos_outfile o;
    int rc = jeos_outfile_open(&o, path, 0644, err);
    if (rc < 0)
        return rc;
    if ((rc = repo_get(uri, o.fd, err)) < 0) {
        jeos_outfile_abort(&o);
        return rc;
    }
    return jeos_outfile_commit(&o, err);
}

/* gpgv --keyring K [--output -] FILE...; on failure one message naming `what`. */
static int verify(const char *keyring, const char *sig, const char *data, struct sbuf *out,
                  const char *what, struct jeos_err *err)
{
    struct jeos_err e = {0};
    char *argv[10];
    int n = 0;
    argv[n++] = "gpgv";
    argv[n++] = "--quiet";
    argv[n++] = "--keyring";
    argv[n++] = (char *)keyring;
    if (out) {
        argv[n++] = "--output";
        argv[n++] = "-";
    }
    argv[n++] = (char *)sig;
    if (data)
        argv[n++] = (char *)data;
    argv[n] = NULL;
    struct stat st;
    if (stat(keyring, &st) < 0)
        return jeos_errf(err, -ENOENT, "%s: cannot check the signature: keyring %s: %s", what,
                         keyring, strerror(errno));
    int rc = jeos_spawn(argv, out, &e);
    if (rc < 0) {
        /* Keep gpgv's own reason, which is its last line. */
        const char *m = e.n ? e.msgs[0] : "gpgv failed";
        const char *last = strrchr(m, '\n');
        rc = jeos_errf(err, -EBADMSG, "%s: bad signature (gpgv with keyring %s: %s)", what, keyring,
                       last ? last + 1 : m);
    }
    jeos_err_free(&e);
    return rc;
}

/*
 * Gets the verified Release text of one suite into *text (caller frees). Online,
 * InRelease (else Release + Release.gpg) is downloaded into CACHE/dists/...;
 * offline, the copy there is used. Either way the signature is checked, on every use: a
 * cached copy is trusted no more than a downloaded one.
 */
static int get_release(const struct jeos_ctx *ctx, const struct repo_source *src, const char *suite,
                       char **text, size_t *len, struct jeos_err *err)
{
    char *key = uri_key(src->uri);
    char *dir = xasprintf("%s/dists/%s/%s", ctx->cache_dir, key, suite);
    char *inrel = xasprintf("%s/InRelease", dir), *rel = xasprintf("%s/Release", dir);
    char *relgpg = xasprintf("%s/Release.gpg", dir);
    char *u_in = xasprintf("%s/dists/%s/InRelease", src->uri, suite);
    char *u_rel = xasprintf("%s/dists/%s/Release", src->uri, suite);
    char *u_gpg = xasprintf("%s/dists/%s/Release.gpg", src->uri, suite);
    bool have_in = false;
    int rc = 0;
    struct stat st;
    struct sbuf out = {0};

    if (!ctx->offline) {
        if ((rc = jeos_mkdir_p(dir, 0755, err)) < 0)
            goto done;
        struct jeos_err e = {0};
        rc = download(u_in, inrel, &e);
        if (rc == 0) {
            have_in = true;
        } else if (rc == -ENOENT) {
            unlink(inrel);
            jeos_err_free(&e);
            if ((rc = download(u_rel, rel, err)) < 0)
                goto done;
            rc = download(u_gpg, relgpg, &e);
            if (rc < 0 && !(rc == -ENOENT && ctx->allow_unauthenticated)) {
                jeos_err_move(err, &e);
                goto done;
            }
            if (rc < 0)
                unlink(relgpg);
            rc = 0;
        } else {
            jeos_err_move(err, &e);
            goto done;
        }
        jeos_err_free(&e);
    } else {
        have_in = stat(inrel, &st) == 0;
        if (!have_in && stat(rel, &st) != 0) {
            rc = jeos_errf(err, -ENOENT, "%s: not in the cache and --offline is set", u_in);
            goto done;
        }
    }

    if (ctx->allow_unauthenticated) {
        jeos_log(ctx, JEOS_LOG_QUIET,
                 "WARNING: --allow-unauthenticated: the signature of %s is NOT checked",
                 have_in ? u_in : u_rel);
        char *raw;
        size_t rlen;
        if ((rc = jeos_read_file(have_in ? inrel : rel, &raw, &rlen, err)) < 0)
            goto done;
        if (have_in) {
            *text = deb822_strip_clearsign(raw, rlen, len);
            free(raw);
            if (!*text)
                rc = jeos_errf(err, -EINVAL, "%s: not an OpenPGP cleartext-signed file", u_in);
        } else {
            *text = raw;
            *len = rlen;
        }
        goto done;
    }
    if (have_in) {
        if ((rc = verify(src->keyring, inrel, NULL, &out, u_in, err)) < 0)
            goto done;
        *len = out.len;
        if (!out.s)
            sbuf_puts(&out, "");
        *text = sbuf_take(&out);
    } else {
        if (stat(relgpg, &st) != 0) {
            rc = jeos_errf(err, -ENOENT,
                           "%s: no InRelease and no Release.gpg: cannot check the "
                           "signature (--allow-unauthenticated skips the check)",
                           u_rel);
            goto done;
        }
        if ((rc = verify(src->keyring, relgpg, rel, NULL, u_rel, err)) < 0)
            goto done;
        rc = jeos_read_file(rel, text, len, err);
    }
done:
    /* What failed its check does not stay in the cache looking verified. */
    if (rc < 0 && !ctx->offline) {
        unlink(inrel);
        unlink(rel);
        unlink(relgpg);
    }
    sbuf_free(&out);
    free(key);
    free(dir);
    free(inrel);
    free(rel);
    free(relgpg);
    free(u_in);
    free(u_rel);
    free(u_gpg);
    return rc;
}

/* ---- Packages indexes ---- */

/* Decompresses (xz, gz, or nothing) `in` with libarchive into a NUL-terminated buffer. */
static int decompress(const char *in, size_t inlen, const char *what, char **data, size_t *len,
                      struct jeos_err *err)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_raw(a);
    struct archive_entry *e;
    int rc = 0;
    if (archive_read_open_memory(a, in, inlen) != ARCHIVE_OK ||
        archive_read_next_header(a, &e) != ARCHIVE_OK) {
        rc = jeos_errf(err, -EINVAL, "%s: cannot decompress: %s", what, archive_error_string(a));
        archive_read_free(a);
        return rc;
    }
    size_t cap = 1 << 20, n = 0;
    char *buf = xmalloc(cap + 1);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = xrealloc(buf, cap + 1);
        }
        la_ssize_t r = archive_read_data(a, buf + n, cap - n);
        if (r < 0) {
            rc =
                jeos_errf(err, -EINVAL, "%s: cannot decompress: %s", what, archive_error_string(a));
            free(buf);
            archive_read_free(a);
            return rc;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    archive_read_free(a);
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

int repo_index_load(const struct jeos_ctx *ctx, const struct repo_source *src, const char *suite,
                    const struct repo_release *rel, const char *base, char **out, size_t *out_len,
                    struct jeos_err *err)
{
    const struct repo_release_entry *plain = repo_release_find(rel, base);
    int rc = 0;
    char *data = NULL, *packed = NULL, *uri = NULL;
    size_t len = 0, plen = 0;

    /* Warm path: the decompressed index is in the cache under the hash Release gives it, and
       its bytes are checked as they are read (a bad one is moved aside and made again below). */
    if (plain) {
        char *what = xasprintf("%s/dists/%s/%s", src->uri, suite, plain->path);
        rc = cache_load(ctx, plain->sha256, plain->size, what, NULL, NULL, &data, &len, err);
        free(what);
        if (rc == 0)
            goto out;
        if (rc != -ENOENT)
            goto out;
        rc = 0;
    }
    static const char *const sufs[] = {".xz", ".gz", ""};
    const struct repo_release_entry *ent = NULL;
    for (size_t i = 0; i < 3 && !ent; i++) {
        char *p = xasprintf("%s%s", base, sufs[i]);
        ent = repo_release_find(rel, p);
        free(p);
    }
    if (!ent) {
        rc = jeos_errf(err, -ENOENT, "%s/dists/%s/Release: lists no %s index (.xz, .gz or plain)",
                       src->uri, suite, base);
        goto out;
    }
    uri = xasprintf("%s/dists/%s/%s", src->uri, suite, ent->path);
    jeos_log(ctx, JEOS_LOG_INFO, "fetching %s", uri);
    if ((rc = repo_load_cached(ctx, uri, ent->sha256, ent->size, uri, &packed, &plen, err)) < 0)
        goto out;
    if ((rc = decompress(packed, plen, uri, &data, &len, err)) < 0)
        goto out;
    if (plain) {
        char hex[65];
        cache_sha256_hex(data, len, hex);
        if (strcmp(hex, plain->sha256) != 0 || len != plain->size) {
            rc = jeos_errf(err, -EBADMSG,
                           "%s: decompressed index does not match Release (%s: expected sha256 %s, "
                           "%llu bytes; got %s, %zu bytes)",
                           uri, plain->path, plain->sha256, (unsigned long long)plain->size, hex,
                           len);
            goto out;
        }
        if (ent != plain &&
            (rc = cache_store_buffer(ctx, plain->sha256, data, len, uri, NULL, err)) < 0)
            goto out;
    }
out:
    if (rc == 0) {
        *out = data;
        *out_len = len;
    } else {
        free(data);
    }
    free(packed);
    free(uri);
    return rc;
}

static int load_index(const struct jeos_ctx *ctx, const struct repo_source *src, const char *suite,
                      const char *comp, const struct repo_release *rel, struct pkg_universe *u,
                      struct jeos_err *err)
{
    char *base = xasprintf("%s/binary-%s/Packages", comp, u->arch);
    char *data = NULL;
    size_t len = 0;
    int rc = repo_index_load(ctx, src, suite, rel, base, &data, &len, err);
    if (rc == 0) {
        char *label = xasprintf("%s/%s", suite, comp);
        uint32_t origin = pkgu_add_origin(u, label, src->uri);
        char *what = xasprintf("%s/dists/%s/%s", src->uri, suite, base);
        rc = pkgu_add_index(u, data, len, origin, what, err); /* the universe owns data now */
        free(what);
        free(label);
    }
    free(base);
    return rc;
}

/* Removes the cached Release files of a suite (after they failed a check). */
static void forget_release(const struct jeos_ctx *ctx, const struct repo_source *src,
                           const char *suite)
{
    static const char *const names[] = {"InRelease", "Release", "Release.gpg", "Release.verified"};
    char *key = uri_key(src->uri);
    for (size_t i = 0; i < 4; i++) {
        char *p = xasprintf("%s/dists/%s/%s/%s", ctx->cache_dir, key, suite, names[i]);
        unlink(p);
        free(p);
    }
    free(key);
}

/* As apt does: the Release must be for the suite asked for, and not expired. */
static int release_check(const struct repo_release *rel, const char *suite, const char *what,
                         struct jeos_err *err)
{
    if ((rel->suite || rel->codename) && !(rel->suite && strcmp(rel->suite, suite) == 0) &&
        !(rel->codename && strcmp(rel->codename, suite) == 0))
        return jeos_errf(err, -EBADMSG, "%s: is for suite %s (codename %s), not %s", what,
                         rel->suite ? rel->suite : "-", rel->codename ? rel->codename : "-", suite);
    if (rel->valid_until && (int64_t)time(NULL) > rel->valid_until) {
        char when[64];
        time_t t = (time_t)rel->valid_until;
        struct tm tm;
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&t, &tm));
        return jeos_errf(err, -EKEYEXPIRED,
                         "%s: expired on %s (Valid-Until): the mirror or the cached copy is stale",
                         what, when);
    }
    return 0;
}

/* Suite and component names end up in URLs and cache paths: keep them plain. */
static bool plain_name(const char *s)
{
    if (!*s || strstr(s, "..") || s[0] == '/')
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.' || *s == '+' || *s == '/' || *s == '~'))
            return false;
    return true;
}

int repo_sources_check(const struct repo_sources *s, struct jeos_err *err)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct repo_source *src = &s->v[i];
        for (size_t k = 0; k < src->nsuites; k++)
            if (!plain_name(src->suites[k]))
                return jeos_errf(err, -EINVAL,
                                 "%s: suite \"%s\": not a suite name (letters, "
                                 "digits, - _ . + ~ /, no \"..\")",
                                 src->where, src->suites[k]);
        for (size_t k = 0; k < src->ncomponents; k++)
            if (!plain_name(src->components[k]))
                return jeos_errf(err, -EINVAL,
                                 "%s: component \"%s\": not a component name "
                                 "(letters, digits, - _ . + ~ /, no \"..\")",
                                 src->where, src->components[k]);
        if (!repo_transport_for(src->uri))
            return jeos_errf(err, -EPROTONOSUPPORT,
                             "%s: %s: unknown URI scheme (expected http:, https: or file:)",
                             src->where, src->uri);
    }
    return 0;
}

int repo_release_load(const struct jeos_ctx *ctx, const struct repo_source *src, const char *suite,
                      struct repo_release *rel, struct jeos_err *err)
{
    char *text = NULL;
    size_t len = 0;
    int rc = get_release(ctx, src, suite, &text, &len, err);
    if (rc == 0) {
        char *what = xasprintf("%s/dists/%s/Release", src->uri, suite);
        rc = repo_release_parse(text, len, what, rel, err);
        if (rc == 0)
            rc = release_check(rel, suite, what, err);
        if (rc < 0 && !ctx->offline)
            forget_release(ctx, src, suite);
        free(what);
    }
    free(text);
    return rc;
}

int repo_load(const struct jeos_ctx *ctx, const struct repo_sources *s, struct pkg_universe *u,
              struct jeos_err *err)
{
    int rc = repo_sources_check(s, err);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < s->n; i++) {
        const struct repo_source *src = &s->v[i];
        for (size_t k = 0; k < src->nsuites; k++) {
            struct repo_release rel = {0};
            rc = repo_release_load(ctx, src, src->suites[k], &rel, err);
            for (size_t c = 0; rc == 0 && c < src->ncomponents; c++)
                rc = load_index(ctx, src, src->suites[k], src->components[c], &rel, u, err);
            repo_release_free(&rel);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}
