/* fsread.c — filesystems in an image file read back: superblocks by hand (a few checked fields),
 * contents through unsquashfs, libext2fs and mtools (see fsread.h). */
#include "images/fsread.h"

#include <errno.h>
#include <et/com_err.h>
#include <ext2fs/ext2fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/cache.h"
#include "builder/core/cleanup.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "images/bytes.h"
#include "builder/core/spawn.h"
#include "builder/core/util.h"

#define MAX_DEPTH   64
#define MAX_ENTRIES 1000000u

static void copy_text(char *dst, size_t cap, const uint8_t *src, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && src[i] && k + 1 < cap; i++)
        dst[k++] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
    while (k && dst[k - 1] == ' ')
        k--;
    dst[k] = 0;
}

static void too_big(struct jeos_fsinfo *o, uint64_t part_size)
{
    if (o->bytes > part_size) {
        size_t l = strlen(o->detail);
        snprintf(o->detail + l, sizeof(o->detail) - l,
                 "; it claims %llu bytes, the partition has %llu: truncated?",
                 (unsigned long long)o->bytes, (unsigned long long)part_size);
    }
}

static bool id_squashfs(const uint8_t *b, size_t len, struct jeos_fsinfo *o)
{
    static const char *const comp[] = {"?", "gzip", "lzma", "lzo", "xz", "lz4", "zstd"};
    if (len < 96 || memcmp(b, "hsqs", 4) != 0)
        return false;
    unsigned major = jeos_le16(b + 28), minor = jeos_le16(b + 30), c = jeos_le16(b + 20);
    uint32_t bs = jeos_le32(b + 12);
    o->kind = "squashfs";
    o->bytes = jeos_le64(b + 40);
    snprintf(o->detail, sizeof(o->detail), "squashfs %u.%u, %s, %u KiB blocks, %u inodes", major,
             minor, c < 7 ? comp[c] : "unknown compression", bs / 1024, jeos_le32(b + 4));
    return true;
}

static bool id_ext(const uint8_t *b, size_t len, struct jeos_fsinfo *o)
{
    if (len < 2048 || jeos_le16(b + 1024 + 56) != 0xef53)
        return false;
    const uint8_t *s = b + 1024;
    uint32_t log = jeos_le32(s + 24), compat = jeos_le32(s + 92), incompat = jeos_le32(s + 96);
    if (log > 6) {
        o->kind = NULL;
        snprintf(o->detail, sizeof(o->detail),
                 "an ext2/3/4 superblock with block size 2^%u "
                 "KiB: corrupt",
                 log);
        return true;
    }
    uint64_t blocks = jeos_le32(s + 4);
    if (incompat & 0x80) /* 64bit */
        blocks |= (uint64_t)jeos_le32(s + 0x150) << 32;
    o->kind = incompat & 0x40 ? "ext4" : compat & 0x4 ? "ext3" : "ext2"; /* extents, journal */
    o->bytes = blocks * (1024u << log);
    copy_text(o->label, sizeof(o->label), s + 120, 16);
    const uint8_t *u = s + 104;
    snprintf(o->uuid, sizeof(o->uuid),
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
             u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
             u[15]);
    snprintf(o->detail, sizeof(o->detail), "%s, %u-byte blocks, %u inodes (%u free)", o->kind,
             1024u << log, jeos_le32(s), jeos_le32(s + 16));
    return true;
}

static bool id_fat(const uint8_t *b, size_t len, struct jeos_fsinfo *o)
{
    if (len < 512 || b[510] != 0x55 || b[511] != 0xaa)
        return false;
    bool f32 = memcmp(b + 82, "FAT32", 5) == 0, f16 = memcmp(b + 54, "FAT", 3) == 0;
    unsigned bps = jeos_le16(b + 11);
    if ((!f32 && !f16) || bps < 512 || bps > 4096 || (bps & (bps - 1)))
        return false;
    uint64_t sectors = jeos_le16(b + 19) ? jeos_le16(b + 19) : jeos_le32(b + 32);
    const uint8_t *ext = b + (f32 ? 64 : 36); /* the extended BPB */
    o->kind = "fat";
    o->bytes = sectors * bps;
    copy_text(o->label, sizeof(o->label), ext + 7, 11);
    snprintf(o->uuid, sizeof(o->uuid), "%04X-%04X", jeos_le16(ext + 5), jeos_le16(ext + 3));
    snprintf(o->detail, sizeof(o->detail), "%s, %u-byte sectors, serial %s",
             f32 ? "FAT32" : "FAT12/16", bps, o->uuid);
    return true;
}

