/*
 * runtime/libc/fs.c — files: the recipe's files: from the cpio newc archive jeos build embeds
 * (uk_files_start..uk_files_end, read only, used in place) and a tmpfs at /tmp (pages from the
 * page allocator). One table of nodes keyed by absolute path; small trees, linear lookups.
 */
#include "console/console.h"
#include "lib/string.h"
#include "memory/memory.h"
#include "rt.h"
#include "time/time.h"

#define S_IFMT              0170000u
#define S_IFDIR             0040000u
#define S_IFREG             0100000u
#define S_IFLNK             0120000u
#define AT_FDCWD            (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR        0x200
#define AT_EMPTY_PATH       0x1000
#define O_ACCMODE           3
#define O_CREAT             0100
#define O_EXCL              0200
#define O_TRUNC             01000
#define O_APPEND            02000
#define O_DIRECTORY         0200000
#define O_NOFOLLOW          0400000
#define O_CLOEXEC           02000000
#define PATH_MAX            4096

extern const uint8_t uk_files_start[] __attribute__((weak));
extern const uint8_t uk_files_end[] __attribute__((weak));

struct node {
    char *path; /* absolute, normalised; NULL once removed */
    uint32_t mode;
    const uint8_t *ro; /* archive contents (files, link targets) */
    uint8_t *buf;      /* tmpfs contents: cap bytes of pages */
    uint64_t size, cap;
    int tmp; /* lives on the tmpfs: writable */
    uint64_t mtime_ns;
};

static struct node *nodes;
static int nnodes, capnodes;
static char cwd[PATH_MAX]; /* set to "/" by rt_fs_init */

static char *dup_str(const char *s, size_t n)
{
    char *d = heap_alloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int find(const char *path)
{
    for (int i = 0; i < nnodes; i++)
        if (nodes[i].path && strcmp(nodes[i].path, path) == 0)
            return i;
    return -1;
}

static int add(const char *path, uint32_t mode, int tmp)
{
    if (nnodes == capnodes) {
        int nc = capnodes ? capnodes * 2 : 64;
        struct node *nn = heap_alloc(sizeof(struct node) * (size_t)nc);
        if (!nn)
            return -RT_ENOSPC;
        if (nodes)
            memcpy(nn, nodes, sizeof(struct node) * (size_t)nnodes);
        heap_free(nodes);
        nodes = nn;
        capnodes = nc;
    }
    char *p = dup_str(path, strlen(path));
    if (!p)
        return -RT_ENOSPC;
    nodes[nnodes] = (struct node){.path = p, .mode = mode, .tmp = tmp, .mtime_ns = time_wall_ns()};
    return nnodes++;
}

/* Every ancestor of path as a directory (archives may omit them). */
static void add_parents(const char *path)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof(buf))
        return;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i < n; i++) {
        if (buf[i] != '/')
            continue;
        buf[i] = '\0';
        if (find(buf) < 0)
            add(buf, S_IFDIR | 0755, 0);
        buf[i] = '/';
    }
}

static uint64_t hex8(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        uint8_t c = p[i];
        v = v * 16 + (uint64_t)(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0');
    }
    return v;
}

void rt_fs_init(void)
{
    rt_fs_load(uk_files_start, uk_files_end);
}

