/* build.c — `jeos build` for an appliance: resolve, fetch, root tree, kernel, root
 * filesystem, initramfs, disk, formats, build report. */
#include "builder/appliance/build.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "boot/disk.h"
#include "boot/grub.h"
#include "boot/initramfs.h"
#include "boot/modules.h"
#include "builder/core/alloc.h"
#include "builder/core/cache.h"
#include "builder/core/cleanup.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/spawn.h"
#include "builder/core/util.h"
#include "builder/output/output.h"
#include "builder/debian/lock.h"
#include "builder/recipe/recipe.h"
#include "builder/debian/repo_resolve.h"
#include "builder/appliance/rootfs.h"
#include "images/format.h"
#include "images/fs.h"
#include "builder/appliance/closure.h"
#include "builder/appliance/init_conf.h"
#include "builder/appliance/appsbom.h"
#include "builder/appliance/secureboot.h"

/* Everything one build holds, freed in one place. */
struct build {
    const struct jeos_ctx *ctx; /* from the root tree on: &epoch_ctx */
    struct jeos_ctx epoch_ctx;  /* the caller's, with the root's epoch for every writer */
    const struct recipe *r;
    const struct appliance_build_opts *opts;
    const struct jeos_resolve_opts *lock_only; /* appliance_resolve: resolve, check, no images */
    struct jeos_output out;                    /* OUT/NAME and its staging folder */
    char *work; /* STAGE/.work: what the images are made of, removed at the end */
    char *init; /* the jeos-init binary */
    char *rootimg, *initrd, *raw, *seed;
    char *direct_cmdline;  /* the kernel's command line booted without GRUB (format xen) */
    uint64_t dsize, alloc; /* the disk's bytes, and those allocated */
    struct jeos_resolution res;
    char *lock;
    const char *lock_how; /* "used", "written", "used (--locked)" */
    char **debs;          /* cache path of each package's .deb */
    bool *in_kernel;      /* the package is in the kernel request's subtree */
    bool *in_root;
    struct sbuf pulled; /* kernel-subtree packages the root needed after all */
    char *kdir, *vmlinuz, *modroot;
    struct rootfs *rf;
    struct jeos_modlist rootmods, initmods;
    uint64_t mod_total_n, mod_total_bytes, mod_kept_bytes;
    struct jeos_extra_req *extra; /* packages the closure check asked for (strings owned) */
    size_t nextra;
    int rounds; /* times the root was made again for them */
    struct closure_result closure;
    double secs[8];    /* per stage, as stages[] lists them */
    struct sbuf sizes; /* lines for the report */
    struct timespec t0;
    struct app_sbom sbom;             /* NAME.spdx.json (appsbom.h) */
    char *sbdir, *shim, *signed_grub; /* image.secure_boot (secureboot.h) */
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t file_size(const char *path, uint64_t *allocated)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    if (allocated)
        *allocated = (uint64_t)st.st_blocks * 512;
    return (uint64_t)st.st_size;
}

static double mib(uint64_t b)
{
    return (double)b / 1048576.0;
}

/* The jeos-init binary: opts, $JEOS_INIT, then beside the running jeos (or one folder up). */
static char *find_init(const struct appliance_build_opts *o, struct jeos_err *err)
{
    if (o->init_path)
        return xstrdup(o->init_path);
    const char *env = getenv("JEOS_INIT");
    if (env && *env)
        return xstrdup(env);
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = 0;
        char *d = dirname(self);
        char *p = xasprintf("%s/jeos-init", d);
        if (access(p, R_OK) == 0)
            return p;
        free(p);
        p = xasprintf("%s/../jeos-init", d);
        if (access(p, R_OK) == 0)
            return p;
        free(p);
    }
    jeos_errf(err, -ENOENT,
              "jeos-init not found beside the jeos binary (run make, or set JEOS_INIT=PATH)");
    return NULL;
}

static int stage_resolve(struct build *b, struct jeos_err *err)
{
    const struct recipe *r = b->r;
    const struct appliance_build_opts *o = b->opts;
    if (!b->lock)
        b->lock = o->lock_path ? xstrdup(o->lock_path) : jeos_lock_path(r->path);
    if (b->lock_only) { /* jeos resolve: always from the sources; its caller writes the lock */
        struct jeos_resolve_opts ro = *b->lock_only;
        ro.extra = b->extra, ro.nextra = b->nextra;
        b->lock_how = "resolved";
        return jeos_resolve_recipe(b->ctx, r, &ro, &b->res, err);
    }
    if (o->locked || (!o->update && !b->nextra && access(b->lock, F_OK) == 0)) {
        int rc = jeos_lock_read(b->lock, &b->res, err);
        if (rc == 0)
            rc = jeos_lock_check(&b->res, b->lock, r, true, err);
        if (rc == 0) {
            b->lock_how = o->locked ? "used exactly (--locked)" : "used (it fits the recipe)";
            return 0;
        }
        if (o->locked) {
            if (rc == -ENOENT)
                jeos_errf(err, rc, "%s: --locked needs a lock (run jeos resolve %s first)", b->lock,
                          r->path);
            return rc;
        }
        jeos_resolution_free(&b->res);
        jeos_err_free(err);
        jeos_log(b->ctx, JEOS_LOG_INFO, "%s no longer fits the recipe: resolving again", b->lock);
    }
    struct jeos_resolve_opts ro = {.with_kernel = true, .extra = b->extra, .nextra = b->nextra};
    int rc = jeos_resolve_recipe(b->ctx, r, &ro, &b->res, err);
    if (rc < 0)
        return rc;
    b->lock_how = "written";
    if (o->lock_path)
        return jeos_lock_write(b->lock, r->path, &b->res, err);
    /* Next to the recipe: a folder we may not write to (a shared checkout) is no reason to fail. */
    struct jeos_err e = {0};
    if (jeos_lock_write(b->lock, r->path, &b->res, &e) < 0) {
        jeos_log(b->ctx, JEOS_LOG_INFO, "warning: %s (the build goes on without a lock file)",
                 e.n ? e.msgs[0] : b->lock);
        b->lock_how = "not written (see the warning)";
    }
    jeos_err_free(&e);
    return 0;
}

