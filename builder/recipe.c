/* recipe.c — the recipe loader: libyaml events → a small node tree → a schema walk into struct
 * recipe. */
#include "builder/recipe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "builder/err.h"
#include "builder/util.h"

#define MAX_DEPTH 64
#define KIB       1024ULL
#define MIB       (1024ULL * KIB)
#define GIB       (1024ULL * MIB)
#define TIB       (1024ULL * GIB)

/* ---- the node tree (arena-allocated; freed at once) ---- */

enum node_type { N_SCALAR, N_SEQ, N_MAP };

struct node {
    enum node_type type;
    int line, col;      /* 1-based */
    bool plain;         /* scalar written without quotes or block style */
    bool dup;           /* a map key given before in the same map (already reported) */
    char *str;          /* scalar text, NUL-terminated */
    struct node **kids; /* sequence items; for maps key, value, key, value ... */
    size_t n, cap;
};

struct arena {
    void **blocks;
    size_t n;
};

static void *arena_add(struct arena *a, void *p)
{
    a->blocks = xrealloc(a->blocks, (a->n + 1) * sizeof(*a->blocks));
    a->blocks[a->n++] = p;
    return p;
}

static void arena_free(struct arena *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->blocks[i]);
    free(a->blocks);
    a->blocks = NULL;
    a->n = 0;
}

/* ---- the loader state ---- */

#define KIND_UNKNOWN (-1)

struct loader {
    const char *file;
    const struct recipe_load_opts *opts;
    struct jeos_err *err;
    struct recipe *r;
    int kind;         /* enum recipe_kind, or KIND_UNKNOWN */
    struct sbuf path; /* the field path being walked, e.g. "image.formats[2]" */
    struct arena arena;
    struct node **kid_arrays; /* node child arrays, freed with the loader */
    size_t nkid_arrays;
};

static void lerr(struct loader *L, const struct node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void lerr(struct loader *L, const struct node *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    jeos_errf(L->err, -EINVAL, "%s:%d:%d: %s%s%s", L->file, at ? at->line : 1, at ? at->col : 1,
              L->path.len ? L->path.s : "", L->path.len ? ": " : "", msg);
    free(msg);
}

static size_t path_push_key(struct loader *L, const char *key)
{
    size_t old = L->path.len;
    if (old)
        sbuf_puts(&L->path, ".");
    sbuf_puts(&L->path, key);
    return old;
}

static size_t path_push_index(struct loader *L, size_t i)
{
    size_t old = L->path.len;
    sbuf_printf(&L->path, "[%zu]", i);
    return old;
}

static void path_pop(struct loader *L, size_t old)
{
    L->path.len = old;
    if (L->path.s)
        L->path.s[old] = '\0';
}

/* ---- YAML → nodes ---- */

static struct node *new_node(struct loader *L, enum node_type t, const yaml_mark_t *m)
{
    struct node *n = arena_add(&L->arena, xcalloc(1, sizeof(*n)));
    n->type = t;
    n->line = (int)m->line + 1;
    n->col = (int)m->column + 1;
    return n;
}

static void node_add(struct loader *L, struct node *parent, struct node *kid)
{
    if (parent->n == parent->cap) {
        bool fresh = parent->kids == NULL;
        parent->cap = parent->cap ? parent->cap * 2 : 8;
        parent->kids = xrealloc(parent->kids, parent->cap * sizeof(*parent->kids));
        if (fresh) {
            L->kid_arrays = xrealloc(L->kid_arrays, (L->nkid_arrays + 1) * sizeof(*L->kid_arrays));
            L->kid_arrays[L->nkid_arrays++] = parent;
        }
    }
    parent->kids[parent->n++] = kid;
}

static void yaml_error(struct loader *L, const yaml_parser_t *p)
{
    const yaml_mark_t *m = &p->problem_mark;
    const char *problem = p->problem ? p->problem : "malformed input";
    if (p->context)
        jeos_errf(L->err, -EINVAL, "%s:%zu:%zu: YAML syntax error: %s %s", L->file, m->line + 1,
                  m->column + 1, problem, p->context);
    else
        jeos_errf(L->err, -EINVAL, "%s:%zu:%zu: YAML syntax error: %s", L->file, m->line + 1,
                  m->column + 1, problem);
}

/* Parses the whole stream into one document's root node; NULL on error (message added). */
static struct node *parse_yaml(struct loader *L, const char *buf, size_t len)
{
    yaml_parser_t p;
    yaml_event_t ev;
    struct node *stack[MAX_DEPTH + 1];
    int depth = 0;
    struct node *root = NULL;
    int docs = 0;
    bool ok = true, done = false;

    if (!yaml_parser_initialize(&p)) {
        jeos_errf(L->err, -ENOMEM, "%s: cannot start the YAML parser", L->file);
        return NULL;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
    while (ok && !done) {
        if (!yaml_parser_parse(&p, &ev)) {
            yaml_error(L, &p);
            ok = false;
            break;
        }
        struct node *n = NULL;
        const yaml_mark_t *m = &ev.start_mark;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT: done = true; break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1) {
                jeos_errf(L->err, -EINVAL,
                          "%s:%zu:%zu: a second YAML document (a recipe is one document; remove "
                          "the \"---\")",
                          L->file, m->line + 1, m->column + 1);
                ok = false;
            }
            break;
        case YAML_ALIAS_EVENT:
            jeos_errf(L->err, -EINVAL,
                      "%s:%zu:%zu: YAML aliases (*%s) are not supported in recipes (write the "
                      "value out)",
                      L->file, m->line + 1, m->column + 1, (const char *)ev.data.alias.anchor);
            ok = false;
            break;
        case YAML_SCALAR_EVENT:
            n = new_node(L, N_SCALAR, m);
            n->str = arena_add(&L->arena,
                               xstrndup((const char *)ev.data.scalar.value, ev.data.scalar.length));
            n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            if (strlen(n->str) != ev.data.scalar.length) {
                jeos_errf(L->err, -EINVAL, "%s:%d:%d: a NUL character inside a value", L->file,
                          n->line, n->col);
                ok = false;
            }
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            n = new_node(L, ev.type == YAML_SEQUENCE_START_EVENT ? N_SEQ : N_MAP, m);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0)
                depth--;
            break;
        default: break;
        }
        if (n) {
            if (depth > 0)
                node_add(L, stack[depth - 1], n);
            else if (!root)
                root = n;
            if (n->type != N_SCALAR) {
                if (depth >= MAX_DEPTH) {
                    jeos_errf(L->err, -EINVAL, "%s:%d:%d: nested more than %d levels deep", L->file,
                              n->line, n->col, MAX_DEPTH);
                    ok = false;
                } else {
                    stack[depth++] = n;
                }
            }
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    if (!ok)
        return NULL;
    if (!root || (root->type == N_SCALAR && root->plain && root->str[0] == '\0')) {
        jeos_errf(L->err, -EINVAL,
                  "%s:1:1: the recipe is empty (expected a mapping with at least name and kind)",
                  L->file);
        return NULL;
    }
    return root;
}

/* ---- value helpers ---- */

static bool is_null(const struct node *v)
{
    return v->type == N_SCALAR && v->plain &&
           (v->str[0] == '\0' || strcmp(v->str, "~") == 0 || strcmp(v->str, "null") == 0 ||
            strcmp(v->str, "Null") == 0 || strcmp(v->str, "NULL") == 0);
}

static const char *what_is(const struct node *v)
{
    if (is_null(v))
        return "nothing";
    switch (v->type) {
    case N_SEQ: return "a list";
    case N_MAP: return "a mapping";
    default: return "a value";
    }
}

/* A scalar string; errors say what came instead. */
static bool get_str(struct loader *L, const struct node *v, const char **out)
{
    if (v->type != N_SCALAR || is_null(v)) {
        lerr(L, v, "expected a string, got %s", what_is(v));
        return false;
    }
    *out = v->str;
    return true;
}

static void set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = xstrdup(s);
}

