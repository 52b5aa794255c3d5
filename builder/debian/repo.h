/* repo.h — Debian repositories: sources (recipe or host apt), transports (http, file), signed
 * Release, verified indexes. */
#ifndef JEOS_REPO_H
#define JEOS_REPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "builder/debian/pkgindex.h"

struct jeos_ctx;
struct jeos_err;
struct recipe;

/* One repository: a URI with suites and components, trusted through one keyring. */
struct repo_source {
    char *uri; /* without a trailing '/': "http://deb.debian.org/debian", "file:/srv/repo" */
    char **suites;
    size_t nsuites;
    char **components;
    size_t ncomponents;
    char *keyring; /* absolute path of an OpenPGP keyring for gpgv */
    char *where;   /* where it was written, for messages ("/etc/apt/sources.list.d/x.sources:3") */
};

struct repo_sources {
    struct repo_source *v;
    size_t n;
};

void repo_sources_free(struct repo_sources *s);

/* Adds a source (copies every argument). */
void repo_sources_add(struct repo_sources *s, const char *uri, const char *const *suites,
                      size_t nsuites, const char *const *components, size_t ncomponents,
                      const char *keyring, const char *where);

/*
 * Reads apt's sources the way apt does: ETC/sources.list (one-line format) and
 * ETC/sources.list.d/ *.list and *.sources (deb822), in name order. Only "deb"
 * entries for the native architecture are kept; "deb-src", disabled entries
 * (Enabled: no) and files with other suffixes are ignored. A source without
 * Signed-By gets `default_keyring`. Returns 0 or a negative errno with "file:line: ..." in err.
 */
int repo_sources_from_apt(const char *etc_apt, const char *default_keyring,
                          struct repo_sources *out, struct jeos_err *err);

/* Parsers of one file of each format (text is modified in place; `path` names it in messages). */
int repo_parse_sources_list(const char *path, char *text, const char *default_keyring,
                            struct repo_sources *out, struct jeos_err *err);
int repo_parse_deb822_sources(const char *path, char *text, size_t len, const char *default_keyring,
                              struct repo_sources *out, struct jeos_err *err);

/*
 * The sources a recipe asks for: debian.sources when given; else debian.mirror
 * with debian.suite and debian.components; else the host's apt sources
 * (/etc/apt, or $JEOS_APT_ETC), keeping only the suites of the distribution
 * debian.suite names (bookworm, bookworm-updates, bookworm-security, ...).
 * Relative keyring paths are taken relative to the recipe's folder; the default
 * keyring is /usr/share/keyrings/debian-archive-keyring.gpg.
 */
int repo_sources_for_recipe(const struct recipe *r, struct repo_sources *out, struct jeos_err *err);

/*
 * A transport: how bytes are fetched from one kind of URI. `get` writes the
 * resource to `fd`; it returns -ENOENT when the resource does not exist (HTTP
 * 404, missing file), other negative errnos for other failures.
 */
struct repo_transport {
    const char *scheme; /* "http:", "https:", "file:" */
    int (*get)(const char *uri, int fd, struct jeos_err *err);
};

/* The transport for a URI, or NULL when no transport knows its scheme. */
const struct repo_transport *repo_transport_for(const char *uri);

/* Writes the resource at `uri` to `fd` with the transport for its scheme (see above). */
int repo_get(const char *uri, int fd, struct jeos_err *err);

/*
 * Fetches every Packages index of every source (suite × component, for
 * u->arch) into `u`, each as an origin labelled "suite/component":
 *  - InRelease (or Release + Release.gpg) is fetched and verified with gpgv
 *    against the source's keyring; a bad signature is an error, unless
 *    ctx->allow_unauthenticated, which says loudly that it is skipping the check;
 *  - Packages.xz, .gz or plain is fetched into the cache checked against the
 *    Release's sha256 and size, decompressed (libarchive), checked again, and
 *    kept decompressed in the cache, so a warm run reads it straight from there;
 *  - with ctx->offline only the cache is used, and a miss is an error: the
 *    signed files of each suite are kept under CACHE/dists/, with the text
 *    gpgv verified (Release.verified, valid for that keyring only);
 *  - as apt does, a Release for another suite (Suite and Codename both
 *    differ) or past its Valid-Until is refused, and is not kept.
 */
int repo_load(const struct jeos_ctx *ctx, const struct repo_sources *s, struct pkg_universe *u,
              struct jeos_err *err);

/* Checks what repo_load checks of the sources before fetching: plain suite and component names
 * (they end up in URLs and cache paths) and a known URI scheme. 0 or -EINVAL/-EPROTONOSUPPORT. */
int repo_sources_check(const struct repo_sources *s, struct jeos_err *err);

/* The index hashes of a Release file (its SHA256 field). */
struct repo_release_entry {
    char *path; /* "main/binary-amd64/Packages.xz" */
    char *sha256;
    uint64_t size;
};
struct repo_release {
    struct repo_release_entry *v;
    size_t n;
    char *suite, *codename; /* NULL when absent */
    int64_t valid_until;    /* seconds since 1970; 0 when absent */
};

/*
 * Parses the SHA256 field of a (verified) Release text, modified in place,
 * and its Suite, Codename and Valid-Until; `what` names it in messages.
 * Returns 0, or -EINVAL with "what:line: ..." in err.
 */
int repo_release_parse(char *text, size_t len, const char *what, struct repo_release *out,
                       struct jeos_err *err);
const struct repo_release_entry *repo_release_find(const struct repo_release *r, const char *path);
void repo_release_free(struct repo_release *r);

/*
 * The verified Release of one suite of `src`, as repo_load gets it (signature checked, Suite and
 * Valid-Until checked, cached copies forgotten when a check fails), parsed into *rel; free *rel
 * with repo_release_free whatever the result.
 */
int repo_release_load(const struct jeos_ctx *ctx, const struct repo_source *src, const char *suite,
                      struct repo_release *rel, struct jeos_err *err);

/*
 * One index of a suite whose verified Release is `rel`, by its plain path below dists/SUITE/
 * ("main/binary-amd64/Packages", "main/source/Sources"): the .xz, .gz or plain file the Release
 * lists is fetched into the cache checked against its sha256 and size, decompressed and checked
 * against the plain file's hash, which names the decompressed copy kept in the cache (a warm run
 * reads only that). Returns 0 and the text, NUL-terminated, in *data (caller frees), or a
 * negative errno (-ENOENT when the Release lists no such index).
 */
int repo_index_load(const struct jeos_ctx *ctx, const struct repo_source *src, const char *suite,
                    const struct repo_release *rel, const char *base, char **data, size_t *len,
                    struct jeos_err *err);

/*
 * Fetches `uri` into the cache under `sha256` (checked, as is `size` when not
 * 0), returning its cache path in *path (caller frees). `what` names it in messages.
 */
int repo_fetch_to_cache(const struct jeos_ctx *ctx, const char *uri, const char *sha256,
                        uint64_t size, const char *what, char **path, struct jeos_err *err);

/*
 * What a use of a cached download goes through: the bytes, read from the cache and checked as
 * they are read (cache_load: a mismatch is moved aside and `uri` fetched again), into *data
 * (caller frees); or, for a tool that reads a path, the checked path (cache_verified_path).
 */
int repo_load_cached(const struct jeos_ctx *ctx, const char *uri, const char *sha256, uint64_t size,
                     const char *what, char **data, size_t *len, struct jeos_err *err);
int repo_verified_path(const struct jeos_ctx *ctx, const char *uri, const char *sha256,
                       uint64_t size, const char *what, char **path, struct jeos_err *err);

#endif
