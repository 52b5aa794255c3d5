/* rootfs.c — the root filesystem step: packages into the tree, trim, configure, write image and
 * manifest. */
#include "builder/appliance/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/util.h"
#include "builder/recipe/recipe.h"
#include "images/fs.h"

struct rootfs *rootfs_new(const struct jeos_ctx *ctx)
{
    struct rootfs *rf = xcalloc(1, sizeof(*rf));
    rf->ctx = ctx;
    rf->tree = tree_new(0);
    rf->headroom = 16ull << 20;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        fputs("jeos: out of memory (sha256)\n", stderr);
        abort();
    }
    rf->seed_ctx = md;
    /* merged /usr, as bookworm expects */
    static const char *const dirs[] = {"usr", "usr/bin", "usr/sbin", "usr/lib", "usr/lib64"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        struct tree_node *parent;
        const char *base;
        if (tree_resolve_parent(rf->tree, dirs[i], true, 0, &parent, &base) == 0)
            tree_link(rf->tree, parent, base, tree_inode_new(TREE_DIR, 0755, 0, 0, 0));
    }
    static const char *const links[][2] = {
        {"bin", "usr/bin"}, {"sbin", "usr/sbin"}, {"lib", "usr/lib"}, {"lib64", "usr/lib64"}};
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        struct tree_inode *ino = tree_inode_new(TREE_SYMLINK, 0777, 0, 0, 0);
        ino->target = xstrdup(links[i][1]);
        ino->size = strlen(ino->target);
        tree_link(rf->tree, rf->tree->root, links[i][0], ino);
    }
    return rf;
}

void rootfs_free(struct rootfs *rf)
{
    if (!rf)
        return;
    tree_free(rf->tree);
    for (size_t i = 0; i < rf->npkgs; i++)
        deb_info_free(&rf->pkgs[i]);
    free(rf->pkgs);
    trim_rules_free(&rf->trim);
    sysconf_report_free(&rf->sys);
    EVP_MD_CTX_free(rf->seed_ctx);
    free(rf->compression);
    free(rf);
}

/* One .deb's bytes into the tree, its sha256 (`sum`) folded into the seed. */
static int add_deb(struct rootfs *rf, const char *label, const void *data, size_t len,
                   const unsigned char sum[32], struct jeos_err *err)
{
    if (rf->configured)
        return jeos_errf(err, -EINVAL, "%s: packages must be added before rootfs_configure", label);
    EVP_DigestUpdate(rf->seed_ctx, sum, 32);
    rf->pkgs = xrealloc(rf->pkgs, (rf->npkgs + 1) * sizeof(*rf->pkgs));
    int r = deb_extract_buffer(rf->tree, label, data, len, rf->pkgs, rf->npkgs,
                               &rf->pkgs[rf->npkgs], err);
    if (r < 0) {
        deb_info_free(&rf->pkgs[rf->npkgs]);
        return r;
    }
    struct deb_info *d = &rf->pkgs[rf->npkgs++];
    jeos_log(rf->ctx, JEOS_LOG_DEBUG, "rootfs: %s %s: %zu entries, %llu bytes", d->name, d->version,
             d->entries, (unsigned long long)d->bytes);
    return 0;
}

int rootfs_add_deb(struct rootfs *rf, const char *path, struct jeos_err *err)
{
    char *data = NULL;
    size_t len = 0;
    int r = jeos_read_file(path, &data, &len, err);
    if (r < 0)
        return r;
    unsigned char sum[32];
    unsigned int dl = 32;
    EVP_Digest(data, len, sum, &dl, EVP_sha256(), NULL);
    r = add_deb(rf, path, data, len, sum, err);
    free(data);
    return r;
}

int rootfs_add_deb_buffer(struct rootfs *rf, const char *label, const void *data, size_t len,
                          const char *sha256, struct jeos_err *err)
{
    unsigned char sum[32];
    for (int i = 0; i < 32; i++) {
        unsigned v = 0;
        if (sscanf(sha256 + 2 * i, "%2x", &v) != 1)
            return jeos_errf(err, -EINVAL, "%s: bad sha256 \"%s\"", label, sha256);
        sum[i] = (unsigned char)v;
    }
    return add_deb(rf, label, data, len, sum, err);
}

