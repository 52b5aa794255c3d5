/* pkgindex_fuzz.c — libFuzzer target: any bytes as a Packages index (then solved), a Release file,
 * a deb822 sources file and an InRelease armour; each must fail cleanly or succeed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/debian/pkgindex.h"
#include "builder/debian/repo.h"
#include "builder/debian/solver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *copy(const uint8_t *data, size_t size)
{
    char *b = xmalloc(size + 1);
    memcpy(b, data, size);
    b[size] = '\0';
    return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jeos_err err = {0};
    struct pkg_universe u;
    pkgu_init(&u, "amd64");
    uint32_t o = pkgu_add_origin(&u, "fuzz/main", "file:/fuzz");
    int rc = pkgu_add_index(&u, copy(data, size), size, o, "Packages", &err);
    if ((rc < 0) != (jeos_err_count(&err) > 0))
        __builtin_trap(); /* a failure always says why, a success says nothing */
    if (rc == 0 && u.n > 0) {
        /* Resolve the first and the last package: the solver must end, either way. */
        struct solver_request req[2] = {{u.pkgs[0].name, NULL}, {u.pkgs[u.n - 1].name, NULL}};
        struct solver_result res;
        struct jeos_err e2 = {0};
        if (solver_resolve(&u, req, 2, &res, &e2) == 0) {
            if (res.n == 0)
                __builtin_trap();
            for (size_t i = 0; i < res.n; i++)
                free(solver_chain(&u, &res, i));
            solver_result_free(&res);
        } else if (!jeos_err_count(&e2)) {
            __builtin_trap();
        }
        jeos_err_free(&e2);
    }
    pkgu_free(&u);
    jeos_err_free(&err);

    struct repo_release rel = {0};
    char *b = copy(data, size);
    rc = repo_release_parse(b, size, "Release", &rel, &err);
    for (size_t i = 0; rc == 0 && i < rel.n; i++)
        if (strlen(rel.v[i].sha256) != 64)
            __builtin_trap();
    repo_release_free(&rel);
    free(b);
    jeos_err_free(&err);

    struct repo_sources s = {0};
    b = copy(data, size);
    repo_parse_deb822_sources("fuzz.sources", b, size, "/k", &s, &err);
    repo_sources_free(&s);
    free(b);
    b = copy(data, size);
    repo_parse_sources_list("fuzz.list", b, "/k", &s, &err);
    repo_sources_free(&s);
    free(b);
    jeos_err_free(&err);

    size_t n;
    free(deb822_strip_clearsign((const char *)data, size, &n));
    return 0;
}