void rt_fs_load(const uint8_t *p, const uint8_t *end)
{
    cwd[0] = '/';
    cwd[1] = '\0';
    add("/", S_IFDIR | 0755, 0);
    while (p && end - p >= 110 && memcmp(p, "070701", 6) == 0) {
        uint64_t mode = hex8(p + 14), mtime = hex8(p + 46), size = hex8(p + 54),
                 namesize = hex8(p + 94), left = (uint64_t)(end - p);
        const char *name = (const char *)p + 110;
        uint64_t head = (110 + namesize + 3) & ~3ull;
        /* a bad archive ends the tree where it goes wrong (jeos build writes good ones) */
        if (namesize == 0 || namesize > left - 110 || name[namesize - 1] != '\0' || head > left ||
            size > left - head)
            break;
        const uint8_t *data = p + head;
        p = (uint64_t)((size + 3) & ~3ull) <= left - head ? data + ((size + 3) & ~3ull) : end;
        if (namesize == 11 && memcmp(name, "TRAILER!!!", 10) == 0)
            break;
        while (name[0] == '/' || (name[0] == '.' && name[1] == '/'))
            name += name[0] == '/' ? 1 : 2;
        char path[PATH_MAX];
        size_t len = strlen(name);
        if (len == 0 || (len == 1 && name[0] == '.') || len + 2 > sizeof(path))
            continue;
        path[0] = '/';
        memcpy(path + 1, name, len + 1);
        add_parents(path);
        int i = find(path);
        if (i < 0)
            i = add(path, (uint32_t)mode, 0);
        if (i < 0)
            break;
        nodes[i].mode = (uint32_t)mode;
        nodes[i].ro = data;
        nodes[i].size = (mode & S_IFMT) == S_IFDIR ? 0 : size;
        nodes[i].mtime_ns = mtime * 1000000000u;
        if ((mode & S_IFMT) != S_IFDIR && (mode & S_IFMT) != S_IFREG && (mode & S_IFMT) != S_IFLNK)
            nodes[i].mode = S_IFREG | (uint32_t)(mode & 07777); /* devices, fifos: plain files */
    }
    int t = find("/tmp");
    if (t < 0)
        t = add("/tmp", S_IFDIR | 01777, 1);
    if (t >= 0) {
        nodes[t].tmp = 1;
        nodes[t].mode = S_IFDIR | 01777;
    }
}

int rt_fs_add_file(const char *path, const void *data, uint64_t len)
{
    if (path[0] != '/' || find(path) >= 0)
        return -RT_EEXIST;
    add_parents(path);
    int i = add(path, S_IFREG | 0644, 0);
    if (i < 0)
        return i;
    nodes[i].ro = data;
    nodes[i].size = len;
    return 0;
}

/* Appends path to base (absolute, normalised) into out, folding ".", ".." and "//". */
static int join(const char *base, const char *path, char *out)
{
    size_t n = 0;
    if (path[0] != '/') {
        n = strlen(base);
        if (n >= PATH_MAX)
            return -RT_ENAMETOOLONG;
        memcpy(out, base, n);
        if (n == 1)
            n = 0; /* base "/" */
    }
    const char *s = path;
    while (*s) {
        while (*s == '/')
            s++;
        const char *e = s;
        while (*e && *e != '/')
            e++;
        size_t len = (size_t)(e - s);
        if (len == 0 || (len == 1 && s[0] == '.')) {
        } else if (len == 2 && s[0] == '.' && s[1] == '.') {
            while (n > 0 && out[n - 1] != '/')
                n--;
            if (n > 0)
                n--;
        } else {
            if (n + 1 + len + 1 > PATH_MAX)
                return -RT_ENAMETOOLONG;
            out[n++] = '/';
            memcpy(out + n, s, len);
            n += len;
        }
        s = e;
    }
    if (n == 0)
        out[n++] = '/';
    out[n] = '\0';
    return 0;
}

/* Resolves (dirfd, path) to an absolute path in out; follows a final symlink when follow. */
static int resolve(int dirfd, const char *path, char *out, int follow)
{
    if (!path)
        return -RT_EFAULT;
    const char *base = cwd;
    if (path[0] != '/' && dirfd != AT_FDCWD) {
        struct rt_fd *f = rt_fd_get(dirfd);
        if (!f)
            return -RT_EBADF;
        if (f->kind != F_DIR)
            return -RT_ENOTDIR;
        base = nodes[f->node].path;
        if (!base)
            return -RT_ENOENT;
    }
    int rc = join(base, path, out);
    for (int hops = 0; rc == 0;) {
        /* the first symlink among the path's folders (and its last component when follow) */
        size_t len = strlen(out), at = 0;
        int link = -1;
        for (size_t k = 1; k <= len; k++) {
            if (k < len && out[k] != '/')
                continue;
            if (k == len && !follow)
                break;
            char keep = out[k];
            out[k] = '\0';
            int i = find(out);
            out[k] = keep;
            if (i < 0)
                break;
            if ((nodes[i].mode & S_IFMT) == S_IFLNK) {
                link = i;
                at = k;
                break;
            }
        }
        if (link < 0)
            break;
        if (++hops > 8)
            return -RT_ELOOP;
        char target[PATH_MAX], parent[PATH_MAX];
        size_t tl = nodes[link].size, rest = len - at;
        if (tl + rest + 1 > PATH_MAX)
            return -RT_ENAMETOOLONG;
        memcpy(target, nodes[link].ro ? (const char *)nodes[link].ro : "", tl);
        memcpy(target + tl, out + at, rest + 1); /* the rest starts with '/' or is empty */
        memcpy(parent, out, at);
        while (at > 0 && parent[at - 1] != '/')
            at--;
        parent[at > 1 ? at - 1 : 1] = '\0';
        rc = join(parent, target, out);
    }
    return rc;
}

