/* solver.c — deterministic minimal closure: greedy choices, undone by conflict-directed
 * backjumping when a later relation cannot be met (see solver.h for the rules). */
#include "builder/solver.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "builder/err.h"
#include "builder/util.h"

#define MAX_ALTS 64
#define COST_INF UINT64_MAX
/* Steps (packages added or weighed, undos) a search may take after its first failure. */
#define SOLVER_BUDGET 100000

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

static bool atom_arch_ok(const struct pkg_universe *u, const struct pkg *p,
                         const struct dep_atom *a)
{
    /* "name:amd64" on an amd64 system is the native package (or an "all" one). */
    if (a->archq == DEP_ARCHQ_OTHER)
        return strlen(u->arch) == a->archlen && memcmp(u->arch, a->archname, a->archlen) == 0;
    if (a->archq == DEP_ARCHQ_ANY)
        return p->multi_arch == PKG_MA_ALLOWED;
    return true;
}

/*
 * Can a Conflicts/Breaks atom hit a package of this universe? "libc6-i386:x32"
 * (in libc6-x32) names another architecture's package: never on amd64.
 */
static bool conflict_arch_ok(const struct pkg_universe *u, const struct dep_atom *a)
{
    return a->archq != DEP_ARCHQ_OTHER ||
           (strlen(u->arch) == a->archlen && memcmp(u->arch, a->archname, a->archlen) == 0);
}

/* Does package p (of the atom's name) meet the atom? */
static bool pkg_meets(const struct pkg_universe *u, const struct pkg *p, const struct dep_atom *a)
{
    return atom_arch_ok(u, p, a) &&
           deb_ver_satisfies(p->version, strlen(p->version), a->rel, a->ver, a->vlen);
}

/* Does a Provides entry meet the atom? */
static bool prov_meets(const struct pkg_universe *u, const struct pkg_provide *pv,
                       const struct dep_atom *a)
{
    if (!atom_arch_ok(u, &u->pkgs[pv->pkg], a))
        return false;
    if (a->rel == DEB_REL_ANY)
        return true;
    return pv->ver && deb_ver_satisfies(pv->ver, pv->vlen, a->rel, a->ver, a->vlen);
}

static const struct pkg *item_pkg(const struct state *s, int32_t item)
{
    return &s->u->pkgs[s->res->items[item].pkg];
}

static bool in_closure(const struct state *s, uint32_t pi)
{
    int32_t it = s->chosen[s->u->pkgs[pi].name_id];
    return it >= 0 && s->res->items[it].pkg == pi;
}

static bool in_tentative(const struct state *s, uint32_t pi)
{
    uint32_t id = s->u->pkgs[pi].name_id;
    return s->tgen[id] == s->gen && s->tpkg[id] == pi;
}

/* Is the atom met by the closure (tent=false) or by the tentative set (tent=true)? */
static bool met(const struct state *s, const struct dep_atom *a, bool tent)
{
    const struct pkg_universe *u = s->u;
    uint32_t id = pkgu_lookup(u, a->name, a->nlen);
    if (id == PKG_NONE)
        return false;
    if (!tent && s->chosen[id] >= 0 && pkg_meets(u, item_pkg(s, s->chosen[id]), a))
        return true;
    if (tent && s->tgen[id] == s->gen && pkg_meets(u, &u->pkgs[s->tpkg[id]], a))
        return true;
    for (uint32_t k = u->name_prov[id]; k != PKG_NONE; k = u->provs[k].next) {
        const struct pkg_provide *pv = &u->provs[k];
        if ((tent ? in_tentative(s, pv->pkg) : in_closure(s, pv->pkg)) && prov_meets(u, pv, a))
            return true;
    }
    return false;
}

/* Is name `id` already taken by another version, in the closure or the tentative set? */
static bool name_taken(const struct state *s, uint32_t id, uint32_t pi, bool tent)
{
    if (s->chosen[id] >= 0 && s->res->items[s->chosen[id]].pkg != pi)
        return true;
    return tent && s->tgen[id] == s->gen && s->tpkg[id] != pi;
}