/* Marks the kernel request's subtree: the kernel and what only it pulled in. */
static int split_kernel(struct build *b, struct jeos_err *err)
{
    const struct jeos_resolution *res = &b->res;
    const char *kname = b->r->kernel; /* the loader's default when the recipe has none */
    int k = -1;
    for (size_t i = 0; i < res->n && k < 0; i++)
        if (res->v[i].parent < 0 &&
            (!strcmp(res->v[i].name, kname) || !strcmp(res->v[i].why, "requested (kernel)")))
            k = (int)i;
    /* so are image.secure_boot's (shim, GRUB): what they pull in is never installed */
    bool *apart = xcalloc(res->n + 1, sizeof(bool));
    for (size_t i = 0; i < res->n; i++)
        apart[i] = b->r->image.secure_boot && res->v[i].parent < 0 && sb_package(res->v[i].name);
    if (k < 0)
        return jeos_errf(err, -EINVAL, "%s: kernel: %s is not in the resolution (lock %s)",
                         b->r->path, kname, b->lock);
    b->in_kernel = xcalloc(res->n + 1, sizeof(bool));
    b->in_root = xcalloc(res->n + 1, sizeof(bool));
    for (size_t i = 0; i < res->n; i++) {
        int p = res->v[i].parent;
        b->in_kernel[i] = (int)i == k || apart[i] || (p >= 0 && (size_t)p < i && b->in_kernel[p]);
    }
    free(apart);
    return 0;
}

static bool is_kernel_image(const struct jeos_pkgref *p)
{
    return strncmp(p->name, "linux-image-", 12) == 0;
}

/* A package of the kernel's subtree whose files the disk holds: the kernel, the signed boot
   chain (secure_boot). */
static bool extracted(const struct build *b, const struct jeos_pkgref *p)
{
    return is_kernel_image(p) || (b->r->image.secure_boot && sb_package(p->name));
}

static int stage_fetch(struct build *b, struct jeos_err *err)
{
    int rc = 0;
    if (b->lock_only && !b->lock_only->with_kernel) { /* --no-kernel: every package is the root's */
        b->in_kernel = xcalloc(b->res.n + 1, sizeof(bool));
        b->in_root = xcalloc(b->res.n + 1, sizeof(bool));
    } else if ((rc = split_kernel(b, err)) < 0) {
        return rc;
    }
    b->debs = xcalloc(b->res.n + 1, sizeof(char *));
    if (b->lock_only)
        return 0; /* the root tree reads (and fetches) what it needs; the kernel is not read */
    for (size_t i = 0; i < b->res.n; i++) {
        const struct jeos_pkgref *p = &b->res.v[i];
        /* The kernel's tools (kmod, initramfs generators) are never installed. */
        if (b->in_kernel[i] && !extracted(b, p))
            continue;
        rc = jeos_fetch_package(b->ctx, p, &b->debs[i], err);
        if (rc < 0) {
            /* gone from the mirror, or other bytes there: the lock may be what is old */
            if (strcmp(b->lock_how, "written") != 0 && (rc == -ENOENT || rc == -EBADMSG))
                jeos_errf(err, rc,
                          "%s pins %s %s: if the mirror no longer has it, resolve again "
                          "(jeos build --update)",
                          b->lock, p->name, p->version);
            return rc;
        }
    }
    sbuf_printf(&b->sizes,
                "  packages   %zu resolved, %.1f MiB of .deb files, %.1f MiB installed\n", b->res.n,
                mib(b->res.deb_bytes), (double)b->res.installed_kib / 1024.0);
    return 0;
}

/* Adds package i to the root: its bytes checked as they are read from the cache (a bad cached
   .deb is moved aside and fetched again), then extracted into the tree. */
static int root_add(struct build *b, size_t i, struct jeos_err *err)
{
    const struct jeos_pkgref *p = &b->res.v[i];
    char *data = NULL, *label = xasprintf("%s_%s_%s.deb", p->name, p->version, p->arch);
    size_t len = 0;
    int rc = jeos_load_package(b->ctx, p, &data, &len, err);
    if (rc == 0)
        rc = rootfs_add_deb_buffer(b->rf, label, data, len, p->sha256, err);
    if (rc == 0)
        b->in_root[i] = true;
    free(data), free(label);
    return rc;
}

/* Puts a regular file into the root tree: a copy of `data`, or a reference to host file `ref`. */
static int tree_put(struct build *b, const char *path, const void *data, size_t len,
                    const char *ref, uint64_t reflen, struct jeos_err *err)
{
    struct tree_node *parent;
    const char *base;
    int rc = tree_resolve_parent(b->rf->tree, path, true, b->rf->epoch, &parent, &base);
    if (rc < 0)
        return jeos_errf(err, rc, "%s: cannot place in the root: %s", path, strerror(-rc));
    struct tree_inode *ino = tree_inode_new(TREE_FILE, 0644, 0, 0, b->rf->epoch);
    if (ref)
        tree_inode_set_ref(ino, ref, 0, reflen);
    else
        tree_inode_set_buf(ino, data, len);
    tree_link(b->rf->tree, parent, base, ino);
    return 0;
}