int rootfs_configure(struct rootfs *rf, const struct recipe *r, struct jeos_err *err)
{
    if (r->image.compression) {
        free(rf->compression);
        rf->compression = xstrdup(r->image.compression);
    }
    if (rf->configured)
        return jeos_errf(err, -EINVAL, "rootfs: configured twice");
    rf->configured = true;
    if (rf->ctx && rf->ctx->have_epoch) {
        rf->epoch = rf->ctx->epoch;
    } else {
        rf->epoch = 0;
        for (size_t i = 0; i < rf->npkgs; i++)
            if (rf->pkgs[i].newest_mtime > rf->epoch)
                rf->epoch = rf->pkgs[i].newest_mtime;
    }
    if (r->exclude_defaults)
        trim_rules_defaults(&rf->trim);
    for (size_t i = 0; i < r->exclude.n; i++)
        trim_rules_add(&rf->trim, r->exclude.v[i], false);
    for (size_t i = 0; i < r->locales.n; i++)
        trim_rules_keep_locale(&rf->trim, r->locales.v[i]);
    trim_apply(rf->tree, &rf->trim);

    /* the builder's own entries (/, merged-/usr links) carry the epoch */
    rf->tree->root->ino->mtime = rf->epoch;
    static const char *const own[] = {"/bin", "/sbin", "/lib", "/lib64", "/usr", "/usr/lib64"};
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
        struct tree_node *n = tree_lookup(rf->tree, own[i], 0, NULL);
        if (n && n->ino->mtime == 0)
            n->ino->mtime = rf->epoch;
    }
    int rc = sysconf_apply(rf->tree, r, rf->pkgs, rf->npkgs, rf->epoch, &rf->sys, err);
    if (rc < 0)
        return rc;
    tree_clamp_times(rf->tree, rf->epoch);

    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_MD_CTX_copy_ex(md, rf->seed_ctx);
    EVP_DigestUpdate(md, r->name, strlen(r->name) + 1);
    char ep[32];
    snprintf(ep, sizeof(ep), "%lld", (long long)rf->epoch);
    EVP_DigestUpdate(md, ep, strlen(ep));
    unsigned int len = 32;
    EVP_DigestFinal_ex(md, rf->seed, &len);
    EVP_MD_CTX_free(md);
    return 0;
}

int rootfs_write_image(struct rootfs *rf, const char *fsname, const struct recipe *r, uint64_t size,
                       const char *path, struct jeos_err *err)
{
    const struct fs_ops *ops = jeos_fs_find(fsname);
    if (!ops) {
        struct sbuf all = {0};
        jeos_axis_names(&jeos_axis_fs, JEOS_FOR_BOTH, &all);
        jeos_errf(err, -EINVAL, "%s: unknown root filesystem \"%s\" (expected one of: %s)", path,
                  fsname, all.s);
        sbuf_free(&all);
        return -EINVAL;
    }
    if (!rf->configured)
        return jeos_errf(err, -EINVAL, "%s: rootfs_configure first", path);
    struct fs_opts o = {.epoch = rf->epoch,
                        .size = size,
                        .headroom = rf->headroom,
                        .compression = rf->compression,
                        .label = r ? r->name : NULL};
    memcpy(o.seed, rf->seed, sizeof(o.seed));
    jeos_log(rf->ctx, JEOS_LOG_INFO, "writing %s (%s, %zu entries)", path, fsname,
             rf->tree->nnodes);
    return ops->write(rf->tree, &o, path, rf->ctx, err);
}

/* ---- manifest ---- */

struct mf {
    struct sbuf *out;
    struct jeos_err *err;
    char **first; /* first path of multiply-linked inodes, by id - 1 */
    size_t nfirst;
    int rc;
};

static void put_path(struct sbuf *b, const char *p)
{
    for (; *p; p++) {
        if (*p == ' ')
            sbuf_puts(b, "\\040");
        else if (*p == '\\')
            sbuf_puts(b, "\\\\");
        else if (*p == '\n')
            sbuf_puts(b, "\\n");
        else
            sbuf_add(b, p, 1);
    }
}

static int mf_line(struct tree_node *n, const char *path, void *arg)
{
    struct mf *m = arg;
    struct tree_inode *ino = n->ino;
    put_path(m->out, path);
    if (ino->type != TREE_DIR && ino->nlink > 1 && ino->id) {
        sbuf_printf(m->out, " hardlink %04o %u:%u %llu ", ino->mode, ino->uid, ino->gid,
                    (unsigned long long)ino->size);
        put_path(m->out, m->first[ino->id - 1]);
        sbuf_puts(m->out, "\n");
        return 0;
    }
    if (ino->type != TREE_DIR && ino->nlink > 1) {
        m->first = xrealloc(m->first, (m->nfirst + 1) * sizeof(*m->first));
        m->first[m->nfirst++] = xstrdup(path);
        ino->id = m->nfirst;
    }
    sbuf_printf(m->out, " %s %04o %u:%u %llu ", tree_type_name(ino->type), ino->mode, ino->uid,
                ino->gid, (unsigned long long)(ino->type == TREE_FILE ? ino->size : 0));
    switch (ino->type) {
    case TREE_FILE: {
        unsigned char *data;
        int r = tree_inode_read(ino, &data, m->err);
        if (r < 0)
            return r;
        unsigned char sum[32];
        unsigned int len = 32;
        EVP_Digest(data ? data : (unsigned char *)"", ino->size, sum, &len, EVP_sha256(), NULL);
        free(data);
        for (int i = 0; i < 32; i++)
            sbuf_printf(m->out, "%02x", sum[i]);
        break;
    }
    case TREE_SYMLINK: put_path(m->out, ino->target); break;
    case TREE_CHR:
    case TREE_BLK: sbuf_printf(m->out, "%u,%u", ino->rdev_major, ino->rdev_minor); break;
    default: sbuf_puts(m->out, "-"); break;
    }
    sbuf_puts(m->out, "\n");
    return 0;
}

