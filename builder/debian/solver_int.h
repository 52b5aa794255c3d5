/* solver_int.h — the solver's private state and the functions its three files share; not API
 * (solver.h is the contract). The shared functions carry the sv_ prefix: libjeos.a exports them. */
#ifndef JEOS_SOLVER_INT_H
#define JEOS_SOLVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "builder/core/alloc.h"
#include "builder/debian/pkgindex.h"
#include "builder/debian/solver.h"

#define MAX_ALTS 64

/* A Conflicts/Breaks relation of a package in the closure. */
struct conflict {
    uint32_t name_id;
    enum deb_rel rel;
    const char *ver;
    size_t vlen;
    int32_t owner; /* item index */
};

/* Where the walk stands: the next request, else the next clause of item `head`. */
struct cursor {
    size_t req;    /* next request (== nreq once they are all met) */
    size_t head;   /* the item whose relations are being met */
    int field;     /* 0: Pre-Depends, 1: Depends */
    const char *q; /* the rest of that field; NULL: its start */
};

/* One clause to meet. */
struct clause {
    struct dep_atom a[MAX_ALTS];
    size_t n;
    const char *text;
    size_t tlen;
    int32_t parent;    /* the item it belongs to; -1 for a request */
    uint32_t request;  /* for a request: its index */
    const char *field; /* "Pre-Depends", "Depends" or "request" */
};

/* How item i came in, so that it can be taken back and replaced (one per item). */
struct choice {
    struct cursor at; /* the walk just before its clause */
    size_t nconf;     /* conflicts recorded before it */
    uint32_t *opts;   /* the clause's options in preference order; built on the first undo */
    uint32_t nopts;   /* how many */
    uint32_t tried;   /* options tried so far, the current one included */
    uint64_t *why;    /* bit j: item j was blamed by a failure under this choice (j < i) */
};

/* One search (solver_resolve's), owned by it; the other files read and update it. */
struct state {
    const struct pkg_universe *u;
    struct solver_result *res;
    size_t cap;
    int32_t *chosen; /* name id -> item index, -1 */
    struct conflict *conf;
    size_t nconf, confcap;
    /* tentative closures used to weigh alternatives */
    uint32_t *tgen, *tpkg, gen;
    uint32_t *tq;
    size_t tqcap;
    /* the requests as clauses */
    const struct solver_request *req;
    size_t nreq;
    char **req_text;
    /* backtracking */
    struct choice *ch;   /* parallel to res->items */
    uint64_t *blame;     /* bit i: item i is implicated in the failure being undone */
    uint64_t steps;      /* packages added or weighed, and undos: the search's work */
    uint64_t budget;     /* steps allowed once the first failure is met, before giving up */
    struct sbuf why;     /* the message of the last failure */
    bool failed;         /* a relation could not be met (once at least) */
    uint64_t first_fail; /* steps when that first happened */
};

/* solver_rules.c: what meets a relation, what conflicts, and why not (comments at each). */
bool sv_pkg_meets(const struct pkg_universe *u, const struct pkg *p, const struct dep_atom *a);
bool sv_prov_meets(const struct pkg_universe *u, const struct pkg_provide *pv,
                   const struct dep_atom *a);
/* The package of item `item`. */
const struct pkg *sv_item_pkg(const struct state *s, int32_t item);
bool sv_met(const struct state *s, const struct dep_atom *a, bool tent);
bool sv_name_taken(const struct state *s, uint32_t id, uint32_t pi, bool tent);
size_t sv_candidates(const struct state *s, const struct dep_atom *a, bool tent, uint32_t *out,
                     size_t max);
int32_t sv_conflicting_item(const struct state *s, uint32_t pi);
/* Records the Conflicts and Breaks of item `item` (just added) in s->conf. */
void sv_add_conflicts(struct state *s, int32_t item);
/* Is one of the clause's alternatives met by the closure? */
bool sv_clause_met(const struct state *s, const struct clause *cl);
void sv_describe(struct state *s, const struct clause *cl);

/* solver_prefer.c: the greedy choice of a clause, and the options of a choice point. */
void sv_build_options(struct state *s, const struct clause *cl, uint32_t first, struct choice *ch);
uint32_t sv_greedy(struct state *s, const struct clause *cl);

#endif