/* NULL-terminated copy of the recipe's module names (the array only; names are borrowed). */
static const char **recipe_modules(const struct recipe *r)
{
    const char **v = xcalloc(r->modules.n + 1, sizeof(char *));
    for (size_t i = 0; i < r->modules.n; i++)
        v[i] = r->modules.v[i];
    return v;
}

static int extract_kernel(struct build *b, const char *base, struct jeos_err *err);

/* Checks the bytes of `path`, a file of the extracted kernel, against the folder's seal just
   before the build reads it; a file that differs sends the whole folder aside and the kernel
   is extracted again (same paths), once. */
static int kernel_file_ok(struct build *b, const char *path, struct jeos_err *err)
{
    size_t kl = strlen(b->kdir);
    if (strncmp(path, b->kdir, kl) != 0 || path[kl] != '/')
        return 0; /* not the cache's */
    for (int attempt = 0;; attempt++) {
        char *why = NULL;
        int rc = cache_tree_file(b->kdir, path + kl + 1, &why, err);
        if (rc != -EBADMSG) {
            free(why);
            return rc;
        }
        if (attempt == 1) {
            rc = jeos_errf(err, rc, "%s: %s (just extracted again)", b->kdir, why);
            free(why);
            return rc;
        }
        cache_quarantine(b->ctx, b->kdir, "the extracted kernel", why);
        free(why);
        char *base = xasprintf("%s/kernel", b->ctx->cache_dir);
        rc = extract_kernel(b, base, err);
        free(base);
        if (rc < 0)
            return rc;
    }
}

/* The trimmed module tree: what init could load, with a modules.dep for it. */
static int root_modules(struct build *b, struct jeos_err *err)
{
    const char **req = recipe_modules(b->r);
    int rc =
        jeos_modules_resolve(b->modroot, req, jeos_initramfs_default_modules, &b->rootmods, err);
    free(req);
    if (rc < 0)
        return rc;
    jeos_modules_count(b->modroot, &b->mod_total_n, &b->mod_total_bytes);
    const char *ver = strrchr(b->modroot, '/') ? strrchr(b->modroot, '/') + 1 : b->modroot;
    struct sbuf dep = {0};
    sbuf_puts(&dep, "");
    for (size_t i = 0; i < b->rootmods.n && rc == 0; i++) {
        char *host = xasprintf("%s/%s", b->modroot, b->rootmods.paths[i]);
        char *dst = xasprintf("/usr/lib/modules/%s/%s", ver, b->rootmods.paths[i]);
        uint64_t sz = file_size(host, NULL);
        b->mod_kept_bytes += sz;
        /* checked here, read by the root image and the initramfs (which takes the same set) */
        rc = kernel_file_ok(b, host, err);
        if (rc == 0)
            rc = tree_put(b, dst, NULL, 0, host, sz, err);
        sbuf_printf(&dep, "%s:", b->rootmods.paths[i]);
        /* modules.dep lists every dependency, direct or not: walk back the load order. */
        const char *d = b->rootmods.deps[i];
        while (d && *d) {
            const char *c = strchr(d, ',');
            size_t l = c ? (size_t)(c - d) : strlen(d);
            for (size_t j = 0; j < b->rootmods.n; j++)
                if (strlen(b->rootmods.names[j]) == l && !strncmp(b->rootmods.names[j], d, l))
                    sbuf_printf(&dep, " %s", b->rootmods.paths[j]);
            d = c ? c + 1 : NULL;
        }
        sbuf_puts(&dep, "\n");
        free(host);
        free(dst);
    }
    if (rc == 0) {
        char *dst = xasprintf("/usr/lib/modules/%s/modules.dep", ver);
        rc = tree_put(b, dst, dep.s, strlen(dep.s), NULL, 0, err);
        free(dst);
        char *host = xasprintf("%s/modules.builtin", b->modroot);
        uint64_t sz = file_size(host, NULL);
        if (rc == 0 && access(host, R_OK) == 0) {
            dst = xasprintf("/usr/lib/modules/%s/modules.builtin", ver);
            rc = tree_put(b, dst, NULL, 0, host, sz, err);
            free(dst);
        }
        free(host);
    }
    sbuf_free(&dep);
    return rc;
}

/* Extracts the kernel package(s) into b->kdir: from checked .debs, into a temporary folder that
   is sealed (cache_tree_seal) and renamed into place; a concurrent build may get there first. */
static int extract_kernel(struct build *b, const char *base, struct jeos_err *err)
{
    char *tmp = xasprintf("%s/tmp.XXXXXX", base);
    int rc = jeos_mkdir_p(base, 0755, err);
    if (rc == 0 && !mkdtemp(tmp))
        rc = jeos_errf(err, -errno, "%s: %s", tmp, strerror(errno));
    else if (rc == 0)
        jeos_cleanup_add(tmp);
    for (size_t i = 0; i < b->res.n && rc == 0; i++) {
        if (!b->in_kernel[i] || !is_kernel_image(&b->res.v[i]))
            continue;
        char *deb = NULL;
        if ((rc = jeos_package_path(b->ctx, &b->res.v[i], &deb, err)) == 0) {
            char *argv[] = {"dpkg-deb", "-x", deb, tmp, NULL};
            rc = jeos_spawn(argv, NULL, err);
        }
        free(deb);
    }
    if (rc == 0)
        rc = cache_tree_seal(tmp, err);
    if (rc == 0 && rename(tmp, b->kdir) != 0 && errno != ENOTEMPTY && errno != EEXIST)
        rc = jeos_errf(err, -errno, "%s: %s", b->kdir, strerror(errno));
    jeos_remove_tree(tmp); /* failed, or another build was first */
    jeos_cleanup_drop(tmp);
    free(tmp);
    return rc;
}

