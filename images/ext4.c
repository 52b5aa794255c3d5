/* ext4.c — tree → ext4 through libext2fs: no mke2fs, no mount; sorted walk, fixed UUID, clamped
 * times. */
#include "images/fs.h"

#include <errno.h>
#include <ext2fs/ext2fs.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/util.h"

#define BLK        4096u
#define INODE_SIZE 256u

struct ext4_state {
    ext2_filsys fs;
    const struct fs_opts *o;
    struct jeos_err *err;
    const char *path;
    struct sbuf where; /* the tree path being written, for messages */
};

static int fail(struct ext4_state *s, errcode_t ec, const char *what)
{
    int e = ec == EXT2_ET_BLOCK_ALLOC_FAIL || ec == EXT2_ET_INODE_ALLOC_FAIL ||
                    ec == EXT2_ET_DIR_NO_SPACE_FOR_CSUM
                ? -ENOSPC
                : -EIO;
    return jeos_errf(s->err, e, "%s: %s: %s: %s", s->path, s->where.len ? s->where.s : "/", what,
                     error_message(ec));
}

/* Blocks and inodes a tree needs (a generous estimate: metadata and slack are added by callers). */
struct usage {
    uint64_t blocks, inodes;
};

static void measure(const struct tree_node *n, struct usage *u)
{
    const struct tree_inode *ino = n->ino;
    if (ino->id == 0) { /* each inode once */
        ((struct tree_inode *)ino)->id = 1;
        u->inodes++;
        if (ino->type == TREE_FILE)
            u->blocks += (ino->size + BLK - 1) / BLK + (ino->size / (BLK * 32768ull)) + 1;
        else if (ino->type == TREE_SYMLINK && ino->size >= 60)
            u->blocks++;
        if (ino->nxattrs)
            u->blocks++;
    }
    if (ino->type == TREE_DIR) {
        uint64_t bytes = 24;
        for (size_t i = 0; i < n->nkids; i++)
            bytes += 8 + ((strlen(n->kids[i]->name) + 3) & ~3ull);
        u->blocks += bytes / BLK + 2;
        for (size_t i = 0; i < n->nkids; i++)
            measure(n->kids[i], u);
    }
}

static void reset_ids(struct tree_node *n)
{
    n->ino->id = 0;
    for (size_t i = 0; i < n->nkids; i++)
        reset_ids(n->kids[i]);
}

/* The size ext4_write picks when o->size is 0 (bytes). */
static uint64_t ext4_auto_size(struct tree *t, uint64_t headroom, uint64_t *inodes)
{
    struct usage u = {0, 0};
    reset_ids(t->root);
    measure(t->root, &u);
    reset_ids(t->root);
    uint64_t ino = u.inodes + 64 + headroom / 16384;
    ino = (ino + 1023) & ~1023ull;
    /* data + 10% + inode tables + bitmaps/descriptors (2 per 32768 blocks) + lost+found */
    uint64_t blocks = u.blocks + u.blocks / 10 + ino * INODE_SIZE / BLK + 64 + 16;
    blocks += 2 * (blocks / 32768 + 1) + 256;
    uint64_t bytes = blocks * BLK + headroom;
    bytes = (bytes + (1u << 20) - 1) & ~((uint64_t)(1u << 20) - 1);
    if (inodes)
        *inodes = ino;
    return bytes;
}

/* The least an image of t takes (bytes): its blocks, inode tables for its inodes and 32 more,
 * the group tables and a little room; *inodes gets that inode count. For a given size below
 * ext4_auto_size's estimate (which keeps 10% and up to 1 MiB of slack): a small volume. */
static uint64_t ext4_min_size(struct tree *t, uint64_t *inodes)
{
    struct usage u = {0, 0};
    reset_ids(t->root);
    measure(t->root, &u);
    reset_ids(t->root);
    uint64_t ino = (u.inodes + 32 + 15) & ~15ull;
    *inodes = ino;
    return (u.blocks + ino * INODE_SIZE / BLK + 2 * (u.blocks / 32768 + 1) + 32) * BLK;
}

