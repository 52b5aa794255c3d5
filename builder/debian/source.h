/* source.h — Debian source packages through the signed repository client: found in the Sources
 * indexes (checked against the signed Release), their .dsc and files checked, unpacked into the
 * cache.
 *
 * The chain of trust is apt's: InRelease (gpgv) → Sources (sha256 in the Release) → the .dsc
 * (sha256 in Sources) → the tarballs (sha256 in the .dsc, and the same in Sources). The .dsc's
 * own OpenPGP signature (a maintainer's key) is not needed and not checked.
 *
 *     struct jeos_srcpkg p;
 *     jeos_source_find(ctx, &sources, "lwip", NULL, &p, err);   // the highest version
 *     char *tree;
 *     jeos_source_unpack(ctx, &p, &tree, err);                   // CACHE/source/<dsc sha256>
 *     jeos_srcpkg_free(&p);
 */
#ifndef JEOS_SOURCE_H
#define JEOS_SOURCE_H

#include <stddef.h>
#include <stdint.h>

struct jeos_ctx;
struct jeos_err;
struct repo_sources;

/* One file of a source package: a plain name in the package's pool folder. */
struct jeos_srcfile {
    char *name; /* "lwip_2.1.3+dfsg1-2.dsc" */
    char *sha256;
    uint64_t size;
};

/* A source package as the Sources index describes it. Every string is owned. */
struct jeos_srcpkg {
    char *name, *version, *format;
    char *uri;                  /* the repository root: files are at uri/directory/name */
    char *directory;            /* "pool/main/l/lwip" */
    char *origin;               /* "bookworm/main" */
    struct jeos_srcfile *files; /* Checksums-Sha256 of the index; files[dsc] is the .dsc */
    size_t nfiles, dsc;
};

void jeos_srcpkg_free(struct jeos_srcpkg *p);

/*
 * Finds source package `name` in the Sources index of every suite and component of `s` (fetched
 * and verified as repo_load does the Packages indexes; a component whose Release lists no
 * Sources is skipped): version `version` exactly, or the highest (dpkg ordering) when NULL.
 * Returns 0 and fills *out, -ENOENT naming what was searched (and the versions there are) when
 * no stanza matches, or another negative errno. A stanza with an unsafe Directory or file name,
 * a malformed checksum line or not exactly one .dsc is an error naming the index and its line.
 */
int jeos_source_find(const struct jeos_ctx *ctx, const struct repo_sources *s, const char *name,
                     const char *version, struct jeos_srcpkg *out, struct jeos_err *err);

/*
 * The unpacked tree of `p` (the upstream tarball with the Debian patches applied, as
 * `dpkg-source -x` makes it) in the cache: CACHE/source/<sha256 of the .dsc>, returned in *tree
 * (caller frees), sealed when made (cache_tree_seal) and checked on every use: when that folder
 * is whole nothing is fetched (also with ctx->offline); one that is not is moved aside and
 * unpacked again. Else the .dsc is fetched into the cache checked against the index, its
 * Checksums-Sha256 must list exactly the index's other files with the same hashes and sizes, each
 * file is fetched checked, and dpkg-source unpacks them into a temporary folder renamed into place
 * under a lock, so concurrent builds unpack once and a failure leaves nothing behind.
 */
int jeos_source_unpack(const struct jeos_ctx *ctx, const struct jeos_srcpkg *p, char **tree,
                       struct jeos_err *err);

/*
 * jeos_source_find for "NAME" or "NAME=VERSION" (`what` names the request in messages:
 * "recipes/redis.yaml:5:3: source.debian"), then jeos_source_unpack. *version (when not NULL)
 * gets the version found (caller frees).
 */
int jeos_source_get(const struct jeos_ctx *ctx, const struct repo_sources *s, const char *spec,
                    const char *what, char **tree, char **version, struct jeos_err *err);

#endif
