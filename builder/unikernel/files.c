/* files.c — recipe files: → one cpio newc archive (libarchive) for the runtime. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/unikernel/files.h"
#include "builder/core/alloc.h"
#include "builder/core/util.h"

struct entry {
    char *path; /* in the image, absolute */
    char *src;  /* host file, or NULL for a folder made for a parent or generated text */
    char *text; /* generated contents (/etc/hosts), or NULL */
    unsigned mode;
    char *link;       /* symlink target */
    int implicit;     /* a parent folder nobody listed */
    int64_t uid, gid; /* the files: entry's numeric owner and group (0: root) */
    size_t seq;       /* order of addition: among equal paths the last listed wins */
};

struct ents {
    struct entry *v;
    size_t n, cap;
};

static void push(struct ents *t, char *path, char *src, unsigned mode, char *link)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 32;
        t->v = xrealloc(t->v, t->cap * sizeof(*t->v));
    }
    t->v[t->n] = (struct entry){path, src, NULL, mode, link, 0, 0, 0, t->n};
    t->n++;
}

static void add_parents(struct ents *t, const char *path)
{
    for (const char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
        push(t, xstrndup(path, (size_t)(s - path)), NULL, S_IFDIR | 0755, NULL);
        t->v[t->n - 1].implicit = 1;
    }
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds host path src as image path dst (a folder recursively, sorted); mode -1 keeps bits. */
static int add_path(struct ents *t, const char *src, const char *dst, int mode, const char *where,
                    struct jeos_err *err)
{
    struct stat st;
    if (lstat(src, &st) < 0)
        return jeos_errf(err, -errno, "%s: %s: %s", where, src, strerror(errno));
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlink(src, target, sizeof(target) - 1);
        if (n < 0)
            return jeos_errf(err, -errno, "%s: %s: %s", where, src, strerror(errno));
        push(t, xstrdup(dst), NULL, S_IFLNK | 0777, xstrndup(target, (size_t)n));
        return 0;
    }
    if (S_ISREG(st.st_mode)) {
        unsigned perm = mode >= 0 ? (unsigned)mode : (unsigned)st.st_mode & 07777;
        push(t, xstrdup(dst), xstrdup(src), S_IFREG | perm, NULL);
        return 0;
    }
    if (!S_ISDIR(st.st_mode))
        return jeos_errf(err, -EINVAL, "%s: %s: not a file, folder or symlink", where, src);
    unsigned perm = mode >= 0 ? ((unsigned)mode | (((unsigned)mode & 0444) >> 2)) & 07777
                              : (unsigned)st.st_mode & 07777;
    if (strcmp(dst, "/") != 0)
        push(t, xstrdup(dst), NULL, S_IFDIR | perm, NULL);
    DIR *d = opendir(src);
    if (!d)
        return jeos_errf(err, -errno, "%s: %s: %s", where, src, strerror(errno));
    char **names = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        names = xrealloc(names, (n + 1) * sizeof(char *));
        names[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(char *), cmp_name);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0) {
            char *s = xasprintf("%s/%s", src, names[i]);
            char *p = xasprintf("%s/%s", strcmp(dst, "/") == 0 ? "" : dst, names[i]);
            rc = add_path(t, s, p, mode, where, err);
            free(s);
            free(p);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

static int cmp_entry(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    if (c)
        return c;
    if (x->implicit != y->implicit)
        return x->implicit - y->implicit;
    return x->seq < y->seq ? 1 : -1;
}

static la_ssize_t write_cb(struct archive *a, void *ud, const void *buf, size_t n)
{
    (void)a;
    sbuf_add(ud, buf, n);
    return (la_ssize_t)n;
}

static int64_t owner_id(const char *s)
{
    int64_t v;
    return s && jeos_parse_i64(s, 0, 65535, &v) ? v : 0;
}

/* /etc/hosts from the recipe's network: localhost, and the host name on the static address (or
 * 127.0.1.1, as Debian writes it). Added first, so a files: entry of the same path wins. */
static void add_hosts(struct ents *t, const struct recipe *r)
{
    add_parents(t, "/etc/hosts");
    push(t, xstrdup("/etc/hosts"), NULL, S_IFREG | 0644, NULL);
    t->v[t->n - 1].text = xasprintf(
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s\t%s\n",
        r->network.mode == RECIPE_NET_STATIC ? r->network.address : "127.0.1.1", r->hostname);
}

static void ents_free(struct ents *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].path);
        free(t->v[i].src);
        free(t->v[i].link);
        free(t->v[i].text);
    }
    free(t->v);
}

/* The entries files[0..n) make (after what t holds), sorted, the first of each path the one to
 * write; `key` names the list in messages ("files", "volumes[0].files"). */
static int collect(const struct recipe *r, const struct recipe_file *files, size_t n,
                   const char *key, struct ents *t, struct jeos_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct recipe_file *f = &files[i];
        char *where = xasprintf("%s:%d:%d: %s[%zu]", r->path, f->pos.line, f->pos.col, key, i);
        char *src = xasprintf("%s/%s", r->dir, f->src);
        size_t sl = strlen(src);
        while (sl > 1 && src[sl - 1] == '/')
            src[--sl] = '\0';
        char *dst = xstrdup(f->dst);
        size_t dl = strlen(dst);
        int dst_dir = dl > 1 && dst[dl - 1] == '/';
        while (dl > 1 && dst[dl - 1] == '/')
            dst[--dl] = '\0';
        struct stat st;
        if (dst_dir && stat(src, &st) == 0 && !S_ISDIR(st.st_mode)) {
            const char *base = strrchr(src, '/');
            char *full =
                xasprintf("%s/%s", strcmp(dst, "/") == 0 ? "" : dst, base ? base + 1 : src);
            free(dst);
            dst = full;
        }
        add_parents(t, dst);
        size_t first = t->n;
        rc = add_path(t, src, dst, f->mode, where, err);
        for (size_t k = first; rc == 0 && k < t->n; k++) {
            t->v[k].uid = owner_id(f->owner);
            t->v[k].gid = owner_id(f->group);
        }
        free(where);
        free(src);
        free(dst);
    }
    /* sorted, one entry per path: the last written wins, made-up parents give way */
    if (t->n)
        qsort(t->v, t->n, sizeof(*t->v), cmp_entry);
    return rc;
}

