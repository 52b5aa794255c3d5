/* squashfs.c — tree → squashfs: a tar stream written from the tree, piped into sqfstar. */
/*
 * Why sqfstar (squashfs-tools 4.5.1) and not mksquashfs with a pseudo file:
 * mksquashfs reads file bytes from a host folder, so the tree would first be
 * staged on disk, and as a plain user it silently stores files it cannot read
 * as empty; its 4.5.1 pseudo definitions also cannot carry xattrs (the "x"
 * type came in 4.6), which security.capability needs. sqfstar takes a tar
 * stream on stdin, where owners, modes, devices, hard links and SCHILY.xattr
 * headers travel with the bytes — written from the tree, nothing staged, no
 * privilege needed. libsquashfs (squashfs-tools-ng) is not in bookworm's
 * squashfs-tools and would be one more library.
 */
#include "images/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/spawn.h"
#include "builder/core/util.h"

extern char **environ;

extern const struct fs_ops jeos_fs_squashfs; /* below */

/*
 * The tar stream is written here rather than with libarchive: sqfstar 4.5.1
 * strips leading "/" and "../" from a pax `linkpath`, which breaks symlink
 * targets longer than 100 bytes, but reads GNU 'K' long-link records intact.
 * So: ustar headers, GNU 'K' records for long link targets, pax 'x' records
 * for long names, big ids and sizes, and SCHILY.xattr.* extended attributes.
 */
struct tw {
    int fd;
    int err; /* first write error (negative errno) */
    size_t len;
    unsigned char buf[1 << 16];
};

static void tw_flush(struct tw *w)
{
    if (w->len && !w->err)
        w->err = jeos_write_all(w->fd, w->buf, w->len);
    w->len = 0;
}

static void tw_put(struct tw *w, const void *p, size_t n)
{
    const unsigned char *c = p;
    while (n) {
        size_t k = sizeof(w->buf) - w->len < n ? sizeof(w->buf) - w->len : n;
        memcpy(w->buf + w->len, c, k);
        w->len += k;
        c += k;
        n -= k;
        if (w->len == sizeof(w->buf))
            tw_flush(w);
    }
}

static void tw_pad(struct tw *w, uint64_t n)
{
    static const unsigned char zero[512];
    if (n % 512)
        tw_put(w, zero, 512 - n % 512);
}

static void octal(unsigned char *f, size_t width, uint64_t v)
{
    char tmp[24];
    snprintf(tmp, sizeof(tmp), "%0*llo", (int)(width - 1), (unsigned long long)v);
    memcpy(f, tmp, width - 1);
}

static void tw_header(struct tw *w, const char *name, char type, uint32_t mode, uint64_t uid,
                      uint64_t gid, uint64_t size, int64_t mtime, const char *link, uint32_t major,
                      uint32_t minor)
{
    unsigned char h[512];
    memset(h, 0, sizeof(h));
    memcpy(h, name, strnlen(name, 100));
    octal(h + 100, 8, mode);
    octal(h + 108, 8, uid > 07777777 ? 0 : uid);
    octal(h + 116, 8, gid > 07777777 ? 0 : gid);
    octal(h + 124, 12, size > 077777777777ull ? 0 : size);
    octal(h + 136, 12, mtime < 0 ? 0 : (uint64_t)mtime);
    memset(h + 148, ' ', 8);
    h[156] = (unsigned char)type;
    if (link)
        memcpy(h + 157, link, strnlen(link, 100));
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    octal(h + 329, 8, major);
    octal(h + 337, 8, minor);
    unsigned sum = 0;
    for (size_t i = 0; i < sizeof(h); i++)
        sum += h[i];
    char ck[8];
    snprintf(ck, sizeof(ck), "%06o", sum);
    memcpy(h + 148, ck, 7); /* six digits, NUL, and the space already there */
    tw_put(w, h, sizeof(h));
}

/* One "LEN KEY=VALUE\n" pax record; LEN counts itself. */
static void pax_rec(struct sbuf *b, const char *key, const void *val, size_t vlen)
{
    size_t base = strlen(key) + vlen + 3, len = base + 1;
    for (;;) {
        char d[24];
        size_t n = base + (size_t)snprintf(d, sizeof(d), "%zu", len);
        if (n == len)
            break;
        len = n;
    }
    sbuf_printf(b, "%zu %s=", len, key);
    sbuf_add(b, val, vlen);
    sbuf_add(b, "\n", 1);
}

