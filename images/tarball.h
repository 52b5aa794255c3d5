/* tarball.h — reproducible tar archives through libarchive (OVA, GCE, OCI): members in the
 * order added, timed at one epoch, owners given, optionally gzip-compressed without a time; and
 * GCE's one-member sparse old-GNU tar. */
#ifndef JEOS_TARBALL_H
#define JEOS_TARBALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jeos_err;

enum jeos_tar_kind {
    JEOS_TAR_USTAR,    /* plain ustar (OVF 1.0 asks for it) */
    JEOS_TAR_PAX,      /* pax (OCI layers and layouts: long names, big files) */
    JEOS_TAR_PAX_GZIP, /* pax, gzip-compressed */
};

/* Where the bytes of an archive opened with jeos_tar_open_fn go: returns 0 or an errno. */
typedef int (*jeos_tar_sink)(void *arg, const void *buf, size_t len);

/* One archive being written. Zero-initialise; jeos_tar_close frees it. */
struct jeos_tar {
    void *a; /* struct archive * */
    const char *out;
    int64_t mtime;
    int64_t uid, gid;
    jeos_tar_sink sink;
    void *sink_arg;
    int sink_err; /* the sink's first errno */
};

/* Creates `out`; members get `mtime`, and root (0:0) until jeos_tar_owner says otherwise. */
int jeos_tar_open(struct jeos_tar *t, const char *out, enum jeos_tar_kind kind, int64_t mtime,
                  struct jeos_err *err);

/* The same, the archive's bytes going to sink(arg, ...) instead of a file; `out` names it in
   messages. */
int jeos_tar_open_fn(struct jeos_tar *t, const char *out, enum jeos_tar_kind kind, int64_t mtime,
                     jeos_tar_sink sink, void *arg, struct jeos_err *err);

/* Owner of the members added next (numeric; names are left empty, except root's). */
void jeos_tar_owner(struct jeos_tar *t, int64_t uid, int64_t gid);

/* A folder member (mode 0755 unless `mode`). */
int jeos_tar_add_dir(struct jeos_tar *t, const char *name, int mode, struct jeos_err *err);

/* A file member from memory, mode 0644 unless `mode`. */
int jeos_tar_add_buf(struct jeos_tar *t, const char *name, int mode, const void *data, size_t len,
                     struct jeos_err *err);

/* A file member streamed from host file `src`, mode 0644 unless `mode`; `sha256` (65 bytes, may
   be NULL) gets the hex digest of its bytes. */
int jeos_tar_add_file(struct jeos_tar *t, const char *name, int mode, const char *src,
                      char sha256[65], struct jeos_err *err);

/*
 * Writes `out`: a gzip-compressed (no time in its header) old-GNU tar holding one sparse member
 * (type 'S') `name`, root-owned, mode 0644, timed `mtime`: the bytes of host file `src` followed
 * by zeros up to `size` bytes (at least src's size). Every 4 KiB block that is all zeros is a
 * hole, so the sparse map depends on the bytes only, not on the host filesystem's holes. What
 * GCE imports (`tar --format=oldgnu -Sczf`).
 */
int jeos_tar_gnu_sparse(const char *out, const char *name, const char *src, uint64_t size,
                        int64_t mtime, struct jeos_err *err);

/* How many bytes of host file `src` lie in blocks of `blk` bytes (a power of two, 4 KiB to
   1 MiB) holding a non-zero byte (an OVF disk's populatedSize). */
int jeos_nonzero_bytes(const char *src, size_t blk, uint64_t *bytes, struct jeos_err *err);

/* Finishes the archive when rc is 0 and frees it either way; returns rc, or the closing error. */
int jeos_tar_close(struct jeos_tar *t, int rc, struct jeos_err *err);

#endif
