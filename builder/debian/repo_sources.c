/* repo_sources.c — where packages come from: a recipe's sources, or the host's apt sources
 * (one-line and deb822). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/core/util.h"
#include "builder/recipe/recipe.h"
#include "builder/debian/repo.h"

#define DEFAULT_KEYRING "/usr/share/keyrings/debian-archive-keyring.gpg"

void repo_sources_free(struct repo_sources *s)
{
    for (size_t i = 0; i < s->n; i++) {
        struct repo_source *r = &s->v[i];
        for (size_t k = 0; k < r->nsuites; k++)
            free(r->suites[k]);
        for (size_t k = 0; k < r->ncomponents; k++)
            free(r->components[k]);
        free(r->suites);
        free(r->components);
        free(r->uri);
        free(r->keyring);
        free(r->where);
    }
    free(s->v);
    memset(s, 0, sizeof(*s));
}

static char **copy_list(const char *const *v, size_t n)
{
    char **out = xcalloc(n ? n : 1, sizeof(*out));
    for (size_t i = 0; i < n; i++)
        out[i] = xstrdup(v[i]);
    return out;
}

void repo_sources_add(struct repo_sources *s, const char *uri, const char *const *suites,
                      size_t nsuites, const char *const *components, size_t ncomponents,
                      const char *keyring, const char *where)
{
    s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
    struct repo_source *r = &s->v[s->n++];
    size_t ul = strlen(uri);
    while (ul > 0 && uri[ul - 1] == '/')
        ul--;
    r->uri = xstrndup(uri, ul);
    r->suites = copy_list(suites, nsuites);
    r->nsuites = nsuites;
    r->components = copy_list(components, ncomponents);
    r->ncomponents = ncomponents;
    r->keyring = xstrdup(keyring ? keyring : DEFAULT_KEYRING);
    r->where = xstrdup(where ? where : "");
}

/* Splits on blanks in place; returns the count (at most max). */
static size_t split_words(char *s, char **w, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *t = strtok_r(s, " \t\n", &save); t && n < max; t = strtok_r(NULL, " \t\n", &save))
        w[n++] = t;
    return n;
}

/* Is `arch` in the comma- or blank-separated list? */
static bool arch_listed(const char *list, const char *arch)
{
    size_t al = strlen(arch);
    for (const char *p = list; *p;) {
        while (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n')
            p++;
        const char *q = p;
        while (*q && *q != ',' && *q != ' ' && *q != '\t' && *q != '\n')
            q++;
        if ((size_t)(q - p) == al && memcmp(p, arch, al) == 0)
            return true;
        p = q;
    }
    return false;
}

int repo_parse_sources_list(const char *path, char *text, const char *default_keyring,
                            struct repo_sources *out, struct jeos_err *err)
{
    size_t lineno = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *w[64];
        size_t n = split_words(line, w, 64);
        char *next = nl ? nl + 1 : NULL;
        if (n == 0 || strcmp(w[0], "deb-src") == 0) {
            line = next;
            continue;
        }
        char *where = xasprintf("%s:%zu", path, lineno);
        if (strcmp(w[0], "deb") != 0) {
            int rc =
                jeos_errf(err, -EINVAL, "%s: unknown entry type \"%s\" (expected deb or deb-src)",
                          where, w[0]);
            free(where);
            return rc;
        }
        size_t i = 1;
        const char *keyring = default_keyring;
        bool arch_ok = true;
        if (i < n && w[i][0] == '[') {
            /* Options: [arch=amd64 signed-by=/path ...] (may be split over words). */
            for (; i < n; i++) {
                char *o = w[i];
                if (*o == '[')
                    o++;
                size_t ol = strlen(o);
                bool last = ol && o[ol - 1] == ']';
                if (last)
                    o[ol - 1] = '\0';
                if (strncmp(o, "arch=", 5) == 0)
                    arch_ok = arch_listed(o + 5, "amd64");
                else if (strncmp(o, "signed-by=", 10) == 0)
                    keyring = o + 10;
                if (last) {
                    i++;
                    break;
                }
            }
        }
        if (n - i < 2) {
            int rc =
                jeos_errf(err, -EINVAL, "%s: expected \"deb URI SUITE [COMPONENT...]\"", where);
            free(where);
            return rc;
        }
        if (arch_ok)
            repo_sources_add(out, w[i], (const char *const *)&w[i + 1], 1,
                             (const char *const *)&w[i + 2], n - i - 2, keyring, where);
        free(where);
        line = next;
    }
    return 0;
}