/*
 * Candidates for one atom, in preference order: the highest fitting version of
 * the real package, then each providing package (highest version per name, in
 * index order). Returns how many were written to out[0..max).
 */
static size_t candidates(const struct state *s, const struct dep_atom *a, bool tent, uint32_t *out,
                         size_t max)
{
    const struct pkg_universe *u = s->u;
    size_t n = 0;
    uint32_t id = pkgu_lookup(u, a->name, a->nlen);
    if (id == PKG_NONE)
        return 0;
    uint32_t best = PKG_NONE;
    for (uint32_t k = u->name_pkg[id]; k != PKG_NONE; k = u->pkgs[k].next_same_name) {
        const struct pkg *p = &u->pkgs[k];
        if (!pkg_meets(u, p, a) || name_taken(s, id, k, tent))
            continue;
        if (best == PKG_NONE || deb_ver_cmp(p->version, u->pkgs[best].version) > 0)
            best = k;
    }
    if (best != PKG_NONE && n < max)
        out[n++] = best;
    size_t first_prov = n;
    for (uint32_t k = u->name_prov[id]; k != PKG_NONE; k = u->provs[k].next) {
        const struct pkg_provide *pv = &u->provs[k];
        const struct pkg *p = &u->pkgs[pv->pkg];
        if (!prov_meets(u, pv, a) || name_taken(s, p->name_id, pv->pkg, tent))
            continue;
        size_t j;
        for (j = first_prov; j < n; j++)
            if (u->pkgs[out[j]].name_id == p->name_id)
                break;
        if (j < n) {
            if (deb_ver_cmp(p->version, u->pkgs[out[j]].version) > 0)
                out[j] = pv->pkg;
        } else if (n < max && !(best != PKG_NONE && u->pkgs[best].name_id == p->name_id)) {
            out[n++] = pv->pkg;
        }
    }
    return n;
}

/* Does relation atom `a` (a Conflicts/Breaks entry) hit package pi, by name or by what it provides?
 */
static bool conflict_hits(const struct pkg_universe *u, uint32_t name_id, enum deb_rel rel,
                          const char *ver, size_t vlen, uint32_t pi)
{
    const struct pkg *p = &u->pkgs[pi];
    if (p->name_id == name_id && deb_ver_satisfies(p->version, strlen(p->version), rel, ver, vlen))
        return true;
    for (uint32_t k = p->prov_first; k < p->prov_first + p->prov_n; k++) {
        const struct pkg_provide *pv = &u->provs[k];
        if (pv->name_id != name_id)
            continue;
        if (rel == DEB_REL_ANY || (pv->ver && deb_ver_satisfies(pv->ver, pv->vlen, rel, ver, vlen)))
            return true;
    }
    return false;
}

