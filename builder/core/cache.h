/* cache.h — the content-addressed package cache: files named by their sha256, shared by concurrent
 * builds. */
#ifndef JEOS_CACHE_H
#define JEOS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jeos_ctx;
struct jeos_err;

/* Fills `hex` (65 bytes) with the sha256 of buf[0..len). */
void cache_sha256_hex(const void *buf, size_t len, char hex[65]);

/* Fills `hex` with the sha256 of a file and *size with its length. Returns 0 or a negative errno.
 */
int cache_sha256_file(const char *path, char hex[65], uint64_t *size, struct jeos_err *err);

/* True when `s` is 64 lowercase hex digits. */
bool cache_valid_sha256(const char *s);

/* The path an object with this sha256 has in the cache: CACHE/sha256/ab/abcd... (caller frees). */
char *cache_object_path(const struct jeos_ctx *ctx, const char *sha256);

/*
 * Writes something into the cache under its sha256. `fill` writes the content
 * to `fd` (a temporary file in the cache folder); it is called only when the
 * object is not already there, under an exclusive flock on CACHE/locks/SHA,
 * so two builds never download the same thing at once. The temporary is then
 * checked: size (when `size` is not 0) and sha256 must match, else the error
 * names `what` and what did not match, and nothing is left behind. On success
 * the temporary is renamed into place and *path (when not NULL) gets the
 * object's path (caller frees). With ctx->offline, a missing object is an
 * error naming `what` and `fill` is not called.
 */
typedef int (*cache_fill_fn)(void *arg, int fd, struct jeos_err *err);
int cache_store(const struct jeos_ctx *ctx, const char *sha256, uint64_t size, const char *what,
                cache_fill_fn fill, void *arg, char **path, struct jeos_err *err);

/* Stores a buffer under its (already known and checked) sha256; like cache_store. */
int cache_store_buffer(const struct jeos_ctx *ctx, const char *sha256, const void *buf, size_t len,
                       const char *what, char **path, struct jeos_err *err);

#endif
