/* lock.h — RECIPE.lock: the exact closure (versions, sha256, source) that `jeos build --locked`
 * installs. */
#ifndef JEOS_LOCK_H
#define JEOS_LOCK_H

#include "builder/debian/repo_resolve.h"

struct jeos_err;

/*
 * The lock file is deb822 text, one stanza per package in resolution order
 * after a header stanza:
 *
 *     Jeos-Lock: 1
 *     Recipe: nginx.yaml
 *     Packages: 31
 *     Installed-Size: 32563
 *
 *     Package: nginx-light
 *     Version: 1.22.1-9+deb12u9
 *     Architecture: amd64
 *     Filename: pool/main/n/nginx/nginx-light_1.22.1-9+deb12u9_amd64.deb
 *     SHA256: ...
 *     Size: 98120
 *     Installed-Size: 92
 *     Source-URI: http://deb.debian.org/debian
 *     Origin: bookworm/main
 *     Parent: -
 *     Why: requested (nginx.yaml:6:11)
 *
 * It is written atomically (temporary + rename). The same resolution always
 * gives the same bytes.
 */
/* Where a recipe's lock lives: RECIPE + ".lock" ("web/nginx.yaml.lock"). The caller frees. */
char *jeos_lock_path(const char *recipe_path);

int jeos_lock_write(const char *path, const char *recipe_path, const struct jeos_resolution *res,
                    struct jeos_err *err);

/* Reads a lock file back; every problem is "path:line: what". */
int jeos_lock_read(const char *path, struct jeos_resolution *out, struct jeos_err *err);

/*
 * Checks that a lock still fits its recipe: every package the recipe asks for
 * (and its kernel, when `with_kernel`) is in the lock (a virtual one through
 * the provider requested at its place), at the pinned version when the recipe
 * pins one. Returns 0, or -ESTALE with one
 * message per mismatch: "RECIPE:LINE:COL: packages: nginx-light is not in
 * LOCK (run jeos resolve again)".
 */
struct recipe;
int jeos_lock_check(const struct jeos_resolution *lock, const char *lock_path,
                    const struct recipe *r, bool with_kernel, struct jeos_err *err);

#endif