/* The item of the closure that candidate pi conflicts with (either way), or -1. */
static int32_t conflicting_item(const struct state *s, uint32_t pi)
{
    const struct pkg_universe *u = s->u;
    const struct pkg *p = &u->pkgs[pi];
    for (size_t i = 0; i < s->nconf; i++) {
        const struct conflict *c = &s->conf[i];
        if (s->res->items[c->owner].pkg != pi &&
            conflict_hits(u, c->name_id, c->rel, c->ver, c->vlen, pi))
            return c->owner;
    }
    const char *fields[2] = {p->conflicts, p->breaks};
    for (int f = 0; f < 2; f++) {
        const char *q = fields[f];
        struct dep_atom a[MAX_ALTS];
        size_t n, tlen;
        const char *text;
        while (dep_next_clause(&q, a, MAX_ALTS, &n, &text, &tlen) > 0) {
            for (size_t k = 0; k < n; k++) {
                uint32_t id = pkgu_lookup(u, a[k].name, a[k].nlen);
                if (id == PKG_NONE || !conflict_arch_ok(u, &a[k]))
                    continue;
                for (size_t it = 0; it < s->res->n; it++) {
                    uint32_t other = s->res->items[it].pkg;
                    if (other != pi && conflict_hits(u, id, a[k].rel, a[k].ver, a[k].vlen, other))
                        return (int32_t)it;
                }
            }
        }
    }
    return -1;
}

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
                    ok = met(s, &a[k], false) || met(s, &a[k], true);
                for (size_t k = 0; k < na && !ok; k++) {
                    uint32_t c[1];
                    if (candidates(s, &a[k], true, c, 1) == 1 && conflicting_item(s, c[0]) < 0) {
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

static void add_conflicts(struct state *s, int32_t item)
{
    const struct pkg *p = item_pkg(s, item);
    const char *fields[2] = {p->conflicts, p->breaks};
    for (int f = 0; f < 2; f++) {
        const char *q = fields[f];
        struct dep_atom a[MAX_ALTS];
        size_t n, tlen;
        const char *text;
        while (dep_next_clause(&q, a, MAX_ALTS, &n, &text, &tlen) > 0) {
            for (size_t k = 0; k < n; k++) {
                /* Names nobody has or provides cannot conflict with anything. */
                uint32_t id = pkgu_lookup(s->u, a[k].name, a[k].nlen);
                if (id == PKG_NONE || !conflict_arch_ok(s->u, &a[k]))
                    continue;
                if (s->nconf == s->confcap) {
                    s->confcap = s->confcap ? s->confcap * 2 : 64;
                    s->conf = xrealloc(s->conf, s->confcap * sizeof(*s->conf));
                }
                s->conf[s->nconf++] = (struct conflict){id, a[k].rel, a[k].ver, a[k].vlen, item};
            }
        }
    }
}

char *solver_chain(const struct pkg_universe *u, const struct solver_result *res, size_t i)
{
    size_t depth = 0;
    for (int32_t k = (int32_t)i; k >= 0; k = res->items[k].parent)
        depth++;
    const char **names = xcalloc(depth, sizeof(*names));
    size_t d = depth;
    for (int32_t k = (int32_t)i; k >= 0; k = res->items[k].parent)
        names[--d] = u->pkgs[res->items[k].pkg].name;
    struct sbuf b = {0};
    for (size_t k = 0; k < depth; k++) {
        if (k)
            sbuf_puts(&b, " → ");
        sbuf_puts(&b, names[k]);
    }
    free(names);
    return sbuf_take(&b);
}

/* "bookworm/main, bookworm-updates/main amd64" */
static void where(const struct pkg_universe *u, struct sbuf *b)
{
    for (size_t i = 0; i < u->norigins; i++)
        sbuf_printf(b, "%s%s", i ? ", " : "", u->origins[i].label);
    if (!u->norigins)
        sbuf_puts(b, "(no repository)");
    sbuf_printf(b, " %s", u->arch);
}

/* Why none of the atoms could be met: appended to `b`. */
static void explain(const struct state *s, const struct dep_atom *a, size_t n, struct sbuf *b)
{
    const struct pkg_universe *u = s->u;
    for (size_t k = 0; k < n; k++) {
        uint32_t id = pkgu_lookup(u, a[k].name, a[k].nlen);
        if (k)
            sbuf_puts(b, "; ");
        if (n > 1)
            sbuf_printf(b, "%.*s: ", (int)a[k].nlen, a[k].name);
        if (id != PKG_NONE && s->chosen[id] >= 0 &&
            !pkg_meets(u, item_pkg(s, s->chosen[id]), &a[k])) {
            const struct pkg *have = item_pkg(s, s->chosen[id]);
            char *ch = solver_chain(u, s->res, (size_t)s->chosen[id]);
            sbuf_printf(b, "%s %s is already in the closure (%s)", have->name, have->version, ch);
            free(ch);
            continue;
        }
        uint32_t c[MAX_ALTS];
        size_t nc = candidates(s, &a[k], false, c, MAX_ALTS);
        if (nc) {
            for (size_t j = 0; j < nc; j++) {
                int32_t it = conflicting_item(s, c[j]);
                const struct pkg *p = &u->pkgs[c[j]];
                if (j)
                    sbuf_puts(b, "; ");
                if (it < 0) {
                    sbuf_printf(b, "%s %s cannot be installed", p->name, p->version);
                    continue;
                }
                char *ch = solver_chain(u, s->res, (size_t)it);
                sbuf_printf(b, "%s %s conflicts with %s %s (%s)", p->name, p->version,
                            item_pkg(s, it)->name, item_pkg(s, it)->version, ch);
                free(ch);
            }
            continue;
        }
        sbuf_puts(b, "no candidate in ");
        where(u, b);
        if (id != PKG_NONE && u->name_pkg[id] != PKG_NONE && a[k].rel != DEB_REL_ANY) {
            sbuf_puts(b, " (available:");
            for (uint32_t q = u->name_pkg[id]; q != PKG_NONE; q = u->pkgs[q].next_same_name)
                sbuf_printf(b, " %s", u->pkgs[q].version);
            sbuf_puts(b, ")");
        }
    }
}

static size_t words(size_t nbits)
{
    return (nbits + 63) / 64;
}

static void bit_set(uint64_t *b, size_t i)
{
    b[i / 64] |= UINT64_C(1) << (i % 64);
}

/* Adds package pi to the closure for clause `cl`, met at cursor `at`. */
static int32_t add_item(struct state *s, uint32_t pi, const struct clause *cl,
                        const struct cursor *at)
{
    struct solver_result *r = s->res;
    if (r->n == s->cap) {
        size_t old = s->cap;
        s->cap = s->cap ? s->cap * 2 : 64;
        r->items = xrealloc(r->items, s->cap * sizeof(*r->items));
        s->ch = xrealloc(s->ch, s->cap * sizeof(*s->ch));
        s->blame = xrealloc(s->blame, words(s->cap) * sizeof(*s->blame));
        memset(s->blame + words(old), 0, (words(s->cap) - words(old)) * sizeof(*s->blame));
    }
    int32_t idx = (int32_t)r->n++;
    r->items[idx] =
        (struct solver_item){pi, cl->parent, cl->request, cl->field, xstrndup(cl->text, cl->tlen)};
    s->ch[idx] = (struct choice){.at = *at, .nconf = s->nconf, .tried = 1};
    s->chosen[s->u->pkgs[pi].name_id] = idx;
    r->installed_kib += s->u->pkgs[pi].installed_size;
    r->deb_bytes += s->u->pkgs[pi].size;
    s->steps++;
    add_conflicts(s, idx);
    return idx;
}

/* Takes items [m, n) back out of the closure, the latest first. */
static void undo(struct state *s, size_t m)
{
    struct solver_result *r = s->res;
    if (m >= r->n)
        return;
    s->nconf = s->ch[m].nconf;
    while (r->n > m) {
        struct solver_item *it = &r->items[--r->n];
        const struct pkg *p = &s->u->pkgs[it->pkg];
        s->chosen[p->name_id] = -1;
        r->installed_kib -= p->installed_size;
        r->deb_bytes -= p->size;
        free(it->relation);
        free(s->ch[r->n].opts);
        free(s->ch[r->n].why);
    }
}

/*
 * The next clause of the walk at *c (advanced past it): 1 and `cl`, 0 when
 * every clause has been met, or -EINVAL for a field that does not parse.
 */
static int next_clause(struct state *s, struct cursor *c, struct clause *cl, struct jeos_err *err)
{
    if (c->req < s->nreq) {
        const struct solver_request *rq = &s->req[c->req];
        memset(&cl->a[0], 0, sizeof(cl->a[0]));
        cl->a[0].name = rq->name;
        cl->a[0].nlen = strlen(rq->name);
        if (rq->version) {
            cl->a[0].rel = DEB_REL_EQ;
            cl->a[0].ver = rq->version;
            cl->a[0].vlen = strlen(rq->version);
        }
        cl->n = 1;
        cl->text = s->req_text[c->req];
        cl->tlen = strlen(cl->text);
        cl->parent = -1;
        cl->request = (uint32_t)c->req;
        cl->field = "request";
        c->req++;
        return 1;
    }
    static const char *const names[2] = {"Pre-Depends", "Depends"};
    while (c->head < s->res->n) {
        const struct pkg *p = item_pkg(s, (int32_t)c->head);
        const char *deps = c->field == 0 ? p->pre_depends : p->depends;
        if (!c->q)
            c->q = deps;
        int r = dep_next_clause(&c->q, cl->a, MAX_ALTS, &cl->n, &cl->text, &cl->tlen);
        if (r > 0) {
            cl->parent = (int32_t)c->head;
            cl->request = 0;
            cl->field = names[c->field];
            return 1;
        }
        if (r < 0)
            return jeos_errf(err, -EINVAL, "%s %s: %s: cannot parse \"%s\"", p->name, p->version,
                             names[c->field], deps);
        c->q = NULL;
        if (++c->field == 2) {
            c->field = 0;
            c->head++;
        }
    }
    return 0;
}

static bool clause_met(const struct state *s, const struct clause *cl)
{
    for (size_t k = 0; k < cl->n; k++)
        if (met(s, &cl->a[k], false))
            return true;
    return false;
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
        size_t nc = candidates(s, &cl->a[k], false, c, MAX_ALTS);
        /* As apt does: a real package of the name, when it fits, is taken before
         * the packages that merely provide it (libsystemd0, not libelogind0). */
        uint32_t id = pkgu_lookup(s->u, cl->a[k].name, cl->a[k].nlen);
        bool real = nc && s->u->pkgs[c[0]].name_id == id;
        if (real && conflicting_item(s, c[0]) < 0)
            nc = 1;
        for (size_t j = 0; j < nc && nacc < MAX_ALTS; j++)
            if (conflicting_item(s, c[j]) < 0) {
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
            if (k != pi && pkg_meets(u, &u->pkgs[k], a)) {
                if (n == cap)
                    v = xrealloc(v, (cap = cap ? cap * 2 : 8) * sizeof(*v));
                v[n++] = k;
            }
    for (uint32_t k = u->name_prov[id]; k != PKG_NONE; k = u->provs[k].next) {
        const struct pkg_provide *pv = &u->provs[k];
        if (pv->pkg != pi && u->pkgs[pv->pkg].name_id == name && prov_meets(u, pv, a)) {
            if (n == cap)
                v = xrealloc(v, (cap = cap ? cap * 2 : 8) * sizeof(*v));
            v[n++] = pv->pkg;
        }
    }
    if (n > 1)
        qsort_r(v, n, sizeof(*v), cmp_version_desc, (void *)u);
    for (size_t j = 0; j < n; j++)
        if (!name_taken(s, name, v[j], false) && conflicting_item(s, v[j]) < 0)
            opts_add(o, v[j]);
    free(v);
}

/*
 * Every option of an unmet clause, in preference order, `first` (the one
 * taken greedily) first: the weighed candidates by added size, each followed
 * by the lower versions of its name; then the providers passed over because a
 * real package fitted, in the order written, each with its lower versions.
 */
static void build_options(struct state *s, const struct clause *cl, uint32_t first,
                          struct choice *ch)
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
        size_t nc = candidates(s, &cl->a[k], false, c, MAX_ALTS);
        for (size_t j = 0; j < nc; j++)
            if (conflicting_item(s, c[j]) < 0)
                opts_add_versions(s, &o, c[j], &cl->a[k]);
    }
    ch->opts = o.v;
    ch->nopts = o.n;
}

/* The greedy choice for an unmet clause, or PKG_NONE when nothing can be taken. */
static uint32_t greedy(struct state *s, const struct clause *cl)
{
    uint32_t acc[MAX_ALTS], atom[MAX_ALTS];
    size_t nacc = weighed(s, cl, acc, atom);
    if (nacc == 0)
        return PKG_NONE;
    by_cost(s, acc, atom, nacc);
    return acc[0];
}

/*
 * Marks in `b` the items that keep an unmet clause from being met: the item
 * it belongs to, and for every package that would meet it, the item holding
 * its name at another version or the first item it conflicts with.
 */
static void blame_clause(const struct state *s, const struct clause *cl, uint64_t *b)
{
    const struct pkg_universe *u = s->u;
    if (cl->parent >= 0)
        bit_set(b, (size_t)cl->parent);
    for (size_t k = 0; k < cl->n; k++) {
        const struct dep_atom *a = &cl->a[k];
        uint32_t id = pkgu_lookup(u, a->name, a->nlen);
        if (id == PKG_NONE)
            continue;
        for (int pass = 0; pass < 2; pass++) {
            uint32_t k2 = pass == 0 ? u->name_pkg[id] : u->name_prov[id];
            while (k2 != PKG_NONE) {
                uint32_t pi = PKG_NONE;
                if (pass == 0) {
                    if (pkg_meets(u, &u->pkgs[k2], a))
                        pi = k2;
                    k2 = u->pkgs[k2].next_same_name;
                } else {
                    if (prov_meets(u, &u->provs[k2], a))
                        pi = u->provs[k2].pkg;
                    k2 = u->provs[k2].next;
                }
                if (pi == PKG_NONE)
                    continue;
                int32_t holder = s->chosen[u->pkgs[pi].name_id];
                if (holder >= 0 && s->res->items[holder].pkg != pi) {
                    bit_set(b, (size_t)holder);
                    continue;
                }
                int32_t it = conflicting_item(s, pi);
                if (it >= 0)
                    bit_set(b, (size_t)it);
            }
        }
    }
}

/* Writes why the clause cannot be met, as a chain, into s->why (replacing the last one). */
static void describe(struct state *s, const struct clause *cl)
{
    struct sbuf *b = &s->why;
    b->len = 0;
    if (b->s)
        b->s[0] = '\0';
    if (cl->parent >= 0) {
        char *ch = solver_chain(s->u, s->res, (size_t)cl->parent);
        sbuf_printf(b, "%s → ", ch);
        free(ch);
    }
    sbuf_printf(b, "%.*s → ", (int)cl->tlen, cl->text);
    explain(s, cl->a, cl->n, b);
}

/* The latest item marked in s->blame, or -1. */
static int64_t latest_blamed(const struct state *s)
{
    for (size_t w = words(s->res->n); w-- > 0;)
        if (s->blame[w])
            return (int64_t)(w * 64 + 63 - (size_t)__builtin_clzll(s->blame[w]));
    return -1;
}

/*
 * Whether the failure just blamed could be the one the search ends on: not
 * when the latest item blamed has an option left and the budget allows it
 * (backjump then takes that option). Describing a failure is the dearest
 * part of a search step, so it is done only when it may be needed.
 */
static bool may_be_last(const struct state *s)
{
    int64_t d = latest_blamed(s);
    if (d < 0 || s->steps - s->first_fail >= s->budget)
        return true;
    const struct choice *ch = &s->ch[d];
    return !ch->opts || ch->tried >= ch->nopts;
}

/*
 * A clause could not be met; the items marked in s->blame are implicated.
 * Undoes to the latest implicated item and takes its clause's next option
 * (0, and *c just after that clause); when it has none left, its own
 * implicated items join the rest and the search goes on further back. When
 * nothing implicated is left, or the budget is spent, fails with the last
 * failure's chain.
 */
static int backjump(struct state *s, struct cursor *c, struct jeos_err *err)
{
    for (;;) {
        size_t n = s->res->n;
        int64_t d = latest_blamed(s);
        if (d < 0)
            return jeos_errf(err, -ENOENT, "%s", s->why.s ? s->why.s : "no solution");
        if (s->steps - s->first_fail >= s->budget)
            return jeos_errf(err, -ENOENT, "%s (no solution found within %llu search steps)",
                             s->why.s ? s->why.s : "no solution", (unsigned long long)s->budget);
        s->steps++;
        s->blame[d / 64] &= ~(UINT64_C(1) << (d % 64));
        /* Keep what the failure blamed on earlier items for when d runs out of options. */
        struct choice cur = s->ch[d];
        uint32_t was = s->res->items[d].pkg;
        if (!cur.why)
            cur.why = xcalloc(words((size_t)d) + 1, sizeof(*cur.why));
        for (size_t w = 0; w < words((size_t)d); w++)
            cur.why[w] |= s->blame[w];
        s->ch[d].opts = NULL;
        s->ch[d].why = NULL;
        undo(s, (size_t)d);
        memset(s->blame, 0, words(n) * sizeof(*s->blame));

        struct clause cl;
        *c = cur.at;
        if (next_clause(s, c, &cl, NULL) != 1) { /* it was met from here before: cannot happen */
            free(cur.opts);
            free(cur.why);
            return jeos_errf(err, -EIO, "solver: lost the clause of %s", s->u->pkgs[was].name);
        }
        if (!cur.opts)
            build_options(s, &cl, was, &cur);
        if (cur.tried < cur.nopts) {
            int32_t i = add_item(s, cur.opts[cur.tried], &cl, &cur.at);
            s->ch[i].opts = cur.opts;
            s->ch[i].nopts = cur.nopts;
            s->ch[i].tried = cur.tried + 1;
            s->ch[i].why = cur.why;
            return 0;
        }
        /* Every option failed: what they were blamed on, and what narrows the clause. */
        for (size_t w = 0; w < words((size_t)d); w++)
            s->blame[w] = cur.why[w];
        blame_clause(s, &cl, s->blame);
        free(cur.opts);
        free(cur.why);
    }
}

int solver_resolve(const struct pkg_universe *u, const struct solver_request *req, size_t nreq,
                   struct solver_result *res, struct jeos_err *err)
{
    struct state s = {0};
    int r = 0;
    memset(res, 0, sizeof(*res));
    s.u = u;
    s.res = res;
    s.req = req;
    s.nreq = nreq;
    s.budget = SOLVER_BUDGET;
    size_t nn = u->nnames ? u->nnames : 1;
    s.chosen = xmalloc(nn * sizeof(*s.chosen));
    memset(s.chosen, 0xff, nn * sizeof(*s.chosen));
    s.tgen = xcalloc(nn, sizeof(*s.tgen));
    s.tpkg = xcalloc(nn, sizeof(*s.tpkg));
    s.req_text = xcalloc(nreq + 1, sizeof(*s.req_text));
    for (size_t i = 0; i < nreq; i++)
        s.req_text[i] = req[i].version ? xasprintf("%s (= %s)", req[i].name, req[i].version)
                                       : xstrdup(req[i].name);

    struct cursor c = {0};
    for (;;) {
        struct cursor at = c;
        struct clause cl;
        r = next_clause(&s, &c, &cl, err);
        if (r <= 0)
            break;
        if (clause_met(&s, &cl))
            continue;
        uint32_t pi = greedy(&s, &cl);
        if (pi != PKG_NONE) {
            add_item(&s, pi, &cl, &at);
            continue;
        }
        if (!s.failed) {
            s.failed = true;
            s.first_fail = s.steps;
        }
        if (!s.blame)
            s.blame = xcalloc(1, sizeof(*s.blame));
        blame_clause(&s, &cl, s.blame);
        if (may_be_last(&s))
            describe(&s, &cl);
        if ((r = backjump(&s, &c, err)) < 0)
            break;
    }
    for (size_t i = 0; i < res->n; i++) {
        free(s.ch[i].opts);
        free(s.ch[i].why);
    }
    for (size_t i = 0; i < nreq; i++)
        free(s.req_text[i]);
    free(s.req_text);
    free(s.ch);
    free(s.blame);
    sbuf_free(&s.why);
    free(s.chosen);
    free(s.tgen);
    free(s.tpkg);
    free(s.tq);
    free(s.conf);
    if (r < 0)
        solver_result_free(res);
    return r;
}

void solver_result_free(struct solver_result *res)
{
    for (size_t i = 0; i < res->n; i++)
        free(res->items[i].relation);
    free(res->items);
    memset(res, 0, sizeof(*res));
}
