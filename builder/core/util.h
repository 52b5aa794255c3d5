/* util.h — small shared helpers: allocation, growable strings, files written atomically, spawning
 * tools. */
#ifndef JEOS_UTIL_H
#define JEOS_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jeos_err;

/* Allocation that cannot fail: on exhaustion they print a message and abort(). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* A growable, always NUL-terminated string. Zero-initialise; free with sbuf_free. */
struct sbuf {
    char *s;
    size_t len, cap;
};
void sbuf_add(struct sbuf *b, const char *s, size_t n);
void sbuf_puts(struct sbuf *b, const char *s);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_free(struct sbuf *b);
/* Returns the buffer's string (the caller owns it) and leaves `b` empty. */
char *sbuf_take(struct sbuf *b);

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
 * Runs argv[0] (looked up in PATH) with `argv` through posix_spawn, never a
 * shell. stdout goes to `out` when non-NULL (captured into it, NUL-terminated),
 * else to /dev/null; stderr is captured and, on failure, quoted in the
 * message added to `err`. Returns 0 when the tool exits 0, else a negative errno.
 */
int jeos_spawn(char *const argv[], struct sbuf *out, struct jeos_err *err);

/* Parses a decimal integer in [min, max]; returns false when `s` is not one. */
bool jeos_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

#endif
