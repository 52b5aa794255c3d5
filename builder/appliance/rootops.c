/* rootops.c — small edits of the root tree shared by the configuration steps (see rootops.h). */
#include "builder/appliance/rootops.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "builder/core/alloc.h"
#include "builder/core/err.h"

char *root_text(struct tree *t, const char *path)
{
    struct tree_node *n = tree_lookup(t, path, TREE_FOLLOW_LAST, NULL);
    if (!n || n->ino->type != TREE_FILE)
        return NULL;
    unsigned char *data;
    if (tree_inode_read(n->ino, &data, NULL) < 0)
        return NULL;
    char *s = xmalloc(n->ino->size + 1);
    if (n->ino->size)
        memcpy(s, data, n->ino->size);
    s[n->ino->size] = '\0';
    free(data);
    return s;
}

bool root_exists(struct tree *t, const char *path, bool follow)
{
    return tree_lookup(t, path, follow ? TREE_FOLLOW_LAST : 0, NULL) != NULL;
}

int root_put_dir(struct tree *t, const char *path, uint32_t mode, uint32_t uid, uint32_t gid,
                 int64_t epoch, struct jeos_err *err)
{
    struct tree_node *n = tree_lookup(t, path, TREE_FOLLOW_LAST, NULL);
    if (n && n->ino->type == TREE_DIR) {
        n->ino->mode = mode;
        n->ino->uid = uid;
        n->ino->gid = gid;
        return 0;
    }
    struct tree_node *parent;
    const char *base;
    int r = tree_resolve_parent(t, path, true, epoch, &parent, &base);
    if (r < 0)
        return jeos_errf(err, r, "%s: cannot make folder: %s", path, strerror(-r));
    if (!*base)
        return 0; /* "/" */
    tree_link(t, parent, base, tree_inode_new(TREE_DIR, mode, uid, gid, epoch));
    return 0;
}

struct tree_inode *root_put_entry(struct tree *t, const char *path, enum tree_type type,
                                  uint32_t mode, uint32_t uid, uint32_t gid, int64_t epoch,
                                  struct jeos_err *err)
{
    struct tree_node *parent;
    const char *base;
    int r = tree_resolve_parent(t, path, true, epoch, &parent, &base);
    if (r < 0) {
        jeos_errf(err, r, "%s: cannot place: %s", path, strerror(-r));
        return NULL;
    }
    struct tree_node *old = tree_child(parent, base);
    if (!*base || (old && old->ino->type == TREE_DIR)) {
        jeos_errf(err, -EISDIR, "%s: is a folder in the image", path);
        return NULL;
    }
    struct tree_inode *ino = tree_inode_new(type, mode, uid, gid, epoch);
    tree_link(t, parent, base, ino);
    return ino;
}

int root_put_file(struct tree *t, const char *path, const void *data, size_t len, uint32_t mode,
                  uint32_t uid, uint32_t gid, int64_t epoch, struct jeos_err *err)
{
    struct tree_inode *ino = root_put_entry(t, path, TREE_FILE, mode, uid, gid, epoch, err);
    if (!ino)
        return -EINVAL;
    if (len)
        tree_inode_set_buf(ino, data, len);
    return 0;
}

int root_put_symlink(struct tree *t, const char *path, const char *target, int64_t epoch,
                     struct jeos_err *err)
{
    struct tree_inode *ino = root_put_entry(t, path, TREE_SYMLINK, 0777, 0, 0, epoch, err);
    if (!ino)
        return -EINVAL;
    ino->target = xstrdup(target);
    ino->size = strlen(target);
    return 0;
}