static int mf_reset(struct tree_node *n, const char *path, void *arg)
{
    (void)path;
    (void)arg;
    n->ino->id = 0;
    return 0;
}

int rootfs_manifest(struct rootfs *rf, struct sbuf *out, struct jeos_err *err)
{
    struct mf m = {.out = out, .err = err};
    tree_walk(rf->tree, mf_reset, NULL);
    int r = tree_walk(rf->tree, mf_line, &m);
    tree_walk(rf->tree, mf_reset, NULL);
    for (size_t i = 0; i < m.nfirst; i++)
        free(m.first[i]);
    free(m.first);
    return r;
}

int rootfs_write_manifest(struct rootfs *rf, const char *path, struct jeos_err *err)
{
    struct sbuf b = {0};
    sbuf_add(&b, "", 0);
    int r = rootfs_manifest(rf, &b, err);
    if (r == 0)
        r = jeos_write_file_atomic(path, b.s, b.len, 0644, err);
    sbuf_free(&b);
    return r;
}

/* ---- report ---- */

static int count_entry(struct tree_node *n, const char *path, void *arg)
{
    (void)path;
    uint64_t *c = arg;
    c[0]++;
    if (n->ino->type == TREE_FILE && !n->ino->id) {
        c[1] += n->ino->size;
        if (n->ino->nlink > 1)
            n->ino->id = 1;
    }
    return 0;
}

void rootfs_report(struct rootfs *rf, struct sbuf *out)
{
    uint64_t c[2] = {0, 0};
    tree_walk(rf->tree, mf_reset, NULL);
    tree_walk(rf->tree, count_entry, c);
    tree_walk(rf->tree, mf_reset, NULL);
    sbuf_printf(out, "root filesystem: %llu entries, %llu bytes of file data, epoch %lld\n",
                (unsigned long long)c[0], (unsigned long long)c[1], (long long)rf->epoch);
    sbuf_printf(out, "packages (%zu):\n", rf->npkgs);
    for (size_t i = 0; i < rf->npkgs; i++)
        sbuf_printf(out, "  %s %s (%s): %zu entries, %llu bytes\n", rf->pkgs[i].name,
                    rf->pkgs[i].version, rf->pkgs[i].data_member, rf->pkgs[i].entries,
                    (unsigned long long)rf->pkgs[i].bytes);
    sbuf_puts(out, "excluded:\n");
    for (size_t i = 0; i < rf->trim.n; i++)
        sbuf_printf(out, "  %s%s: %zu files, %llu bytes\n", rf->trim.v[i].glob,
                    rf->trim.v[i].is_default ? " (default)" : "", rf->trim.v[i].files,
                    (unsigned long long)rf->trim.v[i].bytes);
    sbuf_puts(out, "maintainer scripts skipped:\n");
    for (size_t i = 0; i < rf->sys.skipped.n; i++)
        sbuf_printf(out, "  %s\n", rf->sys.skipped.v[i]);
    sbuf_puts(out, "done in their place:\n");
    if (rf->sys.actions.s) {
        for (const char *p = rf->sys.actions.s; *p;) {
            const char *e = strchr(p, '\n');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            sbuf_puts(out, "  ");
            sbuf_add(out, p, len);
            sbuf_puts(out, "\n");
            p += len + (e ? 1 : 0);
        }
    }
    for (size_t i = 0; i < rf->sys.warnings.n; i++)
        sbuf_printf(out, "warning: %s\n", rf->sys.warnings.v[i]);
}

int rootfs_write_report(struct rootfs *rf, const char *path, struct jeos_err *err)
{
    struct sbuf b = {0};
    rootfs_report(rf, &b);
    int r = jeos_write_file_atomic(path, b.s, b.len, 0644, err);
    sbuf_free(&b);
    return r;
}