static void set_times(struct ext2_inode_large *in, int64_t t)
{
    uint32_t v = t < 0 ? 0 : (uint32_t)t;
    in->i_atime = in->i_ctime = in->i_mtime = v;
    in->i_crtime = v;
    in->i_atime_extra = in->i_ctime_extra = in->i_mtime_extra = in->i_crtime_extra = 0;
}

static int type_bits(enum tree_type t)
{
    switch (t) {
    case TREE_DIR: return LINUX_S_IFDIR;
    case TREE_FILE: return LINUX_S_IFREG;
    case TREE_SYMLINK: return LINUX_S_IFLNK;
    case TREE_CHR: return LINUX_S_IFCHR;
    case TREE_BLK: return LINUX_S_IFBLK;
    case TREE_FIFO: return LINUX_S_IFIFO;
    case TREE_SOCK: return LINUX_S_IFSOCK;
    }
    return 0;
}

static int file_type(enum tree_type t)
{
    switch (t) {
    case TREE_DIR: return EXT2_FT_DIR;
    case TREE_FILE: return EXT2_FT_REG_FILE;
    case TREE_SYMLINK: return EXT2_FT_SYMLINK;
    case TREE_CHR: return EXT2_FT_CHRDEV;
    case TREE_BLK: return EXT2_FT_BLKDEV;
    case TREE_FIFO: return EXT2_FT_FIFO;
    case TREE_SOCK: return EXT2_FT_SOCK;
    }
    return EXT2_FT_UNKNOWN;
}

static int64_t clamp(const struct ext4_state *s, int64_t t)
{
    return t > s->o->epoch ? s->o->epoch : t;
}

/* Owner, mode and times of an existing inode from the tree's inode. */
static int fix_inode(struct ext4_state *s, ext2_ino_t ino, const struct tree_inode *ti)
{
    struct ext2_inode_large in;
    errcode_t ec = ext2fs_read_inode_full(s->fs, ino, (struct ext2_inode *)&in, sizeof(in));
    if (ec)
        return fail(s, ec, "reading inode");
    in.i_mode = (uint16_t)(type_bits(ti->type) | (ti->mode & 07777));
    in.i_uid = (uint16_t)ti->uid;
    in.osd2.linux2.l_i_uid_high = (uint16_t)(ti->uid >> 16);
    in.i_gid = (uint16_t)ti->gid;
    in.osd2.linux2.l_i_gid_high = (uint16_t)(ti->gid >> 16);
    set_times(&in, clamp(s, ti->mtime));
    ec = ext2fs_write_inode_full(s->fs, ino, (struct ext2_inode *)&in, sizeof(in));
    if (ec)
        return fail(s, ec, "writing inode");
    return 0;
}

static int add_link(struct ext4_state *s, ext2_ino_t dir, const char *name, ext2_ino_t ino, int ft)
{
    errcode_t ec = ext2fs_link(s->fs, dir, name, ino, ft);
    if (ec == EXT2_ET_DIR_NO_SPACE) {
        ec = ext2fs_expand_dir(s->fs, dir);
        if (ec)
            return fail(s, ec, "expanding folder");
        ec = ext2fs_link(s->fs, dir, name, ino, ft);
    }
    if (ec)
        return fail(s, ec, "linking");
    return 0;
}

static int set_xattrs(struct ext4_state *s, ext2_ino_t ino, const struct tree_inode *ti)
{
    if (!ti->nxattrs)
        return 0;
    struct ext2_xattr_handle *h;
    errcode_t ec = ext2fs_xattrs_open(s->fs, ino, &h);
    if (!ec)
        ec = ext2fs_xattrs_read(h);
    for (size_t i = 0; !ec && i < ti->nxattrs; i++)
        ec = ext2fs_xattr_set(h, ti->xattrs[i].name, ti->xattrs[i].value, ti->xattrs[i].len);
    errcode_t ec2 = ext2fs_xattrs_close(&h);
    if (ec || ec2)
        return fail(s, ec ? ec : ec2, "writing extended attributes");
    return 0;
}

