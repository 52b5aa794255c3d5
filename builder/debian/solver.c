/* solver.c — deterministic minimal closure: greedy choices (solver_prefer.c, under the rules of
 * solver_rules.c), undone by conflict-directed backjumping when a later relation cannot be met. */
#include "builder/debian/solver.h"
#include "builder/core/alloc.h"
#include "builder/debian/solver_int.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "builder/core/err.h"

/* Steps (packages added or weighed, undos) a search may take after its first failure. */
#define SOLVER_BUDGET 100000

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
    sv_add_conflicts(s, idx);
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
        const struct pkg *p = sv_item_pkg(s, (int32_t)c->head);
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
                    if (sv_pkg_meets(u, &u->pkgs[k2], a))
                        pi = k2;
                    k2 = u->pkgs[k2].next_same_name;
                } else {
                    if (sv_prov_meets(u, &u->provs[k2], a))
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
                int32_t it = sv_conflicting_item(s, pi);
                if (it >= 0)
                    bit_set(b, (size_t)it);
            }
        }
    }
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
            sv_build_options(s, &cl, was, &cur);
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
        if (sv_clause_met(&s, &cl))
            continue;
        uint32_t pi = sv_greedy(&s, &cl);
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
            sv_describe(&s, &cl);
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
