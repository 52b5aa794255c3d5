/* solver_fuzz.c — libFuzzer target: any bytes as a Packages index, then several requests solved;
 * the solver must end (within its budget), and a closure must hold each name once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/debian/pkgindex.h"
#include "builder/debian/solver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jeos_err err = {0};
    struct pkg_universe u;
    pkgu_init(&u, "amd64");
    uint32_t o = pkgu_add_origin(&u, "fuzz/main", "file:/fuzz");
    char *b = xmalloc(size + 1);
    memcpy(b, data, size);
    b[size] = '\0';
    if (pkgu_add_index(&u, b, size, o, "Packages", &err) == 0 && u.n > 0) {
        /* Each package alone, then the first, a middle one and the last one together. */
        size_t n = u.n < 8 ? u.n : 8;
        for (size_t i = 0; i <= n; i++) {
            struct solver_request req[3] = {{u.pkgs[i < n ? i : 0].name, NULL},
                                            {u.pkgs[u.n / 2].name, NULL},
                                            {u.pkgs[u.n - 1].name, NULL}};
            size_t nreq = i < n ? 1 : 3;
            if (i == 1 && i < n) /* one pinned request */
                req[0].version = u.pkgs[1].version;
            struct solver_result res;
            struct jeos_err e2 = {0};
            if (solver_resolve(&u, req, nreq, &res, &e2) == 0) {
                if (res.n == 0)
                    __builtin_trap();
                for (size_t a = 0; a < res.n; a++) {
                    if (res.items[a].parent >= (int32_t)a)
                        __builtin_trap(); /* a parent comes first */
                    for (size_t c = a + 1; c < res.n; c++)
                        if (u.pkgs[res.items[a].pkg].name_id == u.pkgs[res.items[c].pkg].name_id)
                            __builtin_trap(); /* one version per name */
                    free(solver_chain(&u, &res, a));
                }
                solver_result_free(&res);
            } else if (!jeos_err_count(&e2)) {
                __builtin_trap(); /* a failure always says why */
            }
            jeos_err_free(&e2);
        }
    }
    pkgu_free(&u);
    jeos_err_free(&err);
    return 0;
}
