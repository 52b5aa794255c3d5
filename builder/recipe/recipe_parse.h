/* recipe_parse.h — the recipe loader's internals, shared by recipe_yaml.c, recipe_value.c,
 * recipe.c. */
#ifndef JEOS_RECIPE_PARSE_H
#define JEOS_RECIPE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "builder/core/alloc.h"
#include "builder/recipe/recipe.h"

#define MAX_DEPTH 64
#define KIB       1024ULL
#define MIB       (1024ULL * KIB)
#define GIB       (1024ULL * MIB)
#define TIB       (1024ULL * GIB)

/* A YAML node, arena-allocated by rl_parse_yaml and freed with the loader. */
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

#define KIND_UNKNOWN (-1)

/* The state of one load: where messages go and the field path being walked. */
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

/* Adds "file:line:col: field.path: message" for node `at`. */
void rl_lerr(struct loader *L, const struct node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Duplicate checks: a set of borrowed strings sized for n entries. */
struct strset {
    const char **slot;
    size_t mask;
};

/* Validates one string of a list; reports and returns false when bad. */
typedef bool (*str_check)(struct loader *L, const struct node *v, const char *s);
/* Parses one mapping value into `obj`. */
typedef void (*field_fn)(struct loader *L, const struct node *v, void *obj);

/* Which recipe kinds a key belongs to (bit 1 << enum recipe_kind). */
#define K_APPLIANCE 1u
#define K_UNIKERNEL 2u
#define K_ANY       (K_APPLIANCE | K_UNIKERNEL)

/* One key of a mapping: its handler, the kinds that may use it, and whether it is required. */
struct field {
    const char *key;
    field_fn fn;
    unsigned kinds;
    bool required;
};

bool rl_valid_ipv4(const char *s);
void *rl_arena_add(struct arena *a, void *p);
void rl_arena_free(struct arena *a);
size_t rl_path_push_key(struct loader *L, const char *key);
size_t rl_path_push_index(struct loader *L, size_t i);
void rl_path_pop(struct loader *L, size_t old);
struct node *rl_parse_yaml(struct loader *L, const char *buf, size_t len);
bool rl_is_null(const struct node *v);
const char *rl_what_is(const struct node *v);
bool rl_get_str(struct loader *L, const struct node *v, const char **out);
void rl_set_str(char **dst, const char *s);
bool rl_get_bool(struct loader *L, const struct node *v, bool *out);
bool rl_get_int(struct loader *L, const struct node *v, int64_t min, int64_t max, int64_t *out);
void rl_fmt_size(char *buf, size_t n, uint64_t v);
bool rl_get_size(struct loader *L, const struct node *v, uint64_t min, uint64_t max, uint64_t *out);
bool rl_get_enum(struct loader *L, const struct node *v, const char *what, const char *const *names,
                 size_t n, int *out);
bool rl_all_chars(const char *s, const char *allowed_extra, bool lower_only);
bool rl_valid_name(const char *s);
bool rl_valid_hostname(const char *s);
const char *rl_package_problem(const char *s);
bool rl_valid_abs_path(const char *s);
bool rl_valid_rel_path(const char *s);
bool rl_valid_account(const char *s);
bool rl_valid_owner(const char *s);
bool rl_valid_env_name(const char *s);
bool rl_valid_url(const char *s);
bool rl_valid_suite(const char *s);
void rl_strset_init(struct strset *h, size_t n);
bool rl_strset_add(struct strset *h, const char *s);
void rl_strset_free(struct strset *h);
void rl_strlist_push(struct recipe_strlist *l, const char *s, const struct node *v);
void rl_strlist_free(struct recipe_strlist *l);
void rl_get_strlist(struct loader *L, const struct node *v, struct recipe_strlist *out,
                    bool nonempty, bool unique, str_check check);
void rl_walk_map(struct loader *L, const struct node *m, const struct field *fields, size_t nf,
                 void *obj);
void rl_get_env(struct loader *L, const struct node *v, struct recipe_env *env);
void rl_env_free(struct recipe_env *e);

#endif
