/* pkgindex_test.c — deb822 reading, dependency fields, Packages stanzas, apt sources files and lock
 * files. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/core/util.h"
#include "builder/debian/lock.h"
#include "builder/debian/pkgindex.h"
#include "builder/debian/repo.h"
#include "tests/harness.h"

static void test_deb822(void)
{
    char *t = xstrdup("# comment\nPackage: a\nDescription: one\n two\n .\n three\n\n\n"
                      "Package:  b \nX-Empty:\n");
    struct deb822_iter it;
    struct deb822_field f;
    deb822_init(&it, t, strlen(t));
    T_EQ_INT(deb822_next(&it, &f), 1);
    T_CHECK(deb822_is(&f, "package") && strcmp(f.val, "a") == 0 && f.line == 2);
    T_EQ_INT(deb822_next(&it, &f), 1);
    T_EQ_STR(f.val, "one\n two\n .\n three");
    T_EQ_INT(deb822_next(&it, &f), 0);
    T_EQ_INT(deb822_next(&it, &f), 1);
    T_EQ_STR(f.val, "b");
    T_EQ_INT(f.line, 9);
    T_EQ_INT(deb822_next(&it, &f), 1);
    T_EQ_STR(f.val, "");
    T_EQ_INT(deb822_next(&it, &f), 0);
    T_EQ_INT(deb822_next(&it, &f), -1);
    free(t);
    t = xstrdup("Package: a\nno colon here\n");
    deb822_init(&it, t, strlen(t));
    T_EQ_INT(deb822_next(&it, &f), 1);
    T_EQ_INT(deb822_next(&it, &f), -2);
    T_EQ_INT(it.line, 2);
    free(t);
}

static void test_dep_clauses(void)
{
    const char *p =
        "libc6 (>= 2.34), usrmerge | usr-is-merged,python3:any (<<3.12) ,\n foo [amd64] "
        "<!nocheck>, bar (>2)";
    struct dep_atom a[8];
    size_t n, tl;
    const char *text;
    T_EQ_INT(dep_next_clause(&p, a, 8, &n, &text, &tl), 1);
    T_EQ_INT(n, 1);
    T_CHECK(a[0].nlen == 5 && a[0].rel == DEB_REL_GE && a[0].vlen == 4 &&
            memcmp(a[0].ver, "2.34", 4) == 0);
    T_CHECK(tl == 15 && memcmp(text, "libc6 (>= 2.34)", tl) == 0);
    T_EQ_INT(dep_next_clause(&p, a, 8, &n, &text, &tl), 1);
    T_EQ_INT(n, 2);
    T_CHECK(a[1].nlen == 13 && memcmp(a[1].name, "usr-is-merged", 13) == 0);
    T_EQ_INT(dep_next_clause(&p, a, 8, &n, &text, &tl), 1);
    T_CHECK(a[0].archq == DEP_ARCHQ_ANY && a[0].rel == DEB_REL_LT && a[0].vlen == 4);
    T_EQ_INT(dep_next_clause(&p, a, 8, &n, &text, &tl), 1);
    T_CHECK(a[0].nlen == 3 && a[0].rel == DEB_REL_ANY);
    T_EQ_INT(dep_next_clause(&p, a, 8, &n, &text, &tl), 1);
    T_CHECK(a[0].rel == DEB_REL_GE); /* the old ">" */
    T_EQ_INT(dep_next_clause(&p, a, 8, &n, &text, &tl), 0);
    const char *bad[] = {"a (>= )", "a (~ 1)", "a (>= 1", "| b", "a:", "a b"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *q = bad[i];
        if (dep_next_clause(&q, a, 8, &n, &text, &tl) != -EINVAL)
            T_FAILF("\"%s\" should be a syntax error", bad[i]);
    }
}

static int load(struct pkg_universe *u, const char *text, struct jeos_err *e)
{
    pkgu_init(u, "amd64");
    uint32_t o = pkgu_add_origin(u, "s/main", "file:/r");
    return pkgu_add_index(u, xstrdup(text), strlen(text), o, "Packages", e);
}