void jeos_fs_identify(const uint8_t *buf, size_t len, uint64_t part_size, struct jeos_fsinfo *out)
{
    memset(out, 0, sizeof(*out));
    if (len > part_size)
        len = (size_t)part_size;
    if (id_squashfs(buf, len, out) || id_ext(buf, len, out) || id_fat(buf, len, out)) {
        too_big(out, part_size);
        return;
    }
    if (len >= 4096 && memcmp(buf + 4086, "SWAPSPACE2", 10) == 0) {
        out->kind = "swap";
        snprintf(out->detail, sizeof(out->detail), "Linux swap");
        return;
    }
    bool zero = true;
    for (size_t i = 0; i < len && zero; i++)
        zero = buf[i] == 0;
    snprintf(out->detail, sizeof(out->detail), "%s",
             zero ? "all zeros (empty, or not written)"
                  : "not a filesystem jeos reads (squashfs, ext2/3/4, FAT)");
}

/* ---- listings ---- */

static struct jeos_fsentry *add_entry(struct jeos_fslist *l, const char *path, char type)
{
    if (l->n % 256 == 0)
        l->v = xrealloc(l->v, (l->n + 256) * sizeof(*l->v));
    struct jeos_fsentry *e = &l->v[l->n++];
    memset(e, 0, sizeof(*e));
    e->path = xstrdup(path);
    e->type = type;
    return e;
}

void jeos_fslist_free(struct jeos_fslist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].path), free(l->v[i].target);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct jeos_fsentry *)a)->path, ((const struct jeos_fsentry *)b)->path);
}

/* One header line of a pseudo file: NAME (backslash escapes) TYPE fields. Returns the number of
   fields read after the name (0: not a line of this form). */
static int pseudo_fields(const char *l, size_t n, struct sbuf *name, char *type, char f[6][64],
                         const char **rest)
{
    size_t i = 0;
    for (; i < n && l[i] != ' '; i++) {
        if (l[i] == '\\' && i + 1 < n)
            i++;
        sbuf_add(name, l + i, 1);
    }
    if (!name->s || i + 2 >= n || l[i + 2] != ' ' || !l[i + 1] || !strchr("DRSIBCL", l[i + 1]))
        return 0;
    *type = l[i + 1];
    i += 3;
    int k = 0;
    while (k < 6 && i < n) {
        size_t w = 0;
        while (i + w < n && l[i + w] != ' ')
            w++;
        if (w == 0 || w >= 64)
            break;
        memcpy(f[k], l + i, w);
        f[k][w] = 0;
        k++;
        i += w;
        if (i < n)
            i++;
        if (k == 4 && (*type == 'S' || *type == 'L')) /* the target: the rest of the line */
            break;
    }
    *rest = l + i;
    return k;
}

static bool num(const char *s, int base, uint64_t max, uint64_t *v)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, base);
    if (errno || end == s || *end || *s == '-' || x > max)
        return false;
    *v = x;
    return true;
}