/* The directory that would hold path: its node, or a negative errno. */
static int parent_of(const char *path)
{
    char parent[PATH_MAX];
    size_t n = strlen(path);
    memcpy(parent, path, n + 1);
    while (n > 0 && parent[n - 1] != '/')
        n--;
    parent[n > 1 ? n - 1 : 1] = '\0';
    int d = find(parent);
    if (d < 0)
        return -RT_ENOENT;
    if ((nodes[d].mode & S_IFMT) != S_IFDIR)
        return -RT_ENOTDIR;
    return d;
}

static int has_slash(const char *s)
{
    for (; *s; s++)
        if (*s == '/')
            return 1;
    return 0;
}

static const uint8_t *data_of(const struct node *nd)
{
    return nd->tmp ? nd->buf : nd->ro;
}

long rt_fs_open(int dirfd, const char *path, int flags, int mode)
{
    char abs[PATH_MAX];
    int rc = resolve(dirfd, path, abs, !(flags & O_NOFOLLOW));
    if (rc < 0)
        return rc;
    int i = find(abs);
    int acc = flags & O_ACCMODE;
    if (i >= 0 && (flags & O_CREAT) && (flags & O_EXCL))
        return -RT_EEXIST;
    if (i < 0) {
        if (!(flags & O_CREAT))
            return -RT_ENOENT;
        int d = parent_of(abs);
        if (d < 0)
            return d;
        if (!nodes[d].tmp)
            return -RT_EROFS;
        i = add(abs, S_IFREG | ((uint32_t)mode & 07777), 1);
        if (i < 0)
            return i;
    }
    struct node *nd = &nodes[i];
    uint32_t type = nd->mode & S_IFMT;
    if ((nodes[i].mode & S_IFMT) == S_IFLNK)
        return -RT_ELOOP;
    if ((flags & O_DIRECTORY) && type != S_IFDIR)
        return -RT_ENOTDIR;
    if (type == S_IFDIR && acc != 0)
        return -RT_EISDIR;
    if (acc != 0 && !nd->tmp)
        return -RT_EROFS;
    if ((flags & O_TRUNC) && acc != 0)
        nd->size = 0;
    struct rt_fd f = {.kind = type == S_IFDIR ? F_DIR : F_FILE,
                      .flags = flags & ~(O_CLOEXEC | O_CREAT | O_EXCL | O_TRUNC),
                      .cloexec = !!(flags & O_CLOEXEC),
                      .node = i};
    return rt_fd_new(&f);
}

long rt_fs_read(struct rt_fd *f, void *buf, uint64_t n, int64_t at)
{
    if (f->kind == F_DIR)
        return -RT_EISDIR;
    if ((f->flags & O_ACCMODE) == 1)
        return -RT_EBADF;
    struct node *nd = &nodes[f->node];
    uint64_t off = at < 0 ? f->off : (uint64_t)at;
    if (off >= nd->size)
        return 0;
    uint64_t k = nd->size - off < n ? nd->size - off : n;
    memcpy(buf, data_of(nd) + off, k);
    if (at < 0)
        f->off += k;
    return (long)k;
}

static int grow(struct node *nd, uint64_t size)
{
    if (size <= nd->cap)
        return 0;
    if (size > (1ull << 36))
        return -RT_EFBIG;
    uint64_t cap = nd->cap ? nd->cap : PAGE_SIZE;
    while (cap < size)
        cap *= 2;
    uint8_t *b = page_alloc(cap / PAGE_SIZE);
    if (!b)
        return -RT_ENOSPC;
    if (nd->buf) {
        memcpy(b, nd->buf, nd->size);
        page_free(nd->buf, nd->cap / PAGE_SIZE);
    }
    nd->buf = b;
    nd->cap = cap;
    return 0;
}

