/* diff.h — what differs between two images or two lock files, for reviewing an update: packages
 * added, removed and changed, and the root's files. */
#ifndef JEOS_DIFF_H
#define JEOS_DIFF_H

#include <stdbool.h>
#include <stddef.h>

struct jeos_ctx;
struct jeos_err;

/* One change: '+' added (in B only), '-' removed (in A only), '~' changed. */
struct jeos_change {
    char kind;
    char *name;  /* a package name or a root path */
    char *a, *b; /* the versions (packages), or what changed in a file ("content", "mode 0644 ->
                   0755", ...); NULL where there is none */
};

struct jeos_diff {
    char *a_from, *b_from; /* what each side's packages were read from */
    struct jeos_change *pkgs;
    size_t npkgs;
    bool files_compared; /* both sides images with a root jeos reads */
    struct jeos_change *files;
    size_t nfiles;
};

/*
 * Compares A and B, each a lock file (RECIPE.lock, recognised by its "Jeos-Lock:" line) or an
 * image jeos inspect reads. Packages by name (an image's: those in it; a lock's: all it pins);
 * with two images, the root filesystems' entries by path: type, mode, owner, size, link
 * target and sha256 of the bytes. Returns 0 or a negative errno (either side unreadable).
 */
int jeos_diff(const struct jeos_ctx *ctx, const char *a, const char *b, struct jeos_diff *out,
              struct jeos_err *err);
void jeos_diff_free(struct jeos_diff *d);

#endif