int jeos_pseudo_parse(const char *buf, size_t len, const char *what, bool hashes,
                      struct jeos_fslist *out, struct jeos_err *err)
{
    static const char mark[] = "#\n# START OF DATA - DO NOT MODIFY\n#\n";
    const char *m = memmem(buf, len, mark, sizeof(mark) - 1);
    while (m && m != buf && m[-1] != '\n') /* the marker starts a line */
        m = memmem(m + 1, len - (size_t)(m + 1 - buf), mark, sizeof(mark) - 1);
    size_t hlen = m ? (size_t)(m - buf) : len;
    const char *data = m ? m + sizeof(mark) - 1 : buf + len;
    size_t dlen = (size_t)(buf + len - data);
    size_t line = 0;
    for (size_t p = 0; p < hlen;) {
        size_t n = 0, joined = 0;
        int k;
        struct sbuf name = {0};
        char type = 0, f[6][64];
        const char *rest = NULL;
        line++;
        /* a name holding a newline spans lines (unsquashfs does not escape it) */
        for (;;) {
            while (p + n < hlen && buf[p + n] != '\n')
                n++;
            sbuf_free(&name);
            if ((k = pseudo_fields(buf + p, n, &name, &type, f, &rest)) > 0 || joined == 8 ||
                p + n >= hlen)
                break;
            n++, joined++;
        }
        if (k < 4) {
            sbuf_free(&name);
            return jeos_errf(err, -EBADMSG, "%s:%zu: not a pseudo-file line", what, line);
        }
        line += joined;
        uint64_t mode, uid, gid, size = 0, off = 0, tmp;
        if (!num(f[0], 10, INT64_MAX, &tmp) || !num(f[1], 8, 07777, &mode) ||
            !num(f[2], 10, UINT32_MAX, &uid) || !num(f[3], 10, UINT32_MAX, &gid)) {
            sbuf_free(&name);
            return jeos_errf(err, -EBADMSG, "%s:%zu: bad time, mode, uid or gid", what, line);
        }
        static const char map[] = "DdRfSlIpBbCcLh";
        char t = strchr(map, type)[1];
        if (type == 'I' && k >= 5 && f[4][0] == 's')
            t = 's';
        if (type == 'R' && (k < 6 || !num(f[4], 10, UINT64_MAX, &size) ||
                            !num(f[5], 10, UINT64_MAX, &off) || off > dlen || size > dlen - off)) {
            sbuf_free(&name);
            return jeos_errf(err, -EBADMSG, "%s:%zu: a file whose bytes are not in the data", what,
                             line);
        }
        if (out->n >= MAX_ENTRIES) {
            sbuf_free(&name);
            return jeos_errf(err, -E2BIG, "%s: more than %u entries", what, MAX_ENTRIES);
        }
        char *path = name.s[0] == '/' ? xstrdup(name.s) : xasprintf("/%s", name.s);
        struct jeos_fsentry *e = add_entry(out, path, t);
        free(path);
        e->mode = (uint32_t)mode, e->uid = (uint32_t)uid, e->gid = (uint32_t)gid;
        e->size = size;
        if (t == 'l' || t == 'h')
            e->target = xstrndup(rest, (size_t)(buf + p + n - rest));
        if (t == 'f' && hashes)
            cache_sha256_hex(data + off, (size_t)size, e->sha256);
        sbuf_free(&name);
        p += n + 1;
    }
    return 0;
}

/* unsquashfs's own words, shortened: its last line (a "FATAL ERROR: ..." after one line per bad
   block), at most 200 characters. */
static char *tool_words(const struct jeos_err *sub)
{
    if (!sub->n)
        return xstrdup("unread");
    const char *m = sub->msgs[0], *colon = strstr(m, "): ");
    const char *last = strrchr(m, '\n');
    if (last && last[1] == 0) {
        while (last > m && last[-1] != '\n')
            last--;
    }
    const char *from = last ? last + (*last == '\n') : colon ? colon + 3 : m;
    return xasprintf("%.*s%.200s", colon ? (int)(colon - m + 3) : 0, m, from);
}

/* A fresh temporary folder for a tool's output, removed on a stop (cleanup.h). */
static char *scratch(const struct jeos_ctx *ctx, struct jeos_err *err)
{
    char *d = xasprintf("%s/jeos-read.XXXXXX", ctx->tmpdir);
    if (!mkdtemp(d)) {
        jeos_errf(err, -errno, "%s: %s", d, strerror(errno));
        free(d);
        return NULL;
    }
    jeos_cleanup_add(d);
    return d;
}

static void scratch_done(char *d)
{
    if (!d)
        return;
    jeos_remove_tree(d);
    jeos_cleanup_drop(d);
    free(d);
}

static int squashfs_list(const struct jeos_ctx *ctx, const char *img, uint64_t off, bool hashes,
                         struct jeos_fslist *out, struct jeos_err *err)
{
    char *d = scratch(ctx, err);
    if (!d)
        return -EIO;
    char *pf = xasprintf("%s/pseudo", d), *o = xasprintf("%llu", (unsigned long long)off);
    char *argv[] = {"unsquashfs", "-n", "-o", o, "-pf", pf, (char *)img, NULL};
    char *text = NULL;
    size_t len = 0;
    struct jeos_err sub = {0};
    int rc = jeos_spawn(argv, NULL, &sub);
    if (rc < 0) {
        char *w = tool_words(&sub);
        jeos_errf(err, rc, "%s: squashfs at byte %s: %s", img, o, w);
        free(w);
    } else if ((rc = jeos_read_file(pf, &text, &len, err)) == 0) {
        char *what = xasprintf("%s: squashfs at byte %s: unsquashfs -pf", img, o);
        rc = jeos_pseudo_parse(text, len, what, hashes, out, err);
        free(what);
    }
    jeos_err_free(&sub);
    free(text), free(pf), free(o);
    scratch_done(d);
    return rc;
}

