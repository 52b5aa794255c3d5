/* uksbom.c — a unikernel's SPDX document: the application, musl, the jeos kernel and runtime,
 * lwIP and the recipe's Debian source package when linked, the sources (see uksbom.h). */
#include "builder/unikernel/uksbom.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/spawn.h"
#include "builder/core/util.h"
#include "builder/debian/copyright.h"
#include "builder/debian/pkgindex.h"
#include "builder/output/sbom.h"
#include "builder/recipe/recipe.h"

/* The first of `paths` that can be read, parsed into *c (NULL when none can be). */
static const char *read_copyright(const char *const *paths, size_t n, struct jeos_copyright *c)
{
    for (size_t i = 0; i < n; i++) {
        char *data = NULL;
        size_t len = 0;
        struct jeos_err e = {0};
        int rc = jeos_read_file(paths[i], &data, &len, &e);
        jeos_err_free(&e);
        if (rc == 0) {
            jeos_copyright_parse(data ? data : "", len, c);
            free(data);
            return paths[i];
        }
    }
    return NULL;
}

/* Adds p with c's license (read from `from`, NULL when there was no copyright file) and the
   LicenseRef- texts it uses. */
static void add_licensed(struct jeos_sbom *doc, struct jeos_sbom_pkg *p,
                         const struct jeos_copyright *c, const char *from)
{
    char *note = c->expression ? xasprintf("from %s (machine-readable); its License fields: %s",
                                           from, c->debian)
                               : xasprintf("NOASSERTION: %s: %s", from ? from : "copyright",
                                           from ? c->why : "no copyright file");
    p->license = c->expression;
    p->license_note = note;
    jeos_sbom_add_pkg(doc, p);
    for (size_t k = 0; k < c->nrefs; k++)
        jeos_sbom_add_license(doc, c->refs[k].id, c->refs[k].debian, c->refs[k].text);
    free(note);
}

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
    static const char *const paths[] = {"/usr/share/doc/musl-dev/copyright",
                                        "/usr/share/doc/musl/copyright"};
    struct jeos_copyright c = {0};
    const char *from = read_copyright(paths, 2, &c);
    char *sup = jeos_sbom_supplier(f[1]);
    char *purl =
        f[0] ? xasprintf("pkg:deb/debian/musl-dev@%s?arch=%s", f[0], f[3] ? f[3] : "amd64") : NULL;
    struct jeos_sbom_pkg p = {
        .name = "musl-dev",
        .version = f[0],
        .arch = f[3],
        .supplier = sup,
        .source = "built from the Debian source package musl",
        .homepage = f[2],
        .purl = purl,
        .comment = "musl's libc.a, linked in statically, from the building host's Debian musl-dev",
        .parent = -1,
        .why = "the unikernel's C library",
        .in_image = true,
    };
    add_licensed(doc, &p, &c, from);
    jeos_copyright_free(&c);
    for (size_t i = 0; i < 4; i++)
        free(f[i]);
    free(sup), free(purl);
    sbuf_free(&out);
    jeos_err_free(&e);
}

/* DIR/debian/NAME read whole (NUL-terminated, never NULL on success). */
static int read_debian(const char *dir, const char *name, char **data, char **path,
                       struct jeos_err *err)
{
    size_t len = 0;
    *path = xasprintf("%s/debian/%s", dir, name);
    *data = NULL;
    int rc = jeos_read_file(*path, data, &len, err);
    if (rc == 0 && !*data)
        *data = xstrdup("");
    return rc;
}

/*
 * A Debian source package compiled into the ELF, described by DIR/debian: its name and version
 * from the changelog's first line ("lwip (2.1.3+dfsg1-2) unstable; ..."), supplier and homepage
 * from the control file's source stanza, its license from the copyright file, the sha256 of its
 * .dsc (dsc, or NULL) as its checksum.
 */