static int write_data(struct ext4_state *s, ext2_ino_t ino, const struct tree_inode *ti)
{
    unsigned char *data;
    int r = tree_inode_read(ti, &data, s->err);
    if (r < 0)
        return r;
    ext2_file_t f;
    errcode_t ec = ext2fs_file_open(s->fs, ino, EXT2_FILE_WRITE, &f);
    if (ec) {
        free(data);
        return fail(s, ec, "opening file");
    }
    static const unsigned char zero[BLK];
    for (uint64_t off = 0; !ec && off < ti->size; off += BLK) {
        uint64_t n = ti->size - off < BLK ? ti->size - off : BLK;
        if (n == BLK && memcmp(data + off, zero, BLK) == 0)
            continue; /* a hole */
        ec = ext2fs_file_llseek(f, off, EXT2_SEEK_SET, NULL);
        unsigned int got = 0;
        if (!ec)
            ec = ext2fs_file_write(f, data + off, (unsigned int)n, &got);
        if (!ec && got != n)
            ec = EXT2_ET_SHORT_WRITE;
    }
    if (!ec)
        ec = ext2fs_file_set_size2(f, ti->size);
    errcode_t ec2 = ext2fs_file_close(f);
    free(data);
    if (ec || ec2)
        return fail(s, ec ? ec : ec2, "writing file data");
    return 0;
}

/* A new inode of a non-directory, non-symlink type, linked as `name` in `dir`. */
static int add_plain(struct ext4_state *s, ext2_ino_t dir, const char *name,
                     const struct tree_inode *ti, ext2_ino_t *out)
{
    ext2_ino_t ino;
    int mode = type_bits(ti->type) | (int)(ti->mode & 07777);
    errcode_t ec = ext2fs_new_inode(s->fs, dir, mode, NULL, &ino);
    if (ec)
        return fail(s, ec, "allocating inode");
    struct ext2_inode_large in;
    memset(&in, 0, sizeof(in));
    in.i_mode = (uint16_t)mode;
    in.i_links_count = 1;
    in.i_extra_isize = sizeof(struct ext2_inode_large) - EXT2_GOOD_OLD_INODE_SIZE;
    if (ti->type == TREE_CHR || ti->type == TREE_BLK) {
        uint32_t ma = ti->rdev_major, mi = ti->rdev_minor;
        if (ma < 256 && mi < 256) {
            in.i_block[0] = ma * 256 + mi;
        } else {
            in.i_block[1] = (mi & 0xff) | (ma << 8) | ((mi & ~0xffu) << 12);
        }
    }
    if (ti->type == TREE_FILE && ext2fs_has_feature_extents(s->fs->super)) {
        /* an empty extent tree in the inode (sets EXT4_EXTENTS_FL) */
        ext2_extent_handle_t h;
        ec = ext2fs_extent_open2(s->fs, ino, (struct ext2_inode *)&in, &h);
        if (ec)
            return fail(s, ec, "starting extent tree");
        ext2fs_extent_free(h);
    }
    ec = ext2fs_write_new_inode(s->fs, ino, (struct ext2_inode *)&in);
    if (ec)
        return fail(s, ec, "writing inode");
    ext2fs_inode_alloc_stats2(s->fs, ino, +1, 0);
    int r = add_link(s, dir, name, ino, file_type(ti->type));
    if (r < 0)
        return r;
    if (ti->type == TREE_FILE && ti->size) {
        r = write_data(s, ino, ti);
        if (r < 0)
            return r;
    }
    *out = ino;
    return 0;
}

