/* uksbom.c — a unikernel's SPDX document: the application, musl, the jeos kernel and runtime, the
 * sources (see uksbom.h). */
#include "builder/unikernel/uksbom.h"

#include <stdlib.h>
#include <string.h>

#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/spawn.h"
#include "builder/core/util.h"
#include "builder/debian/copyright.h"
#include "builder/output/sbom.h"
#include "builder/recipe/recipe.h"

/* The host's musl-dev (whose libc.a is linked): its dpkg fields and copyright file. */
static void add_musl(struct jeos_sbom *doc)
{
    struct sbuf out = {0};
    struct jeos_err e = {0};
    char *argv[] = {"dpkg-query", "-W",
                    "-f=${Version}\n${Maintainer}\n${Homepage}\n${Architecture}\n", "musl-dev",
                    NULL};
    char *f[4] = {0};
    if (jeos_spawn(argv, &out, &e) == 0 && out.s) {
        char *l = out.s;
        for (size_t i = 0; i < 4 && *l; i++) {
            size_t n = strcspn(l, "\n");
            f[i] = n ? xstrndup(l, n) : NULL;
            l += n + (l[n] == '\n');
        }
    }
    /* musl-dev's doc folder is empty in bookworm: the copyright is its source's, in musl's */
    const char *paths[] = {"/usr/share/doc/musl-dev/copyright", "/usr/share/doc/musl/copyright"};
    struct jeos_copyright c = {0};
    const char *from = NULL;
    for (size_t i = 0; i < 2 && !from; i++) {
        char *data = NULL;
        size_t len = 0;
        struct jeos_err e2 = {0};
        if (jeos_read_file(paths[i], &data, &len, &e2) == 0) {
            jeos_copyright_parse(data, len, &c);
            from = paths[i];
        }
        jeos_err_free(&e2);
        free(data);
    }
    char *note = c.expression ? xasprintf("from %s (machine-readable); its License fields: %s",
                                          from, c.debian)
                              : xasprintf("NOASSERTION: %s", from ? c.why : "no copyright file");
    char *sup = jeos_sbom_supplier(f[1]);
    char *purl =
        f[0] ? xasprintf("pkg:deb/debian/musl-dev@%s?arch=%s", f[0], f[3] ? f[3] : "amd64") : NULL;
    struct jeos_sbom_pkg p = {
        .name = "musl-dev",
        .version = f[0],
        .arch = f[3],
        .supplier = sup,
        .license = c.expression,
        .license_note = note,
        .source = "built from the Debian source package musl",
        .homepage = f[2],
        .purl = purl,
        .comment = "musl's libc.a, linked in statically, from the building host's Debian musl-dev",
        .parent = -1,
        .why = "the unikernel's C library",
        .in_image = true,
    };
    jeos_sbom_add_pkg(doc, &p);
    for (size_t k = 0; k < c.nrefs; k++)
        jeos_sbom_add_license(doc, c.refs[k].id, c.refs[k].debian, c.refs[k].text);
    jeos_copyright_free(&c);
    for (size_t i = 0; i < 4; i++)
        free(f[i]);
    free(note), free(sup), free(purl);
    sbuf_free(&out);
    jeos_err_free(&e);
}

int uk_sbom_write(const struct jeos_ctx *ctx, const struct recipe *r, const char *dir,
                  struct jeos_err *err)
{
    struct jeos_sbom doc = {.name = xstrdup(r->name),
                            .version = xstrdup(r->version),
                            .kind = xstrdup("unikernel"),
                            .description = r->description ? xstrdup(r->description) : NULL,
                            .created = ctx->have_epoch ? ctx->epoch : 0};
    /* jeos's own parts: their source is this tree, their version this jeos's */
    static const struct {
        const char *name, *what;
    } own[] = {
        {"jeos-unikernel", "the jeos unikernel kernel (unikernel/: boot, memory, time, "
                           "interrupts, platform, drivers), linked in"},
        {"jeos-runtime", "the jeos POSIX runtime under musl (runtime/libc), linked in"},
    };
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
        struct jeos_sbom_pkg p = {.name = (char *)own[i].name,
                                  .version = JEOS_VERSION,
                                  .license_note = "NOASSERTION: the jeos tree declares no license",
                                  .source = "built from the jeos source tree",
                                  .comment = (char *)own[i].what,
                                  .parent = -1,
                                  .why = "every jeos unikernel links it",
                                  .in_image = true};
        jeos_sbom_add_pkg(&doc, &p);
    }
    add_musl(&doc);
    int rc = 0;
    for (size_t i = 0; i < r->sources.n && rc == 0; i++) {
        char *path = xasprintf("%s/%s", r->dir, r->sources.v[i]), *data = NULL;
        size_t len = 0;
        rc = jeos_read_file(path, &data, &len, err);
        char *name = xasprintf("/%s", r->sources.v[i]);
        if (rc == 0)
            jeos_sbom_add_file(&doc, name, data ? data : "", len,
                               "an application source (sources:), compiled into the ELF");
        free(path), free(data), free(name);
    }
    if (rc == 0) {
        struct sbuf json = {0};
        jeos_sbom_json(&doc, &json);
        char *out = xasprintf("%s/%s%s", dir, r->name, JEOS_SBOM_SUFFIX);
        rc = jeos_write_file_atomic(out, json.s, json.len, 0644, err);
        free(out);
        sbuf_free(&json);
    }
    jeos_sbom_free(&doc);
    return rc;
}
