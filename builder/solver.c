/* solver.c — greedy, deterministic minimal closure (see solver.h for the rules). */
#include "builder/solver.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "builder/err.h"
#include "builder/util.h"

#define MAX_ALTS 64
#define COST_INF UINT64_MAX

/* A Conflicts/Breaks relation of a package in the closure. */
struct conflict {
    uint32_t name_id;
    enum deb_rel rel;
    const char *ver;
    size_t vlen;
    int32_t owner; /* item index */
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
                if (id == PKG_NONE)
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
                if (id == PKG_NONE)
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

static int32_t add_item(struct state *s, uint32_t pi, int32_t parent, uint32_t request,
                        const char *field, const char *rel, size_t rlen)
{
    struct solver_result *r = s->res;
    if (r->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        r->items = xrealloc(r->items, s->cap * sizeof(*r->items));
    }
    int32_t idx = (int32_t)r->n++;
    r->items[idx] = (struct solver_item){pi, parent, request, field, xstrndup(rel, rlen)};
    s->chosen[s->u->pkgs[pi].name_id] = idx;
    r->installed_kib += s->u->pkgs[pi].installed_size;
    r->deb_bytes += s->u->pkgs[pi].size;
    add_conflicts(s, idx);
    return idx;
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
    for (size_t k = 0; k < depth; k++)
        sbuf_printf(&b, "%s%s", k ? " → " : "", names[k]);
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

/*
 * Meets one clause: nothing to do when an alternative is already met; else
 * the cheapest acceptable candidate is added. Returns 0, or -ENOENT with the
 * chain in err.
 */
static int meet_clause(struct state *s, const struct dep_atom *a, size_t n, int32_t parent,
                       uint32_t request, const char *field, const char *text, size_t tlen,
                       struct jeos_err *err)
{
    for (size_t k = 0; k < n; k++)
        if (met(s, &a[k], false))
            return 0;
    uint32_t best = PKG_NONE;
    uint64_t best_cost = COST_INF;
    uint32_t fallback = PKG_NONE; /* first acceptable one, if every cost is infinite */
    uint32_t c[MAX_ALTS];
    uint32_t acc[MAX_ALTS];
    size_t nacc = 0;
    for (size_t k = 0; k < n; k++) {
        size_t nc = candidates(s, &a[k], false, c, MAX_ALTS);
        /* As apt does: a real package of the name, when it fits, is taken before
         * the packages that merely provide it (libsystemd0, not libelogind0). */
        uint32_t id = pkgu_lookup(s->u, a[k].name, a[k].nlen);
        bool real = nc && s->u->pkgs[c[0]].name_id == id;
        if (real && conflicting_item(s, c[0]) < 0)
            nc = 1;
        for (size_t j = 0; j < nc && nacc < MAX_ALTS; j++)
            if (conflicting_item(s, c[j]) < 0)
                acc[nacc++] = c[j];
    }
    if (nacc == 1) {
        best = acc[0];
    } else {
        for (size_t j = 0; j < nacc; j++) {
            if (fallback == PKG_NONE)
                fallback = acc[j];
            uint64_t cost = added_cost(s, acc[j]);
            if (cost < best_cost) {
                best_cost = cost;
                best = acc[j];
            }
        }
        if (best == PKG_NONE)
            best = fallback;
    }
    if (best == PKG_NONE) {
        struct sbuf b = {0};
        if (parent >= 0) {
            char *ch = solver_chain(s->u, s->res, (size_t)parent);
            sbuf_printf(&b, "%s → ", ch);
            free(ch);
        }
        sbuf_printf(&b, "%.*s → ", (int)tlen, text);
        explain(s, a, n, &b);
        int r = jeos_errf(err, -ENOENT, "%s", b.s);
        sbuf_free(&b);
        return r;
    }
    add_item(s, best, parent, request, field, text, tlen);
    return 0;
}

static int follow(struct state *s, int32_t item, const char *field, const char *deps,
                  struct jeos_err *err)
{
    const char *q = deps;
    struct dep_atom a[MAX_ALTS];
    size_t n, tlen;
    const char *text;
    int r;
    while ((r = dep_next_clause(&q, a, MAX_ALTS, &n, &text, &tlen)) > 0) {
        r = meet_clause(s, a, n, item, 0, field, text, tlen, err);
        if (r < 0)
            return r;
    }
    if (r < 0) {
        const struct pkg *p = item_pkg(s, item);
        return jeos_errf(err, -EINVAL, "%s %s: %s: cannot parse \"%s\"", p->name, p->version, field,
                         deps);
    }
    return 0;
}

int solver_resolve(const struct pkg_universe *u, const struct solver_request *req, size_t nreq,
                   struct solver_result *res, struct jeos_err *err)
{
    struct state s = {0};
    int r = 0;
    memset(res, 0, sizeof(*res));
    s.u = u;
    s.res = res;
    size_t nn = u->nnames ? u->nnames : 1;
    s.chosen = xmalloc(nn * sizeof(*s.chosen));
    memset(s.chosen, 0xff, nn * sizeof(*s.chosen));
    s.tgen = xcalloc(nn, sizeof(*s.tgen));
    s.tpkg = xcalloc(nn, sizeof(*s.tpkg));

    for (size_t i = 0; i < nreq; i++) {
        struct dep_atom a = {0};
        a.name = req[i].name;
        a.nlen = strlen(req[i].name);
        if (req[i].version) {
            a.rel = DEB_REL_EQ;
            a.ver = req[i].version;
            a.vlen = strlen(req[i].version);
        }
        char *text = req[i].version ? xasprintf("%s (= %s)", req[i].name, req[i].version)
                                    : xstrdup(req[i].name);
        r = meet_clause(&s, &a, 1, -1, (uint32_t)i, "request", text, strlen(text), err);
        free(text);
        if (r < 0)
            goto out;
    }
    for (size_t head = 0; head < res->n; head++) {
        const struct pkg *p = item_pkg(&s, (int32_t)head);
        if ((r = follow(&s, (int32_t)head, "Pre-Depends", p->pre_depends, err)) < 0 ||
            (r = follow(&s, (int32_t)head, "Depends", p->depends, err)) < 0)
            goto out;
    }
out:
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
