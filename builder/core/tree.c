/* tree.c — the in-memory file tree: sorted children, symlink-aware lookups, deterministic walks. */
#include "builder/core/tree.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/err.h"

#define TREE_MAX_SYMLINKS 40

const char *tree_type_name(enum tree_type t)
{
    switch (t) {
    case TREE_DIR: return "dir";
    case TREE_FILE: return "file";
    case TREE_SYMLINK: return "symlink";
    case TREE_CHR: return "chr";
    case TREE_BLK: return "blk";
    case TREE_FIFO: return "fifo";
    case TREE_SOCK: return "sock";
    }
    return "?";
}

struct tree_inode *tree_inode_new(enum tree_type type, uint32_t mode, uint32_t uid, uint32_t gid,
                                  int64_t mtime)
{
    struct tree_inode *ino = xcalloc(1, sizeof(*ino));
    ino->type = type;
    ino->mode = mode & 07777;
    ino->uid = uid;
    ino->gid = gid;
    ino->mtime = mtime;
    ino->pkg = xstrdup("");
    return ino;
}

static void inode_drop_data(struct tree_inode *ino)
{
    free(ino->buf);
    free(ino->ref_path);
    ino->buf = NULL;
    ino->ref_path = NULL;
    ino->data = TREE_DATA_NONE;
    ino->size = 0;
    ino->ref_off = 0;
}

void tree_inode_set_buf(struct tree_inode *ino, const void *data, size_t len)
{
    inode_drop_data(ino);
    if (len == 0)
        return;
    ino->buf = xmalloc(len);
    memcpy(ino->buf, data, len);
    ino->data = TREE_DATA_BUF;
    ino->size = len;
}

void tree_inode_set_ref(struct tree_inode *ino, const char *path, uint64_t off, uint64_t len)
{
    inode_drop_data(ino);
    if (len == 0)
        return;
    ino->ref_path = xstrdup(path);
    ino->ref_off = off;
    ino->data = TREE_DATA_REF;
    ino->size = len;
}

void tree_inode_set_xattr(struct tree_inode *ino, const char *name, const void *value, size_t len)
{
    size_t i = 0;
    while (i < ino->nxattrs && strcmp(ino->xattrs[i].name, name) < 0)
        i++;
    if (i < ino->nxattrs && strcmp(ino->xattrs[i].name, name) == 0) {
        free(ino->xattrs[i].value);
    } else {
        ino->xattrs = xrealloc(ino->xattrs, (ino->nxattrs + 1) * sizeof(*ino->xattrs));
        memmove(&ino->xattrs[i + 1], &ino->xattrs[i], (ino->nxattrs - i) * sizeof(*ino->xattrs));
        ino->nxattrs++;
        ino->xattrs[i].name = xstrdup(name);
    }
    ino->xattrs[i].value = xmalloc(len ? len : 1);
    if (len)
        memcpy(ino->xattrs[i].value, value, len);
    ino->xattrs[i].len = len;
}

void tree_inode_unref(struct tree_inode *ino)
{
    if (!ino)
        return;
    if (ino->nlink > 1) {
        ino->nlink--;
        return;
    }
    inode_drop_data(ino);
    for (size_t i = 0; i < ino->nxattrs; i++) {
        free(ino->xattrs[i].name);
        free(ino->xattrs[i].value);
    }
    free(ino->xattrs);
    free(ino->target);
    free(ino->pkg);
    free(ino);
}

static struct tree_node *node_new(const char *name, struct tree_inode *ino)
{
    struct tree_node *n = xcalloc(1, sizeof(*n));
    n->name = xstrdup(name);
    n->ino = ino;
    ino->nlink++;
    return n;
}

static void node_free(struct tree *t, struct tree_node *n)
{
    for (size_t i = 0; i < n->nkids; i++)
        node_free(t, n->kids[i]);
    free(n->kids);
    free(n->name);
    tree_inode_unref(n->ino);
    free(n);
    t->nnodes--;
}

struct tree *tree_new(int64_t mtime)
{
    struct tree *t = xcalloc(1, sizeof(*t));
    t->root = node_new("", tree_inode_new(TREE_DIR, 0755, 0, 0, mtime));
    t->nnodes = 1;
    return t;
}

