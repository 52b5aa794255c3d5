/* recipe_value.c — typed values from YAML nodes (strings, sizes, lists, mappings) and their
 * validators. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/core/util.h"
#include "builder/recipe/recipe_parse.h"

/* ---- value helpers ---- */

bool rl_is_null(const struct node *v)
{
    return v->type == N_SCALAR && v->plain &&
           (v->str[0] == '\0' || strcmp(v->str, "~") == 0 || strcmp(v->str, "null") == 0 ||
            strcmp(v->str, "Null") == 0 || strcmp(v->str, "NULL") == 0);
}

const char *rl_what_is(const struct node *v)
{
    if (rl_is_null(v))
        return "nothing";
    switch (v->type) {
    case N_SEQ: return "a list";
    case N_MAP: return "a mapping";
    default: return "a value";
    }
}

/* A scalar string; errors say what came instead. */
bool rl_get_str(struct loader *L, const struct node *v, const char **out)
{
    if (v->type != N_SCALAR || rl_is_null(v)) {
        rl_lerr(L, v, "expected a string, got %s", rl_what_is(v));
        return false;
    }
    *out = v->str;
    return true;
}

void rl_set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = xstrdup(s);
}

bool rl_get_bool(struct loader *L, const struct node *v, bool *out)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return false;
    if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0) {
        *out = false;
        return true;
    }
    rl_lerr(L, v, "expected true or false (got \"%s\")", s);
    return false;
}

bool rl_get_int(struct loader *L, const struct node *v, int64_t min, int64_t max, int64_t *out)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return false;
    int64_t x;
    if (!jeos_parse_i64(s, INT64_MIN, INT64_MAX, &x)) {
        rl_lerr(L, v, "not a whole number (got \"%s\")", s);
        return false;
    }
    if (x < min || x > max) {
        rl_lerr(L, v, "%lld is out of range (expected %lld to %lld)", (long long)x, (long long)min,
                (long long)max);
        return false;
    }
    *out = x;
    return true;
}

bool recipe_parse_size(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    uint64_t v = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    uint64_t mul = 1;
    if (*p) {
        switch (*p) {
        case 'K':
        case 'k': mul = KIB; break;
        case 'M': mul = MIB; break;
        case 'G': mul = GIB; break;
        case 'T': mul = TIB; break;
        default: return false;
        }
        p++;
        if (strcmp(p, "iB") == 0 || strcmp(p, "B") == 0)
            p += strlen(p);
        if (*p)
            return false;
    }
    if (v > UINT64_MAX / mul)
        return false;
    *out = v * mul;
    return true;
}

/* Writes a size the way a person would: "16M", "1536K", "3000". */
void rl_fmt_size(char *buf, size_t n, uint64_t v)
{
    static const struct {
        uint64_t mul;
        char unit;
    } u[] = {{TIB, 'T'}, {GIB, 'G'}, {MIB, 'M'}, {KIB, 'K'}};
    for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
        if (v && v % u[i].mul == 0) {
            snprintf(buf, n, "%llu%c", (unsigned long long)(v / u[i].mul), u[i].unit);
            return;
        }
    }
    snprintf(buf, n, "%llu", (unsigned long long)v);
}

bool rl_get_size(struct loader *L, const struct node *v, uint64_t min, uint64_t max, uint64_t *out)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return false;
    uint64_t x;
    if (!recipe_parse_size(s, &x)) {
        rl_lerr(L, v,
                "not a size (expected a whole number with an optional unit K, M, G or T, e.g. "
                "512M; got \"%s\")",
                s);
        return false;
    }
    char a[32], b[32];
    if (x < min) {
        rl_fmt_size(a, sizeof(a), min);
        rl_lerr(L, v, "%s is too small (at least %s)", s, a);
        return false;
    }
    if (x > max) {
        rl_fmt_size(b, sizeof(b), max);
        rl_lerr(L, v, "%s is too large (at most %s)", s, b);
        return false;
    }
    *out = x;
    return true;
}

