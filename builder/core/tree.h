/* tree.h — the in-memory file tree a root filesystem is assembled in before any image is written.
 */
#ifndef JEOS_TREE_H
#define JEOS_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jeos_err;

enum tree_type {
    TREE_DIR,
    TREE_FILE,
    TREE_SYMLINK,
    TREE_CHR,
    TREE_BLK,
    TREE_FIFO,
    TREE_SOCK,
};

/* Where a regular file's bytes are. */
enum tree_data {
    TREE_DATA_NONE, /* empty file */
    TREE_DATA_BUF,  /* owned buffer (`buf`, `size` bytes) */
    TREE_DATA_REF,  /* `size` bytes at `ref_off` of the host file `ref_path` (read when written) */
};

struct tree_xattr {
    char *name; /* "security.capability", "user.foo", ... */
    unsigned char *value;
    size_t len;
};

/*
 * One inode: what a directory entry points at. Hard links are several
 * entries sharing one inode (`nlink` counts them).
 */
struct tree_inode {
    enum tree_type type;
    uint32_t mode; /* permission bits including setuid/setgid/sticky (07777) */
    uint32_t uid, gid;
    int64_t mtime;
    uint32_t rdev_major, rdev_minor; /* TREE_CHR, TREE_BLK */
    char *target;                    /* TREE_SYMLINK: the link's text */
    enum tree_data data;
    unsigned char *buf;
    char *ref_path;
    uint64_t ref_off;
    uint64_t size;             /* file bytes; for a symlink strlen(target) */
    struct tree_xattr *xattrs; /* sorted by name */
    size_t nxattrs;
    unsigned nlink;
    char *pkg;   /* the package that installed it ("" for the builder's own entries) */
    uint64_t id; /* scratch for writers (e.g. the ext4 inode number) */
};

struct tree_node {
    char *name; /* "" for the root */
    struct tree_node *parent;
    struct tree_inode *ino;
    struct tree_node **kids; /* directories: children sorted by name (strcmp) */
    size_t nkids, capkids;
};

struct tree {
    struct tree_node *root;
    size_t nnodes; /* entries, root included */
};

/* Creates an empty tree: a root directory 0755 root:root with mtime `mtime`. Free with tree_free.
 */
struct tree *tree_new(int64_t mtime);
void tree_free(struct tree *t);

/* Type names as used in manifests: "dir", "file", "symlink", "chr", "blk", "fifo", "sock". */
const char *tree_type_name(enum tree_type t);

/* A new inode of `type` owned by the caller until it is linked with tree_link. */
struct tree_inode *tree_inode_new(enum tree_type type, uint32_t mode, uint32_t uid, uint32_t gid,
                                  int64_t mtime);
/* Replaces an inode's content with an owned copy of `len` bytes (or a reference when ref_path). */
void tree_inode_set_buf(struct tree_inode *ino, const void *data, size_t len);
void tree_inode_set_ref(struct tree_inode *ino, const char *path, uint64_t off, uint64_t len);
/* Sets (adds or replaces) one extended attribute. */
void tree_inode_set_xattr(struct tree_inode *ino, const char *name, const void *value, size_t len);
void tree_inode_unref(struct tree_inode *ino);

/* Flags for tree_lookup. */
#define TREE_FOLLOW_LAST 1u /* follow a symlink in the last component too */

/*
 * Finds the entry at `path` (absolute or relative to the root; "." and empty
 * components are skipped; ".." goes up, never above the root). Symlinks in
 * parent components are followed inside the tree; the last component too
 * with TREE_FOLLOW_LAST. Returns the node, or NULL when absent. A resolution
 * that loops (more than 40 symlinks) or that a symlink would take above the
 * root sets *escape (when non-NULL) and returns NULL.
 */
struct tree_node *tree_lookup(struct tree *t, const char *path, unsigned flags, bool *escape);

/*
 * Resolves the parent folder of `path` (creating missing folders 0755 root:root
 * with `mtime` when `create`) and returns it, with the last component's name in
 * *base (a pointer into `path`). Errors: -ENOENT (missing, !create),
 * -ENOTDIR (a component is not a folder), -ELOOP (symlink loop or escape above
 * the root). A "`..`" component is an error (-EPERM): package paths never hold one.
 */
int tree_resolve_parent(struct tree *t, const char *path, bool create, int64_t mtime,
                        struct tree_node **parent, const char **base);

/* The child of `dir` named `name`, or NULL. */
struct tree_node *tree_child(const struct tree_node *dir, const char *name);

/*
 * Links `ino` into `dir` as `name` (taking one reference). An existing entry of
 * that name is replaced (its subtree freed). Returns the new node.
 */
struct tree_node *tree_link(struct tree *t, struct tree_node *dir, const char *name,
                            struct tree_inode *ino);

/* Unlinks `n` (and, for a folder, everything under it) and frees it. Not the root. */
void tree_remove(struct tree *t, struct tree_node *n);

/* The absolute path of `n` ("/" for the root). The caller frees it. */
char *tree_path(const struct tree_node *n);

/*
 * Calls fn on every entry in depth-first pre-order with children sorted by
 * name, the root first. `path` is the entry's absolute path. A non-zero return
 * stops the walk and is returned. fn must not add or remove entries.
 */
typedef int (*tree_walk_fn)(struct tree_node *n, const char *path, void *arg);
int tree_walk(struct tree *t, tree_walk_fn fn, void *arg);

/* Sets every mtime above `epoch` to `epoch`. */
void tree_clamp_times(struct tree *t, int64_t epoch);

/*
 * Reads an inode's content into a buffer the caller frees (NULL for an empty file).
 * For TREE_DATA_REF the host file is read; a short or failed read is an error.
 */
int tree_inode_read(const struct tree_inode *ino, unsigned char **data, struct jeos_err *err);

#endif