void tree_free(struct tree *t)
{
    if (!t)
        return;
    node_free(t, t->root);
    free(t);
}

/* Index of `name` among dir's children, or where it would go (*found false). */
static size_t kid_index(const struct tree_node *dir, const char *name, bool *found)
{
    size_t lo = 0, hi = dir->nkids;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(dir->kids[mid]->name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

struct tree_node *tree_child(const struct tree_node *dir, const char *name)
{
    bool found;
    size_t i = kid_index(dir, name, &found);
    return found ? dir->kids[i] : NULL;
}

struct tree_node *tree_link(struct tree *t, struct tree_node *dir, const char *name,
                            struct tree_inode *ino)
{
    bool found;
    size_t i = kid_index(dir, name, &found);
    struct tree_node *n = node_new(name, ino);
    n->parent = dir;
    t->nnodes++;
    if (found) {
        node_free(t, dir->kids[i]);
        dir->kids[i] = n;
        return n;
    }
    if (dir->nkids == dir->capkids) {
        dir->capkids = dir->capkids ? 2 * dir->capkids : 8;
        dir->kids = xrealloc(dir->kids, dir->capkids * sizeof(*dir->kids));
    }
    memmove(&dir->kids[i + 1], &dir->kids[i], (dir->nkids - i) * sizeof(*dir->kids));
    dir->kids[i] = n;
    dir->nkids++;
    return n;
}

void tree_remove(struct tree *t, struct tree_node *n)
{
    struct tree_node *dir = n->parent;
    if (!dir)
        return;
    bool found;
    size_t i = kid_index(dir, n->name, &found);
    if (found && dir->kids[i] == n) {
        memmove(&dir->kids[i], &dir->kids[i + 1], (dir->nkids - i - 1) * sizeof(*dir->kids));
        dir->nkids--;
    }
    node_free(t, n);
}

char *tree_path(const struct tree_node *n)
{
    if (!n->parent)
        return xstrdup("/");
    size_t len = 0;
    for (const struct tree_node *p = n; p->parent; p = p->parent)
        len += strlen(p->name) + 1;
    char *s = xmalloc(len + 1);
    s[len] = '\0';
    for (const struct tree_node *p = n; p->parent; p = p->parent) {
        size_t l = strlen(p->name);
        len -= l;
        memcpy(s + len, p->name, l);
        s[--len] = '/';
    }
    return s;
}

/*
 * The resolver shared by lookups: walks `path` from `start`, following
 * symlinks in parent components (and the last one when follow_last).
 * Returns the node or NULL; *err is set to -ENOENT, -ENOTDIR or -ELOOP.
 * `depth` counts symlinks followed so far.
 */
static struct tree_node *resolve(struct tree *t, struct tree_node *start, const char *path,
                                 bool follow_last, int *depth, int *err)
{
    struct tree_node *cur = path[0] == '/' ? t->root : start;
    const char *p = path;
    *err = 0;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            return cur;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *rest = p + len;
        while (*rest == '/')
            rest++;
        bool last = *rest == '\0';
        if (cur->ino->type != TREE_DIR) {
            *err = -ENOTDIR;
            return NULL;
        }
        if (len == 1 && p[0] == '.') {
            p = rest;
            continue;
        }
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (!cur->parent) {
                *err = -ELOOP; /* above the root */
                return NULL;
            }
            cur = cur->parent;
            p = rest;
            continue;
        }
        char name[256];
        if (len >= sizeof(name)) {
            *err = -ENAMETOOLONG;
            return NULL;
        }
        memcpy(name, p, len);
        name[len] = '\0';
        struct tree_node *n = tree_child(cur, name);
        if (!n) {
            *err = -ENOENT;
            return NULL;
        }
        if (n->ino->type == TREE_SYMLINK && (!last || follow_last)) {
            if (++*depth > TREE_MAX_SYMLINKS) {
                *err = -ELOOP;
                return NULL;
            }
            n = resolve(t, cur, n->ino->target, true, depth, err);
            if (!n)
                return NULL;
        }
        cur = n;
        p = rest;
    }
}

