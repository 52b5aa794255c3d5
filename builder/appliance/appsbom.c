/* appsbom.c — an appliance's SPDX document from its resolution, its packages' control fields and
 * copyright files, and the files jeos added (see appsbom.h). */
#include "builder/appliance/appsbom.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "builder/appliance/rootfs.h"
#include "builder/appliance/secureboot.h"
#include "builder/core/alloc.h"
#include "builder/core/cache.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/spawn.h"
#include "builder/core/tree.h"
#include "builder/core/util.h"
#include "builder/recipe/recipe.h"

static bool is_kernel_image(const char *name)
{
    return strncmp(name, "linux-image-", 12) == 0;
}

/* Package i's copyright file from the tree (before trimming). */
static void copyright_from_tree(struct app_sbom *a, size_t i, struct tree *t)
{
    char *path = xasprintf("/usr/share/doc/%s/copyright", a->res->v[i].name);
    struct tree_node *n = tree_lookup(t, path, TREE_FOLLOW_LAST, NULL);
    unsigned char *data = NULL;
    struct jeos_err e = {0};
    if (!n || n->ino->type != TREE_FILE) {
        a->cr[i].why = xasprintf("the package has no %s", path);
    } else if (tree_inode_read(n->ino, &data, &e) < 0) {
        a->cr[i].why = xasprintf("%s: unreadable", path);
    } else {
        jeos_copyright_parse((const char *)data, (size_t)n->ino->size, &a->cr[i]);
        a->have_cr[i] = true;
    }
    jeos_err_free(&e);
    free(data), free(path);
}

/* A kernel package's copyright file from the extracted folder, checked against its seal when
   the folder is the cache's (`sealed`). */
static void copyright_from_kdir(struct app_sbom *a, size_t i, const char *kdir, bool sealed)
{
    char *path = xasprintf("%s/usr/share/doc/%s/copyright", kdir, a->res->v[i].name);
    char real[PATH_MAX], rkdir[PATH_MAX], *why = NULL, *data = NULL;
    size_t len = 0, kl;
    struct jeos_err e = {0};
    if (!realpath(path, real) || !realpath(kdir, rkdir) ||
        strncmp(real, rkdir, kl = strlen(rkdir)) || real[kl] != '/') {
        a->cr[i].why =
            xasprintf("the package has no /usr/share/doc/%s/copyright", a->res->v[i].name);
    } else if ((sealed && cache_tree_file(rkdir, real + kl + 1, &why, &e) < 0) ||
               jeos_read_file(real, &data, &len, &e) < 0) {
        a->cr[i].why = xasprintf("its copyright file failed the kernel folder's check (%s)",
                                 why   ? why
                                 : e.n ? e.msgs[0]
                                       : "unreadable");
    } else {
        jeos_copyright_parse(data, len, &a->cr[i]);
        a->have_cr[i] = true;
    }
    jeos_err_free(&e);
    free(why), free(data), free(path);
}

/* A kernel package's control fields, from its .deb (dpkg-deb -f). */
static void control_from_deb(const struct jeos_ctx *ctx, struct app_sbom *a, size_t i)
{
    char *deb = NULL;
    struct jeos_err e = {0};
    struct sbuf out = {0};
    if (jeos_package_path(ctx, &a->res->v[i], &deb, &e) == 0) {
        char *argv[] = {"dpkg-deb", "-f", deb, "Maintainer", "Source", "Homepage", NULL};
        if (jeos_spawn(argv, &out, &e) == 0 && out.s) {
            static const char *const f[] = {"Maintainer: ", "Source: ", "Homepage: "};
            char **dst[] = {&a->maintainer[i], &a->source[i], &a->homepage[i]};
            for (char *l = out.s; *l;) {
                size_t n = strcspn(l, "\n");
                for (size_t k = 0; k < 3; k++)
                    if (strncmp(l, f[k], strlen(f[k])) == 0 && !*dst[k])
                        *dst[k] = xstrndup(l + strlen(f[k]), n - strlen(f[k]));
                l += n + (l[n] == '\n');
            }
        }
    }
    jeos_err_free(&e);
    sbuf_free(&out);
    free(deb);
}