static int populate(struct ext4_state *s, struct tree_node *dir, ext2_ino_t dino)
{
    size_t keep = s->where.len;
    for (size_t i = 0; i < dir->nkids; i++) {
        struct tree_node *n = dir->kids[i];
        struct tree_inode *ti = n->ino;
        sbuf_add(&s->where, "/", 1);
        sbuf_puts(&s->where, n->name);
        int r = 0;
        errcode_t ec;
        ext2_ino_t ino = 0;
        if (dir == NULL || (dir->parent == NULL && strcmp(n->name, "lost+found") == 0)) {
            goto next; /* ours */
        }
        if (ti->id) { /* a hard link to an inode already written */
            ino = (ext2_ino_t)ti->id;
            r = add_link(s, dino, n->name, ino, file_type(ti->type));
            if (r < 0)
                return r;
            struct ext2_inode_large in;
            ec = ext2fs_read_inode_full(s->fs, ino, (struct ext2_inode *)&in, sizeof(in));
            if (!ec) {
                in.i_links_count++;
                ec = ext2fs_write_inode_full(s->fs, ino, (struct ext2_inode *)&in, sizeof(in));
            }
            if (ec)
                return fail(s, ec, "counting a hard link");
            goto next;
        }
        switch (ti->type) {
        case TREE_DIR:
            ec = ext2fs_new_inode(s->fs, dino, LINUX_S_IFDIR | 0755, NULL, &ino);
            if (!ec)
                ec = ext2fs_mkdir(s->fs, dino, ino, n->name);
            if (ec == EXT2_ET_DIR_NO_SPACE) {
                ec = ext2fs_expand_dir(s->fs, dino);
                if (!ec)
                    ec = ext2fs_mkdir(s->fs, dino, ino, n->name);
            }
            if (ec)
                return fail(s, ec, "making folder");
            r = populate(s, n, ino);
            break;
        case TREE_SYMLINK:
            ec = ext2fs_new_inode(s->fs, dino, LINUX_S_IFLNK | 0777, NULL, &ino);
            if (!ec)
                ec = ext2fs_symlink(s->fs, dino, ino, n->name, ti->target);
            if (ec == EXT2_ET_DIR_NO_SPACE) {
                ec = ext2fs_expand_dir(s->fs, dino);
                if (!ec)
                    ec = ext2fs_symlink(s->fs, dino, ino, n->name, ti->target);
            }
            if (ec)
                return fail(s, ec, "making symlink");
            break;
        default: r = add_plain(s, dino, n->name, ti, &ino); break;
        }
        if (r < 0)
            return r;
        ti->id = ino;
        r = fix_inode(s, ino, ti);
        if (r == 0)
            r = set_xattrs(s, ino, ti);
        if (r < 0)
            return r;
    next:
        s->where.len = keep;
        s->where.s[keep] = '\0';
    }
    return 0;
}

static void seed_uuid(unsigned char *uuid, const unsigned char *seed)
{
    memcpy(uuid, seed, 16);
    uuid[6] = (unsigned char)((uuid[6] & 0x0f) | 0x40); /* version 4 layout */
    uuid[8] = (unsigned char)((uuid[8] & 0x3f) | 0x80);
}