/* The kernel package(s), extracted once into CACHE/kernel/SHA256/, whose every file is checked
   against the folder's seal on each use; a folder that fails (or has no seal: an older jeos
   made it) is moved aside and extracted again. */
static int stage_kernel(struct build *b, struct jeos_err *err)
{
    const struct jeos_pkgref *key = NULL;
    for (size_t i = 0; i < b->res.n; i++)
        if (b->in_kernel[i] && is_kernel_image(&b->res.v[i]))
            key = &b->res.v[i];
    if (!key)
        return jeos_errf(err, -EINVAL, "%s: kernel: no linux-image-* package in the resolution",
                         b->r->path);
    char *base = xasprintf("%s/kernel", b->ctx->cache_dir);
    b->kdir = xasprintf("%s/%s", base, key->sha256);
    int rc = 0;
    for (int attempt = 0; attempt < 2 && rc == 0; attempt++) {
        struct stat st;
        if (stat(b->kdir, &st) != 0 && (rc = extract_kernel(b, base, err)) < 0)
            break;
        char *why = NULL;
        rc = cache_tree_check(b->kdir, &why, err);
        if (rc == -EBADMSG && attempt == 0) {
            cache_quarantine(b->ctx, b->kdir, key->name, why);
            rc = 0;
        } else if (rc == -EBADMSG) {
            jeos_errf(err, rc, "%s: %s (just extracted)", b->kdir, why);
        } else if (rc == 0) {
            free(why);
            break;
        }
        free(why);
    }
    free(base);
    if (rc == 0)
        rc = jeos_kernel_find(b->kdir, &b->vmlinuz, &b->modroot, err);
    if (rc == 0)
        rc = kernel_file_ok(b, b->vmlinuz, err);
    /* the module index files the resolver reads (the modules themselves: root_modules) */
    static const char *const meta[] = {"modules.dep", "modules.builtin", "modules.order",
                                       "modules.alias"};
    for (size_t i = 0; i < sizeof(meta) / sizeof(meta[0]) && rc == 0; i++) {
        char *p = xasprintf("%s/%s", b->modroot, meta[i]);
        if (access(p, F_OK) == 0)
            rc = kernel_file_ok(b, p, err);
        free(p);
    }
    if (rc == 0 && b->r->image.secure_boot) { /* the signed chain: shim, GRUB, the kernel */
        b->sbdir = xasprintf("%s/secureboot", b->work);
        rc = sb_extract(b->ctx, &b->res, b->r->path, b->sbdir, &b->shim, &b->signed_grub, err);
        if (rc == 0)
            rc = sb_check_kernel(b->vmlinuz, key->name, b->r->path, err);
    }
    return rc;
}

/* The closure check; the packages it finds missing make the build resolve again (-EAGAIN). */
static int closure_needs(struct build *b, struct jeos_err *err)
{
    closure_result_free(&b->closure);
    int rc = closure_check(b->rf->tree, b->r, &b->rf->sys.plan, &b->closure, err);
    if (rc < 0)
        return rc;
    size_t before = b->nextra;
    for (size_t i = 0; i < b->closure.nneeds; i++) {
        const struct closure_need *n = &b->closure.needs[i];
        if (jeos_resolution_find(&b->res, n->pkg) >= 0 &&
            b->in_root[jeos_resolution_find(&b->res, n->pkg)])
            continue;
        if (b->opts->locked)
            return jeos_errf(err, -ESTALE,
                             "%s: %s provides the %s, but --locked builds exactly %s: run jeos "
                             "resolve %s (or jeos build without --locked) to add it",
                             b->r->path, n->pkg, n->why, b->lock, b->r->path);
        bool have = false;
        for (size_t k = 0; k < b->nextra && !have; k++)
            have = strcmp(b->extra[k].name, n->pkg) == 0;
        if (have)
            return jeos_errf(err, -ENOENT, "%s: %s was added for the %s, and is still missing",
                             b->r->path, n->pkg, n->why);
        int p = n->parent ? jeos_resolution_find(&b->res, n->parent) : -1;
        char *chain = p >= 0 ? jeos_resolution_chain(&b->res, (size_t)p) : NULL;
        b->extra = xrealloc(b->extra, (b->nextra + 1) * sizeof(*b->extra));
        b->extra[b->nextra++] = (struct jeos_extra_req){
            xstrdup(n->pkg), chain ? xasprintf("%s (%s)", n->why, chain) : xstrdup(n->why)};
        free(chain);
        jeos_log(b->ctx, JEOS_LOG_INFO, "the image needs %s (the %s): resolving again", n->pkg,
                 n->why);
    }
    return b->nextra > before ? -EAGAIN : 0;
}