int uk_files_cpio(const struct jeos_ctx *ctx, const struct recipe *r, const char *path,
                  struct jeos_err *err)
{
    struct ents t = {0};
    if (r->network.mode != RECIPE_NET_NONE)
        add_hosts(&t, r);
    int rc = collect(r, r->files, r->nfiles, "files", &t, err);
    struct sbuf out = {0};
    struct archive *a = archive_write_new();
    archive_write_set_format_cpio_newc(a);
    archive_write_set_bytes_per_block(a, 0);
    if (rc == 0 && archive_write_open(a, &out, NULL, write_cb, NULL) != ARCHIVE_OK)
        rc = jeos_errf(err, -EIO, "%s: cpio: %s", path, archive_error_string(a));
    int64_t mtime = ctx->have_epoch ? ctx->epoch : 0;
    for (size_t i = 0; i < t.n && rc == 0; i++) {
        struct entry *e = &t.v[i];
        if (i > 0 && strcmp(e->path, t.v[i - 1].path) == 0)
            continue; /* the group's first entry was written */
        char *data = NULL;
        size_t len = 0;
        if (e->src && (rc = jeos_read_file(e->src, &data, &len, err)) < 0)
            break;
        if (e->text) {
            data = xstrdup(e->text);
            len = strlen(data);
        }
        struct archive_entry *ae = archive_entry_new();
        archive_entry_set_pathname(ae, e->path + 1);
        archive_entry_set_mode(ae, e->mode);
        archive_entry_set_ino(ae, (la_int64_t)i + 1);
        archive_entry_set_nlink(ae, (e->mode & S_IFMT) == S_IFDIR ? 2 : 1);
        archive_entry_set_uid(ae, e->uid);
        archive_entry_set_gid(ae, e->gid);
        archive_entry_set_mtime(ae, mtime, 0);
        if (e->link) {
            archive_entry_set_symlink(ae, e->link);
            archive_entry_set_size(ae, (la_int64_t)strlen(e->link));
        } else
            archive_entry_set_size(ae, (la_int64_t)len);
        if (archive_write_header(a, ae) != ARCHIVE_OK ||
            (len && archive_write_data(a, data, len) != (la_ssize_t)len))
            rc = jeos_errf(err, -EIO, "%s: cpio: %s: %s", path, e->path, archive_error_string(a));
        archive_entry_free(ae);
        free(data);
    }
    if (rc == 0 && archive_write_close(a) != ARCHIVE_OK)
        rc = jeos_errf(err, -EIO, "%s: cpio: %s", path, archive_error_string(a));
    archive_write_free(a);
    if (rc == 0)
        rc = jeos_write_file_atomic(path, out.s ? out.s : "", out.len, 0644, err);
    sbuf_free(&out);
    ents_free(&t);
    return rc;
}

int uk_files_tree(const struct jeos_ctx *ctx, const struct recipe *r,
                  const struct recipe_file *files, size_t n, const char *key, struct tree *out,
                  struct jeos_err *err)
{
    struct ents t = {0};
    int rc = collect(r, files, n, key, &t, err);
    int64_t mtime = ctx->have_epoch ? ctx->epoch : 0;
    for (size_t i = 0; i < t.n && rc == 0; i++) {
        const struct entry *e = &t.v[i];
        if (i > 0 && strcmp(e->path, t.v[i - 1].path) == 0)
            continue; /* the group's first entry is the one */
        uint32_t perm = e->mode & 07777;
        if (strcmp(e->path, "/") == 0) {
            out->root->ino->mode = perm;
            continue;
        }
        struct tree_node *dir;
        const char *base;
        rc = tree_resolve_parent(out, e->path, true, mtime, &dir, &base);
        if (rc < 0) {
            rc = jeos_errf(err, rc, "%s: %s: %s: cannot place it: %s", r->path, key, e->path,
                           strerror(-rc));
            break;
        }
        enum tree_type type = S_ISDIR(e->mode)   ? TREE_DIR
                              : S_ISLNK(e->mode) ? TREE_SYMLINK
                                                 : TREE_FILE;
        struct tree_inode *ino =
            tree_inode_new(type, perm, (uint32_t)e->uid, (uint32_t)e->gid, mtime);
        if (e->link) {
            ino->target = xstrdup(e->link);
            ino->size = strlen(e->link);
        } else if (e->src) {
            struct stat st;
            if (stat(e->src, &st) < 0) {
                rc =
                    jeos_errf(err, -errno, "%s: %s: %s: %s", r->path, key, e->src, strerror(errno));
                tree_inode_unref(ino);
                break;
            }
            tree_inode_set_ref(ino, e->src, 0, (uint64_t)st.st_size);
        }
        tree_link(out, dir, base, ino);
    }
    ents_free(&t);
    return rc;
}