void app_sbom_collect(const struct jeos_ctx *ctx, struct app_sbom *a,
                      const struct jeos_resolution *res, const struct rootfs *rf, const char *kdir,
                      const char *sbdir, const bool *in_kernel)
{
    app_sbom_free(a); /* the root stage runs again when the closure check adds packages */
    a->secure_boot = sbdir != NULL;
    size_t n = res->n + 1;
    a->res = res;
    a->n = res->n;
    a->in_kernel = in_kernel;
    a->cr = xcalloc(n, sizeof(*a->cr));
    a->have_cr = xcalloc(n, sizeof(bool));
    a->maintainer = xcalloc(n, sizeof(char *));
    a->source = xcalloc(n, sizeof(char *));
    a->homepage = xcalloc(n, sizeof(char *));
    for (size_t j = 0; j < rf->npkgs; j++) {
        int i = jeos_resolution_find(res, rf->pkgs[j].name);
        if (i < 0 || a->have_cr[i])
            continue;
        const struct deb_info *d = &rf->pkgs[j];
        a->maintainer[i] = d->maintainer ? xstrdup(d->maintainer) : NULL;
        a->source[i] = d->source ? xstrdup(d->source) : NULL;
        a->homepage[i] = d->homepage ? xstrdup(d->homepage) : NULL;
        copyright_from_tree(a, (size_t)i, rf->tree);
    }
    for (size_t i = 0; i < res->n; i++) {
        const char *dir = !in_kernel[i]                         ? NULL
                          : is_kernel_image(res->v[i].name)     ? kdir
                          : sbdir && sb_package(res->v[i].name) ? sbdir
                                                                : NULL;
        if (dir) {
            copyright_from_kdir(a, i, dir, dir == kdir);
            control_from_deb(ctx, a, i);
        }
    }
}

/* purl's version: percent-encoded where a Debian version has '+', ':' or '%'. */
static char *purl(const struct jeos_pkgref *p, const char *suite)
{
    struct sbuf b = {0};
    sbuf_printf(&b, "pkg:deb/debian/%s@", p->name);
    for (const char *c = p->version; *c; c++) {
        if (*c == '+' || *c == ':' || *c == '%')
            sbuf_printf(&b, "%%%02X", (unsigned char)*c);
        else
            sbuf_add(&b, c, 1);
    }
    sbuf_printf(&b, "?arch=%s", p->arch);
    if (suite)
        sbuf_printf(&b, "&distro=debian-%s", suite);
    return sbuf_take(&b);
}

/* What a file no package installed is, by where it is. */
static char *file_comment(const struct recipe *r, const struct jeos_resolution *res,
                          const char *path)
{
    for (size_t i = 0; i < r->nfiles; i++) {
        size_t l = strlen(r->files[i].dst);
        if (strncmp(path, r->files[i].dst, l) == 0 &&
            (path[l] == '\0' || path[l] == '/' || (l && r->files[i].dst[l - 1] == '/')))
            return xasprintf("from the recipe (files: %s)", r->files[i].src);
    }
    if (strncmp(path, "/usr/lib/modules/", 17) == 0) {
        const char *base = strrchr(path, '/') + 1;
        if (strcmp(base, "modules.dep") == 0)
            return xstrdup("written by jeos: the trimmed module tree's modules.dep");
        /* /usr/lib/modules/VERSION/...: from linux-image-VERSION */
        char *pkg = xasprintf("linux-image-%.*s", (int)strcspn(path + 17, "/"), path + 17);
        char *c = jeos_resolution_find(res, pkg) >= 0
                      ? xasprintf("copied from the kernel package %s (the modules the appliance "
                                  "may load)",
                                  pkg)
                      : xstrdup("copied from the kernel package (the modules the appliance may "
                                "load)");
        free(pkg);
        return c;
    }
    if (strcmp(path, "/etc/jeos/init.conf") == 0)
        return xstrdup("written by jeos: runtime/init's configuration, from the recipe");
    return xstrdup("written by jeos: system configuration (what maintainer scripts would have "
                   "made)");
}

struct walk {
    struct jeos_sbom *doc;
    const struct recipe *r;
    const struct jeos_resolution *res;
    struct jeos_err *err;
};

static int add_own_file(struct tree_node *n, const char *path, void *arg)
{
    struct walk *w = arg;
    if (n->ino->type != TREE_FILE || (n->ino->pkg && n->ino->pkg[0]))
        return 0;
    unsigned char *data = NULL;
    if (tree_inode_read(n->ino, &data, w->err) < 0)
        return -EIO;
    char *c = file_comment(w->r, w->res, path);
    jeos_sbom_add_file(w->doc, path, data ? data : (unsigned char *)"", (size_t)n->ino->size, c);
    free(c), free(data);
    return 0;
}