static int stage_root(struct build *b, struct jeos_err *err)
{
    const struct recipe *r = b->r;
    b->rf = rootfs_new(b->ctx);
    /* Dependencies before their users: the resolution lists parents first, so go backwards. */
    for (size_t i = b->res.n; i-- > 0;)
        if (!b->in_kernel[i]) {
            int rc = root_add(b, i, err);
            if (rc < 0)
                return rc;
        }
    /* What the closure check asked for, when the kernel's branch reached it first. */
    for (size_t k = 0; k < b->nextra; k++) {
        int i = jeos_resolution_find(&b->res, b->extra[k].name);
        if (i >= 0 && !b->in_root[i]) {
            int rc = root_add(b, (size_t)i, err);
            if (rc < 0)
                return rc;
            sbuf_printf(&b->pulled, " %s", b->res.v[i].name);
        }
    }
    /* A package the kernel's branch reached first but the root needs too. */
    for (size_t j = 0; j < b->rf->npkgs; j++) {
        /* rootfs_add_deb may move rf->pkgs: index it afresh each time. */
        for (size_t k = 0; k < b->rf->pkgs[j].depends.n; k++) {
            int i = jeos_resolution_find(&b->res, b->rf->pkgs[j].depends.v[k]);
            if (i < 0 || b->in_root[i] || !b->in_kernel[i] || is_kernel_image(&b->res.v[i]))
                continue;
            int rc = root_add(b, (size_t)i, err);
            if (rc < 0)
                return rc;
            sbuf_printf(&b->pulled, " %s", b->res.v[i].name);
        }
    }
    app_sbom_collect(b->ctx, &b->sbom, &b->res, b->rf, b->kdir, b->sbdir, b->in_kernel);
    int rc = rootfs_configure(b->rf, r, err);
    if (rc < 0)
        return rc;
    if ((rc = closure_needs(b, err)) != 0 || b->lock_only)
        return rc;
    for (size_t i = 0; i < b->rf->sys.warnings.n; i++)
        jeos_log(b->ctx, JEOS_LOG_INFO, "warning: %s", b->rf->sys.warnings.v[i]);
    if (b->closure.warnings.n)
        jeos_log(b->ctx, JEOS_LOG_INFO,
                 "warning: %zu file(s) need what the image lacks, and no service runs them (the "
                 "closure check in build-report.txt)",
                 b->closure.warnings.n);
    struct sbuf conf = {0};
    rc = jeos_init_conf_write(r, &b->rf->sys.plan, &conf, err);
    if (rc == 0)
        rc = tree_put(b, "/etc/jeos/init.conf", conf.s, strlen(conf.s), NULL, 0, err);
    sbuf_free(&conf);
    /* The root's epoch (SOURCE_DATE_EPOCH, else the newest packaged file) is every later
       writer's clock: mtools, mke2fs, qemu-img's VHD, the archives, the initramfs. Same recipe
       and lock, same bytes, with or without SOURCE_DATE_EPOCH. */
    b->epoch_ctx = *b->ctx;
    b->epoch_ctx.have_epoch = true;
    b->epoch_ctx.epoch = b->rf->epoch;
    b->ctx = &b->epoch_ctx;
    if (rc == 0)
        rc = root_modules(b, err);
    if (rc == 0) { /* the SBOM, last: it lists the files jeos added */
        char *sp = xasprintf("%s/%s%s", b->out.stage, r->name, JEOS_SBOM_SUFFIX);
        rc = app_sbom_finish(b->ctx, &b->sbom, b->rf, r, b->in_root, b->init, sp, err);
        free(sp);
    }
    uint64_t tree_bytes = 0;
    for (size_t i = 0; i < b->rf->npkgs; i++)
        tree_bytes += b->rf->pkgs[i].bytes;
    sbuf_printf(&b->sizes,
                "  root tree  %zu entries after trimming (%.1f MiB unpacked from the packages)\n",
                b->rf->tree->nnodes, mib(tree_bytes));
    return rc;
}

/* The root filesystem image (image.root) and the manifest of what it holds. */
static int stage_rootfs(struct build *b, struct jeos_err *err)
{
    const struct recipe *r = b->r;
    const struct fs_ops *fs = jeos_fs_find(r->image.root);
    b->rootimg = xasprintf("%s/root%s", b->work, fs->c.suffix);
    int rc = rootfs_write_image(b->rf, r->image.root, r, 0, b->rootimg, err);
    char *mf = xasprintf("%s/manifest.txt", b->out.stage);
    if (rc == 0)
        rc = rootfs_write_manifest(b->rf, mf, err);
    free(mf);
    if (rc == 0)
        sbuf_printf(&b->sizes, "  rootfs     %.1f MiB (%s%s%s)\n", mib(file_size(b->rootimg, NULL)),
                    r->image.root, r->image.compression ? ", " : "",
                    r->image.compression ? r->image.compression : "");
    return rc;
}

/* runtime/init and the modules the targets need. */
static int stage_initramfs(struct build *b, struct jeos_err *err)
{
    b->initrd = xasprintf("%s/initrd.img", b->work);
    const char **req = recipe_modules(b->r);
    struct jeos_initramfs_spec is = {.init = b->init,
                                     .modroot = b->modroot,
                                     .modules = req,
                                     .default_modules = true,
                                     .compress = JEOS_INITRAMFS_ZSTD};
    int rc = jeos_initramfs_write(b->ctx, &is, b->initrd, &b->initmods, err);
    free(req);
    if (rc == 0)
        sbuf_printf(&b->sizes, "  initramfs  %.2f MiB (%zu modules)\n",
                    mib(file_size(b->initrd, NULL)), b->initmods.n);
    return rc;
}