static bool get_bool(struct loader *L, const struct node *v, bool *out)
{
    const char *s;
    if (!get_str(L, v, &s))
        return false;
    if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0) {
        *out = true;
        return true;
    }
    if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0) {
        *out = false;
        return true;
    }
    lerr(L, v, "expected true or false (got \"%s\")", s);
    return false;
}

static bool get_int(struct loader *L, const struct node *v, int64_t min, int64_t max, int64_t *out)
{
    const char *s;
    if (!get_str(L, v, &s))
        return false;
    int64_t x;
    if (!jeos_parse_i64(s, INT64_MIN, INT64_MAX, &x)) {
        lerr(L, v, "not a whole number (got \"%s\")", s);
        return false;
    }
    if (x < min || x > max) {
        lerr(L, v, "%lld is out of range (expected %lld to %lld)", (long long)x, (long long)min,
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
static void fmt_size(char *buf, size_t n, uint64_t v)
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

static bool get_size(struct loader *L, const struct node *v, uint64_t min, uint64_t max,
                     uint64_t *out)
{
    const char *s;
    if (!get_str(L, v, &s))
        return false;
    uint64_t x;
    if (!recipe_parse_size(s, &x)) {
        lerr(L, v,
             "not a size (expected a whole number with an optional unit K, M, G or T, e.g. "
             "512M; got \"%s\")",
             s);
        return false;
    }
    char a[32], b[32];
    if (x < min) {
        fmt_size(a, sizeof(a), min);
        lerr(L, v, "%s is too small (at least %s)", s, a);
        return false;
    }
    if (x > max) {
        fmt_size(b, sizeof(b), max);
        lerr(L, v, "%s is too large (at most %s)", s, b);
        return false;
    }
    *out = x;
    return true;
}

/* One of `names` (n of them); the error lists them. */
static bool get_enum(struct loader *L, const struct node *v, const char *what,
                     const char *const *names, size_t n, int *out)
{
    const char *s;
    if (!get_str(L, v, &s))
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
    lerr(L, v, "unknown %s \"%s\" (expected one of: %s)", what, s, list.s);
    sbuf_free(&list);
    return false;
}

/* ---- validators for strings ---- */

static bool all_chars(const char *s, const char *allowed_extra, bool lower_only)
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

static bool valid_name(const char *s)
{
    return s[0] && strlen(s) <= 64 &&
           ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')) &&
           all_chars(s, "._-", true);
}

static bool valid_hostname(const char *s)
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
static const char *package_problem(const char *s)
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
        if (!all_chars(v, ".+~:-", false))
            return "a version has only letters, digits and . + ~ : -";
    }
    return NULL;
}

/* An absolute, normalised path: "/", no "." or ".." parts, no "//". */
static bool valid_abs_path(const char *s)
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
static bool valid_rel_path(const char *s)
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

static bool valid_account(const char *s)
{
    if (!s[0] || strlen(s) > 32 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return false;
    return all_chars(s, "_-", true);
}

static bool valid_owner(const char *s)
{
    int64_t v;
    return valid_account(s) || jeos_parse_i64(s, 0, 65535, &v);
}

static bool valid_env_name(const char *s)
{
    if (!((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
        return false;
    return all_chars(s, "_", false);
}

static bool valid_ipv4(const char *s)
{
    struct in_addr a;
    return inet_pton(AF_INET, s, &a) == 1;
}

static bool valid_url(const char *s)
{
    return (strncmp(s, "http://", 7) == 0 && s[7]) || (strncmp(s, "https://", 8) == 0 && s[8]) ||
           (strncmp(s, "file:/", 6) == 0);
}

static bool valid_suite(const char *s)
{
    return s[0] && all_chars(s, "._/-", false);
}

/* ---- lists ---- */

/* A set of strings for duplicate checks: open addressing, sized once for n entries. */
struct strset {
    const char **slot;
    size_t mask;
};

static void strset_init(struct strset *h, size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    h->slot = xcalloc(cap, sizeof(*h->slot));
    h->mask = cap - 1;
}

/* Adds `s` (not copied); returns false if it was there already. */
static bool strset_add(struct strset *h, const char *s)
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

static void strset_free(struct strset *h)
{
    free(h->slot);
    h->slot = NULL;
}

typedef bool (*str_check)(struct loader *L, const struct node *v, const char *s);

static void strlist_push(struct recipe_strlist *l, const char *s, const struct node *v)
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

static void strlist_free(struct recipe_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    free(l->pos);
    memset(l, 0, sizeof(*l));
}

/* A list of strings, each passed to `check` (may be NULL). A scalar is not a list. */
static void get_strlist(struct loader *L, const struct node *v, struct recipe_strlist *out,
                        bool nonempty, bool unique, str_check check)
{
    strlist_free(out);
    if (v->type != N_SEQ) {
        if (v->type == N_SCALAR && !is_null(v))
            lerr(L, v, "expected a list, got a single value (write [%s])", v->str);
        else
            lerr(L, v, "expected a list, got %s", what_is(v));
        return;
    }
    if (nonempty && v->n == 0) {
        lerr(L, v, "the list is empty (at least one entry is needed)");
        return;
    }
    struct strset seen;
    strset_init(&seen, unique ? v->n : 0);
    for (size_t i = 0; i < v->n; i++) {
        const struct node *it = v->kids[i];
        size_t old = path_push_index(L, i);
        const char *s;
        if (get_str(L, it, &s) && (!check || check(L, it, s))) {
            if (unique && !strset_add(&seen, s))
                lerr(L, it, "\"%s\" is listed twice", s);
            else
                strlist_push(out, s, it);
        }
        path_pop(L, old);
    }
    strset_free(&seen);
}

/* ---- mappings ---- */

typedef void (*field_fn)(struct loader *L, const struct node *v, void *obj);

#define K_APPLIANCE 1u
#define K_UNIKERNEL 2u
#define K_ANY       (K_APPLIANCE | K_UNIKERNEL)

struct field {
    const char *key;
    field_fn fn;
    unsigned kinds;
    bool required;
};

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
static void walk_map(struct loader *L, const struct node *m, const struct field *fields, size_t nf,
                     void *obj)
{
    if (m->type != N_MAP) {
        lerr(L, m, "expected a mapping (key: value lines), got %s", what_is(m));
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
                size_t old = path_push_key(L, keys[i]->str);
                lerr(L, keys[i], "duplicate key (first given at line %d)", keys[i - 1]->line);
                path_pop(L, old);
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
            lerr(L, k, "a key must be a plain word, got %s", what_is(k));
            continue;
        }
        const struct field *f = NULL;
        for (size_t j = 0; j < nf && !f; j++)
            if (strcmp(fields[j].key, k->str) == 0) {
                f = &fields[j];
                seen[j] = true;
            }
        size_t old = path_push_key(L, k->str);
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
                lerr(L, k, "unknown key (did you mean \"%s\"?)", best);
            else
                lerr(L, k, "unknown key");
        } else if (L->kind != KIND_UNKNOWN && !(f->kinds & (1u << L->kind))) {
            lerr(L, k, "only for kind %s recipes (this one is kind %s)", kind_only(f->kinds),
                 L->kind == RECIPE_APPLIANCE ? "appliance" : "unikernel");
        } else {
            f->fn(L, v, obj);
        }
        path_pop(L, old);
    }
    for (size_t j = 0; j < nf; j++) {
        if (!fields[j].required || seen[j])
            continue;
        if (fields[j].kinds != K_ANY &&
            (L->kind == KIND_UNKNOWN || !(fields[j].kinds & (1u << L->kind))))
            continue;
        size_t old = path_push_key(L, fields[j].key);
        if (fields[j].kinds == K_ANY)
            lerr(L, m, "missing (required)");
        else
            lerr(L, m, "missing (required for kind %s recipes)", kind_only(fields[j].kinds));
        path_pop(L, old);
    }
    free(seen);
}

/* A mapping of NAME: value pairs. */
static void get_env(struct loader *L, const struct node *v, struct recipe_env *env)
{
    if (v->type != N_MAP) {
        lerr(L, v, "expected a mapping of NAME: value, got %s", what_is(v));
        return;
    }
    struct strset seen;
    strset_init(&seen, v->n / 2);
    for (size_t j = 0; j < env->n; j++)
        strset_add(&seen, env->keys[j]);
    for (size_t i = 0; i + 1 < v->n; i += 2) {
        const struct node *k = v->kids[i], *val = v->kids[i + 1];
        if (k->type != N_SCALAR) {
            lerr(L, k, "a variable name must be a plain word, got %s", what_is(k));
            continue;
        }
        size_t old = path_push_key(L, k->str);
        const char *s = NULL;
        if (!strset_add(&seen, k->str))
            lerr(L, k, "duplicate key");
        else if (!valid_env_name(k->str))
            lerr(L, k,
                 "not a valid variable name (expected letters, digits and '_', not "
                 "starting with a digit)");
        else if (val->type == N_SCALAR && !is_null(val))
            s = val->str;
        else if (val->type == N_SCALAR && !val->plain)
            s = "";
        else
            lerr(L, val, "expected a string, got %s (write \"\" for an empty value)", what_is(val));
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
        path_pop(L, old);
    }
    strset_free(&seen);
}

static void env_free(struct recipe_env *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->keys[i]);
        free(e->values[i]);
    }
    free(e->keys);
    free(e->values);
    memset(e, 0, sizeof(*e));
}

/* ---- field handlers: top level ---- */

static void f_name(struct loader *L, const struct node *v, void *o)
{
    struct recipe *r = o;
    const char *s;
    if (!get_str(L, v, &s))
        return;
    if (!valid_name(s)) {
        lerr(L, v,
             "not a valid name (expected up to 64 lowercase letters, digits, '.', '_' or '-', "
             "starting with a letter or digit; got \"%s\")",
             s);
        return;
    }
    set_str(&r->name, s);
}

static void f_kind(struct loader *L, const struct node *v, void *o)
{
    (void)o; /* read before the walk; here only to accept the key */
    (void)L;
    (void)v;
}

static void f_description(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (get_str(L, v, &s))
        set_str(&((struct recipe *)o)->description, s);
}

static void f_version(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (!get_str(L, v, &s))
        return;
    if (!all_chars(s, ".+~:_-", false) || strlen(s) > 64) {
        lerr(L, v, "not a valid version (expected letters, digits and . + ~ : _ -; got \"%s\")", s);
        return;
    }
    set_str(&((struct recipe *)o)->version, s);
}

static void f_hostname(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (!get_str(L, v, &s))
        return;
    if (!valid_hostname(s)) {
        lerr(L, v,
             "not a valid host name (expected labels of letters, digits and '-', separated by "
             "dots; got \"%s\")",
             s);
        return;
    }
    set_str(&((struct recipe *)o)->hostname, s);
}

static void f_memory(struct loader *L, const struct node *v, void *o)
{
    struct recipe *r = o;
    if (L->kind == RECIPE_UNIKERNEL)
        get_size(L, v, 2 * MIB, 64 * GIB, &r->memory);
    else
        get_size(L, v, 64 * MIB, 1 * TIB, &r->memory);
}

static void f_cpus(struct loader *L, const struct node *v, void *o)
{
    int64_t x;
    if (get_int(L, v, 1, 64, &x))
        ((struct recipe *)o)->cpus = (int)x;
}

static void f_cmdline(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (!get_str(L, v, &s))
        return;
    if (strlen(s) > 2048 || strchr(s, '\n')) {
        lerr(L, v, "a command line is one line of at most 2048 characters");
        return;
    }
    set_str(&((struct recipe *)o)->cmdline, s);
}

static void f_env(struct loader *L, const struct node *v, void *o)
{
    get_env(L, v, &((struct recipe *)o)->env);
}

/* network: dhcp | none | {address: A/N, gateway: G, dns: [..]} */

static bool check_ipv4(struct loader *L, const struct node *v, const char *s)
{
    if (valid_ipv4(s))
        return true;
    lerr(L, v, "not an IPv4 address (got \"%s\")", s);
    return false;
}

static void net_address(struct loader *L, const struct node *v, void *o)
{
    struct recipe_network *n = o;
    const char *s;
    if (!get_str(L, v, &s))
        return;
    const char *slash = strchr(s, '/');
    char *addr = xstrndup(s, slash ? (size_t)(slash - s) : strlen(s));
    int64_t prefix;
    if (!slash || !valid_ipv4(addr) || !jeos_parse_i64(slash + 1, 0, 32, &prefix)) {
        lerr(L, v,
             "not an IPv4 address with a prefix length (expected e.g. 10.0.2.15/24; got "
             "\"%s\")",
             s);
        free(addr);
        return;
    }
    free(n->address);
    n->address = addr;
    n->prefix = (int)prefix;
}

static void net_gateway(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (get_str(L, v, &s) && check_ipv4(L, v, s))
        set_str(&((struct recipe_network *)o)->gateway, s);
}

static void net_dns(struct loader *L, const struct node *v, void *o)
{
    get_strlist(L, v, &((struct recipe_network *)o)->dns, false, true, check_ipv4);
}

static const struct field network_fields[] = {
    {"address", net_address, K_ANY, true},
    {"gateway", net_gateway, K_ANY, false},
    {"dns", net_dns, K_ANY, false},
};

static void f_network(struct loader *L, const struct node *v, void *o)
{
    struct recipe_network *n = &((struct recipe *)o)->network;
    if (v->type == N_SCALAR && !is_null(v)) {
        static const char *const modes[] = {"none", "dhcp"};
        int m;
        if (get_enum(L, v, "network mode", modes, 2, &m))
            n->mode = m == 0 ? RECIPE_NET_NONE : RECIPE_NET_DHCP;
        return;
    }
    if (v->type != N_MAP) {
        lerr(L, v, "expected dhcp, none, or a mapping with address, got %s", what_is(v));
        return;
    }
    n->mode = RECIPE_NET_STATIC;
    walk_map(L, v, network_fields, sizeof(network_fields) / sizeof(network_fields[0]), n);
    if (n->address && n->gateway) {
        struct in_addr a, g;
        inet_pton(AF_INET, n->address, &a);
        inet_pton(AF_INET, n->gateway, &g);
        uint32_t mask = n->prefix ? htonl(~0u << (32 - n->prefix)) : 0;
        if ((a.s_addr & mask) != (g.s_addr & mask)) {
            size_t old = path_push_key(L, "gateway");
            lerr(L, v, "%s is not in the network %s/%d", n->gateway, n->address, n->prefix);
            path_pop(L, old);
        }
    }
}

/* image: */

static const char *const format_names[RECIPE_FMT_COUNT] = {"raw", "qcow2", "vmdk", "vhd",
                                                           "ova", "gce",   "elf"};

const char *recipe_format_name(enum recipe_format f)
{
    return (unsigned)f < RECIPE_FMT_COUNT ? format_names[f] : "?";
}

const char *recipe_kind_name(enum recipe_kind k)
{
    return k == RECIPE_UNIKERNEL ? "unikernel" : "appliance";
}

static void img_formats(struct loader *L, const struct node *v, void *o)
{
    struct recipe_image *im = o;
    if (v->type != N_SEQ) {
        lerr(L, v, "expected a list of formats, got %s", what_is(v));
        return;
    }
    if (v->n == 0) {
        lerr(L, v, "the list is empty (at least one format is needed)");
        return;
    }
    im->nformats = 0;
    /* The elf format exists for unikernels only; appliance recipes don't list it as a choice. */
    const char *names[RECIPE_FMT_COUNT];
    memcpy(names, format_names, sizeof(names));
    if (L->kind == RECIPE_APPLIANCE)
        names[RECIPE_FMT_ELF] = NULL;
    if (L->kind == RECIPE_UNIKERNEL) { /* list elf first for unikernels */
        names[0] = "elf";
        for (int i = 0; i < RECIPE_FMT_ELF; i++)
            names[i + 1] = format_names[i];
    }
    for (size_t i = 0; i < v->n; i++) {
        const struct node *it = v->kids[i];
        size_t old = path_push_index(L, i);
        int f;
        if (L->kind == RECIPE_APPLIANCE && it->type == N_SCALAR && strcmp(it->str, "elf") == 0) {
            lerr(L, it, "format \"elf\" is only for kind unikernel recipes");
        } else if (get_enum(L, it, "format", names, RECIPE_FMT_COUNT, &f)) {
            enum recipe_format fmt = f;
            if (L->kind == RECIPE_UNIKERNEL)
                fmt = f == 0 ? RECIPE_FMT_ELF : (enum recipe_format)(f - 1);
            bool dup = false;
            for (size_t k = 0; k < im->nformats; k++)
                dup |= im->formats[k] == fmt;
            if (dup)
                lerr(L, it, "format \"%s\" is listed twice", it->str);
            else
                im->formats[im->nformats++] = fmt;
        }
        path_pop(L, old);
    }
}

static void img_size(struct loader *L, const struct node *v, void *o)
{
    get_size(L, v, 16 * MIB, 16 * TIB, &((struct recipe_image *)o)->size);
}

static void img_data(struct loader *L, const struct node *v, void *o)
{
    get_size(L, v, 1 * MIB, 16 * TIB, &((struct recipe_image *)o)->data_size);
}

static void img_root(struct loader *L, const struct node *v, void *o)
{
    static const char *const roots[] = {"squashfs", "ext4"};
    int x;
    if (get_enum(L, v, "root filesystem", roots, 2, &x))
        ((struct recipe_image *)o)->root = x;
}

static void img_boot(struct loader *L, const struct node *v, void *o)
{
    struct recipe_image *im = o;
    static const char *const boots[] = {"bios", "uefi"};
    if (v->type != N_SEQ) {
        lerr(L, v, "expected a list such as [bios, uefi], got %s", what_is(v));
        return;
    }
    if (v->n == 0) {
        lerr(L, v, "the list is empty (expected bios, uefi or both)");
        return;
    }
    im->boot = 0;
    for (size_t i = 0; i < v->n; i++) {
        size_t old = path_push_index(L, i);
        int x;
        if (get_enum(L, v->kids[i], "boot method", boots, 2, &x)) {
            unsigned bit = x == 0 ? RECIPE_BOOT_BIOS : RECIPE_BOOT_UEFI;
            if (im->boot & bit)
                lerr(L, v->kids[i], "\"%s\" is listed twice", boots[x]);
            im->boot |= bit;
        }
        path_pop(L, old);
    }
}

static void img_ptable(struct loader *L, const struct node *v, void *o)
{
    static const char *const pts[] = {"gpt", "mbr"};
    int x;
    if (get_enum(L, v, "partition table", pts, 2, &x))
        ((struct recipe_image *)o)->ptable = x;
}

static void img_timeout(struct loader *L, const struct node *v, void *o)
{
    int64_t x;
    if (get_int(L, v, 0, 300, &x))
        ((struct recipe_image *)o)->timeout = (int)x;
}

static const struct field image_fields[] = {
    {"formats", img_formats, K_ANY, false}, {"size", img_size, K_ANY, false},
    {"data", img_data, K_APPLIANCE, false}, {"root", img_root, K_APPLIANCE, false},
    {"boot", img_boot, K_ANY, false},       {"partition_table", img_ptable, K_ANY, false},
    {"timeout", img_timeout, K_ANY, false},
};

static void f_image(struct loader *L, const struct node *v, void *o)
{
    walk_map(L, v, image_fields, sizeof(image_fields) / sizeof(image_fields[0]),
             &((struct recipe *)o)->image);
}

/* files: [{src, dst, mode, owner, group}] */

static void file_src(struct loader *L, const struct node *v, void *o)
{
    struct recipe_file *f = o;
    const char *s;
    if (!get_str(L, v, &s))
        return;
    if (!valid_rel_path(s)) {
        lerr(L, v, "expected a path relative to the recipe's folder, not leaving it (got \"%s\")",
             s);
        return;
    }
    if (L->opts && L->opts->check_files) {
        char *full = xasprintf("%s/%s", L->r->dir, s);
        struct stat st;
        if (stat(full, &st) < 0)
            lerr(L, v, "\"%s\" not found in %s/ (paths are relative to the recipe's folder)", s,
                 L->r->dir);
        else if (s[strlen(s) - 1] == '/' && !S_ISDIR(st.st_mode))
            lerr(L, v, "\"%s\" ends with '/' but is not a folder", s);
        free(full);
    }
    set_str(&f->src, s);
}

static void file_dst(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (!get_str(L, v, &s))
        return;
    if (!valid_abs_path(s)) {
        lerr(L, v, "expected an absolute path in the image, without . or .. (got \"%s\")", s);
        return;
    }
    set_str(&((struct recipe_file *)o)->dst, s);
}

static void file_mode(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (!get_str(L, v, &s))
        return;
    char *end;
    errno = 0;
    long m = strtol(s, &end, 8);
    if (!*s || *end || errno || m < 0 || m > 07777) {
        lerr(L, v, "not a file mode (expected octal digits up to 7777, e.g. 0644; got \"%s\")", s);
        return;
    }
    ((struct recipe_file *)o)->mode = (int)m;
}

static bool get_owner(struct loader *L, const struct node *v, char **dst)
{
    const char *s;
    if (!get_str(L, v, &s))
        return false;
    if (!valid_owner(s)) {
        lerr(L, v, "not a user or group name or number (got \"%s\")", s);
        return false;
    }
    set_str(dst, s);
    return true;
}

static void file_owner(struct loader *L, const struct node *v, void *o)
{
    get_owner(L, v, &((struct recipe_file *)o)->owner);
}

static void file_group(struct loader *L, const struct node *v, void *o)
{
    get_owner(L, v, &((struct recipe_file *)o)->group);
}

static const struct field file_fields[] = {
    {"src", file_src, K_ANY, true},      {"dst", file_dst, K_ANY, true},
    {"mode", file_mode, K_ANY, false},   {"owner", file_owner, K_ANY, false},
    {"group", file_group, K_ANY, false},
};

static void f_files(struct loader *L, const struct node *v, void *o)
{
    struct recipe *r = o;
    if (v->type != N_SEQ) {
        lerr(L, v, "expected a list of {src, dst} mappings, got %s", what_is(v));
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        size_t old = path_push_index(L, i);
        struct recipe_file f = {.mode = -1, .pos = {v->kids[i]->line, v->kids[i]->col}};
        walk_map(L, v->kids[i], file_fields, sizeof(file_fields) / sizeof(file_fields[0]), &f);
        r->files = xrealloc(r->files, (r->nfiles + 1) * sizeof(*r->files));
        r->files[r->nfiles++] = f;
        path_pop(L, old);
    }
}

/* users: [{name, uid, group, groups, home, shell}] */

static void user_name(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (!get_str(L, v, &s))
        return;
    if (!valid_account(s)) {
        lerr(L, v,
             "not a valid user name (expected up to 32 lowercase letters, digits, '_' or '-', "
             "starting with a letter or '_'; got \"%s\")",
             s);
        return;
    }
    set_str(&((struct recipe_user *)o)->name, s);
}

static void user_uid(struct loader *L, const struct node *v, void *o)
{
    int64_t x;
    if (get_int(L, v, 0, 65533, &x))
        ((struct recipe_user *)o)->uid = x;
}

static void user_group(struct loader *L, const struct node *v, void *o)
{
    get_owner(L, v, &((struct recipe_user *)o)->group);
}

static bool check_account(struct loader *L, const struct node *v, const char *s)
{
    if (valid_account(s))
        return true;
    lerr(L, v, "not a valid group name (got \"%s\")", s);
    return false;
}

static void user_groups(struct loader *L, const struct node *v, void *o)
{
    get_strlist(L, v, &((struct recipe_user *)o)->groups, false, true, check_account);
}

static void get_abs_path(struct loader *L, const struct node *v, char **dst)
{
    const char *s;
    if (!get_str(L, v, &s))
        return;
    if (!valid_abs_path(s)) {
        lerr(L, v, "expected an absolute path, without . or .. (got \"%s\")", s);
        return;
    }
    set_str(dst, s);
}

static void user_home(struct loader *L, const struct node *v, void *o)
{
    get_abs_path(L, v, &((struct recipe_user *)o)->home);
}

static void user_shell(struct loader *L, const struct node *v, void *o)
{
    get_abs_path(L, v, &((struct recipe_user *)o)->shell);
}

static const struct field user_fields[] = {
    {"name", user_name, K_ANY, true},    {"uid", user_uid, K_ANY, false},
    {"group", user_group, K_ANY, false}, {"groups", user_groups, K_ANY, false},
    {"home", user_home, K_ANY, false},   {"shell", user_shell, K_ANY, false},
};

static void f_users(struct loader *L, const struct node *v, void *o)
{
    struct recipe *r = o;
    if (v->type != N_SEQ) {
        lerr(L, v, "expected a list of {name, ...} mappings, got %s", what_is(v));
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        size_t old = path_push_index(L, i);
        struct recipe_user u = {.uid = -1, .pos = {v->kids[i]->line, v->kids[i]->col}};
        walk_map(L, v->kids[i], user_fields, sizeof(user_fields) / sizeof(user_fields[0]), &u);
        for (size_t k = 0; u.name && k < r->nusers; k++) {
            if (r->users[k].name && strcmp(r->users[k].name, u.name) == 0) {
                size_t o2 = path_push_key(L, "name");
                lerr(L, v->kids[i], "user \"%s\" is defined twice", u.name);
                path_pop(L, o2);
                break;
            }
        }
        r->users = xrealloc(r->users, (r->nusers + 1) * sizeof(*r->users));
        r->users[r->nusers++] = u;
        path_pop(L, old);
    }
}

/* ---- appliance keys ---- */

static bool check_suite(struct loader *L, const struct node *v, const char *s)
{
    if (valid_suite(s))
        return true;
    lerr(L, v, "not a valid suite or component name (got \"%s\")", s);
    return false;
}

static void get_keyring(struct loader *L, const struct node *v, char **dst)
{
    const char *s;
    if (!get_str(L, v, &s))
        return;
    if (L->opts && L->opts->check_files) {
        char *full = s[0] == '/' ? xstrdup(s) : xasprintf("%s/%s", L->r->dir, s);
        struct stat st;
        if (stat(full, &st) < 0 || !S_ISREG(st.st_mode))
            lerr(L, v, "keyring \"%s\" not found", full);
        free(full);
    }
    set_str(dst, s);
}

static void get_url(struct loader *L, const struct node *v, char **dst)
{
    const char *s;
    if (!get_str(L, v, &s))
        return;
    if (!valid_url(s)) {
        lerr(L, v, "expected an http://, https:// or file:/ address (got \"%s\")", s);
        return;
    }
    set_str(dst, s);
}

static void src_uri(struct loader *L, const struct node *v, void *o)
{
    get_url(L, v, &((struct recipe_source *)o)->uri);
}

static void src_suites(struct loader *L, const struct node *v, void *o)
{
    get_strlist(L, v, &((struct recipe_source *)o)->suites, true, true, check_suite);
}

static void src_components(struct loader *L, const struct node *v, void *o)
{
    get_strlist(L, v, &((struct recipe_source *)o)->components, true, true, check_suite);
}

static void src_keyring(struct loader *L, const struct node *v, void *o)
{
    get_keyring(L, v, &((struct recipe_source *)o)->keyring);
}

static const struct field source_fields[] = {
    {"uri", src_uri, K_ANY, true},
    {"suites", src_suites, K_ANY, true},
    {"components", src_components, K_ANY, false},
    {"keyring", src_keyring, K_ANY, false},
};

static void deb_suite(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (get_str(L, v, &s) && check_suite(L, v, s))
        set_str(&((struct recipe_debian *)o)->suite, s);
}

static void deb_mirror(struct loader *L, const struct node *v, void *o)
{
    get_url(L, v, &((struct recipe_debian *)o)->mirror);
}

static void deb_components(struct loader *L, const struct node *v, void *o)
{
    get_strlist(L, v, &((struct recipe_debian *)o)->components, true, true, check_suite);
}

static void deb_keyring(struct loader *L, const struct node *v, void *o)
{
    get_keyring(L, v, &((struct recipe_debian *)o)->keyring);
}

static void deb_sources(struct loader *L, const struct node *v, void *o)
{
    struct recipe_debian *d = o;
    if (v->type != N_SEQ) {
        lerr(L, v, "expected a list of {uri, suites, components} mappings, got %s", what_is(v));
        return;
    }
    if (v->n == 0) {
        lerr(L, v, "the list is empty (leave sources out to use the host's apt sources)");
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        size_t old = path_push_index(L, i);
        struct recipe_source s = {.pos = {v->kids[i]->line, v->kids[i]->col}};
        walk_map(L, v->kids[i], source_fields, sizeof(source_fields) / sizeof(source_fields[0]),
                 &s);
        if (s.components.n == 0)
            strlist_push(&s.components, "main", NULL);
        d->sources = xrealloc(d->sources, (d->nsources + 1) * sizeof(*d->sources));
        d->sources[d->nsources++] = s;
        path_pop(L, old);
    }
}

static const struct field debian_fields[] = {
    {"suite", deb_suite, K_ANY, false},           {"mirror", deb_mirror, K_ANY, false},
    {"components", deb_components, K_ANY, false}, {"keyring", deb_keyring, K_ANY, false},
    {"sources", deb_sources, K_ANY, false},
};

static void f_debian(struct loader *L, const struct node *v, void *o)
{
    walk_map(L, v, debian_fields, sizeof(debian_fields) / sizeof(debian_fields[0]),
             &((struct recipe *)o)->debian);
}

static bool check_package(struct loader *L, const struct node *v, const char *s)
{
    const char *why = package_problem(s);
    if (!why)
        return true;
    lerr(L, v, "not a package name (%s; got \"%s\")", why, s);
    return false;
}

static void f_packages(struct loader *L, const struct node *v, void *o)
{
    get_strlist(L, v, &((struct recipe *)o)->packages, true, true, check_package);
}

static void f_kernel(struct loader *L, const struct node *v, void *o)
{
    const char *s;
    if (get_str(L, v, &s) && check_package(L, v, s))
        set_str(&((struct recipe *)o)->kernel, s);
}

static bool check_glob(struct loader *L, const struct node *v, const char *s)
{
    if (s[0] == '/')
        return true;
    lerr(L, v, "expected an absolute glob such as /usr/share/doc/* (got \"%s\")", s);
    return false;
}

static void f_exclude(struct loader *L, const struct node *v, void *o)
{
    get_strlist(L, v, &((struct recipe *)o)->exclude, false, true, check_glob);
}

static void f_exclude_defaults(struct loader *L, const struct node *v, void *o)
{
    get_bool(L, v, &((struct recipe *)o)->exclude_defaults);
}

static bool check_locale(struct loader *L, const struct node *v, const char *s)
{
    if (all_chars(s, "_.@-", false))
        return true;
    lerr(L, v, "not a locale name such as en_US.UTF-8 (got \"%s\")", s);
    return false;
}

static void f_locales(struct loader *L, const struct node *v, void *o)
{
    get_strlist(L, v, &((struct recipe *)o)->locales, false, true, check_locale);
}

static bool check_module(struct loader *L, const struct node *v, const char *s)
{
    if (all_chars(s, "_-", false))
        return true;
    lerr(L, v, "not a kernel module name (got \"%s\")", s);
    return false;
}

static void f_modules(struct loader *L, const struct node *v, void *o)
{
    get_strlist(L, v, &((struct recipe *)o)->modules, false, true, check_module);
}

/* service: */

static bool check_nothing(struct loader *L, const struct node *v, const char *s)
{
    (void)L;
    (void)v;
    (void)s;
    return true;
}

static void svc_exec(struct loader *L, const struct node *v, void *o)
{
    struct recipe_service *s = o;
    get_strlist(L, v, &s->exec, true, false, check_nothing);
    if (s->exec.n && s->exec.v[0][0] != '/') {
        size_t old = path_push_index(L, 0);
        lerr(L, v->kids[0], "the program must be an absolute path (got \"%s\")", s->exec.v[0]);
        path_pop(L, old);
    }
}

static void svc_user(struct loader *L, const struct node *v, void *o)
{
    get_owner(L, v, &((struct recipe_service *)o)->user);
}

static void svc_group(struct loader *L, const struct node *v, void *o)
{
    get_owner(L, v, &((struct recipe_service *)o)->group);
}

static void svc_workdir(struct loader *L, const struct node *v, void *o)
{
    get_abs_path(L, v, &((struct recipe_service *)o)->workdir);
}

static void svc_env(struct loader *L, const struct node *v, void *o)
{
    get_env(L, v, &((struct recipe_service *)o)->env);
}

static void svc_restart(struct loader *L, const struct node *v, void *o)
{
    static const char *const modes[] = {"always", "on-failure", "no"};
    int x;
    if (get_enum(L, v, "restart policy", modes, 3, &x))
        ((struct recipe_service *)o)->restart = x;
}

static const struct field service_fields[] = {
    {"exec", svc_exec, K_ANY, true},    {"user", svc_user, K_ANY, false},
    {"group", svc_group, K_ANY, false}, {"workdir", svc_workdir, K_ANY, false},
    {"env", svc_env, K_ANY, false},     {"restart", svc_restart, K_ANY, false},
};

static void f_service(struct loader *L, const struct node *v, void *o)
{
    walk_map(L, v, service_fields, sizeof(service_fields) / sizeof(service_fields[0]),
             &((struct recipe *)o)->service);
}

/* ---- unikernel keys ---- */

static bool check_source(struct loader *L, const struct node *v, const char *s)
{
    size_t n = strlen(s);
    if (!valid_rel_path(s)) {
        lerr(L, v, "expected a path relative to the recipe's folder, not leaving it (got \"%s\")",
             s);
        return false;
    }
    if (!(n > 2 && s[n - 2] == '.' && (s[n - 1] == 'c' || s[n - 1] == 'S'))) {
        lerr(L, v, "expected a C source file ending in .c or .S (got \"%s\")", s);
        return false;
    }
    if (L->opts && L->opts->check_files) {
        char *full = xasprintf("%s/%s", L->r->dir, s);
        struct stat st;
        bool ok = stat(full, &st) == 0 && S_ISREG(st.st_mode);
        free(full);
        if (!ok) {
            lerr(L, v, "\"%s\" not found in %s/ (paths are relative to the recipe's folder)", s,
                 L->r->dir);
            return false;
        }
    }
    return true;
}

static void f_sources(struct loader *L, const struct node *v, void *o)
{
    get_strlist(L, v, &((struct recipe *)o)->sources, true, true, check_source);
}

static bool check_cflag(struct loader *L, const struct node *v, const char *s)
{
    if (s[0] == '-' && s[1])
        return true;
    lerr(L, v, "expected a compiler option starting with '-' (got \"%s\")", s);
    return false;
}

static void f_cflags(struct loader *L, const struct node *v, void *o)
{
    get_strlist(L, v, &((struct recipe *)o)->cflags, false, false, check_cflag);
}

static void f_args(struct loader *L, const struct node *v, void *o)
{
    get_strlist(L, v, &((struct recipe *)o)->args, false, false, check_nothing);
}

static const struct field top_fields[] = {
    {"name", f_name, K_ANY, true},
    {"kind", f_kind, K_ANY, true},
    {"description", f_description, K_ANY, false},
    {"version", f_version, K_ANY, false},
    {"hostname", f_hostname, K_ANY, false},
    {"memory", f_memory, K_ANY, false},
    {"cpus", f_cpus, K_ANY, false},
    {"cmdline", f_cmdline, K_ANY, false},
    {"env", f_env, K_ANY, false},
    {"network", f_network, K_ANY, false},
    {"image", f_image, K_ANY, false},
    {"files", f_files, K_ANY, false},
    {"users", f_users, K_ANY, false},
    {"debian", f_debian, K_APPLIANCE, false},
    {"packages", f_packages, K_APPLIANCE, true},
    {"kernel", f_kernel, K_APPLIANCE, false},
    {"exclude", f_exclude, K_APPLIANCE, false},
    {"exclude_defaults", f_exclude_defaults, K_APPLIANCE, false},
    {"locales", f_locales, K_APPLIANCE, false},
    {"modules", f_modules, K_APPLIANCE, false},
    {"service", f_service, K_APPLIANCE, true},
    {"sources", f_sources, K_UNIKERNEL, true},
    {"cflags", f_cflags, K_UNIKERNEL, false},
    {"args", f_args, K_UNIKERNEL, false},
};

/* Finds `kind` first: which keys are allowed depends on it. */
static void read_kind(struct loader *L, const struct node *root)
{
    L->kind = KIND_UNKNOWN;
    for (size_t i = 0; i + 1 < root->n; i += 2) {
        const struct node *k = root->kids[i], *v = root->kids[i + 1];
        if (k->type != N_SCALAR || strcmp(k->str, "kind") != 0)
            continue;
        static const char *const kinds[] = {"appliance", "unikernel"};
        size_t old = path_push_key(L, "kind");
        int x;
        if (get_enum(L, v, "kind", kinds, 2, &x))
            L->kind = x;
        path_pop(L, old);
        return; /* a duplicate is reported by walk_map */
    }
}

static void set_defaults(struct recipe *r)
{
    r->memory = 0;
    r->cpus = 1;
    r->image.root = RECIPE_ROOT_SQUASHFS;
    r->image.boot = RECIPE_BOOT_BIOS | RECIPE_BOOT_UEFI;
    r->image.ptable = RECIPE_PT_GPT;
    r->exclude_defaults = true;
    r->network.mode = RECIPE_NET_DHCP;
}

static void finish_defaults(struct recipe *r)
{
    if (!r->memory)
        r->memory = r->kind == RECIPE_UNIKERNEL ? 32 * MIB : 512 * MIB;
    if (!r->image.nformats)
        r->image.formats[r->image.nformats++] =
            r->kind == RECIPE_UNIKERNEL ? RECIPE_FMT_ELF : RECIPE_FMT_RAW;
    if (!r->version)
        r->version = xstrdup("1");
    if (!r->hostname && r->name) {
        r->hostname = xstrdup(r->name);
        for (char *p = r->hostname; *p; p++)
            if (*p == '_' || *p == '.')
                *p = '-';
    }
    if (r->kind == RECIPE_APPLIANCE) {
        if (!r->kernel)
            r->kernel = xstrdup("linux-image-cloud-amd64");
        if (!r->debian.suite)
            r->debian.suite = xstrdup("bookworm");
        if (!r->debian.components.n)
            strlist_push(&r->debian.components, "main", NULL);
        if (!r->service.user)
            r->service.user = xstrdup("root");
    }
}

/* Was a network key given? Unikernels default to no network, appliances to DHCP. */
static bool has_key(const struct node *root, const char *key)
{
    for (size_t i = 0; i + 1 < root->n; i += 2)
        if (root->kids[i]->type == N_SCALAR && strcmp(root->kids[i]->str, key) == 0)
            return true;
    return false;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

int recipe_load_buffer(const char *path, const char *buf, size_t len,
                       const struct recipe_load_opts *opts, struct recipe **out,
                       struct jeos_err *err)
{
    struct loader L = {.file = path, .opts = opts, .err = err};
    struct jeos_err local;
    jeos_err_init(&local);
    L.err = &local;
    struct recipe *r = xcalloc(1, sizeof(*r));
    r->path = xstrdup(path);
    r->dir = dir_of(path);
    L.r = r;
    *out = NULL;
    set_defaults(r);

    struct node *root = parse_yaml(&L, buf, len);
    if (root) {
        if (root->type != N_MAP) {
            lerr(&L, root, "a recipe is a mapping of keys (name, kind, ...), got %s",
                 what_is(root));
        } else {
            read_kind(&L, root);
            if (L.kind != KIND_UNKNOWN)
                r->kind = L.kind;
            if (L.kind == RECIPE_UNIKERNEL && !has_key(root, "network"))
                r->network.mode = RECIPE_NET_NONE;
            walk_map(&L, root, top_fields, sizeof(top_fields) / sizeof(top_fields[0]), r);
            if (L.kind == RECIPE_UNIKERNEL && r->image.data_size)
                lerr(&L, root, "image.data: only for kind appliance recipes");
            finish_defaults(r);
        }
    }

    for (size_t i = 0; i < L.nkid_arrays; i++)
        free(L.kid_arrays[i]->kids);
    free(L.kid_arrays);
    arena_free(&L.arena);
    sbuf_free(&L.path);

    int rc = 0;
    if (jeos_err_count(&local)) {
        rc = local.code ? local.code : -EINVAL;
        jeos_err_move(err ? err : &local, &local);
        jeos_err_free(&local);
        recipe_free(r);
        return rc;
    }
    jeos_err_free(&local);
    *out = r;
    return 0;
}

int recipe_load_file(const char *path, struct recipe **out, struct jeos_err *err)
{
    char *buf;
    size_t len;
    *out = NULL;
    int rc = jeos_read_file(path, &buf, &len, err);
    if (rc < 0)
        return rc;
    struct recipe_load_opts opts = {.check_files = true};
    rc = recipe_load_buffer(path, buf, len, &opts, out, err);
    free(buf);
    return rc;
}

void recipe_free(struct recipe *r)
{
    if (!r)
        return;
    free(r->path);
    free(r->dir);
    free(r->name);
    free(r->description);
    free(r->version);
    free(r->hostname);
    free(r->cmdline);
    free(r->network.address);
    free(r->network.gateway);
    strlist_free(&r->network.dns);
    env_free(&r->env);
    for (size_t i = 0; i < r->nfiles; i++) {
        free(r->files[i].src);
        free(r->files[i].dst);
        free(r->files[i].owner);
        free(r->files[i].group);
    }
    free(r->files);
    for (size_t i = 0; i < r->nusers; i++) {
        struct recipe_user *u = &r->users[i];
        free(u->name);
        free(u->group);
        free(u->home);
        free(u->shell);
        strlist_free(&u->groups);
    }
    free(r->users);
    free(r->debian.suite);
    free(r->debian.mirror);
    free(r->debian.keyring);
    strlist_free(&r->debian.components);
    for (size_t i = 0; i < r->debian.nsources; i++) {
        struct recipe_source *s = &r->debian.sources[i];
        free(s->uri);
        free(s->keyring);
        strlist_free(&s->suites);
        strlist_free(&s->components);
    }
    free(r->debian.sources);
    strlist_free(&r->packages);
    free(r->kernel);
    strlist_free(&r->exclude);
    strlist_free(&r->locales);
    strlist_free(&r->modules);
    strlist_free(&r->service.exec);
    free(r->service.user);
    free(r->service.group);
    free(r->service.workdir);
    env_free(&r->service.env);
    strlist_free(&r->sources);
    strlist_free(&r->cflags);
    strlist_free(&r->args);
    free(r);
}