int app_sbom_finish(const struct jeos_ctx *ctx, struct app_sbom *a, struct rootfs *rf,
                    const struct recipe *r, const bool *in_root, const char *init,
                    const char *out_path, struct jeos_err *err)
{
    (void)ctx;
    const struct jeos_resolution *res = a->res;
    struct jeos_sbom doc = {.name = xstrdup(r->name),
                            .version = xstrdup(r->version),
                            .kind = xstrdup("appliance"),
                            .description = r->description ? xstrdup(r->description) : NULL,
                            .created = rf->epoch};
    for (size_t i = 0; i < res->n; i++) {
        const struct jeos_pkgref *p = &res->v[i];
        bool kimg = a->in_kernel[i] && !in_root[i] &&
                    (is_kernel_image(p->name) || (a->secure_boot && sb_package(p->name)));
        bool in = in_root[i] || kimg;
        const struct jeos_copyright *c = &a->cr[i];
        char *dl = xasprintf("%s/%s", p->uri, p->filename);
        char *src = NULL;
        if (a->source[i] || in) {
            const char *s = a->source[i] ? a->source[i] : p->name;
            src = strchr(s, '(')
                      ? xasprintf("built from the Debian source package %s", s)
                      : xasprintf("built from the Debian source package %s %s", s, p->version);
        }
        char *note = c->expression
                         ? xasprintf("from /usr/share/doc/%s/copyright (machine-readable); its "
                                     "License fields: %s",
                                     p->name, c->debian)
                     : in ? xasprintf("NOASSERTION: /usr/share/doc/%s/copyright: %s", p->name,
                                      c->why ? c->why : "not read")
                          : xstrdup("NOASSERTION: the package is not in the image (not fetched)");
        char *sup = jeos_sbom_supplier(a->maintainer[i]);
        char *pu = purl(p, r->debian.suite);
        struct jeos_sbom_pkg sp = {
            .name = p->name,
            .version = p->version,
            .arch = p->arch,
            .supplier = sup,
            .download = dl,
            .sha256 = p->sha256,
            .license = c->expression,
            .license_note = note,
            .source = src,
            .homepage = a->homepage[i],
            .purl = pu,
            .comment = in ? (char *)"in the image"
                          : (char *)"resolved as a dependency of the kernel package, not installed "
                                    "(the kernel's own tools are left out of an appliance)",
            .parent = p->parent,
            .why = p->why,
            .in_image = in,
        };
        jeos_sbom_add_pkg(&doc, &sp);
        for (size_t k = 0; k < c->nrefs; k++)
            jeos_sbom_add_license(&doc, c->refs[k].id, c->refs[k].debian, c->refs[k].text);
        free(dl), free(src), free(note), free(sup), free(pu);
    }
    struct walk w = {.doc = &doc, .r = r, .res = res, .err = err};
    int rc = tree_walk(rf->tree, add_own_file, &w);
    char *idata = NULL;
    size_t ilen = 0;
    /* an init that cannot be read is the initramfs stage's to report: that build never ends */
    struct jeos_err ie = {0};
    if (rc == 0 && jeos_read_file(init, &idata, &ilen, &ie) == 0)
        jeos_sbom_add_file(&doc, "/init", idata, ilen,
                           "runtime/init (jeos-init), PID 1: the /init of the initramfs "
                           "(/boot/initrd.img on the boot partition), not of the root");
    jeos_err_free(&ie);
    free(idata);
    struct sbuf json = {0};
    if (rc == 0) {
        jeos_sbom_json(&doc, &json);
        struct tree_node *parent;
        const char *base;
        rc = tree_resolve_parent(rf->tree, JEOS_SBOM_ROOT_PATH, true, rf->epoch, &parent, &base);
        if (rc < 0) {
            jeos_errf(err, rc, "%s: cannot place in the root: %s", JEOS_SBOM_ROOT_PATH,
                      strerror(-rc));
        } else {
            struct tree_inode *ino = tree_inode_new(TREE_FILE, 0644, 0, 0, rf->epoch);
            tree_inode_set_buf(ino, json.s, json.len);
            tree_link(rf->tree, parent, base, ino);
            rc = jeos_write_file_atomic(out_path, json.s, json.len, 0644, err);
        }
    }
    sbuf_free(&json);
    jeos_sbom_free(&doc);
    return rc < 0 ? rc : 0;
}

void app_sbom_free(struct app_sbom *a)
{
    for (size_t i = 0; i < a->n; i++) {
        if (a->cr)
            jeos_copyright_free(&a->cr[i]);
        if (a->maintainer)
            free(a->maintainer[i]), free(a->source[i]), free(a->homepage[i]);
    }
    free(a->cr), free(a->have_cr), free(a->maintainer), free(a->source), free(a->homepage);
    memset(a, 0, sizeof(*a));
}