long rt_fs_write(struct rt_fd *f, const void *buf, uint64_t n, int64_t at)
{
    if (f->kind == F_DIR || (f->flags & O_ACCMODE) == 0)
        return -RT_EBADF;
    struct node *nd = &nodes[f->node];
    uint64_t off = at >= 0 ? (uint64_t)at : (f->flags & O_APPEND) ? nd->size : f->off;
    int rc = grow(nd, off + n);
    if (rc < 0)
        return rc;
    if (off > nd->size)
        memset(nd->buf + nd->size, 0, off - nd->size);
    memcpy(nd->buf + off, buf, n);
    if (off + n > nd->size)
        nd->size = off + n;
    nd->mtime_ns = time_wall_ns();
    if (at < 0)
        f->off = off + n;
    return (long)n;
}

long rt_fs_ftruncate(struct rt_fd *f, int64_t len)
{
    if (f->kind != F_FILE || (f->flags & O_ACCMODE) == 0 || len < 0)
        return -RT_EINVAL;
    struct node *nd = &nodes[f->node];
    int rc = grow(nd, (uint64_t)len);
    if (rc < 0)
        return rc;
    if ((uint64_t)len > nd->size)
        memset(nd->buf + nd->size, 0, (uint64_t)len - nd->size);
    nd->size = (uint64_t)len;
    return 0;
}

long rt_fs_lseek(struct rt_fd *f, int64_t off, int whence)
{
    int64_t base = whence == 0   ? 0
                   : whence == 1 ? (int64_t)f->off
                   : whence == 2 ? (int64_t)nodes[f->node].size
                                 : -1;
    if (base < 0 || base + off < 0)
        return -RT_EINVAL;
    if (f->kind == F_DIR && !(whence == 0 && off == 0))
        return -RT_EINVAL;
    f->off = (uint64_t)(base + off);
    return (long)f->off;
}

/* struct stat of x86-64 Linux */
struct rt_stat {
    uint64_t dev, ino, nlink;
    uint32_t mode, uid, gid, pad0;
    uint64_t rdev;
    int64_t size, blksize, blocks;
    int64_t atime, atime_ns, mtime, mtime_ns, ctime, ctime_ns;
    int64_t reserved[3];
};

void rt_fs_stat_node(int i, void *out)
{
    const struct node *nd = &nodes[i];
    int64_t s = (int64_t)(nd->mtime_ns / 1000000000u), ns = (int64_t)(nd->mtime_ns % 1000000000u);
    struct rt_stat st = {
        .dev = nd->tmp ? 2 : 1,
        .ino = (uint64_t)i + 1,
        .nlink = (nd->mode & S_IFMT) == S_IFDIR ? 2 : 1,
        .mode = nd->mode,
        .size = (int64_t)nd->size,
        .blksize = 4096,
        .blocks = (int64_t)((nd->size + 511) / 512),
        .atime = s,
        .atime_ns = ns,
        .mtime = s,
        .mtime_ns = ns,
        .ctime = s,
        .ctime_ns = ns,
    };
    memcpy(out, &st, sizeof(st));
}

long rt_fs_fstatat(int dirfd, const char *path, void *st, int flags)
{
    if ((flags & AT_EMPTY_PATH) && path && !*path) {
        struct rt_fd *f = rt_fd_get(dirfd);
        if (!f)
            return -RT_EBADF;
        return rt_fstat(dirfd, st);
    }
    char abs[PATH_MAX];
    int rc = resolve(dirfd, path, abs, !(flags & AT_SYMLINK_NOFOLLOW));
    if (rc < 0)
        return rc;
    if (strncmp(abs, "/dev/", 5) == 0) {
        int fd = rt_openat(AT_FDCWD, abs, 0, 0);
        if (fd >= 0) {
            rc = (int)rt_fstat(fd, st);
            rt_close(fd);
            return rc;
        }
    }
    int i = find(abs);
    if (i < 0)
        return -RT_ENOENT;
    rt_fs_stat_node(i, st);
    return 0;
}