/* ---- ext2/3/4 through libext2fs ---- */

struct ext_walk {
    ext2_filsys fs;
    struct jeos_fslist *out;
    bool hashes;
    ext2fs_inode_bitmap seen; /* folders visited */
    const char *img;
    uint64_t off;
    struct jeos_err *err;
};

struct ext_kid {
    char *name;
    ext2_ino_t ino;
};

struct ext_kids {
    struct ext_kid *v;
    size_t n;
};

static int ext_kid(struct ext2_dir_entry *de, int offset, int blocksize, char *buf, void *priv)
{
    (void)offset, (void)blocksize, (void)buf;
    struct ext_kids *k = priv;
    int nl = ext2fs_dirent_name_len(de);
    if ((nl == 1 && de->name[0] == '.') || (nl == 2 && de->name[0] == '.' && de->name[1] == '.'))
        return 0;
    if (k->n % 64 == 0)
        k->v = xrealloc(k->v, (k->n + 64) * sizeof(*k->v));
    k->v[k->n].name = xstrndup(de->name, (size_t)nl);
    k->v[k->n++].ino = de->inode;
    return k->n > MAX_ENTRIES ? DIRENT_ABORT : 0;
}

static int ext_err(struct ext_walk *w, errcode_t e, const char *path)
{
    return jeos_errf(w->err, -EIO, "%s: ext4 at byte %llu: %s: %s", w->img,
                     (unsigned long long)w->off, path, error_message(e));
}

/* Reads an inode's bytes (a file, or a slow symlink) into *data, `cap` at most. */
static errcode_t ext_read(ext2_filsys fs, ext2_ino_t ino, uint64_t size, char **data)
{
    ext2_file_t f;
    errcode_t e = ext2fs_file_open(fs, ino, 0, &f);
    if (e)
        return e;
    *data = xmalloc(size + 1);
    uint64_t got = 0;
    while (!e && got < size) {
        unsigned int n = 0, want = size - got > (1u << 20) ? 1u << 20 : (unsigned)(size - got);
        e = ext2fs_file_read(f, *data + got, want, &n);
        if (!e && n == 0)
            break;
        got += n;
    }
    (*data)[got] = 0;
    ext2fs_file_close(f);
    if (!e && got != size)
        e = EXT2_ET_SHORT_READ;
    if (e) {
        free(*data);
        *data = NULL;
    }
    return e;
}

static int ext_walk_dir(struct ext_walk *w, ext2_ino_t dir, const char *path, int depth)
{
    if (depth > MAX_DEPTH)
        return jeos_errf(w->err, -ELOOP, "%s: ext4 at byte %llu: %s: more than %d folder levels",
                         w->img, (unsigned long long)w->off, path, MAX_DEPTH);
    if (ext2fs_test_inode_bitmap2(w->seen, dir))
        return jeos_errf(w->err, -ELOOP, "%s: ext4 at byte %llu: %s: a folder seen before (a loop)",
                         w->img, (unsigned long long)w->off, path);
    ext2fs_mark_inode_bitmap2(w->seen, dir);
    struct ext_kids k = {0};
    errcode_t e = ext2fs_dir_iterate(w->fs, dir, 0, NULL, ext_kid, &k);
    int rc = e ? ext_err(w, e, path) : 0;
    for (size_t i = 0; i < k.n && rc == 0; i++) {
        char *p = strcmp(path, "/") ? xasprintf("%s/%s", path, k.v[i].name)
                                    : xasprintf("/%s", k.v[i].name);
        struct ext2_inode_large in;
        memset(&in, 0, sizeof(in));
        if (k.v[i].ino < 1 || k.v[i].ino > w->fs->super->s_inodes_count)
            rc = jeos_errf(w->err, -EBADMSG, "%s: ext4 at byte %llu: %s: inode %u out of range",
                           w->img, (unsigned long long)w->off, p, k.v[i].ino);
        else if ((e = ext2fs_read_inode_full(w->fs, k.v[i].ino, (struct ext2_inode *)&in,
                                             sizeof(in))))
            rc = ext_err(w, e, p);
        if (rc == 0 && w->out->n >= MAX_ENTRIES)
            rc = jeos_errf(w->err, -E2BIG, "%s: ext4: more than %u entries", w->img, MAX_ENTRIES);
        if (rc == 0) {
            uint16_t m = in.i_mode;
            char t = LINUX_S_ISDIR(m)    ? 'd'
                     : LINUX_S_ISREG(m)  ? 'f'
                     : LINUX_S_ISLNK(m)  ? 'l'
                     : LINUX_S_ISCHR(m)  ? 'c'
                     : LINUX_S_ISBLK(m)  ? 'b'
                     : LINUX_S_ISFIFO(m) ? 'p'
                                         : 's';
            struct jeos_fsentry *en = add_entry(w->out, p, t);
            en->mode = m & 07777;
            en->uid = inode_uid(in);
            en->gid = inode_gid(in);
            en->size = t == 'd' ? 0 : EXT2_I_SIZE(&in);
            if (t == 'l') {
                if (ext2fs_is_fast_symlink((struct ext2_inode *)&in))
                    en->target =
                        xstrndup((const char *)in.i_block,
                                 en->size < sizeof(in.i_block) ? en->size : sizeof(in.i_block));
                else if (en->size < 4096 &&
                         !(e = ext_read(w->fs, k.v[i].ino, en->size, &en->target)))
                    ;
                else
                    en->target = xstrdup("?");
            } else if (t == 'f' && w->hashes) {
                char *data = NULL;
                if ((e = ext_read(w->fs, k.v[i].ino, en->size, &data)))
                    rc = ext_err(w, e, p);
                else
                    cache_sha256_hex(data, (size_t)en->size, en->sha256);
                free(data);
            } else if (t == 'd') {
                rc = ext_walk_dir(w, k.v[i].ino, p, depth + 1);
            }
        }
        free(p);
    }
    for (size_t i = 0; i < k.n; i++)
        free(k.v[i].name);
    free(k.v);
    return rc;
}

