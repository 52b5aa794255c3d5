/* solver.h — the minimal dependency closure of a set of Debian packages, with the reason each one
 * is in. */
#ifndef JEOS_SOLVER_H
#define JEOS_SOLVER_H

#include <stddef.h>
#include <stdint.h>

#include "builder/debian/pkgindex.h"

struct jeos_err;

/* A package asked for: a name (real or virtual) and optionally an exact version. */
struct solver_request {
    const char *name;
    const char *version; /* NULL: the highest available */
};

/* One package of the closure. */
struct solver_item {
    uint32_t pkg;      /* index into the universe's pkgs */
    int32_t parent;    /* the item whose dependency pulled it in; -1 for a request */
    uint32_t request;  /* for a request: its index */
    const char *field; /* "Depends" or "Pre-Depends"; "request" for a request */
    char *relation;    /* the clause as written ("libc6 (>= 2.34)"); the request's text */
};

struct solver_result {
    struct solver_item *items; /* in the order they were added (breadth first) */
    size_t n;
    uint64_t installed_kib; /* sum of Installed-Size */
    uint64_t deb_bytes;     /* sum of Size */
};

/*
 * Computes the smallest closure the rules allow, deterministically:
 *  - Depends and Pre-Depends are followed; Recommends and Suggests are not;
 *    Essential and Priority: required packages come in only when depended on.
 *  - A relation is met by a package of that name, or by one that Provides it
 *    (a versioned relation only by a versioned provide that satisfies it); a
 *    real package that fits is taken before the packages providing its name.
 *  - Of the candidates of one name, the highest version that fits is taken.
 *  - Of a clause's alternatives, one already in the closure wins; otherwise the
 *    one whose own closure adds the fewest installed KiB; ties go to the one
 *    written first.
 *  - A candidate that Conflicts with or Breaks something in the closure (or is
 *    conflicted by it) is not taken.
 *  - Multi-Arch: one native architecture (plus "all"); "name:any" needs a
 *    package marked Multi-Arch: allowed; other architecture qualifiers cannot be
 *    met, and a Conflicts/Breaks with one ("libc6-i386:x32") hits nothing.
 * Requests are met in order, then the closure's relations breadth first, each
 * by the choice above. When a relation cannot be met, the solver backtracks:
 * it undoes to the latest choice implicated in the failure (the package the
 * relation belongs to, or one holding its name at another version, or one a
 * candidate conflicts with, or what brought those in) and takes that choice's
 * next option, in the same preference order: the alternatives by added size
 * (ties in the order written), each followed by the lower versions of its
 * name that fit, highest first; then the providers passed over because the
 * real package fitted. Every later choice is made again from there. So a
 * closure the choices above reach without a failure is exactly the result;
 * otherwise it is the first one the search finds. The search gives up after
 * SOLVER_BUDGET (100,000) steps from its first failure, a step being a package
 * added, a package visited while weighing alternatives, or one undo.
 * On success returns 0 and fills `res` (free with solver_result_free). When
 * every option fails, or the budget runs out, returns -ENOENT with the chain
 * of the last failure, the conflict that blocked the last option tried, in
 * `err`:
 *   "nginx-light → libssl3 (>= 3.0.0) → no candidate in bookworm/main amd64"
 *   "app → q → d → d 1 conflicts with b 1 (app → p → b)"
 * and, when the budget ran out, " (no solution found within N search steps)" after it.
 */
int solver_resolve(const struct pkg_universe *u, const struct solver_request *req, size_t nreq,
                   struct solver_result *res, struct jeos_err *err);

void solver_result_free(struct solver_result *res);

/* The chain "a → b → c" that pulled item `i` in (a new string the caller frees). */
char *solver_chain(const struct pkg_universe *u, const struct solver_result *res, size_t i);

#endif