/* One of `names` (n of them); the error lists them. */
bool rl_get_enum(struct loader *L, const struct node *v, const char *what, const char *const *names,
                 size_t n, int *out)
{
    const char *s;
    if (!rl_get_str(L, v, &s))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (names[i] && strcmp(s, names[i]) == 0) {
            *out = (int)i;
            return true;
        }
    }
    struct sbuf list = {0};
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            continue;
        sbuf_printf(&list, "%s%s", list.len ? ", " : "", names[i]);
    }
    rl_lerr(L, v, "unknown %s \"%s\" (expected one of: %s)", what, s, list.s);
    sbuf_free(&list);
    return false;
}

/* ---- validators for strings ---- */

bool rl_all_chars(const char *s, const char *allowed_extra, bool lower_only)
{
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  (!lower_only && c >= 'A' && c <= 'Z') || (c && strchr(allowed_extra, c));
        if (!ok)
            return false;
    }
    return true;
}

bool rl_valid_name(const char *s)
{
    return s[0] && strlen(s) <= 64 &&
           ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')) &&
           rl_all_chars(s, "._-", true);
}

bool rl_valid_hostname(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > 253)
        return false;
    const char *label = s;
    for (const char *p = s;; p++) {
        if (*p == '.' || *p == '\0') {
            size_t l = (size_t)(p - label);
            if (l == 0 || l > 63 || label[0] == '-' || p[-1] == '-')
                return false;
            if (*p == '\0')
                return true;
            label = p + 1;
        } else if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || *p == '-')) {
            return false;
        }
    }
}

/* Debian package name, optionally "=version". */
const char *rl_package_problem(const char *s)
{
    const char *eq = strchr(s, '=');
    size_t nlen = eq ? (size_t)(eq - s) : strlen(s);
    if (nlen < 2)
        return "a package name has at least two characters";
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
        return "a package name starts with a lowercase letter or digit";
    for (size_t i = 0; i < nlen; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
            return "a package name has only lowercase letters, digits, '+', '-' and '.'";
    }
    if (eq) {
        const char *v = eq + 1;
        if (!*v)
            return "a version follows \"=\"";
        if (!(v[0] >= '0' && v[0] <= '9'))
            return "a version starts with a digit";
        if (!rl_all_chars(v, ".+~:-", false))
            return "a version has only letters, digits and . + ~ : -";
    }
    return NULL;
}

