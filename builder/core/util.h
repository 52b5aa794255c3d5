/* util.h — files: read whole, written atomically (temporary + rename), folders; number parsing. */
#ifndef JEOS_UTIL_H
#define JEOS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jeos_err;

/*
 * Reads a whole file into a NUL-terminated buffer the caller frees.
 * Returns 0 or a negative errno, with a message naming `path` in `err`.
 */
int jeos_read_file(const char *path, char **data, size_t *len, struct jeos_err *err);

/*
 * A file written under a temporary name in the target's folder and renamed on
 * success, so a failure never leaves something that looks finished.
 *   jeos_outfile_open: creates "<path>.tmp.XXXXXX" (mode 0644 unless `mode`);
 *   jeos_outfile_commit: fsyncs, closes and renames onto `path`;
 *   jeos_outfile_abort: closes and unlinks the temporary (safe to call after commit).
 */
struct jeos_outfile {
    int fd;
    char *path;
    char *tmp;
    bool done;
};
int jeos_outfile_open(struct jeos_outfile *o, const char *path, int mode, struct jeos_err *err);
int jeos_outfile_commit(struct jeos_outfile *o, struct jeos_err *err);
void jeos_outfile_abort(struct jeos_outfile *o);

/* Writes all of `buf` to `fd`, retrying short writes and EINTR. Returns 0 or a negative errno. */
int jeos_write_all(int fd, const void *buf, size_t len);

/* Writes `data` to `path` atomically (temporary + rename). */
int jeos_write_file_atomic(const char *path, const void *data, size_t len, int mode,
                           struct jeos_err *err);

/* mkdir -p. Returns 0 or a negative errno with a message. */
int jeos_mkdir_p(const char *path, int mode, struct jeos_err *err);

/*
 * rm -rf: removes `path` and, when it is a folder, everything under it (symlinks are removed,
 * never followed). Best effort, for cleaning up our own temporary files: returns 0, or the
 * first negative errno met.
 */
int jeos_remove_tree(const char *path);

/* Parses a decimal integer in [min, max]; returns false when `s` is not one. */
bool jeos_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

#endif