static int ext_open(const char *img, uint64_t off, ext2_filsys *fs, struct jeos_err *err)
{
    char opts[40];
    snprintf(opts, sizeof(opts), "offset=%llu", (unsigned long long)off);
    errcode_t e = ext2fs_open2(img, opts, EXT2_FLAG_64BITS, 0, 0, unix_io_manager, fs);
    if (e)
        return jeos_errf(err, -EIO, "%s: ext4 at byte %llu: %s", img, (unsigned long long)off,
                         error_message(e));
    return 0;
}

static int ext_list(const char *img, uint64_t off, bool hashes, struct jeos_fslist *out,
                    struct jeos_err *err)
{
    struct ext_walk w = {.out = out, .hashes = hashes, .img = img, .off = off, .err = err};
    int rc = ext_open(img, off, &w.fs, err);
    if (rc < 0)
        return rc;
    errcode_t e = ext2fs_allocate_inode_bitmap(w.fs, "seen", &w.seen);
    if (e)
        rc = ext_err(&w, e, "/");
    if (rc == 0) {
        struct jeos_fsentry *root = add_entry(out, "/", 'd');
        root->mode = 0755;
        rc = ext_walk_dir(&w, EXT2_ROOT_INO, "/", 0);
    }
    if (w.seen)
        ext2fs_free_inode_bitmap(w.seen);
    ext2fs_close_free(&w.fs);
    return rc;
}

static int ext_cat(const char *img, uint64_t off, const char *path, char **data, size_t *len,
                   struct jeos_err *err)
{
    ext2_filsys fs;
    int rc = ext_open(img, off, &fs, err);
    if (rc < 0)
        return rc;
    ext2_ino_t ino;
    struct ext2_inode in;
    errcode_t e = ext2fs_namei_follow(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, path, &ino);
    if (e == EXT2_ET_FILE_NOT_FOUND || e == EXT2_ET_NO_DIRECTORY) {
        rc = -ENOENT;
    } else if (e || (e = ext2fs_read_inode(fs, ino, &in))) {
        rc = jeos_errf(err, -EIO, "%s: ext4: %s: %s", img, path, error_message(e));
    } else if (!LINUX_S_ISREG(in.i_mode)) {
        rc = -ENOENT;
    } else if (EXT2_I_SIZE(&in) > (256u << 20)) {
        rc = jeos_errf(err, -EFBIG, "%s: ext4: %s: over 256 MiB", img, path);
    } else if ((e = ext_read(fs, ino, EXT2_I_SIZE(&in), data))) {
        rc = jeos_errf(err, -EIO, "%s: ext4: %s: %s", img, path, error_message(e));
    } else {
        *len = (size_t)EXT2_I_SIZE(&in);
    }
    ext2fs_close_free(&fs);
    return rc;
}

