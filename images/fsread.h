/* fsread.h — reading filesystems inside a disk image file, for jeos inspect and jeos diff: what a
 * partition holds (by its superblock), its listing with sizes and checksums, one file's bytes.
 * squashfs through squashfs-tools (unsquashfs -o), ext2/3/4 through libext2fs, FAT through
 * mtools; nothing is mounted. */
#ifndef JEOS_FSREAD_H
#define JEOS_FSREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jeos_ctx;
struct jeos_err;

/* What a partition's first bytes say it holds. */
struct jeos_fsinfo {
    const char *kind; /* "squashfs", "ext4", "ext3", "ext2", "fat", "swap"; NULL: not known */
    uint64_t bytes;   /* the filesystem's own size (0 when it does not say) */
    char label[40], uuid[40];
    char detail[160]; /* "squashfs 4.0, lz4, 128 KiB blocks, 1234 inodes"; or why not known */
};

/*
 * Recognises the filesystem from `buf`, the first `len` bytes of a partition of `part_size`
 * bytes (64 KiB are enough). Every field is checked before use; a superblock whose size says
 * more than the partition holds is reported in detail ("... claims 40 MiB, the partition
 * has 20: truncated?"). Never fails: out->kind NULL when nothing is recognised.
 */
void jeos_fs_identify(const uint8_t *buf, size_t len, uint64_t part_size, struct jeos_fsinfo *out);

/* One entry of a listing. */
struct jeos_fsentry {
    char *path;        /* "/etc/passwd" */
    char type;         /* 'd' folder, 'f' file, 'l' symlink, 'h' hard link, 'c', 'b', 'p', 's' */
    uint32_t mode;     /* permission bits (07777) */
    uint32_t uid, gid; /* 0 where the filesystem has none (FAT) */
    uint64_t size;     /* file bytes */
    char *target;      /* symlink text or hard-link target, else NULL */
    char sha256[65];   /* of a file's bytes, when asked for ("" otherwise) */
};

struct jeos_fslist {
    struct jeos_fsentry *v; /* sorted by path */
    size_t n;
};

/*
 * Lists the `kind` filesystem (a jeos_fsinfo kind) at byte `off` of image file `img`, every
 * entry; with `hashes`, each file's sha256 as well. Limits that a corrupt filesystem cannot
 * get past: 64 folder levels, 1 000 000 entries, folders visited once. Returns 0, or a
 * negative errno with "IMG: KIND at byte OFF: what" (the tool's or libext2fs's words).
 */
int jeos_fs_list(const struct jeos_ctx *ctx, const char *img, uint64_t off, const char *kind,
                 bool hashes, struct jeos_fslist *out, struct jeos_err *err);
void jeos_fslist_free(struct jeos_fslist *l);

/*
 * Reads the file at `path` (absolute) of that filesystem into *data (caller frees; NUL
 * terminated, `*len` bytes without it). Returns 0, -ENOENT (no such file: no message), or
 * another negative errno with a message.
 */
int jeos_fs_cat(const struct jeos_ctx *ctx, const char *img, uint64_t off, const char *kind,
                const char *path, char **data, size_t *len, struct jeos_err *err);

/*
 * Parses unsquashfs's pseudo-file output (-pf: "NAME TYPE TIME MODE UID GID ..." lines, then
 * the files' bytes after "# START OF DATA") into `out` (appended; the caller sorts), with each
 * file's sha256 when `hashes`. `what` names it in messages. Returns 0 or -EBADMSG with
 * "WHAT:LINE: what". For jeos_fs_list and the fuzz target.
 */
int jeos_pseudo_parse(const char *buf, size_t len, const char *what, bool hashes,
                      struct jeos_fslist *out, struct jeos_err *err);

#endif