static void tw_special(struct tw *w, const char *name, char type, const void *data, size_t len,
                       int64_t mtime)
{
    tw_header(w, name, type, 0644, 0, 0, len, mtime, NULL, 0, 0);
    tw_put(w, data, len);
    tw_pad(w, len);
}

struct sq_state {
    struct tw *w;
    char **first; /* first path of each inode written, by ino->id - 1 */
    size_t nfirst;
    struct jeos_err *err;
    const char *path;
};

static char tar_type(enum tree_type t)
{
    switch (t) {
    case TREE_DIR: return '5';
    case TREE_FILE: return '0';
    case TREE_SYMLINK: return '2';
    case TREE_CHR: return '3';
    case TREE_BLK: return '4';
    case TREE_FIFO: return '6';
    case TREE_SOCK: return 0;
    }
    return 0;
}

static int emit(struct tree_node *n, const char *path, void *arg)
{
    struct sq_state *s = arg;
    if (!n->parent)
        return 0; /* the root: -root-* options */
    struct tree_inode *ti = n->ino;
    const char *rel = path + 1;
    const char *link = NULL;
    char type;
    uint64_t size = 0;
    if (ti->id) {
        type = '1';
        link = s->first[ti->id - 1];
    } else {
        type = tar_type(ti->type);
        if (!type)
            return jeos_errf(s->err, -EINVAL,
                             "%s: %s: a socket cannot be stored in squashfs "
                             "through a tar stream",
                             s->path, path);
        if (ti->type == TREE_SYMLINK)
            link = ti->target;
        if (ti->type == TREE_FILE)
            size = ti->size;
        if (ti->nlink > 1 && ti->type != TREE_DIR) {
            s->first = xrealloc(s->first, (s->nfirst + 1) * sizeof(*s->first));
            s->first[s->nfirst++] = xstrdup(rel);
            ti->id = s->nfirst;
        }
    }
    if (link && strlen(link) >= 100)
        tw_special(s->w, "././@LongLink", 'K', link, strlen(link) + 1, 0);
    struct sbuf pax = {0};
    if (strlen(rel) >= 100)
        pax_rec(&pax, "path", rel, strlen(rel));
    char num[24];
    if (ti->uid > 07777777)
        pax_rec(&pax, "uid", num, (size_t)snprintf(num, sizeof(num), "%u", ti->uid));
    if (ti->gid > 07777777)
        pax_rec(&pax, "gid", num, (size_t)snprintf(num, sizeof(num), "%u", ti->gid));
    if (size > 077777777777ull)
        pax_rec(&pax, "size", num,
                (size_t)snprintf(num, sizeof(num), "%llu", (unsigned long long)size));
    for (size_t i = 0; type != '1' && i < ti->nxattrs; i++) {
        char *key = xasprintf("SCHILY.xattr.%s", ti->xattrs[i].name);
        pax_rec(&pax, key, ti->xattrs[i].value, ti->xattrs[i].len);
        free(key);
    }
    if (pax.len)
        tw_special(s->w, "././@PaxHeader", 'x', pax.s, pax.len, ti->mtime);
    sbuf_free(&pax);
    tw_header(s->w, rel, type, ti->mode & 07777, ti->uid, ti->gid, size, ti->mtime, link,
              ti->rdev_major, ti->rdev_minor);
    if (size) {
        unsigned char *data;
        int r = tree_inode_read(ti, &data, s->err);
        if (r < 0)
            return r;
        tw_put(s->w, data, size);
        tw_pad(s->w, size);
        free(data);
    }
    if (s->w->err)
        return jeos_errf(s->err, s->w->err, "%s: %s: writing to sqfstar: %s", s->path, path,
                         strerror(-s->w->err));
    return 0;
}

static int reset_id(struct tree_node *n, const char *path, void *arg)
{
    (void)path;
    (void)arg;
    n->ino->id = 0;
    return 0;
}

/* sqfstar's command line for `t` into `img`: times and root owner pinned, the compression. */
struct sq_cmd {
    char *argv[32];
    char epoch[32], rmode[16], ruid[16], rgid[16];
    char **envp; /* ours without SOURCE_DATE_EPOCH */
};