/* ---- FAT through mtools ---- */

static int fat_list(const char *img, uint64_t off, struct jeos_fslist *out, struct jeos_err *err)
{
    char *at = xasprintf("%s@@%llu", img, (unsigned long long)off);
    char *argv[] = {"mdir", "-/", "-b", "-i", at, "::/", NULL};
    struct sbuf o = {0};
    int rc = jeos_spawn(argv, &o, err);
    for (char *l = o.s; rc == 0 && l && *l;) {
        size_t n = strcspn(l, "\n");
        if (n > 2 && l[0] == ':' && l[1] == ':') {
            char *p = xstrndup(l + 2, n - 2);
            bool dir = n > 3 && p[n - 3] == '/';
            if (dir)
                p[n - 3] = 0;
            add_entry(out, p, dir ? 'd' : 'f')->mode = dir ? 0755 : 0644;
            free(p);
        }
        l += n + (l[n] == '\n');
    }
    sbuf_free(&o);
    free(at);
    return rc;
}

static int fat_cat(const char *img, uint64_t off, const char *path, char **data, size_t *len,
                   struct jeos_err *err)
{
    char *at = xasprintf("%s@@%llu", img, (unsigned long long)off);
    char *src = xasprintf("::%s", path);
    char *argv[] = {"mcopy", "-n", "-i", at, src, "-", NULL};
    struct sbuf o = {0};
    struct jeos_err sub = {0};
    int rc = jeos_spawn(argv, &o, &sub);
    if (rc < 0 && sub.n && strstr(sub.msgs[0], "not found"))
        rc = -ENOENT;
    else if (rc < 0)
        jeos_err_move(err, &sub);
    if (rc == 0) {
        *len = o.len;
        *data = o.s ? sbuf_take(&o) : xstrdup("");
    }
    jeos_err_free(&sub);
    sbuf_free(&o);
    free(at), free(src);
    return rc;
}

int jeos_fs_list(const struct jeos_ctx *ctx, const char *img, uint64_t off, const char *kind,
                 bool hashes, struct jeos_fslist *out, struct jeos_err *err)
{
    memset(out, 0, sizeof(*out));
    int rc;
    if (strcmp(kind, "squashfs") == 0)
        rc = squashfs_list(ctx, img, off, hashes, out, err);
    else if (strncmp(kind, "ext", 3) == 0)
        rc = ext_list(img, off, hashes, out, err);
    else if (strcmp(kind, "fat") == 0)
        rc = fat_list(img, off, out, err);
    else
        rc = jeos_errf(err, -ENOTSUP, "%s: %s at byte %llu: not a filesystem jeos lists", img, kind,
                       (unsigned long long)off);
    if (rc == 0)
        qsort(out->v, out->n, sizeof(*out->v), by_path);
    else
        jeos_fslist_free(out);
    return rc;
}

int jeos_fs_cat(const struct jeos_ctx *ctx, const char *img, uint64_t off, const char *kind,
                const char *path, char **data, size_t *len, struct jeos_err *err)
{
    *data = NULL;
    *len = 0;
    if (strncmp(kind, "ext", 3) == 0)
        return ext_cat(img, off, path, data, len, err);
    if (strcmp(kind, "fat") == 0)
        return fat_cat(img, off, path, data, len, err);
    if (strcmp(kind, "squashfs") != 0)
        return jeos_errf(err, -ENOTSUP, "%s: %s: not a filesystem jeos reads", img, kind);
    (void)ctx;
    char *o = xasprintf("%llu", (unsigned long long)off);
    char *argv[] = {"unsquashfs", "-n", "-o", o, "-cat", (char *)img, (char *)path + 1, NULL};
    struct sbuf out = {0};
    struct jeos_err sub = {0};
    int rc = jeos_spawn(argv, &out, &sub);
    if (rc < 0 && sub.n && (strstr(sub.msgs[0], "not found") || strstr(sub.msgs[0], "No such")))
        rc = -ENOENT;
    else if (rc < 0) {
        char *w = tool_words(&sub);
        jeos_errf(err, rc, "%s: squashfs at byte %s: %s: %s", img, o, path, w);
        free(w);
    }
    if (rc == 0) {
        *len = out.len;
        *data = out.s ? sbuf_take(&out) : xstrdup("");
    }
    jeos_err_free(&sub);
    sbuf_free(&out);
    free(o);
    return rc;
}