long rt_fs_statx(int dirfd, const char *path, int flags, void *out)
{
    struct rt_stat st;
    long rc = rt_fs_fstatat(dirfd, path, &st, flags);
    if (rc < 0)
        return rc;
    uint8_t *x = out;
    memset(x, 0, 256);
    uint32_t mask = 0x7ff, blksize = 4096, nlink = (uint32_t)st.nlink;
    uint16_t mode = (uint16_t)st.mode;
    memcpy(x + 0, &mask, 4);
    memcpy(x + 4, &blksize, 4);
    memcpy(x + 16, &nlink, 4);
    memcpy(x + 28, &mode, 2);
    memcpy(x + 32, &st.ino, 8);
    memcpy(x + 40, &st.size, 8);
    memcpy(x + 48, &st.blocks, 8);
    for (int k = 0; k < 4; k++) { /* atime, btime, ctime, mtime */
        memcpy(x + 64 + 16 * k, &st.mtime, 8);
        uint32_t ns = (uint32_t)st.mtime_ns;
        memcpy(x + 72 + 16 * k, &ns, 4);
    }
    uint32_t dev_minor = (uint32_t)st.dev;
    memcpy(x + 140, &dev_minor, 4);
    return 0;
}

long rt_fs_getdents64(struct rt_fd *f, void *buf, uint64_t n)
{
    if (f->kind != F_DIR)
        return -RT_ENOTDIR;
    const char *dir = nodes[f->node].path;
    if (!dir)
        return -RT_ENOENT;
    size_t dl = strlen(dir);
    uint8_t *out = buf;
    uint64_t used = 0;
    while (f->off < (uint64_t)nnodes + 2) {
        const char *name;
        uint64_t ino;
        uint8_t type = 4; /* DT_DIR */
        if (f->off < 2) {
            name = f->off == 0 ? "." : "..";
            ino = f->off == 0 ? (uint64_t)f->node + 1 : 1;
        } else {
            const struct node *c = &nodes[f->off - 2];
            const char *p = c->path;
            if (!p || strlen(p) <= dl || strncmp(p, dir, dl) != 0 || (dl > 1 && p[dl] != '/') ||
                has_slash(p + (dl > 1 ? dl + 1 : 1))) {
                f->off++;
                continue;
            }
            name = p + (dl > 1 ? dl + 1 : 1);
            ino = f->off - 1;
            uint32_t t = c->mode & S_IFMT;
            type = t == S_IFDIR ? 4 : t == S_IFLNK ? 10 : 8;
        }
        size_t nl = strlen(name);
        uint64_t reclen = (19 + nl + 1 + 7) & ~7ull;
        if (used + reclen > n)
            break;
        uint8_t *e = out + used;
        memset(e, 0, reclen);
        int64_t next = (int64_t)f->off + 1;
        memcpy(e, &ino, 8);
        memcpy(e + 8, &next, 8);
        uint16_t rl = (uint16_t)reclen;
        memcpy(e + 16, &rl, 2);
        e[18] = type;
        memcpy(e + 19, name, nl + 1);
        used += reclen;
        f->off++;
    }
    if (used == 0 && f->off < (uint64_t)nnodes + 2)
        return -RT_EINVAL; /* buffer too small for one entry */
    return (long)used;
}

long rt_fs_readlinkat(int dirfd, const char *path, char *buf, uint64_t n)
{
    char abs[PATH_MAX];
    int rc = resolve(dirfd, path, abs, 0);
    if (rc < 0)
        return rc;
    int i = find(abs);
    if (i < 0)
        return -RT_ENOENT;
    if ((nodes[i].mode & S_IFMT) != S_IFLNK)
        return -RT_EINVAL;
    uint64_t k = nodes[i].size < n ? nodes[i].size : n;
    memcpy(buf, nodes[i].ro, k);
    return (long)k;
}

long rt_fs_access(int dirfd, const char *path, int mode)
{
    char st[144];
    long rc = rt_fs_fstatat(dirfd, path, st, 0);
    if (rc < 0)
        return rc;
    if (mode & 2) { /* W_OK */
        char abs[PATH_MAX];
        if (resolve(dirfd, path, abs, 1) == 0 && strncmp(abs, "/dev/", 5) != 0) {
            int i = find(abs);
            if (i >= 0 && !nodes[i].tmp)
                return -RT_EROFS;
        }
    }
    return 0;
}