/* NAME.raw: the partitions, the boot methods, the kernel, the initramfs and the root. */
static int stage_disk(struct build *b, struct jeos_err *err)
{
    b->raw = xasprintf("%s/%s.raw", b->out.stage, b->r->name);
    struct jeos_disk_spec ds = {.kernel = b->vmlinuz,
                                .initramfs = b->initrd,
                                .rootfs = b->rootimg,
                                .shim = b->shim,
                                .signed_grub = b->signed_grub};
    struct jeos_disk_info info;
    int rc = jeos_output_disk_spec(b->r, &ds, &b->seed, err);
    if (rc == 0)
        rc = jeos_disk_write(b->ctx, &ds, b->raw, &info, err);
    if (rc == 0) {
        b->dsize = file_size(b->raw, &b->alloc);
        sbuf_printf(&b->sizes,
                    "  disk       %.1f MiB (%.1f MiB allocated), kernel %.1f MiB, root "
                    "PARTUUID=%s\n",
                    mib(b->dsize), mib(b->alloc), mib(file_size(b->vmlinuz, NULL)),
                    info.root_partuuid);
        struct jeos_grub_cfg gc = {.partuuid = info.root_partuuid,
                                   .rootfstype = ds.rootfstype,
                                   .data_partuuid =
                                       info.data_partuuid[0] ? info.data_partuuid : NULL,
                                   .extra = ds.cmdline};
        struct sbuf cmd = {0};
        jeos_linux_cmdline(&gc, "console=hvc0", &cmd);
        b->direct_cmdline = sbuf_take(&cmd);
    }
    return rc;
}

/* NAME.qcow2 always, then the recipe's other formats, converted from NAME.raw. */
static int stage_formats(struct build *b, struct jeos_err *err)
{
    const struct recipe *r = b->r;
    const char *names[RECIPE_MAX_CHOICES + 1];
    size_t n = 0;
    names[n++] = "qcow2";
    for (size_t i = 0; i < r->image.nformats; i++)
        if (strcmp(r->image.formats[i], "raw") && strcmp(r->image.formats[i], "qcow2"))
            names[n++] = r->image.formats[i];
    struct jeos_format_opts fo = jeos_output_format_opts(r, b->seed);
    fo.kernel = b->vmlinuz, fo.initramfs = b->initrd, fo.cmdline = b->direct_cmdline;
    int rc = jeos_formats_write(b->ctx, b->raw, b->out.stage, r->name, names, n, &fo, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct jeos_format_ops *f = jeos_format_find(names[i]);
        char *p = xasprintf("%s/%s%s", b->out.stage, r->name, f->c.suffix);
        sbuf_printf(&b->sizes, "  %-10s %.1f MiB\n", names[i], mib(file_size(p, NULL)));
        free(p);
    }
    return rc;
}

/* The stages, in order; each times itself in the report. */
static const struct {
    const char *name;
    int (*run)(struct build *b, struct jeos_err *err);
} stages[] = {
    {"resolve", stage_resolve}, {"fetch", stage_fetch},     {"kernel", stage_kernel},
    {"root tree", stage_root},  {"rootfs", stage_rootfs},   {"initramfs", stage_initramfs},
    {"disk", stage_disk},       {"formats", stage_formats},
};
#define ST_N (sizeof(stages) / sizeof(stages[0]))

/* What jeos init runs, where it comes from, and what of it jeos does not do. */
static void report_services(struct build *b, struct sbuf *o)
{
    static const char *const types[] = {"simple", "exec", "forking", "notify", "oneshot"};
    const struct svc_plan *p = &b->rf->sys.plan;
    sbuf_printf(o, "services (/etc/jeos/init.conf):\n");
    for (size_t i = 0; i < p->n; i++) {
        const struct svc_spec *s = &p->v[i];
        sbuf_printf(o, "  %s: %s%s%s%s, type %s, user %s, %zu pre and %zu post command(s)\n",
                    s->name, s->unit ? s->unit : "the recipe's exec", s->unit ? " (" : "",
                    s->unit ? s->pkg : "", s->unit ? ")" : "", types[s->type],
                    s->user ? s->user : "root", s->npre, s->npost);
        if (s->notes.n) {
            sbuf_printf(o, "    not honoured:");
            for (size_t k = 0; k < s->notes.n; k++)
                sbuf_printf(o, " %s", s->notes.v[k]);
            sbuf_printf(o, "\n");
        }
    }
    for (size_t i = 0; i < p->nboot; i++)
        sbuf_printf(o, "  first boot: %s (makes %s, never baked into the image)\n",
                    p->boot[i].argv.v[0], p->boot[i].unless ? p->boot[i].unless : "-");
    for (size_t i = 0; i < p->ndirs; i++)
        sbuf_printf(o, "  at boot: %s %s\n", p->dirs[i].kind == 'L' ? "link" : "folder",
                    p->dirs[i].path);
    sbuf_printf(o, "\n");
}

static void report_closure(struct build *b, struct sbuf *o)
{
    sbuf_printf(o, "closure check: %zu ELF files and %zu scripts\n", b->closure.elfs,
                b->closure.scripts);
    for (size_t i = 0; i < b->nextra; i++)
        sbuf_printf(o, "  added %s: %s\n", b->extra[i].name, b->extra[i].why);
    for (size_t i = 0; i < b->res.n; i++)
        if (b->res.v[i].parent < 0 && strncmp(b->res.v[i].why, "requested", 9) != 0) {
            bool listed = false;
            for (size_t k = 0; k < b->nextra && !listed; k++)
                listed = strcmp(b->extra[k].name, b->res.v[i].name) == 0;
            if (!listed)
                sbuf_printf(o, "  %s (from the lock): %s\n", b->res.v[i].name, b->res.v[i].why);
        }
    for (size_t i = 0; i < b->closure.warnings.n; i++)
        sbuf_printf(o, "  warning: %s\n", b->closure.warnings.v[i]);
    sbuf_printf(o, "\n");
}