static int make_fs(struct ext4_state *s, const char *tmp, uint64_t bytes, uint64_t inodes)
{
    struct ext2_super_block param;
    memset(&param, 0, sizeof(param));
    ext2fs_blocks_count_set(&param, bytes / BLK);
    param.s_log_block_size = 2; /* 4096 */
    param.s_rev_level = EXT2_DYNAMIC_REV;
    param.s_inode_size = INODE_SIZE;
    param.s_inodes_count = (uint32_t)(inodes > UINT32_MAX / 2 ? UINT32_MAX / 2 : inodes);
    param.s_log_groups_per_flex = 4;
    param.s_min_extra_isize = param.s_want_extra_isize =
        sizeof(struct ext2_inode_large) - EXT2_GOOD_OLD_INODE_SIZE;
    param.s_feature_compat = EXT2_FEATURE_COMPAT_EXT_ATTR | EXT2_FEATURE_COMPAT_DIR_INDEX;
    param.s_feature_incompat = EXT2_FEATURE_INCOMPAT_FILETYPE | EXT3_FEATURE_INCOMPAT_EXTENTS |
                               EXT4_FEATURE_INCOMPAT_FLEX_BG | EXT4_FEATURE_INCOMPAT_64BIT;
    param.s_feature_ro_compat =
        EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT2_FEATURE_RO_COMPAT_LARGE_FILE |
        EXT4_FEATURE_RO_COMPAT_HUGE_FILE | EXT4_FEATURE_RO_COMPAT_DIR_NLINK |
        EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE | EXT4_FEATURE_RO_COMPAT_METADATA_CSUM;
    param.s_desc_size = EXT2_MIN_DESC_SIZE_64BIT;
    errcode_t ec = ext2fs_initialize(tmp, EXT2_FLAG_64BITS, &param, unix_io_manager, &s->fs);
    if (ec)
        return jeos_errf(s->err, -EIO, "%s: creating ext4: %s", s->path, error_message(ec));
    ext2_filsys fs = s->fs;
    fs->now = (time_t)s->o->epoch;
    struct ext2_super_block *sb = fs->super;
    seed_uuid(sb->s_uuid, s->o->seed);
    memcpy(sb->s_hash_seed, s->o->seed + 16, 16);
    sb->s_def_hash_version = EXT2_HASH_HALF_MD4;
    sb->s_mkfs_time = sb->s_lastcheck = sb->s_wtime = (uint32_t)s->o->epoch;
    sb->s_mtime = 0;
    sb->s_max_mnt_count = (uint16_t)-1;
    sb->s_checkinterval = 0;
    sb->s_r_blocks_count = 0;
    sb->s_flags = (sb->s_flags & ~EXT2_FLAGS_SIGNED_HASH) | EXT2_FLAGS_UNSIGNED_HASH;
    if (s->o->label)
        strncpy((char *)sb->s_volume_name, s->o->label, sizeof(sb->s_volume_name));
    ext2fs_r_blocks_count_set(sb, 0);
    sb->s_checksum_type = EXT2_CRC32C_CHKSUM;
    ext2fs_init_csum_seed(fs); /* from the UUID just set */

    ec = ext2fs_allocate_tables(fs);
    if (ec)
        return fail(s, ec, "allocating group tables");
    ec = ext2fs_convert_subcluster_bitmap(fs, &fs->block_map);
    if (ec)
        return fail(s, ec, "block bitmap");
    /* the bad-blocks inode and the reserved ones, as mke2fs does */
    ext2fs_mark_inode_bitmap2(fs->inode_map, EXT2_BAD_INO);
    ext2fs_inode_alloc_stats2(fs, EXT2_BAD_INO, +1, 0);
    ec = ext2fs_update_bb_inode(fs, NULL);
    if (ec)
        return fail(s, ec, "bad-blocks inode");
    for (ext2_ino_t i = EXT2_ROOT_INO + 1; i < EXT2_FIRST_INODE(sb); i++)
        ext2fs_inode_alloc_stats2(fs, i, +1, 0);
    ext2fs_mark_ib_dirty(fs);
    ec = ext2fs_mkdir(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, 0);
    if (ec)
        return fail(s, ec, "making the root folder");
    ext2_ino_t lf;
    ec = ext2fs_mkdir(fs, EXT2_ROOT_INO, 0, "lost+found");
    if (!ec)
        ec = ext2fs_lookup(fs, EXT2_ROOT_INO, "lost+found", 10, 0, &lf);
    for (int i = 1; !ec && i < 4; i++) /* 16 KiB, so e2fsck has room */
        ec = ext2fs_expand_dir(fs, lf);
    if (ec)
        return fail(s, ec, "making lost+found");
    struct tree_inode lfi = {.type = TREE_DIR, .mode = 0700, .mtime = s->o->epoch};
    return fix_inode(s, lf, &lfi);
}