struct tree_node *tree_lookup(struct tree *t, const char *path, unsigned flags, bool *escape)
{
    int depth = 0, e;
    struct tree_node *n = resolve(t, t->root, path, flags & TREE_FOLLOW_LAST, &depth, &e);
    if (escape)
        *escape = e == -ELOOP;
    return n;
}

int tree_resolve_parent(struct tree *t, const char *path, bool create, int64_t mtime,
                        struct tree_node **parent, const char **base)
{
    struct tree_node *cur = t->root;
    const char *p = path;
    for (;;) {
        while (*p == '/')
            p++;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *rest = p + len;
        while (*rest == '/')
            rest++;
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return -EPERM;
        if (*rest == '\0') {
            if (len == 0 || (len == 1 && p[0] == '.'))
                return -EINVAL; /* no last component: the root itself */
            *parent = cur;
            *base = p;
            return 0;
        }
        if (len == 1 && p[0] == '.') {
            p = rest;
            continue;
        }
        char name[256];
        if (len >= sizeof(name))
            return -ENAMETOOLONG;
        memcpy(name, p, len);
        name[len] = '\0';
        struct tree_node *n = tree_child(cur, name);
        if (!n) {
            if (!create)
                return -ENOENT;
            n = tree_link(t, cur, name, tree_inode_new(TREE_DIR, 0755, 0, 0, mtime));
        } else if (n->ino->type == TREE_SYMLINK) {
            int depth = 1, e;
            n = resolve(t, cur, n->ino->target, true, &depth, &e);
            if (!n)
                return e == -ENOENT && create ? -ENOENT : e;
        }
        if (n->ino->type != TREE_DIR)
            return -ENOTDIR;
        cur = n;
        p = rest;
    }
}

static int walk(struct tree_node *n, struct sbuf *path, tree_walk_fn fn, void *arg)
{
    int r = fn(n, path->len ? path->s : "/", arg);
    if (r)
        return r;
    size_t keep = path->len;
    for (size_t i = 0; i < n->nkids; i++) {
        sbuf_add(path, "/", 1);
        sbuf_puts(path, n->kids[i]->name);
        r = walk(n->kids[i], path, fn, arg);
        path->len = keep;
        path->s[keep] = '\0';
        if (r)
            return r;
    }
    return 0;
}

int tree_walk(struct tree *t, tree_walk_fn fn, void *arg)
{
    struct sbuf path = {0};
    sbuf_add(&path, "", 0);
    int r = walk(t->root, &path, fn, arg);
    sbuf_free(&path);
    return r;
}

static int clamp_one(struct tree_node *n, const char *path, void *arg)
{
    (void)path;
    int64_t epoch = *(int64_t *)arg;
    if (n->ino->mtime > epoch)
        n->ino->mtime = epoch;
    return 0;
}

void tree_clamp_times(struct tree *t, int64_t epoch)
{
    tree_walk(t, clamp_one, &epoch);
}

int tree_inode_read(const struct tree_inode *ino, unsigned char **data, struct jeos_err *err)
{
    *data = NULL;
    if (ino->data == TREE_DATA_NONE || ino->size == 0)
        return 0;
    unsigned char *buf = xmalloc(ino->size);
    if (ino->data == TREE_DATA_BUF) {
        memcpy(buf, ino->buf, ino->size);
        *data = buf;
        return 0;
    }
    int fd = open(ino->ref_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = -errno;
        free(buf);
        return jeos_errf(err, e, "%s: cannot open: %s", ino->ref_path, strerror(-e));
    }
    uint64_t got = 0;
    while (got < ino->size) {
        ssize_t r = pread(fd, buf + got, ino->size - got, (off_t)(ino->ref_off + got));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = r < 0 ? -errno : -EIO;
            close(fd);
            free(buf);
            return jeos_errf(err, e, "%s: short read at offset %llu (file changed?)", ino->ref_path,
                             (unsigned long long)(ino->ref_off + got));
        }
        got += (uint64_t)r;
    }
    close(fd);
    *data = buf;
    return 0;
}