static void sq_cmd(struct sq_cmd *c, const struct tree *t, const struct fs_opts *o,
                   const char *comp, char *img)
{
    snprintf(c->epoch, sizeof(c->epoch), "%lld", (long long)(o->epoch < 0 ? 0 : o->epoch));
    snprintf(c->rmode, sizeof(c->rmode), "%o", t->root->ino->mode);
    snprintf(c->ruid, sizeof(c->ruid), "%u", t->root->ino->uid);
    snprintf(c->rgid, sizeof(c->rgid), "%u", t->root->ino->gid);
    size_t na = 0;
    /* sqfstar 4.5.1 ignores -root-uid/-root-gid and gives the root folder the caller's ids: a
       plain user runs it as root of a user namespace of its own. */
    if (geteuid() != 0) {
        c->argv[na++] = "unshare";
        c->argv[na++] = "--user";
        c->argv[na++] = "--map-root-user";
    }
    char *const args[] = {"sqfstar",        "-reproducible", "-mkfs-time", c->epoch,
                          "-all-time",      c->epoch,        "-root-mode", c->rmode,
                          "-root-uid",      c->ruid,         "-root-gid",  c->rgid,
                          "-comp",          (char *)comp,    "-quiet",     "-no-progress",
                          "-exit-on-error", "-processors",   "2",          img};
    for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++)
        c->argv[na++] = args[i];
    c->argv[na] = NULL;
    /* mksquashfs refuses SOURCE_DATE_EPOCH beside -mkfs-time: the times are passed explicitly */
    size_t nenv = 0;
    while (environ[nenv])
        nenv++;
    c->envp = xcalloc(nenv + 1, sizeof(*c->envp));
    for (size_t i = 0, k = 0; i < nenv; i++)
        if (strncmp(environ[i], "SOURCE_DATE_EPOCH=", 18) != 0)
            c->envp[k++] = environ[i];
}

/* Streams the tree as a tar archive into `fd` (sqfstar's stdin). */
static int sq_stream(struct tree *t, struct sq_state *s, int fd, const char *path,
                     struct jeos_err *err)
{
    void (*oldpipe)(int) = signal(SIGPIPE, SIG_IGN);
    struct tw *w = xcalloc(1, sizeof(*w));
    w->fd = fd;
    s->w = w;
    tree_walk(t, reset_id, NULL);
    int wr = tree_walk(t, emit, s);
    if (wr == 0) {
        static const unsigned char end[1024];
        tw_put(w, end, sizeof(end));
        tw_flush(w);
        if (w->err)
            wr = jeos_errf(err, w->err, "%s: writing to sqfstar: %s", path, strerror(-w->err));
    }
    free(w);
    s->w = NULL;
    signal(SIGPIPE, oldpipe);
    tree_walk(t, reset_id, NULL);
    return wr;
}

static int squashfs_write(struct tree *t, const struct fs_opts *o, const char *path,
                          const struct jeos_ctx *ctx, struct jeos_err *err)
{
    const char *comp = o->compression ? o->compression : jeos_fs_squashfs.c.keys[0].def;
    const struct jeos_choice *cc = jeos_axis_find(&jeos_axis_compression, comp);
    if (!cc) {
        struct sbuf all = {0};
        jeos_axis_names(&jeos_axis_compression, JEOS_FOR_BOTH, &all);
        jeos_errf(err, -EINVAL, "%s: compression \"%s\" (expected one of: %s)", path, comp, all.s);
        sbuf_free(&all);
        return -EINVAL;
    }
    struct jeos_outfile out;
    int r = jeos_outfile_open(&out, path, 0644, err);
    if (r < 0)
        return r;
    /* sqfstar refuses to append to our (empty) temporary: give it a fresh name beside it */
    char *img = xasprintf("%s.sq", out.tmp);
    struct sq_cmd cmd;
    sq_cmd(&cmd, t, o, cc->name, img);
    struct sq_state s = {.err = err, .path = path};
    struct jeos_child child;
    struct jeos_err sub = {0};
    if ((r = jeos_child_start(cmd.argv, cmd.envp, &child, &sub)) < 0) {
        jeos_errf(err, r, "%s: %s", path, sub.msgs[0]);
        goto out;
    }
    jeos_log(ctx, JEOS_LOG_DEBUG, "squashfs: streaming %zu entries into sqfstar", t->nnodes);
    int wr = sq_stream(t, &s, child.in, path, err);
    /* the tool's own failure explains a broken pipe better than the write error does */
    if ((r = jeos_child_finish(&child, &sub)) < 0) {
        jeos_errf(err, r, "%s: %s", path, sub.msgs[0]);
        goto out;
    }
    if ((r = wr) < 0)
        goto out;
    if (rename(img, out.tmp) < 0) {
        r = jeos_errf(err, -errno, "%s: %s", img, strerror(errno));
        goto out;
    }
    r = jeos_outfile_commit(&out, err);
out:
    jeos_err_free(&sub);
    unlink(img);
    for (size_t i = 0; i < s.nfirst; i++)
        free(s.first[i]);
    free(s.first);
    free(img);
    free(cmd.envp);
    if (r < 0)
        jeos_outfile_abort(&out);
    return r;
}