/* Is relation clause `alt` ("a | b (>= 1)") met by a package of the root (or one it provides)? */
static bool clause_met(struct build *b, const char *clause)
{
    struct deb_strs names = {0};
    deb_parse_relation_names(clause, &names);
    bool met = false;
    for (size_t i = 0; i < names.n && !met; i++)
        for (size_t k = 0; k < b->rf->npkgs && !met; k++) {
            const struct deb_info *d = &b->rf->pkgs[k];
            met = strcmp(d->name, names.v[i]) == 0;
            if (!met && d->provides) {
                struct deb_strs pv = {0};
                deb_parse_relation_names(d->provides, &pv);
                for (size_t j = 0; j < pv.n && !met; j++)
                    met = strcmp(pv.v[j], names.v[i]) == 0;
                deb_strs_free(&pv);
            }
        }
    deb_strs_free(&names);
    return met;
}

/* Recommends: never installed; those left out, with who recommended them. */
static void report_recommends(struct build *b, struct sbuf *o)
{
    sbuf_printf(o, "recommends left out (jeos installs no Recommends):\n");
    size_t n = 0;
    for (size_t k = 0; k < b->rf->npkgs; k++) {
        const char *rec = b->rf->pkgs[k].recommends;
        for (const char *p = rec; p && *p;) {
            size_t len = strcspn(p, ",");
            char *clause = xstrndup(p, len);
            char *c = clause;
            while (*c == ' ')
                c++;
            if (*c && !clause_met(b, c)) {
                sbuf_printf(o, "  %s (recommended by %s)\n", c, b->rf->pkgs[k].name);
                n++;
            }
            free(clause);
            p += len + (p[len] == ',');
        }
    }
    if (!n)
        sbuf_printf(o, "  none\n");
    sbuf_printf(o, "\n");
}

static void report(struct build *b, struct sbuf *o)
{
    const struct recipe *r = b->r;
    size_t nroot = 0, nk = 0, nskip = 0;
    for (size_t i = 0; i < b->res.n; i++) {
        if (b->in_root[i])
            nroot++;
        else if (extracted(b, &b->res.v[i]))
            nk++;
        else
            nskip++;
    }
    sbuf_printf(o, "jeos build report: %s (%s)\n\n", r->name, r->path);
    sbuf_printf(o, "lock: %s, %s\n", b->lock, b->lock_how);
    sbuf_printf(o,
                "packages: %zu resolved; %zu in the root, %zu kernel package(s) extracted "
                "apart, %zu of the kernel's own dependencies left out\n",
                b->res.n, nroot, nk, nskip);
    if (b->pulled.s)
        sbuf_printf(o, "  reached through the kernel but needed by the root:%s\n", b->pulled.s);
    sbuf_printf(o, "  left out:");
    for (size_t i = 0; i < b->res.n; i++)
        if (!b->in_root[i] && !extracted(b, &b->res.v[i]))
            sbuf_printf(o, " %s", b->res.v[i].name);
    sbuf_printf(o, "\n\nkernel: %s\n", b->vmlinuz);
    sbuf_printf(o,
                "kernel modules in the root: %zu of %llu kept (%.1f of %.1f MiB), "
                "%zu built in, %zu not in this kernel\n",
                b->rootmods.n, (unsigned long long)b->mod_total_n, mib(b->mod_kept_bytes),
                mib(b->mod_total_bytes), b->rootmods.nbuiltin, b->rootmods.nmissing);
    sbuf_printf(o, "initramfs modules: %zu:", b->initmods.n);
    for (size_t i = 0; i < b->initmods.n; i++)
        sbuf_printf(o, " %s", b->initmods.names[i]);
    sbuf_printf(o, "\n\nsizes:\n%s\n", b->sizes.s ? b->sizes.s : "");
    sbuf_printf(o, "time per stage:\n");
    double total = 0;
    for (size_t s = 0; s < ST_N; s++) {
        sbuf_printf(o, "  %-10s %7.2f s\n", stages[s].name, b->secs[s]);
        total += b->secs[s];
    }
    sbuf_printf(o, "  %-10s %7.2f s\n\n", "total", total);
    report_services(b, o);
    report_closure(b, o);
    report_recommends(b, o);
    sbuf_printf(o, "root filesystem (trimmed files; maintainer scripts read, never run):\n");
    rootfs_report(b->rf, o);
}

/* What a round of resolve .. root made, dropped before the next one. */
static void build_reset(struct build *b)
{
    for (size_t i = 0; b->debs && i < b->res.n; i++)
        free(b->debs[i]);
    free(b->debs);
    b->debs = NULL;
    free(b->in_kernel);
    free(b->in_root);
    b->in_kernel = b->in_root = NULL;
    jeos_resolution_free(&b->res);
    sbuf_free(&b->pulled);
    sbuf_free(&b->sizes);
    free(b->kdir), free(b->vmlinuz), free(b->modroot);
    b->kdir = b->vmlinuz = b->modroot = NULL;
    if (b->rf)
        rootfs_free(b->rf);
    b->rf = NULL;
    jeos_modlist_free(&b->rootmods);
    b->mod_total_n = b->mod_total_bytes = b->mod_kept_bytes = 0;
}

static void build_free(struct build *b)
{
    for (size_t i = 0; i < b->nextra; i++) {
        free((char *)b->extra[i].name);
        free((char *)b->extra[i].why);
    }
    free(b->extra);
    closure_result_free(&b->closure);
    for (size_t i = 0; b->debs && i < b->res.n; i++)
        free(b->debs[i]);
    free(b->debs);
    free(b->in_kernel);
    free(b->in_root);
    jeos_resolution_free(&b->res);
    free(b->lock);
    sbuf_free(&b->pulled);
    sbuf_free(&b->sizes);
    free(b->kdir), free(b->vmlinuz), free(b->modroot);
    if (b->rf)
        rootfs_free(b->rf);
    jeos_modlist_free(&b->rootmods);
    jeos_modlist_free(&b->initmods);
    app_sbom_free(&b->sbom);
    free(b->sbdir), free(b->shim), free(b->signed_grub);
    free(b->work), free(b->init), free(b->rootimg), free(b->initrd), free(b->raw), free(b->seed);
    free(b->direct_cmdline);
}

