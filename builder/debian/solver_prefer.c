/* solver_prefer.c — the preference among candidates: the greedy choice by installed KiB added
 * (a tentative look-ahead), and the ordered options a choice point falls back on. */
#include <stdlib.h>

#include "builder/core/alloc.h"
#include "builder/debian/solver_int.h"

#define COST_INF UINT64_MAX

static void tq_push(struct state *s, size_t *n, uint32_t pi)
{
    if (*n == s->tqcap) {
        s->tqcap = s->tqcap ? s->tqcap * 2 : 256;
        s->tq = xrealloc(s->tq, s->tqcap * sizeof(*s->tq));
    }
    s->tq[(*n)++] = pi;
    s->steps++;
    s->tgen[s->u->pkgs[pi].name_id] = s->gen;
    s->tpkg[s->u->pkgs[pi].name_id] = pi;
}

/*
 * Installed KiB that taking `pi` would add: its own closure on top of the
 * current one, following the first alternative that can be met (or one already
 * met). COST_INF when something in it cannot be met.
 */
static uint64_t added_cost(struct state *s, uint32_t pi)
{
    const struct pkg_universe *u = s->u;
    size_t n = 0, head = 0;
    uint64_t cost = 0;
    s->gen++;
    tq_push(s, &n, pi);
    while (head < n) {
        const struct pkg *p = &u->pkgs[s->tq[head++]];
        cost += p->installed_size;
        const char *fields[2] = {p->pre_depends, p->depends};
        for (int f = 0; f < 2; f++) {
            const char *q = fields[f];
            struct dep_atom a[MAX_ALTS];
            size_t na, tlen;
            const char *text;
            int r;
            while ((r = dep_next_clause(&q, a, MAX_ALTS, &na, &text, &tlen)) > 0) {
                bool ok = false;
                for (size_t k = 0; k < na && !ok; k++)
                    ok = sv_met(s, &a[k], false) || sv_met(s, &a[k], true);
                for (size_t k = 0; k < na && !ok; k++) {
                    uint32_t c[1];
                    if (sv_candidates(s, &a[k], true, c, 1) == 1 &&
                        sv_conflicting_item(s, c[0]) < 0) {
                        tq_push(s, &n, c[0]);
                        ok = true;
                    }
                }
                if (!ok)
                    return COST_INF;
            }
            if (r < 0)
                return COST_INF;
        }
    }
    return cost;
}

/*
 * The acceptable candidates the greedy rules weigh, in the order written:
 * per alternative, the highest fitting version of the real package (alone,
 * when it can be taken) or else each provider. `atom[j]` says which
 * alternative acc[j] meets. Returns how many.
 */
static size_t weighed(const struct state *s, const struct clause *cl, uint32_t *acc, uint32_t *atom)
{
    uint32_t c[MAX_ALTS];
    size_t nacc = 0;
    for (size_t k = 0; k < cl->n; k++) {
        size_t nc = sv_candidates(s, &cl->a[k], false, c, MAX_ALTS);
        /* As apt does: a real package of the name, when it fits, is taken before
         * the packages that merely provide it (libsystemd0, not libelogind0). */
        uint32_t id = pkgu_lookup(s->u, cl->a[k].name, cl->a[k].nlen);
        bool real = nc && s->u->pkgs[c[0]].name_id == id;
        if (real && sv_conflicting_item(s, c[0]) < 0)
            nc = 1;
        for (size_t j = 0; j < nc && nacc < MAX_ALTS; j++)
            if (sv_conflicting_item(s, c[j]) < 0) {
                atom[nacc] = (uint32_t)k;
                acc[nacc++] = c[j];
            }
    }
    return nacc;
}

/*
 * Orders acc[0..n) (and atom[] with it) by the installed KiB each would add,
 * ties and unknown (infinite) costs keeping the order written: acc[0] is the
 * greedy choice.
 */
static void by_cost(struct state *s, uint32_t *acc, uint32_t *atom, size_t n)
{
    if (n < 2)
        return;
    uint64_t cost[MAX_ALTS];
    for (size_t j = 0; j < n; j++)
        cost[j] = added_cost(s, acc[j]);
    for (size_t j = 1; j < n; j++) { /* stable insertion sort: n <= MAX_ALTS */
        uint64_t cj = cost[j];
        uint32_t aj = acc[j], tj = atom[j];
        size_t k = j;
        for (; k > 0 && cost[k - 1] > cj; k--) {
            cost[k] = cost[k - 1];
            acc[k] = acc[k - 1];
            atom[k] = atom[k - 1];
        }
        cost[k] = cj;
        acc[k] = aj;
        atom[k] = tj;
    }
}