long rt_fs_getcwd(char *buf, uint64_t n)
{
    size_t len = strlen(cwd) + 1;
    if (n < len)
        return -RT_ERANGE;
    memcpy(buf, cwd, len);
    return (long)len;
}

long rt_fs_chdir(const char *path, int fd)
{
    char abs[PATH_MAX];
    int i;
    if (path) {
        int rc = resolve(AT_FDCWD, path, abs, 1);
        if (rc < 0)
            return rc;
        i = find(abs);
    } else {
        struct rt_fd *f = rt_fd_get(fd);
        if (!f)
            return -RT_EBADF;
        i = f->kind == F_DIR ? f->node : -2;
    }
    if (i == -2)
        return -RT_ENOTDIR;
    if (i < 0 || !nodes[i].path)
        return -RT_ENOENT;
    if ((nodes[i].mode & S_IFMT) != S_IFDIR)
        return -RT_ENOTDIR;
    memcpy(cwd, nodes[i].path, strlen(nodes[i].path) + 1);
    return 0;
}

long rt_fs_mkdirat(int dirfd, const char *path, int mode)
{
    char abs[PATH_MAX];
    int rc = resolve(dirfd, path, abs, 0);
    if (rc < 0)
        return rc;
    if (find(abs) >= 0)
        return -RT_EEXIST;
    int d = parent_of(abs);
    if (d < 0)
        return d;
    if (!nodes[d].tmp)
        return -RT_EROFS;
    int i = add(abs, S_IFDIR | ((uint32_t)mode & 07777), 1);
    return i < 0 ? i : 0;
}

static int has_children(const char *dir)
{
    size_t dl = strlen(dir);
    for (int i = 0; i < nnodes; i++) {
        const char *p = nodes[i].path;
        if (p && strlen(p) > dl && strncmp(p, dir, dl) == 0 && p[dl] == '/')
            return 1;
    }
    return 0;
}

long rt_fs_unlinkat(int dirfd, const char *path, int flags)
{
    char abs[PATH_MAX];
    int rc = resolve(dirfd, path, abs, 0);
    if (rc < 0)
        return rc;
    int i = find(abs);
    if (i < 0)
        return -RT_ENOENT;
    struct node *nd = &nodes[i];
    int isdir = (nd->mode & S_IFMT) == S_IFDIR;
    if ((flags & AT_REMOVEDIR) && !isdir)
        return -RT_ENOTDIR;
    if (!(flags & AT_REMOVEDIR) && isdir)
        return -RT_EISDIR;
    int d = parent_of(abs);
    if (d < 0 || !nodes[d].tmp || !nd->tmp || strcmp(abs, "/tmp") == 0)
        return -RT_EROFS;
    if (isdir && has_children(abs))
        return -RT_ENOTEMPTY;
    /* open descriptors keep reading the data: the pages stay with the node */
    heap_free(nd->path);
    nd->path = NULL;
    return 0;
}

long rt_fs_renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)
{
    char a[PATH_MAX], b[PATH_MAX];
    int rc = resolve(olddirfd, oldpath, a, 0);
    if (rc == 0)
        rc = resolve(newdirfd, newpath, b, 0);
    if (rc < 0)
        return rc;
    int i = find(a);
    if (i < 0)
        return -RT_ENOENT;
    int d = parent_of(b);
    if (d < 0)
        return d;
    if (!nodes[i].tmp || !nodes[d].tmp)
        return nodes[i].tmp ? -RT_EXDEV : -RT_EROFS;
    if ((nodes[i].mode & S_IFMT) == S_IFDIR)
        return -RT_EINVAL; /* renaming folders (and their contents) is not supported yet */
    int j = find(b);
    if (j == i)
        return 0;
    if (j >= 0) {
        if ((nodes[j].mode & S_IFMT) == S_IFDIR)
            return -RT_EISDIR;
        heap_free(nodes[j].path);
        nodes[j].path = NULL;
    }
    char *p = dup_str(b, strlen(b));
    if (!p)
        return -RT_ENOSPC;
    heap_free(nodes[i].path);
    nodes[i].path = p;
    return 0;
}
