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

/*
 * The cache is verified on every use. cache_load reads the object `sha256` into memory
 * (NUL-terminated; *data is the caller's to free), hashing its bytes as it reads them: one pass.
 * When they do not match (or `size`, when not 0, does not), the file is moved aside into
 * CACHE/quarantine/, one line says so on stderr, and the object is made again as cache_store
 * does — through `fill`, which is not called with ctx->offline (an error then), nor when `fill`
 * is NULL (the call returns -ENOENT, as for an object not in the cache: the caller makes it
 * another way). A missing object is made the same way. Returns 0 or a negative errno.
 */
int cache_load(const struct jeos_ctx *ctx, const char *sha256, uint64_t size, const char *what,
               cache_fill_fn fill, void *arg, char **data, size_t *len, struct jeos_err *err);

/*
 * cache_store for a reader that takes a path (an external tool): the object is there and its
 * bytes checked (a pass over them; a mismatch moved aside and made again) before *path is set.
 */
int cache_verified_path(const struct jeos_ctx *ctx, const char *sha256, uint64_t size,
                        const char *what, cache_fill_fn fill, void *arg, char **path,
                        struct jeos_err *err);

/*
 * Folders the cache keeps unpacked (an extracted kernel package) are sealed when made:
 * cache_tree_seal writes DIR/.jeos-sums, one line per regular file ("F SHA256 SIZE PATH") and
 * symlink ("L TARGET PATH"), sorted. On use, cache_tree_check compares the folder's listing with
 * it — names, sizes, links: nothing missing, added or resized — and cache_tree_file checks the
 * bytes of one file REL the build is about to read. Each returns 0; -EBADMSG with the first
 * difference in *why (caller frees) — or "not sealed"; or another negative errno.
 */
int cache_tree_seal(const char *dir, struct jeos_err *err);
int cache_tree_check(const char *dir, char **why, struct jeos_err *err);
int cache_tree_file(const char *dir, const char *rel, char **why, struct jeos_err *err);

/* What the cache holds, by kind, for `jeos cache`. */
enum cache_kind {
    CACHE_DEB,
    CACHE_INDEX,
    CACHE_KERNEL,
    CACHE_RELEASE,
    CACHE_QUARANTINE,
    CACHE_OTHER,
    CACHE_NKINDS
};
struct cache_usage {
    uint64_t bytes[CACHE_NKINDS];
    uint64_t count[CACHE_NKINDS];
};
extern const char *const cache_kind_names[CACHE_NKINDS];

/* Adds up what the cache holds (bytes on disk). Returns 0 or a negative errno. */
int cache_usage(const struct jeos_ctx *ctx, struct cache_usage *u, struct jeos_err *err);

/*
 * jeos cache prune: empties the quarantine and removes temporary files of downloads that were
 * stopped; then removes packages, indexes and extracted kernels, least recently used first,
 * never one whose sha256 is in keep[0..nkeep) (what current lock files name), until the cache
 * holds at most `max_bytes` (0: every one not kept). Release files and locks stay. Sets *freed
 * and *removed. Returns 0 or a negative errno.
 */
int cache_prune(const struct jeos_ctx *ctx, uint64_t max_bytes, char *const *keep, size_t nkeep,
                uint64_t *freed, uint64_t *removed, struct jeos_err *err);

/*
 * Moves a cache entry that failed its check (`path`, a file or a folder) into
 * CACHE/quarantine/ and says so in one line naming `what` and `why`. Returns 0, or a negative
 * errno when it could not be moved (then it is removed).
 */
int cache_quarantine(const struct jeos_ctx *ctx, const char *path, const char *what,
                     const char *why);

#endif
