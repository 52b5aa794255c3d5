/* objcache.h — the unikernel build's object cache: a compile's object (and warnings) kept in
 * CACHE/objects/ under a key of its source, every header it read, its arguments and the compiler.
 */
#ifndef JEOS_UK_OBJCACHE_H
#define JEOS_UK_OBJCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct jeos_ctx;
struct jeos_err;
struct sbuf;

/*
 * How it works (ccache's "direct mode", one entry per key): the key is the sha256 of the
 * compiler's identity (its path, `--version`, size and time of gcc, cc1 and as: computed once per
 * build), the argument vector (the build's temporary folder, the working folder — the recipe's —
 * and the object's name replaced by fixed words: -ffile-prefix-map keeps them out of the object,
 * so the same recipe in another folder hits), the variables gcc reads (CPATH, SOURCE_DATE_EPOCH,
 * ...), and the source's path and bytes. The entry CACHE/objects/ab/KEY holds the sha256 of every
 * file the compiler read (gcc -MD's list: the source and each header, system ones too; those
 * below the working folder named relative to it, so that a lookup from another folder checks
 * that folder's copies), the warnings and the object, under a sha256 of all of it. A lookup hits
 * only when the entry's checksum holds and every listed file still has its sha256; a header
 * changed, gone or made a different file is a miss. A compile stores its entry through a temporary
 * file renamed into place, never when a file it read was changed after the lookup began or after
 * its sha256 was taken (its mtime or ctime not older, by the clock the kernel stamps files with:
 * what the compiler read may not be what was hashed), nor when a file
 * uses __DATE__/__TIME__/__TIMESTAMP__ without SOURCE_DATE_EPOCH. A compile with an option that
 * reads a file -MD does not list (@FILE, -specs, -fplugin) is not cached. A corrupt entry is moved
 * to CACHE/quarantine/ and is a miss. A header that appears earlier in the search path than the one
 * recorded (a new file shadowing it) is not seen: as in ccache, remove the cache or touch the
 * source.
 */
struct uk_objcache;

/*
 * The cache of this build, in ctx->cache_dir/objects, for compiler `cc` (found in PATH):
 * *oc is NULL when JEOS_OBJCACHE=off or when the compiler's identity cannot be had (the build
 * then compiles everything). Never fails the build.
 */
void uk_objcache_open(const struct jeos_ctx *ctx, const char *cc, struct uk_objcache **oc);
void uk_objcache_free(struct uk_objcache *oc);

/* One compile's place in the cache, from uk_objcache_lookup to uk_objcache_store. */
struct uk_objkey {
    char *entry;           /* CACHE/objects/ab/KEY */
    char *cwd;             /* where the compiler runs */
    struct timespec start; /* when the lookup began (coarse realtime) */
};
void uk_objkey_free(struct uk_objkey *k);

/*
 * Looks up the compile `argv` (NULL-terminated; run in folder `cwd`) of source `src` into `obj`
 * (in the build's temporary folder `tmpdir`). On a hit, writes the object to `obj`, its warnings
 * to `warnings` and returns true. On a miss, fills *k for uk_objcache_store and returns false;
 * the caller compiles with -MD -MF DEPFILE.
 */
bool uk_objcache_lookup(struct uk_objcache *oc, char *const *argv, const char *cwd, const char *src,
                        const char *obj, const char *tmpdir, struct sbuf *warnings,
                        struct uk_objkey *k);

/*
 * After a compile that succeeded: stores `obj` and its `warnings` under k, with the files listed
 * in `depfile` (gcc -MD's, paths relative to the lookup's cwd). Counts a compile either way.
 */
void uk_objcache_store(struct uk_objcache *oc, const struct uk_objkey *k, const char *depfile,
                       const char *obj, const struct sbuf *warnings);

/* How many objects came from the cache and how many were compiled and stored (or not). */
void uk_objcache_counts(const struct uk_objcache *oc, size_t *hits, size_t *compiled);

/* jeos cache prune: removes CACHE/objects whole. Returns 0 or a negative errno. */
int uk_objcache_clear(const struct jeos_ctx *ctx, struct jeos_err *err);

#endif