/* ---- squashfs compression: the axis image.compression, which squashfs brings ---- */

/* sqfstar's -comp names are ours; `id` is the superblock's compression field (offset 20). */
struct sq_comp {
    struct jeos_choice c;
    uint16_t id;
};

static const char *probe_comp(const struct jeos_choice *self, int fd, uint64_t size)
{
    unsigned char sb[22];
    (void)size;
    if (pread(fd, sb, sizeof(sb), 0) != (ssize_t)sizeof(sb) || memcmp(sb, "hsqs", 4) != 0)
        return "not a squashfs image";
    const struct sq_comp *k = (const struct sq_comp *)self; /* c is its first member */
    return (uint16_t)(sb[20] | sb[21] << 8) == k->id ? NULL : "another compression";
}

/* In the order messages list them; lz4 is the default (the fastest to boot, see README). */
static const struct sq_comp comps[] = {
    {{.name = "lz4", .kinds = JEOS_FOR_APPLIANCE, .probe = probe_comp, .title = "lz4 squashfs"}, 5},
    {{.name = "zstd", .kinds = JEOS_FOR_APPLIANCE, .probe = probe_comp, .title = "zstd squashfs"},
     6},
    {{.name = "xz", .kinds = JEOS_FOR_APPLIANCE, .probe = probe_comp, .title = "xz squashfs"}, 4},
    {{.name = "gzip", .kinds = JEOS_FOR_APPLIANCE, .probe = probe_comp, .title = "gzip squashfs"},
     1},
    {{.name = "lzo", .kinds = JEOS_FOR_APPLIANCE, .probe = probe_comp, .title = "lzo squashfs"}, 3},
};

static const struct jeos_choice *comp_choice(size_t i)
{
    return i < sizeof(comps) / sizeof(comps[0]) ? &comps[i].c : NULL;
}

const struct jeos_axis jeos_axis_compression = {
    .key = "compression", .what = "compression", .choice = comp_choice};

static const char *probe_squashfs(const struct jeos_choice *self, int fd, uint64_t size)
{
    (void)self;
    unsigned char m[4];
    (void)size;
    if (pread(fd, m, 4, 0) != 4 || memcmp(m, "hsqs", 4) != 0)
        return "no hsqs magic at its start";
    return NULL;
}

static const struct jeos_key squashfs_keys[] = {
    {.name = "compression", .axis = &jeos_axis_compression, .def = "lz4"}, {NULL}};

/*
 * Writes `t` as squashfs to `path`. The tree is streamed as a tar archive
 * (ustar headers, pax records for xattrs/long names/big ids, GNU long-link
 * records; written in squashfs.c) through a pipe into
 *   sqfstar -reproducible -mkfs-time EPOCH -all-time EPOCH -comp C
 * Every time stamp is EPOCH (sqfstar 4.5.1 ignores -root-time; the root folder
 * would otherwise carry the wall clock). Owners, modes, device nodes, hard
 * links and xattrs travel in the tar headers and every file's bytes come from
 * the tree, so nothing is staged on the host and no privilege is needed (a
 * plain user runs sqfstar under `unshare --user --map-root-user`, since
 * sqfstar 4.5.1 ignores -root-uid/-root-gid). Sockets cannot be stored (tar).
 * Returns 0 or a negative errno.
 */
const struct fs_ops jeos_fs_squashfs = {.c = {.name = "squashfs",
                                              .kinds = JEOS_FOR_APPLIANCE,
                                              .suffix = ".squashfs",
                                              .keys = squashfs_keys,
                                              .probe = probe_squashfs,
                                              .title = "squashfs image"},
                                        .write = squashfs_write};