/* An absolute, normalised path: "/", no "." or ".." parts, no "//". */
bool rl_valid_abs_path(const char *s)
{
    if (s[0] != '/')
        return false;
    for (const char *p = s; *p;) {
        while (*p == '/')
            p++;
        const char *e = strchr(p, '/');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if ((l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        if (e && e[1] == '/')
            return false;
        p += l;
    }
    return true;
}

/* A path relative to the recipe's folder that stays inside it. */
bool rl_valid_rel_path(const char *s)
{
    if (!s[0] || s[0] == '/')
        return false;
    for (const char *p = s; *p;) {
        const char *e = strchr(p, '/');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == 2 && p[0] == '.' && p[1] == '.')
            return false;
        p += l;
        while (*p == '/')
            p++;
    }
    return true;
}

bool rl_valid_account(const char *s)
{
    if (!s[0] || strlen(s) > 32 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return false;
    return rl_all_chars(s, "_-", true);
}

bool rl_valid_owner(const char *s)
{
    int64_t v;
    return rl_valid_account(s) || jeos_parse_i64(s, 0, 65535, &v);
}

bool rl_valid_env_name(const char *s)
{
    if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return false;
    return rl_all_chars(s, "_", false);
}

bool rl_valid_ipv4(const char *s)
{
    struct in_addr a;
    return inet_pton(AF_INET, s, &a) == 1;
}

bool rl_valid_url(const char *s)
{
    return (strncmp(s, "http://", 7) == 0 && s[7]) || (strncmp(s, "https://", 8) == 0 && s[8]) ||
           (strncmp(s, "file:/", 6) == 0);
}

bool rl_valid_suite(const char *s)
{
    return s[0] && rl_all_chars(s, "._/-", false);
}

/* ---- lists ---- */

/* A set of strings for duplicate checks: open addressing, sized once for n entries. */

void rl_strset_init(struct strset *h, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    h->slot = xcalloc(cap, sizeof(*h->slot));
    h->mask = cap - 1;
}

/* Adds `s` (not copied); returns false if it was there already. */
bool rl_strset_add(struct strset *h, const char *s)
{
    size_t x = 1469598103934665603ULL;
    for (const char *p = s; *p; p++)
        x = (x ^ (unsigned char)*p) * 1099511628211ULL;
    for (size_t i = x & h->mask;; i = (i + 1) & h->mask) {
        if (!h->slot[i]) {
            h->slot[i] = s;
            return true;
        }
        if (strcmp(h->slot[i], s) == 0)
            return false;
    }
}

void rl_strset_free(struct strset *h)
{
    free(h->slot);
    h->slot = NULL;
}

void rl_strlist_push(struct recipe_strlist *l, const char *s, const struct node *v)
{
    if ((l->n & (l->n - 1)) == 0) { /* grow at powers of two */
        size_t cap = l->n ? 2 * l->n : 1;
        l->v = xrealloc(l->v, cap * sizeof(*l->v));
        l->pos = xrealloc(l->pos, cap * sizeof(*l->pos));
    }
    l->v[l->n] = xstrdup(s);
    l->pos[l->n] = (struct recipe_pos){v ? v->line : 0, v ? v->col : 0};
    l->n++;
}

void rl_strlist_free(struct recipe_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    free(l->pos);
    memset(l, 0, sizeof(*l));
}

/* A list of strings, each passed to `check` (may be NULL). A scalar is not a list. */
void rl_get_strlist(struct loader *L, const struct node *v, struct recipe_strlist *out,
                    bool nonempty, bool unique, str_check check)
{
    rl_strlist_free(out);
    if (v->type != N_SEQ) {
        if (v->type == N_SCALAR && !rl_is_null(v))
            rl_lerr(L, v, "expected a list, got a single value (write [%s])", v->str);
        else
            rl_lerr(L, v, "expected a list, got %s", rl_what_is(v));
        return;
    }
    if (nonempty && v->n == 0) {
        rl_lerr(L, v, "the list is empty (at least one entry is needed)");
        return;
    }
    struct strset seen;
    rl_strset_init(&seen, unique ? v->n : 0);
    for (size_t i = 0; i < v->n; i++) {
        const struct node *it = v->kids[i];
        size_t old = rl_path_push_index(L, i);
        const char *s;
        if (rl_get_str(L, it, &s) && (!check || check(L, it, s))) {
            if (unique && !rl_strset_add(&seen, s))
                rl_lerr(L, it, "\"%s\" is listed twice", s);
            else
                rl_strlist_push(out, s, it);
        }
        rl_path_pop(L, old);
    }
    rl_strset_free(&seen);
}

/* ---- mappings ---- */

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return 99;
    size_t row[41];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = diag + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static const char *kind_only(unsigned kinds)
{
    return kinds == K_APPLIANCE ? "appliance" : "unikernel";
}

static int cmp_key_nodes(const void *a, const void *b)
{
    const struct node *x = *(const struct node *const *)a, *y = *(const struct node *const *)b;
    int c = strcmp(x->str, y->str);
    if (c)
        return c;
    return x->line != y->line ? x->line - y->line : x->col - y->col;
}

/*
 * Walks mapping `m` against `fields` (nf of them): unknown keys (with a "did
 * you mean"), duplicate keys, keys of the other recipe kind and missing
 * required keys are errors; each known key's value goes to its field_fn.
 */
void rl_walk_map(struct loader *L, const struct node *m, const struct field *fields, size_t nf,
                 void *obj)
{
    if (m->type != N_MAP) {
        rl_lerr(L, m, "expected a mapping (key: value lines), got %s", rl_what_is(m));
        return;
    }
    size_t npairs = m->n / 2;
    bool *seen = xcalloc(nf ? nf : 1, sizeof(bool));

    /* Duplicate keys, found by sorting the key nodes. */
    if (npairs > 1) {
        struct node **keys = xmalloc(npairs * sizeof(*keys));
        size_t nk = 0;
        for (size_t i = 0; i < npairs; i++)
            if (m->kids[2 * i]->type == N_SCALAR)
                keys[nk++] = m->kids[2 * i];
        qsort(keys, nk, sizeof(*keys), cmp_key_nodes);
        for (size_t i = 1; i < nk; i++) {
            if (strcmp(keys[i]->str, keys[i - 1]->str) == 0) {
                size_t old = rl_path_push_key(L, keys[i]->str);
                rl_lerr(L, keys[i], "duplicate key (first given at line %d)", keys[i - 1]->line);
                rl_path_pop(L, old);
                keys[i]->dup = true;
            }
        }
        free(keys);
    }

    for (size_t i = 0; i < npairs; i++) {
        struct node *k = m->kids[2 * i];
        const struct node *v = m->kids[2 * i + 1];
        if (k->dup)
            continue;
        if (k->type != N_SCALAR) {
            rl_lerr(L, k, "a key must be a plain word, got %s", rl_what_is(k));
            continue;
        }
        const struct field *f = NULL;
        for (size_t j = 0; j < nf && !f; j++)
            if (strcmp(fields[j].key, k->str) == 0) {
                f = &fields[j];
                seen[j] = true;
            }
        size_t old = rl_path_push_key(L, k->str);
        if (!f) {
            const char *best = NULL;
            size_t bestd = 3;
            for (size_t j = 0; j < nf; j++) {
                size_t d = edit_distance(k->str, fields[j].key);
                if (d < bestd && d * 2 < strlen(fields[j].key) + 1) {
                    bestd = d;
                    best = fields[j].key;
                }
            }
            if (best)
                rl_lerr(L, k, "unknown key (did you mean \"%s\"?)", best);
            else
                rl_lerr(L, k, "unknown key");
        } else if (L->kind != KIND_UNKNOWN && !(f->kinds & (1u << L->kind))) {
            rl_lerr(L, k, "only for kind %s recipes (this one is kind %s)", kind_only(f->kinds),
                    L->kind == RECIPE_APPLIANCE ? "appliance" : "unikernel");
        } else {
            f->fn(L, v, obj);
        }
        rl_path_pop(L, old);
    }
    for (size_t j = 0; j < nf; j++) {
        if (!fields[j].required || seen[j])
            continue;
        if (fields[j].kinds != K_ANY &&
            (L->kind == KIND_UNKNOWN || !(fields[j].kinds & (1u << L->kind))))
            continue;
        size_t old = rl_path_push_key(L, fields[j].key);
        if (fields[j].kinds == K_ANY)
            rl_lerr(L, m, "missing (required)");
        else
            rl_lerr(L, m, "missing (required for kind %s recipes)", kind_only(fields[j].kinds));
        rl_path_pop(L, old);
    }
    free(seen);
}

/* A mapping of NAME: value pairs. */
void rl_get_env(struct loader *L, const struct node *v, struct recipe_env *env)
{
    if (v->type != N_MAP) {
        rl_lerr(L, v, "expected a mapping of NAME: value, got %s", rl_what_is(v));
        return;
    }
    struct strset seen;
    rl_strset_init(&seen, v->n / 2);
    for (size_t j = 0; j < env->n; j++)
        rl_strset_add(&seen, env->keys[j]);
    for (size_t i = 0; i + 1 < v->n; i += 2) {
        const struct node *k = v->kids[i], *val = v->kids[i + 1];
        if (k->type != N_SCALAR) {
            rl_lerr(L, k, "a variable name must be a plain word, got %s", rl_what_is(k));
            continue;
        }
        size_t old = rl_path_push_key(L, k->str);
        const char *s = NULL;
        if (!rl_strset_add(&seen, k->str))
            rl_lerr(L, k, "duplicate key");
        else if (!rl_valid_env_name(k->str))
            rl_lerr(L, k,
                    "not a valid variable name (expected letters, digits and '_', not "
                    "starting with a digit)");
        else if (val->type == N_SCALAR && !rl_is_null(val))
            s = val->str;
        else if (val->type == N_SCALAR && !val->plain)
            s = "";
        else
            rl_lerr(L, val, "expected a string, got %s (write \"\" for an empty value)",
                    rl_what_is(val));
        if (s) {
            if ((env->n & (env->n - 1)) == 0) {
                size_t cap = env->n ? 2 * env->n : 1;
                env->keys = xrealloc(env->keys, cap * sizeof(char *));
                env->values = xrealloc(env->values, cap * sizeof(char *));
            }
            env->keys[env->n] = xstrdup(k->str);
            env->values[env->n] = xstrdup(s);
            env->n++;
        }
        rl_path_pop(L, old);
    }
    rl_strset_free(&seen);
}

void rl_env_free(struct recipe_env *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->keys[i]);
        free(e->values[i]);
    }
    free(e->keys);
    free(e->values);
    memset(e, 0, sizeof(*e));
}
