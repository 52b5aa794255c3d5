/* source.c — Debian source packages: Sources index → .dsc → files, checked, unpacked into the
 * cache with dpkg-source (see source.h). */
#include "builder/debian/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/cache.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/spawn.h"
#include "builder/core/util.h"
#include "builder/debian/deb_version.h"
#include "builder/debian/pkgindex.h"
#include "builder/debian/repo.h"

void jeos_srcpkg_free(struct jeos_srcpkg *p)
{
    free(p->name);
    free(p->version);
    free(p->format);
    free(p->uri);
    free(p->directory);
    free(p->origin);
    for (size_t i = 0; i < p->nfiles; i++) {
        free(p->files[i].name);
        free(p->files[i].sha256);
    }
    free(p->files);
    memset(p, 0, sizeof(*p));
}

/* A file name of a source package: no folder, nothing that leaves the pool folder. */
static bool plain_file(const char *s)
{
    if (!*s || s[0] == '.' || strchr(s, '/'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.' || *s == '+' || *s == '~' || *s == ':'))
            return false;
    return true;
}

/* A pool folder: relative, plain components, no "..". */
static bool plain_dir(const char *s)
{
    if (!*s || s[0] == '/' || strstr(s, ".."))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.' || *s == '+' || *s == '~' || *s == '/'))
            return false;
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/*
 * The lines of a Checksums-Sha256 value ("HASH SIZE NAME" each) into files[]; `what` and `line`
 * (where the field starts) name a bad line.
 */
static int parse_checksums(char *val, const char *what, size_t line, struct jeos_srcfile **files,
                           size_t *n, struct jeos_err *err)
{
    char *save = NULL;
    for (char *l = strtok_r(val, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char hash[65], name[256];
        unsigned long long size;
        line++;
        if (sscanf(l, " %64s %llu %255s", hash, &size, name) != 3 || !cache_valid_sha256(hash))
            return jeos_errf(err, -EINVAL,
                             "%s:%zu: Checksums-Sha256: expected \"HASH SIZE NAME\" (got \"%s\")",
                             what, line, l);
        if (!plain_file(name))
            return jeos_errf(err, -EINVAL,
                             "%s:%zu: Checksums-Sha256: \"%s\": not a plain file name", what, line,
                             name);
        *files = xrealloc(*files, (*n + 1) * sizeof(**files));
        (*files)[(*n)++] = (struct jeos_srcfile){xstrdup(name), xstrdup(hash), size};
    }
    return 0;
}

/* Line number (1-based) of position p in text. */
static size_t line_of(const char *text, const char *p)
{
    size_t n = 1;
    for (const char *q = text; q < p; q++)
        n += *q == '\n';
    return n;
}

/*
 * Parses the stanza [start, end) of a Sources index (modified in place; end[0] may be
 * overwritten with a NUL) into *out. Returns 0, or -EINVAL naming `what` and the line.
 */
static int parse_stanza(char *text, char *start, char *end, const char *what,
                        struct jeos_srcpkg *out, struct jeos_err *err)
{
    size_t base = line_of(text, start) - 1;
    char saved = *end;
    *end = '\0';
    struct deb822_iter it;
    struct deb822_field f;
    int r, rc = 0;
    bool have_sums = false;
    deb822_init(&it, start, (size_t)(end - start));
    while (rc == 0 && (r = deb822_next(&it, &f)) > 0) {
        if (deb822_is(&f, "Version") && !out->version)
            out->version = xstrdup(f.val);
        else if (deb822_is(&f, "Directory") && !out->directory)
            out->directory = xstrdup(f.val);
        else if (deb822_is(&f, "Format") && !out->format)
            out->format = xstrdup(f.val);
        else if (deb822_is(&f, "Checksums-Sha256") && !have_sums) {
            have_sums = true;
            rc = parse_checksums(f.val, what, base + f.line, &out->files, &out->nfiles, err);
        }
    }
    if (rc == 0 && r == -2)
        rc = jeos_errf(err, -EINVAL, "%s:%zu: not a \"Field: value\" line", what, base + it.line);
    size_t line = base + 1;
    if (rc == 0 && (!out->version || deb_ver_problem(out->version)))
        rc = jeos_errf(err, -EINVAL, "%s:%zu: %s: %s", what, line, out->name,
                       out->version ? deb_ver_problem(out->version) : "no Version field");
    if (rc == 0 && (!out->directory || !plain_dir(out->directory)))
        rc = jeos_errf(err, -EINVAL, "%s:%zu: %s %s: %s", what, line, out->name, out->version,
                       out->directory ? "Directory is not a plain relative path"
                                      : "no Directory field");
    if (rc == 0 && !have_sums)
        rc = jeos_errf(err, -EINVAL,
                       "%s:%zu: %s %s: no Checksums-Sha256 field (jeos needs sha256 hashes)", what,
                       line, out->name, out->version);
    size_t ndsc = 0;
    for (size_t i = 0; rc == 0 && i < out->nfiles; i++)
        if (ends_with(out->files[i].name, ".dsc")) {
            out->dsc = i;
            ndsc++;
        }
    if (rc == 0 && ndsc != 1)
        rc = jeos_errf(err, -EINVAL,
                       "%s:%zu: %s %s: Checksums-Sha256 lists %zu .dsc files "
                       "(expected one)",
                       what, line, out->name, out->version, ndsc);
    *end = saved;
    return rc;
}

/* The candidate so far and what else was seen, for the not-found message. */
struct search {
    const char *name, *version;
    struct jeos_srcpkg best;
    bool have;
    struct sbuf seen;     /* versions there are, "2.1.3-1 (bookworm/main), ..." */
    struct sbuf searched; /* "bookworm/main, bookworm-updates/main" */
};

/* Every stanza of `name` in one Sources text: the best (or exact) version into s->best. */
static int scan_index(struct search *s, char *text, size_t len, const char *what, const char *uri,
                      const char *origin, struct jeos_err *err)
{
    size_t nl = strlen(s->name);
    char *needle = xasprintf("Package: %s\n", s->name);
    size_t kl = strlen(needle);
    int rc = 0;
    for (char *p = text; rc == 0 && p < text + len;) {
        char *hit = memmem(p, (size_t)(text + len - p), needle, kl);
        if (!hit)
            break;
        p = hit + kl;
        if (hit != text && hit[-1] != '\n')
            continue; /* inside another field */
        char *end = strstr(hit, "\n\n");
        end = end ? end + 1 : text + len;
        struct jeos_srcpkg c = {.name = xstrndup(s->name, nl)};
        rc = parse_stanza(text, hit, end, what, &c, err);
        if (rc == 0) {
            sbuf_printf(&s->seen, "%s%s (%s)", s->seen.len ? ", " : "", c.version, origin);
            bool take = s->version ? strcmp(c.version, s->version) == 0
                                   : !s->have || deb_ver_cmp(c.version, s->best.version) > 0;
            if (take) {
                c.uri = xstrdup(uri);
                c.origin = xstrdup(origin);
                jeos_srcpkg_free(&s->best);
                s->best = c;
                s->have = true;
                memset(&c, 0, sizeof(c));
            }
        }
        jeos_srcpkg_free(&c);
        p = end;
    }
    free(needle);
    return rc;
}

int jeos_source_find(const struct jeos_ctx *ctx, const struct repo_sources *s, const char *name,
                     const char *version, struct jeos_srcpkg *out, struct jeos_err *err)
{
    memset(out, 0, sizeof(*out));
    struct search se = {.name = name, .version = version};
    int rc = repo_sources_check(s, err);
    for (size_t i = 0; rc == 0 && i < s->n; i++) {
        const struct repo_source *src = &s->v[i];
        for (size_t k = 0; rc == 0 && k < src->nsuites; k++) {
            struct repo_release rel = {0};
            rc = repo_release_load(ctx, src, src->suites[k], &rel, err);
            for (size_t c = 0; rc == 0 && c < src->ncomponents; c++) {
                char *base = xasprintf("%s/source/Sources", src->components[c]);
                char *origin = xasprintf("%s/%s", src->suites[k], src->components[c]);
                char *what = xasprintf("%s/dists/%s/%s", src->uri, src->suites[k], base);
                char *text = NULL;
                size_t len = 0;
                struct jeos_err quiet = {0};
                rc = repo_index_load(ctx, src, src->suites[k], &rel, base, &text, &len, &quiet);
                if (rc == -ENOENT && !repo_release_find(&rel, base)) {
                    rc = 0; /* this component has no sources here */
                } else if (rc < 0) {
                    jeos_err_move(err, &quiet);
                } else {
                    sbuf_printf(&se.searched, "%s%s", se.searched.len ? ", " : "", origin);
                    rc = scan_index(&se, text, len, what, src->uri, origin, err);
                }
                jeos_err_free(&quiet);
                free(text);
                free(base);
                free(origin);
                free(what);
            }
            repo_release_free(&rel);
        }
    }
    if (rc == 0 && !se.have) {
        if (!se.searched.len)
            rc = jeos_errf(err, -ENOENT,
                           "%s: no source package index (Sources) in any suite of the sources",
                           name);
        else if (se.seen.len)
            rc = jeos_errf(err, -ENOENT, "%s=%s: no such version in %s (there: %s)", name, version,
                           se.searched.s, se.seen.s);
        else
            rc = jeos_errf(err, -ENOENT, "%s: no source package of that name in %s", name,
                           se.searched.s);
    }
    if (rc == 0)
        *out = se.best;
    else
        jeos_srcpkg_free(&se.best);
    sbuf_free(&se.seen);
    sbuf_free(&se.searched);
    return rc;
}

/* Fetches file i of p into the cache (or takes it from there), its bytes checked on this use;
 *path gets its cache path. */
static int fetch_file(const struct jeos_ctx *ctx, const struct jeos_srcpkg *p, size_t i,
                      char **path, struct jeos_err *err)
{
    const struct jeos_srcfile *f = &p->files[i];
    char *uri = xasprintf("%s/%s/%s", p->uri, p->directory, f->name);
    jeos_log(ctx, JEOS_LOG_DEBUG, "fetching %s", uri);
    int rc = repo_verified_path(ctx, uri, f->sha256, f->size, uri, path, err);
    free(uri);
    return rc;
}

/*
 * The .dsc must describe the package the index does: Source, Version, and a Checksums-Sha256
 * listing exactly the index's other files with the same hashes and sizes.
 */
static int check_dsc(const struct jeos_srcpkg *p, const char *dsc_path, struct jeos_err *err)
{
    char *raw = NULL;
    size_t rlen = 0;
    int rc = jeos_read_file(dsc_path, &raw, &rlen, err);
    if (rc < 0)
        return rc;
    const char *dname = p->files[p->dsc].name;
    size_t len = rlen;
    char *text = strncmp(raw, "-----BEGIN PGP SIGNED MESSAGE-----", 34) == 0
                     ? deb822_strip_clearsign(raw, rlen, &len)
                     : xstrdup(raw);
    free(raw);
    if (!text)
        return jeos_errf(err, -EINVAL, "%s: not a cleartext-signed control file", dname);
    struct deb822_iter it;
    struct deb822_field f;
    struct jeos_srcfile *files = NULL;
    size_t n = 0;
    int r;
    bool sums = false, src_ok = false, ver_ok = false;
    deb822_init(&it, text, len);
    while (rc == 0 && (r = deb822_next(&it, &f)) > 0) {
        if (deb822_is(&f, "Source"))
            src_ok = strcmp(f.val, p->name) == 0;
        else if (deb822_is(&f, "Version"))
            ver_ok = strcmp(f.val, p->version) == 0;
        else if (deb822_is(&f, "Checksums-Sha256") && !sums) {
            sums = true;
            rc = parse_checksums(f.val, dname, f.line, &files, &n, err);
        }
    }
    if (rc == 0 && r == -2)
        rc = jeos_errf(err, -EINVAL, "%s:%zu: not a \"Field: value\" line", dname, it.line);
    if (rc == 0 && (!src_ok || !ver_ok))
        rc = jeos_errf(err, -EBADMSG, "%s: Source and Version are not %s %s, as the index says",
                       dname, p->name, p->version);
    if (rc == 0 && !sums)
        rc = jeos_errf(err, -EINVAL, "%s: no Checksums-Sha256 field", dname);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        size_t k = 0;
        while (k < p->nfiles && strcmp(p->files[k].name, files[i].name) != 0)
            k++;
        if (k == p->nfiles || k == p->dsc)
            rc = jeos_errf(err, -EBADMSG, "%s: lists %s, which the Sources index does not", dname,
                           files[i].name);
        else if (strcmp(p->files[k].sha256, files[i].sha256) != 0 ||
                 p->files[k].size != files[i].size)
            rc = jeos_errf(err, -EBADMSG,
                           "%s: %s: sha256 %s, %llu bytes, but the Sources index says %s, %llu "
                           "bytes",
                           dname, files[i].name, files[i].sha256, (unsigned long long)files[i].size,
                           p->files[k].sha256, (unsigned long long)p->files[k].size);
    }
    if (rc == 0 && n + 1 != p->nfiles)
        rc = jeos_errf(err, -EBADMSG, "%s: lists %zu files, the Sources index %zu besides it",
                       dname, n, p->nfiles - 1);
    for (size_t i = 0; i < n; i++) {
        free(files[i].name);
        free(files[i].sha256);
    }
    free(files);
    free(text);
    return rc;
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dpkg-source -x of the cached files (linked by name into work/) into work/tree. */
static int extract(const struct jeos_srcpkg *p, char **cached, const char *work,
                   struct jeos_err *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < p->nfiles; i++) {
        char *link = xasprintf("%s/%s", work, p->files[i].name);
        if (symlink(cached[i], link) < 0)
            rc = jeos_errf(err, -errno, "%s: %s", link, strerror(errno));
        free(link);
    }
    char *dsc = xasprintf("%s/%s", work, p->files[p->dsc].name);
    char *tree = xasprintf("%s/tree", work);
    /* --no-check: every file was checked against the signed index above; the .dsc's own
       signature is a maintainer's, whose keyring jeos does not need. */
    char *argv[] = {"dpkg-source", "--no-check", "-x", dsc, tree, NULL};
    struct jeos_err sub = {0};
    if (rc == 0 && (rc = jeos_spawn(argv, NULL, &sub)) < 0) {
        jeos_errf(err, rc, "%s %s: cannot unpack:", p->name, p->version);
        jeos_err_move(err, &sub);
    }
    if (rc == 0) /* sealed: every use checks the tree against what was unpacked */
        rc = cache_tree_seal(tree, err);
    jeos_err_free(&sub);
    free(dsc);
    free(tree);
    return rc;
}

int jeos_source_unpack(const struct jeos_ctx *ctx, const struct jeos_srcpkg *p, char **tree,
                       struct jeos_err *err)
{
    const struct jeos_srcfile *d = &p->files[p->dsc];
    char *dir = xasprintf("%s/source", ctx->cache_dir);
    char *final = xasprintf("%s/%s", dir, d->sha256);
    char *lockdir = xasprintf("%s/locks", ctx->cache_dir);
    char *lockpath = xasprintf("%s/source-%s", lockdir, d->sha256);
    char **cached = xcalloc(p->nfiles, sizeof(char *));
    char *work = NULL;
    int lockfd = -1, rc = 0;

    if (is_dir(final)) {
        char *why = NULL;
        rc = cache_tree_check(final, &why, err);
        if (rc != -EBADMSG) /* whole, or another error */
            goto done;
        char *what = xasprintf("source package %s %s", p->name, p->version);
        cache_quarantine(ctx, final, what, why); /* and unpacked again below */
        free(what);
        free(why);
        rc = 0;
    }
    jeos_log(ctx, JEOS_LOG_INFO, "source package %s %s (%s)", p->name, p->version, p->origin);
    if ((rc = fetch_file(ctx, p, p->dsc, &cached[p->dsc], err)) < 0 ||
        (rc = check_dsc(p, cached[p->dsc], err)) < 0)
        goto done;
    for (size_t i = 0; rc == 0 && i < p->nfiles; i++)
        if (i != p->dsc)
            rc = fetch_file(ctx, p, i, &cached[i], err);
    if (rc < 0 || (rc = jeos_mkdir_p(dir, 0755, err)) < 0 ||
        (rc = jeos_mkdir_p(lockdir, 0755, err)) < 0)
        goto done;
    lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lockfd < 0) {
        rc = jeos_errf(err, -errno, "%s: cannot open: %s", lockpath, strerror(errno));
        goto done;
    }
    while (flock(lockfd, LOCK_EX) < 0)
        if (errno != EINTR) {
            rc = jeos_errf(err, -errno, "%s: flock: %s", lockpath, strerror(errno));
            goto done;
        }
    if (is_dir(final)) /* another build unpacked it while we waited */
        goto done;
    work = xasprintf("%s/.unpack.XXXXXX", dir);
    if (!mkdtemp(work)) {
        rc = jeos_errf(err, -errno, "%s: %s", work, strerror(errno));
        free(work);
        work = NULL;
        goto done;
    }
    if ((rc = extract(p, cached, work, err)) < 0)
        goto done;
    char *t = xasprintf("%s/tree", work);
    if (rename(t, final) < 0)
        rc = jeos_errf(err, -errno, "%s: cannot move into place: %s", final, strerror(errno));
    free(t);
done:
    if (work) {
        jeos_remove_tree(work);
        free(work);
    }
    if (lockfd >= 0)
        close(lockfd);
    for (size_t i = 0; i < p->nfiles; i++)
        free(cached[i]);
    free(cached);
    free(dir);
    free(lockdir);
    free(lockpath);
    if (rc == 0)
        *tree = final;
    else
        free(final);
    return rc;
}

int jeos_source_get(const struct jeos_ctx *ctx, const struct repo_sources *s, const char *spec,
                    const char *what, char **tree, char **version, struct jeos_err *err)
{
    char *name = xstrdup(spec);
    char *eq = strchr(name, '=');
    if (eq)
        *eq++ = '\0';
    const char *vp = eq ? deb_ver_problem(eq) : NULL;
    struct jeos_srcpkg p;
    int rc;
    if (vp) {
        rc = jeos_errf(err, -EINVAL, "%s: \"%s\": %s", what, spec, vp);
    } else {
        struct jeos_err sub = {0};
        rc = jeos_source_find(ctx, s, name, eq, &p, &sub);
        if (rc == 0) {
            rc = jeos_source_unpack(ctx, &p, tree, &sub);
            if (rc == 0 && version)
                *version = xstrdup(p.version);
            jeos_srcpkg_free(&p);
        }
        if (rc < 0) {
            jeos_errf(err, rc, "%s: source package %s:", what, spec);
            jeos_err_move(err, &sub);
        }
        jeos_err_free(&sub);
    }
    free(name);
    return rc;
}