/* About what the staging folder holds at the end: the root image, the raw disk and each format,
   each about the installed size plus the kernel and the boot files. */
static uint64_t needs(const struct build *b)
{
    /* packages without Installed-Size: about three times their compressed bytes */
    uint64_t inst =
        b->res.installed_kib ? (uint64_t)b->res.installed_kib * 1024 : 3 * b->res.deb_bytes;
    return inst ? (b->r->image.nformats + 3) * (inst + (16u << 20)) : 0;
}

int appliance_build(const struct jeos_ctx *ctx, const struct recipe *r,
                    const struct appliance_build_opts *opts, struct jeos_err *err)
{
    if (r->kind != RECIPE_APPLIANCE)
        return jeos_errf(err, -EINVAL, "%s: kind: not an appliance", r->path);
    struct build b = {.ctx = ctx, .r = r, .opts = opts};
    int rc = 0;
    if (!(b.init = find_init(opts, err))) {
        rc = -ENOENT;
        goto out;
    }
    {
        /* The disk's recipe fields first: a layout that cannot be built fails before any work. */
        struct jeos_disk_spec probe = {0};
        if ((rc = jeos_output_disk_spec(r, &probe, &b.seed, err)) < 0)
            goto out;
        free(b.seed);
        b.seed = NULL;
    }
    if ((rc = jeos_output_begin(opts->out_dir ? opts->out_dir : "out", r->name, &b.out, err)) < 0)
        goto out;
    b.work = xasprintf("%s/.work", b.out.stage);
    if ((rc = jeos_mkdir_p(b.work, 0755, err)) < 0)
        goto out;
    jeos_log(ctx, JEOS_LOG_INFO, "building %s (%s) into %s/", r->name, r->path, b.out.dir);
    double total = 0;
    for (size_t s = 0; s < ST_N && rc == 0; s++) {
        double t = now_s();
        size_t from = err->n;
        jeos_log(ctx, JEOS_LOG_INFO, "[%zu/%zu] %s", s + 1, ST_N, stages[s].name);
        rc = jeos_fault(ctx, stages[s].name, err);
        if (rc == 0)
            rc = stages[s].run(&b, err);
        b.secs[s] += now_s() - t;
        total += now_s() - t;
        if (rc == -EAGAIN && stages[s].run == stage_root && ++b.rounds < 4) {
            build_reset(&b); /* again from the resolution, with what the closure lacked */
            rc = 0;
            s = (size_t)-1;
        } else if (rc < 0) {
            jeos_output_failed(&b.out, stages[s].name, r->path, rc, from, needs(&b), err);
        }
    }
    if (rc < 0)
        goto out;
    /* The report says the build ended: written last, then everything moves into place. */
    jeos_remove_tree(b.work);
    struct sbuf rep = {0};
    report(&b, &rep);
    char *rp = xasprintf("%s/build-report.txt", b.out.stage);
    rc = jeos_write_file_atomic(rp, rep.s, strlen(rep.s), 0644, err);
    free(rp);
    sbuf_free(&rep);
    char *dir = xstrdup(b.out.dir);
    size_t from = err->n;
    if (rc == 0)
        rc = jeos_fault(ctx, "commit", err);
    if (rc < 0)
        jeos_output_failed(&b.out, "commit", r->path, rc, from, needs(&b), err);
    if (rc == 0 && (rc = jeos_output_commit(&b.out, err)) == 0)
        jeos_log(ctx, JEOS_LOG_INFO,
                 "built %s/%s.raw: %.1f MiB (%.1f MiB allocated) in %.1f s; %s/build-report.txt",
                 dir, r->name, mib(b.dsize), mib(b.alloc), total, dir);
    free(dir);
out:
    jeos_output_abort(&b.out); /* nothing after a commit */
    build_free(&b);
    return rc < 0 ? rc : 0;
}

int appliance_resolve(const struct jeos_ctx *ctx, const struct recipe *r,
                      const struct jeos_resolve_opts *ro, struct jeos_resolution *out,
                      struct jeos_err *err)
{
    if (r->kind != RECIPE_APPLIANCE)
        return jeos_errf(err, -EINVAL, "%s: kind: not an appliance", r->path);
    struct appliance_build_opts opts = {0};
    struct build b = {.ctx = ctx, .r = r, .opts = &opts, .lock_only = ro};
    int (*const run[])(struct build *, struct jeos_err *) = {stage_resolve, stage_fetch,
                                                             stage_root};
    int rc = 0;
    for (size_t s = 0; s < sizeof(run) / sizeof(run[0]) && rc == 0; s++) {
        if (run[s] == stage_root)
            jeos_log(ctx, JEOS_LOG_INFO,
                     "checking the closure: the root tree assembled in memory (%zu packages)",
                     b.res.n);
        rc = run[s](&b, err);
        if (rc == -EAGAIN && run[s] == stage_root && ++b.rounds < 4) {
            build_reset(&b);
            rc = 0;
            s = (size_t)-1;
        }
    }
    if (rc == -EAGAIN)
        rc = jeos_errf(err, -ELOOP,
                       "%s: the closure check still found packages missing after %d "
                       "rounds",
                       r->path, b.rounds);
    if (rc == 0) {
        *out = b.res;
        memset(&b.res, 0, sizeof(b.res));
        b.res.n = 0;
    }
    build_free(&b);
    return rc;
}