int repo_parse_deb822_sources(const char *path, char *text, size_t len, const char *default_keyring,
                              struct repo_sources *out, struct jeos_err *err)
{
    struct deb822_iter it;
    struct deb822_field f;
    deb822_init(&it, text, len);
    for (;;) {
        char *types = NULL, *uris = NULL, *suites = NULL, *comps = NULL, *signedby = NULL;
        char *enabled = NULL, *archs = NULL;
        size_t start = 0;
        int r;
        bool any = false;
        while ((r = deb822_next(&it, &f)) == 1) {
            if (!any)
                start = f.line;
            any = true;
            if (deb822_is(&f, "Types"))
                types = f.val;
            else if (deb822_is(&f, "URIs"))
                uris = f.val;
            else if (deb822_is(&f, "Suites"))
                suites = f.val;
            else if (deb822_is(&f, "Components"))
                comps = f.val;
            else if (deb822_is(&f, "Signed-By"))
                signedby = f.val;
            else if (deb822_is(&f, "Enabled"))
                enabled = f.val;
            else if (deb822_is(&f, "Architectures"))
                archs = f.val;
        }
        if (r == -2)
            return jeos_errf(err, -EINVAL, "%s:%zu: not a \"Field: value\" line", path, it.line);
        if (any) {
            char *where = xasprintf("%s:%zu", path, start);
            int rc = 0;
            char *w[64];
            if (!types || !uris || !suites) {
                rc = jeos_errf(err, -EINVAL, "%s: stanza needs Types, URIs and Suites", where);
            } else if (signedby && strchr(signedby, '\n')) {
                rc = jeos_errf(err, -ENOTSUP,
                               "%s: Signed-By holds an embedded key; jeos needs a keyring file "
                               "(give one with debian.keyring)",
                               where);
            } else if (arch_listed(types, "deb") && !(enabled && strcmp(enabled, "no") == 0) &&
                       !(archs && !arch_listed(archs, "amd64"))) {
                char *sv[64], *cv[64];
                size_t ns = split_words(suites, sv, 64);
                size_t nc = comps ? split_words(comps, cv, 64) : 0;
                size_t nu = split_words(uris, w, 64);
                for (size_t k = 0; k < nu; k++)
                    repo_sources_add(out, w[k], (const char *const *)sv, ns,
                                     (const char *const *)cv, nc,
                                     signedby ? signedby : default_keyring, where);
            }
            free(where);
            if (rc < 0)
                return rc;
        }
        if (r == -1)
            return 0;
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

int repo_sources_from_apt(const char *etc_apt, const char *default_keyring,
                          struct repo_sources *out, struct jeos_err *err)
{
    int rc = 0;
    char *path = xasprintf("%s/sources.list", etc_apt);
    char *text = NULL;
    size_t len;
    struct jeos_err quiet = {0};
    if (jeos_read_file(path, &text, &len, &quiet) == 0)
        rc = repo_parse_sources_list(path, text, default_keyring, out, err);
    jeos_err_free(&quiet);
    free(text);
    free(path);
    if (rc < 0)
        return rc;

    char *dir = xasprintf("%s/sources.list.d", etc_apt);
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (ends_with(e->d_name, ".list") || ends_with(e->d_name, ".sources")) {
                names = xrealloc(names, (n + 1) * sizeof(*names));
                names[n++] = xstrdup(e->d_name);
            }
        }
        closedir(d);
    }
    if (n)
        qsort(names, n, sizeof(*names), cmp_str);
    for (size_t i = 0; i < n; i++) {
        char *p = xasprintf("%s/%s", dir, names[i]);
        if (rc == 0 && (rc = jeos_read_file(p, &text, &len, err)) == 0) {
            if (ends_with(p, ".list"))
                rc = repo_parse_sources_list(p, text, default_keyring, out, err);
            else
                rc = repo_parse_deb822_sources(p, text, len, default_keyring, out, err);
            free(text);
        }
        free(p);
        free(names[i]);
    }
    free(names);
    free(dir);
    return rc;
}

