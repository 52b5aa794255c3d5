/* solver_rules.c — the rules of a closure: candidates, relations met (Provides, Multi-Arch),
 * Conflicts/Breaks, and the chains that say why a relation cannot be met. */
#include <stdlib.h>
#include <string.h>

#include "builder/core/alloc.h"
#include "builder/debian/solver_int.h"

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
bool sv_pkg_meets(const struct pkg_universe *u, const struct pkg *p, const struct dep_atom *a)
{
    return atom_arch_ok(u, p, a) &&
           deb_ver_satisfies(p->version, strlen(p->version), a->rel, a->ver, a->vlen);
}

/* Does a Provides entry meet the atom? */
bool sv_prov_meets(const struct pkg_universe *u, const struct pkg_provide *pv,
                   const struct dep_atom *a)
{
    if (!atom_arch_ok(u, &u->pkgs[pv->pkg], a))
        return false;
    if (a->rel == DEB_REL_ANY)
        return true;
    return pv->ver && deb_ver_satisfies(pv->ver, pv->vlen, a->rel, a->ver, a->vlen);
}

const struct pkg *sv_item_pkg(const struct state *s, int32_t item)
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
bool sv_met(const struct state *s, const struct dep_atom *a, bool tent)
{
    const struct pkg_universe *u = s->u;
    uint32_t id = pkgu_lookup(u, a->name, a->nlen);
    if (id == PKG_NONE)
        return false;
    if (!tent && s->chosen[id] >= 0 && sv_pkg_meets(u, sv_item_pkg(s, s->chosen[id]), a))
        return true;
    if (tent && s->tgen[id] == s->gen && sv_pkg_meets(u, &u->pkgs[s->tpkg[id]], a))
        return true;
    for (uint32_t k = u->name_prov[id]; k != PKG_NONE; k = u->provs[k].next) {
        const struct pkg_provide *pv = &u->provs[k];
        if ((tent ? in_tentative(s, pv->pkg) : in_closure(s, pv->pkg)) && sv_prov_meets(u, pv, a))
            return true;
    }
    return false;
}

/* Is name `id` already taken by another version, in the closure or the tentative set? */
bool sv_name_taken(const struct state *s, uint32_t id, uint32_t pi, bool tent)
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
size_t sv_candidates(const struct state *s, const struct dep_atom *a, bool tent, uint32_t *out,
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
        if (!sv_pkg_meets(u, p, a) || sv_name_taken(s, id, k, tent))
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
        if (!sv_prov_meets(u, pv, a) || sv_name_taken(s, p->name_id, pv->pkg, tent))
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

/*
 * Calls fn(arg, name_id, atom) for each atom of p's Conflicts and Breaks that names a package
 * of this universe (by name or Provides) on its architecture; stops at the first non-zero
 * return and gives it back. Names nobody has or provides cannot conflict with anything.
 */
typedef int (*conflict_fn)(void *arg, uint32_t name_id, const struct dep_atom *a);
static int each_conflict(const struct pkg_universe *u, const struct pkg *p, conflict_fn fn,
                         void *arg)
{
    const char *fields[2] = {p->conflicts, p->breaks};
    for (int f = 0; f < 2; f++) {
        const char *q = fields[f];
        struct dep_atom a[MAX_ALTS];
        size_t n, tlen;
        const char *text;
        while (dep_next_clause(&q, a, MAX_ALTS, &n, &text, &tlen) > 0)
            for (size_t k = 0; k < n; k++) {
                uint32_t id = pkgu_lookup(u, a[k].name, a[k].nlen);
                if (id == PKG_NONE || !conflict_arch_ok(u, &a[k]))
                    continue;
                int r = fn(arg, id, &a[k]);
                if (r)
                    return r;
            }
    }
    return 0;
}

struct hit_search {
    const struct state *s;
    uint32_t pi;
};

/* The closure's item (+1) that atom `a` of candidate pi's own Conflicts/Breaks hits, or 0. */
static int hits_closure(void *arg, uint32_t id, const struct dep_atom *a)
{
    const struct hit_search *h = arg;
    for (size_t it = 0; it < h->s->res->n; it++) {
        uint32_t other = h->s->res->items[it].pkg;
        if (other != h->pi && conflict_hits(h->s->u, id, a->rel, a->ver, a->vlen, other))
            return (int)it + 1;
    }
    return 0;
}

/* The item of the closure that candidate pi conflicts with (either way), or -1. */
int32_t sv_conflicting_item(const struct state *s, uint32_t pi)
{
    const struct pkg_universe *u = s->u;
    for (size_t i = 0; i < s->nconf; i++) {
        const struct conflict *c = &s->conf[i];
        if (s->res->items[c->owner].pkg != pi &&
            conflict_hits(u, c->name_id, c->rel, c->ver, c->vlen, pi))
            return c->owner;
    }
    struct hit_search h = {s, pi};
    return (int32_t)each_conflict(u, &u->pkgs[pi], hits_closure, &h) - 1;
}

struct conflict_add {
    struct state *s;
    int32_t item;
};

static int add_one(void *arg, uint32_t id, const struct dep_atom *a)
{
    struct conflict_add *c = arg;
    struct state *s = c->s;
    if (s->nconf == s->confcap) {
        s->confcap = s->confcap ? s->confcap * 2 : 64;
        s->conf = xrealloc(s->conf, s->confcap * sizeof(*s->conf));
    }
    s->conf[s->nconf++] = (struct conflict){id, a->rel, a->ver, a->vlen, c->item};
    return 0;
}

void sv_add_conflicts(struct state *s, int32_t item)
{
    struct conflict_add c = {s, item};
    each_conflict(s->u, sv_item_pkg(s, item), add_one, &c);
}

bool sv_clause_met(const struct state *s, const struct clause *cl)
{
    for (size_t k = 0; k < cl->n; k++)
        if (sv_met(s, &cl->a[k], false))
            return true;
    return false;
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
            !sv_pkg_meets(u, sv_item_pkg(s, s->chosen[id]), &a[k])) {
            const struct pkg *have = sv_item_pkg(s, s->chosen[id]);
            char *ch = solver_chain(u, s->res, (size_t)s->chosen[id]);
            sbuf_printf(b, "%s %s is already in the closure (%s)", have->name, have->version, ch);
            free(ch);
            continue;
        }
        uint32_t c[MAX_ALTS];
        size_t nc = sv_candidates(s, &a[k], false, c, MAX_ALTS);
        if (nc) {
            for (size_t j = 0; j < nc; j++) {
                int32_t it = sv_conflicting_item(s, c[j]);
                const struct pkg *p = &u->pkgs[c[j]];
                if (j)
                    sbuf_puts(b, "; ");
                if (it < 0) {
                    sbuf_printf(b, "%s %s cannot be installed", p->name, p->version);
                    continue;
                }
                char *ch = solver_chain(u, s->res, (size_t)it);
                sbuf_printf(b, "%s %s conflicts with %s %s (%s)", p->name, p->version,
                            sv_item_pkg(s, it)->name, sv_item_pkg(s, it)->version, ch);
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

/* Writes why the clause cannot be met, as a chain, into s->why (replacing the last one). */
void sv_describe(struct state *s, const struct clause *cl)
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