static int ext4_write(struct tree *t, const struct fs_opts *o, const char *path,
                      const struct jeos_ctx *ctx, struct jeos_err *err)
{
    uint64_t inodes;
    uint64_t bytes = ext4_auto_size(t, o->headroom, &inodes);
    uint64_t least_inodes, least = o->size ? ext4_min_size(t, &least_inodes) : 0;
    if (o->size && o->size < bytes - o->headroom && o->size >= least) {
        inodes = least_inodes + (o->size - least) / 16384;
        bytes = o->size & ~(uint64_t)(BLK - 1);
    } else if (o->size) {
        if (o->size < bytes - o->headroom)
            return jeos_errf(err, -ENOSPC,
                             "%s: size %llu bytes is too small for the root filesystem "
                             "(needs about %llu)",
                             path, (unsigned long long)o->size, (unsigned long long)least);
        inodes += (o->size - (bytes - o->headroom)) / 16384;
        bytes = o->size & ~(uint64_t)(BLK - 1);
    }
    struct ext4_state s = {.o = o, .err = err, .path = path};
    struct jeos_outfile out;
    int r = jeos_outfile_open(&out, path, 0644, err);
    if (r < 0)
        return r;
    if (ftruncate(out.fd, (off_t)bytes) < 0) {
        r = jeos_errf(err, -errno, "%s: cannot size to %llu bytes: %s", out.tmp,
                      (unsigned long long)bytes, strerror(errno));
        goto fail;
    }
    jeos_log(ctx, JEOS_LOG_DEBUG, "ext4: %s: %llu bytes, %llu inodes", path,
             (unsigned long long)bytes, (unsigned long long)inodes);
    reset_ids(t->root);
    r = make_fs(&s, out.tmp, bytes, inodes);
    if (r < 0)
        goto fail;
    r = populate(&s, t->root, EXT2_ROOT_INO);
    if (r == 0)
        r = fix_inode(&s, EXT2_ROOT_INO, t->root->ino);
    if (r == 0)
        r = set_xattrs(&s, EXT2_ROOT_INO, t->root->ino);
    if (r < 0)
        goto fail;
    errcode_t ec = ext2fs_close_free(&s.fs);
    if (ec) {
        r = jeos_errf(err, -EIO, "%s: closing ext4: %s", path, error_message(ec));
        goto fail;
    }
    reset_ids(t->root);
    sbuf_free(&s.where);
    return jeos_outfile_commit(&out, err);
fail:
    if (s.fs)
        ext2fs_free(s.fs);
    reset_ids(t->root);
    sbuf_free(&s.where);
    jeos_outfile_abort(&out);
    return r;
}

/* The superblock is at byte 1024; its magic 0xEF53 at offset 56 in it. */
static const char *probe_ext4(const struct jeos_choice *self, int fd, uint64_t size)
{
    (void)self;
    unsigned char m[2];
    (void)size;
    if (pread(fd, m, 2, 1024 + 56) != 2 || m[0] != 0x53 || m[1] != 0xef)
        return "no ext2/3/4 superblock magic at byte 1080";
    return NULL;
}

/*
 * Writes `t` as an ext4 filesystem (4 KiB blocks, 256-byte inodes, extents,
 * flex_bg, 64bit, dir_nlink, extra_isize, ext_attr, metadata_csum; no journal) to `path`:
 * owners, modes (setuid/setgid/sticky), xattrs, device nodes, fifos, sockets,
 * hard links and symlinks; runs of zero blocks are left as holes. Size: o->size,
 * or when 0 the content's blocks and inodes plus o->headroom, rounded up to 1 MiB.
 * The UUID and directory hash seed come from o->seed and every time stamp is
 * min(entry's mtime, o->epoch), so the same tree gives the same bytes.
 * Returns 0 or a negative errno (-ENOSPC when a fixed size is too small).
 */
const struct fs_ops jeos_fs_ext4 = {.c = {.name = "ext4",
                                          .kinds = JEOS_FOR_APPLIANCE,
                                          .suffix = ".ext4",
                                          .probe = probe_ext4,
                                          .title = "ext4 image"},
                                    .write = ext4_write};