/* "bookworm-updates" belongs to "bookworm"; so do "bookworm/updates" and "bookworm-security". */
static bool same_distribution(const char *suite, const char *dist)
{
    size_t l = strlen(dist);
    return strncmp(suite, dist, l) == 0 && (suite[l] == '\0' || suite[l] == '-' || suite[l] == '/');
}

static char *keyring_path(const struct recipe *r, const char *k)
{
    if (!k)
        return NULL;
    if (k[0] == '/' || !r->dir)
        return xstrdup(k);
    return xasprintf("%s/%s", r->dir, k);
}

int repo_sources_for_recipe(const struct recipe *r, struct repo_sources *out, struct jeos_err *err)
{
    const struct recipe_debian *d = &r->debian;
    memset(out, 0, sizeof(*out));
    char *deflt = keyring_path(r, d->keyring ? d->keyring : DEFAULT_KEYRING);
    const char *suite = d->suite ? d->suite : "bookworm";
    static const char *const main_only[] = {"main"};
    const char *const *comps = d->components.n ? (const char *const *)d->components.v : main_only;
    size_t ncomps = d->components.n ? d->components.n : 1;
    int rc = 0;

    if (d->nsources) {
        for (size_t i = 0; i < d->nsources; i++) {
            const struct recipe_source *s = &d->sources[i];
            char *k = s->keyring ? keyring_path(r, s->keyring) : xstrdup(deflt);
            char *where = xasprintf("%s:%d:%d", r->path, s->pos.line, s->pos.col);
            const char *const *sv = s->suites.n ? (const char *const *)s->suites.v : &suite;
            repo_sources_add(out, s->uri, sv, s->suites.n ? s->suites.n : 1,
                             s->components.n ? (const char *const *)s->components.v : comps,
                             s->components.n ? s->components.n : ncomps, k, where);
            free(k);
            free(where);
        }
    } else if (d->mirror) {
        repo_sources_add(out, d->mirror, &suite, 1, comps, ncomps, deflt, r->path);
    } else {
        const char *etc = getenv("JEOS_APT_ETC");
        struct repo_sources host = {0};
        rc = repo_sources_from_apt(etc && *etc ? etc : "/etc/apt", deflt, &host, err);
        for (size_t i = 0; rc == 0 && i < host.n; i++) {
            struct repo_source *h = &host.v[i];
            const char *keep[64];
            size_t nk = 0;
            for (size_t k = 0; k < h->nsuites && nk < 64; k++)
                if (same_distribution(h->suites[k], suite))
                    keep[nk++] = h->suites[k];
            /* The recipe's components, where the host lists them. */
            if (nk)
                repo_sources_add(out, h->uri, keep, nk, comps, ncomps, h->keyring, h->where);
        }
        repo_sources_free(&host);
        if (rc == 0 && out->n == 0)
            rc = jeos_errf(err, -ENOENT,
                           "%s: debian: no mirror given and the host's apt sources (%s) list no "
                           "suite of %s (give debian.mirror)",
                           r->path, etc && *etc ? etc : "/etc/apt", suite);
    }
    free(deflt);
    return rc;
}
