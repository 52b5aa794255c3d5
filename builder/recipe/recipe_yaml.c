/* recipe_yaml.c — YAML text to a small node tree (libyaml events), and the loader's message
 * helpers. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/recipe/recipe_parse.h"

/* ---- the node tree (arena-allocated; freed at once) ---- */

void *rl_arena_add(struct arena *a, void *p)
{
    a->blocks = xrealloc(a->blocks, (a->n + 1) * sizeof(*a->blocks));
    a->blocks[a->n++] = p;
    return p;
}

void rl_arena_free(struct arena *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->blocks[i]);
    free(a->blocks);
    a->blocks = NULL;
    a->n = 0;
}

/* ---- the loader state ---- */

void rl_lerr(struct loader *L, const struct node *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    jeos_errf(L->err, -EINVAL, "%s:%d:%d: %s%s%s", L->file, at ? at->line : 1, at ? at->col : 1,
              L->path.len ? L->path.s : "", L->path.len ? ": " : "", msg);
    free(msg);
}

size_t rl_path_push_key(struct loader *L, const char *key)
{
    size_t old = L->path.len;
    if (old)
        sbuf_puts(&L->path, ".");
    sbuf_puts(&L->path, key);
    return old;
}

size_t rl_path_push_index(struct loader *L, size_t i)
{
    size_t old = L->path.len;
    sbuf_printf(&L->path, "[%zu]", i);
    return old;
}

void rl_path_pop(struct loader *L, size_t old)
{
    L->path.len = old;
    if (L->path.s)
        L->path.s[old] = '\0';
}

/* ---- YAML → nodes ---- */

static struct node *new_node(struct loader *L, enum node_type t, const yaml_mark_t *m)
{
    struct node *n = rl_arena_add(&L->arena, xcalloc(1, sizeof(*n)));
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
struct node *rl_parse_yaml(struct loader *L, const char *buf, size_t len)
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
            n->str = rl_arena_add(
                &L->arena, xstrndup((const char *)ev.data.scalar.value, ev.data.scalar.length));
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