static void test_packages(void)
{
    struct pkg_universe u;
    struct jeos_err e = {0};
    T_EQ_INT(load(&u,
                  "Package: a\nVersion: 1\nArchitecture: amd64\nInstalled-Size: 12\nSize: 3\n"
                  "Provides: v (= 2), w\nMulti-Arch: same\nEssential: yes\nSHA256: ab\n\n"
                  "Package: b\nVersion: 2\nArchitecture: arm64\n\n"
                  "Package: a\nVersion: 0.9\nArchitecture: all\nPriority: required\n",
                  &e),
             0);
    T_EQ_INT(u.n, 2);
    uint32_t id = pkgu_lookup(&u, "a", 1);
    T_CHECK(id != PKG_NONE);
    if (id != PKG_NONE) {
        const struct pkg *p = &u.pkgs[u.name_pkg[id]];
        T_EQ_INT(p->installed_size, 12);
        T_EQ_INT(p->size, 3);
        T_EQ_INT(p->multi_arch, PKG_MA_SAME);
        T_CHECK(p->essential);
        T_EQ_INT(p->prov_n, 2);
        T_CHECK(p->next_same_name != PKG_NONE && u.pkgs[p->next_same_name].required);
    }
    T_CHECK(pkgu_lookup(&u, "b", 1) == PKG_NONE);
    uint32_t v = pkgu_lookup(&u, "v", 1);
    T_CHECK(v != PKG_NONE && u.provs[u.name_prov[v]].vlen == 1);
    pkgu_free(&u);

    const struct {
        const char *text, *msg;
    } bad[] = {
        {"Version: 1\n", "Packages:1: stanza without a Package field"},
        {"Package: a\n", "Packages:1: a: no Version field"},
        {"Package: a\nVersion: x1\n", "Packages:1: a: bad version \"x1\": version number does not "
                                      "start with digit"},
        {"Package: a\nVersion: 1\nSize: 12k\n", "Packages:3: Size: not a number (got \"12k\")"},
        {"\n\nPackage: a\n oops\nbad\n", "Packages:5: not a \"Field: value\" line"},
        {"Package: a\nVersion: 1\nProvides: v (>= 1)\n",
         "Packages:3: Provides of a: only \"=\" versions may be provided (got \"v (>= 1)\")"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct jeos_err e2 = {0};
        int r = load(&u, bad[i].text, &e2);
        if (r >= 0 || !e2.n || strcmp(e2.msgs[0], bad[i].msg) != 0)
            T_FAILF("case %zu: got %d \"%s\", expected \"%s\"", i, r, e2.n ? e2.msgs[0] : "",
                    bad[i].msg);
        jeos_err_free(&e2);
        pkgu_free(&u);
    }
    jeos_err_free(&e);
}

static void test_clearsign(void)
{
    const char *s = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: x\n- -dash\n"
                    "-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n";
    size_t n;
    char *t = deb822_strip_clearsign(s, strlen(s), &n);
    T_EQ_STR(t, "Origin: x\n-dash");
    T_EQ_INT(n, 15);
    free(t);
    T_CHECK(deb822_strip_clearsign("Origin: x\n", 10, &n) == NULL);
}

static void test_sources(void)
{
    struct repo_sources s = {0};
    struct jeos_err e = {0};
    char *one = xstrdup("# c\n\ndeb-src http://x/debian bookworm main\n"
                        "deb [arch=amd64 signed-by=/k.gpg] http://x/debian/ bookworm main contrib\n"
                        "deb [arch=arm64] http://y/ bookworm main\n"
                        "deb file:/srv/r ./\n");
    T_EQ_INT(repo_parse_sources_list("s.list", one, "/def.gpg", &s, &e), 0);
    T_EQ_INT(s.n, 2);
    if (s.n == 2) {
        T_EQ_STR(s.v[0].uri, "http://x/debian");
        T_EQ_STR(s.v[0].keyring, "/k.gpg");
        T_EQ_INT(s.v[0].ncomponents, 2);
        T_EQ_STR(s.v[0].where, "s.list:4");
        T_EQ_STR(s.v[1].keyring, "/def.gpg");
    }
    repo_sources_free(&s);
    free(one);
    char *bad = xstrdup("deb http://x\n");
    T_CHECK(repo_parse_sources_list("s.list", bad, "/d", &s, &e) < 0);
    T_CHECK(e.n && strcmp(e.msgs[0], "s.list:1: expected \"deb URI SUITE [COMPONENT...]\"") == 0);
    free(bad);
    repo_sources_free(&s);
    jeos_err_free(&e);

    char *d = xstrdup("Types: deb deb-src\nURIs: http://a/debian http://b/debian\n"
                      "Suites: bookworm bookworm-updates\nComponents: main\n"
                      "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
                      "Types: deb\nURIs: http://c/\nSuites: x\nEnabled: no\n\n"
                      "Types: deb-src\nURIs: http://d/\nSuites: x\n");
    T_EQ_INT(repo_parse_deb822_sources("d.sources", d, strlen(d), "/def", &s, &e), 0);
    T_EQ_INT(s.n, 2);
    if (s.n == 2) {
        T_EQ_STR(s.v[1].uri, "http://b/debian");
        T_EQ_INT(s.v[1].nsuites, 2);
        T_EQ_STR(s.v[1].suites[1], "bookworm-updates");
        T_EQ_STR(s.v[0].where, "d.sources:1");
    }
    repo_sources_free(&s);
    free(d);
    d = xstrdup("URIs: http://a/\n");
    T_CHECK(repo_parse_deb822_sources("d.sources", d, strlen(d), "/def", &s, &e) < 0);
    T_CHECK(e.n && strcmp(e.msgs[0], "d.sources:1: stanza needs Types, URIs and Suites") == 0);
    free(d);
    repo_sources_free(&s);
    jeos_err_free(&e);
}

static void test_lock_roundtrip(void)
{
    char dir[] = "/tmp/jeos-lock-XXXXXX";
    if (!mkdtemp(dir)) {
        T_FAILF("mkdtemp");
        return;
    }
    char *path = xasprintf("%s/r.yaml.lock", dir);
    struct jeos_pkgref v[2] = {
        {"app", "1.0", "amd64", "pool/a.deb",
         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 10, 20, "file:/r",
         "s/main", -1, "requested (r.yaml:4:12)"},
        {"lib", "2", "all", "pool/l.deb",
         "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210", 5, 7, "file:/r",
         "s/main", 0, "Depends: lib (>= 1)"},
    };
    struct jeos_resolution res = {v, 2, 27, 15}, back;
    struct jeos_err e = {0};
    T_EQ_INT(jeos_lock_write(path, "r.yaml", &res, &e), 0);
    T_EQ_INT(jeos_lock_read(path, &back, &e), 0);
    T_EQ_INT(back.n, 2);
    if (back.n == 2) {
        T_EQ_STR(back.v[1].name, "lib");
        T_EQ_INT(back.v[1].parent, 0);
        T_EQ_STR(back.v[1].why, "Depends: lib (>= 1)");
        T_EQ_INT(back.v[0].installed_kib, 20);
        T_EQ_INT(back.installed_kib, 27);
        T_EQ_STR(back.v[0].sha256, v[0].sha256);
    }
    jeos_resolution_free(&back);
    const char *bad = "Jeos-Lock: 1\n\nPackage: a\nVersion: 1\nSHA256: 12\nFilename: f\n"
                      "Source-URI: u\n";
    T_EQ_INT(jeos_write_file_atomic(path, bad, strlen(bad), 0644, &e), 0);
    T_CHECK(jeos_lock_read(path, &back, &e) < 0);
    char *want = xasprintf("%s:3: SHA256: not 64 hex digits (got \"12\")", path);
    T_CHECK(e.n && strcmp(e.msgs[e.n - 1], want) == 0);
    free(want);
    jeos_err_free(&e);
    unlink(path);
    rmdir(dir);
    free(path);
}

int main(void)
{
    T_RUN(test_deb822);
    T_RUN(test_dep_clauses);
    T_RUN(test_packages);
    T_RUN(test_clearsign);
    T_RUN(test_sources);
    T_RUN(test_lock_roundtrip);
    return T_DONE();
}