/* Highest version first; one version found in two indexes, in index order. */
static int cmp_version_desc(const void *x, const void *y, void *arg)
{
    const struct pkg_universe *u = arg;
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    int c = deb_ver_cmp(u->pkgs[b].version, u->pkgs[a].version);
    return c ? c : (a > b) - (a < b);
}

struct opts {
    uint32_t *v;
    uint32_t n, cap;
};

static void opts_add(struct opts *o, uint32_t pi)
{
    for (uint32_t j = 0; j < o->n; j++)
        if (o->v[j] == pi)
            return;
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 16;
        o->v = xrealloc(o->v, o->cap * sizeof(*o->v));
    }
    o->v[o->n++] = pi;
}

/* Adds pi, then the lower versions of its name that meet atom `a` and can be taken, highest first.
 */
static void opts_add_versions(struct state *s, struct opts *o, uint32_t pi,
                              const struct dep_atom *a)
{
    const struct pkg_universe *u = s->u;
    uint32_t name = u->pkgs[pi].name_id;
    opts_add(o, pi);
    uint32_t *v = NULL;
    size_t n = 0, cap = 0;
    uint32_t id = pkgu_lookup(u, a->name, a->nlen);
    if (id == PKG_NONE)
        return;
    if (id == name)
        for (uint32_t k = u->name_pkg[id]; k != PKG_NONE; k = u->pkgs[k].next_same_name)
            if (k != pi && sv_pkg_meets(u, &u->pkgs[k], a)) {
                if (n == cap)
                    v = xrealloc(v, (cap = cap ? cap * 2 : 8) * sizeof(*v));
                v[n++] = k;
            }
    for (uint32_t k = u->name_prov[id]; k != PKG_NONE; k = u->provs[k].next) {
        const struct pkg_provide *pv = &u->provs[k];
        if (pv->pkg != pi && u->pkgs[pv->pkg].name_id == name && sv_prov_meets(u, pv, a)) {
            if (n == cap)
                v = xrealloc(v, (cap = cap ? cap * 2 : 8) * sizeof(*v));
            v[n++] = pv->pkg;
        }
    }
    if (n > 1)
        qsort_r(v, n, sizeof(*v), cmp_version_desc, (void *)u);
    for (size_t j = 0; j < n; j++)
        if (!sv_name_taken(s, name, v[j], false) && sv_conflicting_item(s, v[j]) < 0)
            opts_add(o, v[j]);
    free(v);
}

/*
 * Every option of an unmet clause, in preference order, `first` (the one
 * taken greedily) first: the weighed candidates by added size, each followed
 * by the lower versions of its name; then the providers passed over because a
 * real package fitted, in the order written, each with its lower versions.
 */
void sv_build_options(struct state *s, const struct clause *cl, uint32_t first, struct choice *ch)
{
    struct opts o = {0};
    uint32_t acc[MAX_ALTS], atom[MAX_ALTS];
    size_t nacc = weighed(s, cl, acc, atom);
    by_cost(s, acc, atom, nacc);
    opts_add(&o, first);
    for (size_t j = 0; j < nacc; j++)
        opts_add_versions(s, &o, acc[j], &cl->a[atom[j]]);
    for (size_t k = 0; k < cl->n; k++) {
        uint32_t c[MAX_ALTS];
        size_t nc = sv_candidates(s, &cl->a[k], false, c, MAX_ALTS);
        for (size_t j = 0; j < nc; j++)
            if (sv_conflicting_item(s, c[j]) < 0)
                opts_add_versions(s, &o, c[j], &cl->a[k]);
    }
    ch->opts = o.v;
    ch->nopts = o.n;
}

/* The greedy choice for an unmet clause, or PKG_NONE when nothing can be taken. */
uint32_t sv_greedy(struct state *s, const struct clause *cl)
{
    uint32_t acc[MAX_ALTS], atom[MAX_ALTS];
    size_t nacc = weighed(s, cl, acc, atom);
    if (nacc == 0)
        return PKG_NONE;
    by_cost(s, acc, atom, nacc);
    return acc[0];
}