static int add_srcpkg(struct jeos_sbom *doc, const char *dir, const char *dsc, const char *comment,
                      const char *why, struct jeos_err *err)
{
    char *clog = NULL, *ctl = NULL, *cpath = NULL, *tpath = NULL;
    int rc = read_debian(dir, "changelog", &clog, &cpath, err);
    if (rc == 0)
        rc = read_debian(dir, "control", &ctl, &tpath, err);
    const char *open = clog ? strstr(clog, " (") : NULL;
    const char *close = open ? strchr(open, ')') : NULL;
    if (rc == 0 &&
        (!close || memchr(clog, '\n', (size_t)(close - clog)) || open == clog || close == open + 2))
        rc = jeos_errf(err, -EBADMSG, "%s: line 1: not a changelog entry \"SOURCE (VERSION) ...\"",
                       cpath);
    if (rc == 0) {
        char *name = xstrndup(clog, (size_t)(open - clog));
        char *version = xstrndup(open + 2, (size_t)(close - open - 2));
        char *maint = NULL, *home = NULL;
        struct deb822_iter it;
        struct deb822_field f;
        deb822_init(&it, ctl, strlen(ctl));
        while (deb822_next(&it, &f) == 1) { /* the first stanza: the source's */
            if (deb822_is(&f, "Maintainer"))
                maint = f.val;
            else if (deb822_is(&f, "Homepage"))
                home = f.val;
        }
        char *cr_path = xasprintf("%s/debian/copyright", dir);
        const char *crs[] = {cr_path};
        struct jeos_copyright c = {0};
        const char *from = read_copyright(crs, 1, &c);
        char *sup = jeos_sbom_supplier(maint);
        char *src = xasprintf("the Debian source package %s %s", name, version);
        char *purl = xasprintf("pkg:deb/debian/%s@%s?arch=source", name, version);
        char *note = xasprintf("%s; SHA256 is its .dsc's", comment);
        struct jeos_sbom_pkg p = {
            .name = name,
            .version = version,
            .arch = "source",
            .supplier = sup,
            .sha256 = (char *)dsc,
            .source = src,
            .homepage = home,
            .purl = purl,
            .comment = dsc ? note : (char *)comment,
            .parent = -1,
            .why = (char *)why,
            .in_image = true,
        };
        add_licensed(doc, &p, &c, from);
        jeos_copyright_free(&c);
        free(name), free(version), free(cr_path), free(sup), free(src), free(purl), free(note);
    }
    free(clog), free(ctl), free(cpath), free(tpath);
    return rc;
}

/* s when it is 64 lowercase hex digits, else NULL. */
static const char *sha256_or_null(const char *s)
{
    return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64 ? s : NULL;
}

/* A source package compiled into the kit as the kit records it (KIT/SUB: debian/changelog,
 * control, copyright and dsc.sha256, written by make from the tree it compiled): lwIP (KIT/lwip),
 * libext2fs's e2fsprogs (KIT/e2fsprogs). */
static int add_kit_srcpkg(struct jeos_sbom *doc, const char *kit, const char *sub, const char *what,
                          const char *comment, const char *why, struct jeos_err *err)
{
    char *dir = xasprintf("%s/%s", kit, sub), *shapath = xasprintf("%s/dsc.sha256", dir);
    char *sha = NULL;
    size_t len = 0;
    int rc = jeos_read_file(shapath, &sha, &len, err);
    if (rc < 0)
        jeos_errf(err, rc, "%s: the kit does not say which %s it has (run make)", kit, what);
    if (sha)
        sha[strcspn(sha, "\n")] = '\0';
    if (rc == 0)
        rc = add_srcpkg(doc, dir, sha256_or_null(sha), comment, why, err);
    free(dir), free(shapath), free(sha);
    return rc;
}

int uk_sbom_write(const struct jeos_ctx *ctx, const struct recipe *r,
                  const struct uk_sbom_parts *parts, const char *dir, struct jeos_err *err)
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
    int rc = parts->net ? add_kit_srcpkg(&doc, parts->kit, "lwip", "lwIP its network stack",
                                         "lwIP's core, compiled into the kit's network stack "
                                         "(lib/uk-net.o) and linked in",
                                         "the network stack: the recipe has a network or the "
                                         "program makes sockets",
                                         err)
                        : 0;
    if (rc == 0 && r->nvolumes)
        rc = add_kit_srcpkg(&doc, parts->kit, "e2fsprogs", "libext2fs its volumes have",
                            "libext2fs (lib/ext2fs), compiled into the kit's volumes "
                            "(lib/uk-ext4.o) and linked in",
                            "the volumes: the recipe has volumes", err);
    if (rc == 0 && parts->tree) {
        const char *slash = strrchr(parts->tree, '/');
        rc = add_srcpkg(&doc, parts->tree, sha256_or_null(slash ? slash + 1 : NULL),
                        "its files named by the recipe's source.sources, compiled into the ELF",
                        "source.debian", err);
    }
    for (size_t i = 0; i < parts->nsrcs && rc == 0; i++) {
        char *path = xasprintf("%s/%s", r->dir, parts->srcs[i]), *data = NULL;
        size_t len = 0;
        rc = jeos_read_file(path, &data, &len, err);
        char *name = xasprintf("/%s", parts->srcs[i]);
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
