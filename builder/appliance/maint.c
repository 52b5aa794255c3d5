/* maint.c — maintainer scripts read as a shell would, without running them (see maint.h). */
#include "builder/appliance/maint.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/core/alloc.h"

enum tok_type { T_WORD, T_OP, T_NL };

struct tok {
    enum tok_type type;
    char *text; /* a word as written (quotes kept), or the operator */
    int line;
};

struct var {
    char *name;
    char *value; /* NULL: unknown */
};

struct func {
    char *name;
    size_t start, end; /* tokens of the body, between its braces */
};

struct walk {
    struct tok *t;
    size_t n, cap;
    struct var *vars;
    size_t nvars;
    struct func *funcs;
    size_t nfuncs;
    char **pos; /* $1.. of the running function (or the script) */
    size_t npos;
    int depth;
    size_t steps;
    int mktemps;
    size_t i, end;      /* the token being read, and where the running body ends */
    bool stop;          /* an exit that surely runs: the script ends there */
    bool pattern;       /* expanding a case pattern: globs are meant */
    bool ret;           /* a return that surely runs: the function ends there */
    bool args_unknown;  /* $1.. not known (a script a service runs, a command substitution) */
    bool programs_only; /* a command substitution: its programs are told, nothing is run */
    int line_base;      /* added to token lines (a command substitution's text) */
    int subst_depth;
    const char *pkg, *script;
    const struct maint_ops *ops;
    void *arg;
    struct maint_stats *st;
    struct jeos_err *err;
};

#define MAX_DEPTH 8
#define MAX_STEPS 100000

/* ---- tokens ---- */

static void tok_add(struct walk *w, enum tok_type type, const char *s, size_t len, int line)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 256;
        w->t = xrealloc(w->t, w->cap * sizeof(*w->t));
    }
    w->t[w->n++] = (struct tok){type, xstrndup(s, len), line};
}

/* Skips a $( ... ) or ` ... ` starting at p (at '$' or '`'); returns what follows it. */
static const char *skip_subst(const char *p)
{
    if (*p == '`') {
        for (p++; *p && *p != '`'; p++)
            if (*p == '\\' && p[1])
                p++;
        return *p ? p + 1 : p;
    }
    int depth = 0;
    for (p++; *p; p++) {
        if (*p == '\\' && p[1])
            p++;
        else if (*p == '\'') {
            for (p++; *p && *p != '\''; p++)
                ;
            if (!*p)
                return p;
        } else if (*p == '(')
            depth++;
        else if (*p == ')' && --depth == 0)
            return p + 1;
    }
    return p;
}

static bool word_end(char c)
{
    return !c || c == ' ' || c == '\t' || c == '\n' || strchr(";&|()<>", c);
}

/* Scans one word starting at p; returns its end. */
static const char *scan_word(const char *p)
{
    while (!word_end(*p)) {
        if (*p == '\\') {
            p += p[1] ? 2 : 1;
        } else if (*p == '\'') {
            for (p++; *p && *p != '\''; p++)
                ;
            if (*p)
                p++;
        } else if (*p == '"') {
            for (p++; *p && *p != '"';) {
                if (*p == '\\' && p[1])
                    p += 2;
                else if ((*p == '$' && p[1] == '(') || *p == '`')
                    p = skip_subst(p);
                else
                    p++;
            }
            if (*p)
                p++;
        } else if ((*p == '$' && p[1] == '(') || *p == '`') {
            p = skip_subst(p);
        } else if (*p == '$' && p[1] == '{') {
            while (*p && *p != '}')
                p++;
            if (*p)
                p++;
        } else {
            p++;
        }
    }
    return p;
}

/* Skips the body of a here-document whose delimiter is `delim`, from the start of a line. */
static const char *skip_heredoc(const char *p, const char *delim, bool tabs, int *line)
{
    size_t dl = strlen(delim);
    while (*p) {
        const char *l = p;
        if (tabs)
            while (*l == '\t')
                l++;
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - l) : strlen(l);
        p = e ? e + 1 : l + len;
        (*line)++;
        if (len == dl && strncmp(l, delim, dl) == 0)
            break;
    }
    return p;
}

static void tokenize(struct walk *w, const char *s)
{
    int line = 1;
    char heredoc[64] = "";
    bool tabs = false;
    const char *p = s;
    while (*p) {
        if (*p == ' ' || *p == '\t' || *p == '\r') {
            p++;
        } else if (*p == '\\' && p[1] == '\n') {
            p += 2;
            line++;
        } else if (*p == '#') {
            while (*p && *p != '\n')
                p++;
        } else if (*p == '\n') {
            tok_add(w, T_NL, "\n", 1, line);
            p++;
            line++;
            if (heredoc[0]) {
                p = skip_heredoc(p, heredoc, tabs, &line);
                heredoc[0] = '\0';
            }
        } else if (*p == '<' && p[1] == '<') {
            /* a here-document: its delimiter word, then its body after this line */
            p += 2;
            tabs = *p == '-';
            if (tabs)
                p++;
            while (*p == ' ' || *p == '\t')
                p++;
            const char *e = scan_word(p);
            size_t k = 0;
            for (const char *q = p; q < e && k + 1 < sizeof(heredoc); q++)
                if (*q != '\'' && *q != '"' && *q != '\\')
                    heredoc[k++] = *q;
            heredoc[k] = '\0';
            p = e;
        } else if (*p == '<' || *p == '>' ||
                   (isdigit((unsigned char)*p) && (p[1] == '>' || p[1] == '<'))) {
            /* a redirection and its target: not part of the command's words */
            while (isdigit((unsigned char)*p))
                p++;
            while (*p == '<' || *p == '>' || *p == '&' || *p == '|')
                p++;
            while (*p == ' ' || *p == '\t')
                p++;
            p = scan_word(p);
        } else if (strchr(";&|()", *p)) {
            size_t len = (p[1] == p[0] && *p != '(' && *p != ')') ? 2 : 1;
            tok_add(w, T_OP, p, len, line);
            p += len;
        } else {
            const char *e = scan_word(p);
            if (e == p)
                e = p + 1;
            tok_add(w, T_WORD, p, (size_t)(e - p), line);
            p = e;
        }
    }
}

/* ---- variables and expansion ---- */

static struct var *var_find(struct walk *w, const char *name, size_t len)
{
    for (size_t i = 0; i < w->nvars; i++)
        if (strlen(w->vars[i].name) == len && strncmp(w->vars[i].name, name, len) == 0)
            return &w->vars[i];
    return NULL;
}

static void var_set(struct walk *w, const char *name, size_t len, const char *value)
{
    struct var *v = var_find(w, name, len);
    if (!v) {
        w->vars = xrealloc(w->vars, (w->nvars + 1) * sizeof(*w->vars));
        v = &w->vars[w->nvars++];
        v->name = xstrndup(name, len);
    } else {
        free(v->value);
    }
    v->value = value ? xstrdup(value) : NULL;
}

/* The value of a parameter by name ("1", "HOME"): the text, "" when unset, NULL when unknown. */
static const char *param(struct walk *w, const char *name, size_t len)
{
    if (len == 1 && (*name == '@' || *name == '*' || *name == '#' || *name == '?' || *name == '$' ||
                     *name == '!' || *name == '-'))
        return NULL;
    if (len && isdigit((unsigned char)name[0])) {
        long i = len == 1 ? name[0] - '0' : strtol(name, NULL, 10);
        if (i == 0 || (w->args_unknown && w->depth == 0))
            return NULL;
        return (size_t)i <= w->npos ? w->pos[i - 1] : "";
    }
    struct var *v = var_find(w, name, len);
    if (!v)
        return "";
    return v->value;
}

static bool name_char(char c, bool first)
{
    return c == '_' || isalpha((unsigned char)c) || (!first && isdigit((unsigned char)c));
}

static bool expand_into(struct walk *w, const char *s, size_t len, struct sbuf *out, bool dq);

/* ${X#pat} ${X##pat} ${X%pat} ${X%%pat}: value v with the shortest or longest prefix or suffix
   matching the pattern q[1..close) (after its operator) removed; appended to out. Returns the
   end, or NULL when v or the pattern is not known. */
static const char *trim_param(struct walk *w, const char *v, const char *q, const char *close,
                              struct sbuf *out)
{
    bool prefix = *q == '#', longest = q[1] == *q;
    const char *pat0 = q + (longest ? 2 : 1);
    struct sbuf pat = {0};
    sbuf_add(&pat, "", 0);
    bool saved = w->pattern;
    w->pattern = true;
    bool ok = v && expand_into(w, pat0, (size_t)(close - pat0), &pat, false);
    w->pattern = saved;
    if (!ok) {
        sbuf_free(&pat);
        return NULL;
    }
    size_t n = strlen(v), cut = 0;
    char *buf = xstrdup(v);
    for (size_t k = 0; k <= n; k++) {
        size_t len = longest ? n - k : k; /* the part tried: shortest first, or longest */
        bool match;
        if (prefix) {
            char c = buf[len];
            buf[len] = '\0';
            match = fnmatch(pat.s, buf, 0) == 0;
            buf[len] = c;
        } else {
            match = fnmatch(pat.s, v + n - len, 0) == 0;
        }
        if (match) {
            cut = len;
            break;
        }
    }
    free(buf);
    sbuf_free(&pat);
    if (prefix)
        sbuf_puts(out, v + cut);
    else
        sbuf_add(out, v, n - cut);
    return close + 1;
}

/* Expands a parameter at p ('$'); appends to out; returns the end, or NULL when unknown. */
static const char *expand_param(struct walk *w, const char *p, const char *end, struct sbuf *out)
{
    if (p + 1 >= end) {
        sbuf_add(out, "$", 1);
        return p + 1;
    }
    if (p[1] == '(') {
        const char *e = skip_subst(p);
        if (e > end)
            e = end;
        size_t l = (size_t)(e - p);
        if (l >= 9 && strncmp(p, "$(mktemp", 8) == 0 && (p[8] == ')' || p[8] == ' ')) {
            sbuf_printf(out, "/tmp/.jeos-mktemp-%d", ++w->mktemps);
            return e;
        }
        return NULL;
    }
    if (p[1] == '{') {
        const char *q = p + 2;
        const char *n0 = q;
        if (q < end && isdigit((unsigned char)*q))
            while (q < end && isdigit((unsigned char)*q))
                q++;
        else
            while (q < end && name_char(*q, q == n0))
                q++;
        size_t nl = (size_t)(q - n0);
        const char *close = memchr(q, '}', (size_t)(end - q));
        if (!nl || !close)
            return NULL;
        const char *v = param(w, n0, nl);
        bool set = v && (*v || var_find(w, n0, nl) || isdigit((unsigned char)*n0));
        if (q == close) {
            if (!v)
                return NULL;
            sbuf_puts(out, v);
            return close + 1;
        }
        if (*q == '#' || *q == '%')
            return trim_param(w, v, q, close, out);
        bool colon = *q == ':';
        const char *op = colon ? q + 1 : q;
        if (op >= close || !strchr("-+=", *op))
            return NULL; /* ${#X}, ${X:off} and the like */
        const char *word = op + 1;
        bool use_word;
        if (*op == '+')
            use_word = v && (colon ? *v : set);
        else
            use_word = !v ? false : colon ? !*v : !set;
        if (!v && *op != '+')
            return NULL;
        if (use_word) {
            if (!expand_into(w, word, (size_t)(close - word), out, true))
                return NULL;
        } else if (*op != '+') {
            sbuf_puts(out, v);
        }
        return close + 1;
    }
    const char *q = p + 1;
    size_t nl;
    if (isdigit((unsigned char)*q) || strchr("@*#?$!-", *q)) {
        nl = 1;
    } else {
        nl = 0;
        while (q + nl < end && name_char(q[nl], nl == 0))
            nl++;
        if (!nl) {
            sbuf_add(out, "$", 1);
            return p + 1;
        }
    }
    const char *v = param(w, q, nl);
    if (!v)
        return NULL;
    sbuf_puts(out, v);
    return q + nl;
}

/* Expands s[0..len) with quote removal; false when a part is unknown. */
static bool expand_into(struct walk *w, const char *s, size_t len, struct sbuf *out, bool dq)
{
    const char *p = s, *end = s + len;
    bool in_dq = false;
    while (p < end) {
        char c = *p;
        if (c == '\\' && p + 1 < end) {
            if (!(dq || in_dq) || strchr("$`\"\\\n", p[1])) {
                sbuf_add(out, p + 1, 1);
                p += 2;
            } else {
                sbuf_add(out, p, 1);
                p++;
            }
        } else if (c == '\'' && !(dq || in_dq)) {
            const char *e = memchr(p + 1, '\'', (size_t)(end - p - 1));
            if (!e)
                return false;
            sbuf_add(out, p + 1, (size_t)(e - p - 1));
            p = e + 1;
        } else if (c == '"' && !dq) {
            in_dq = !in_dq;
            p++;
        } else if (c == '$') {
            p = expand_param(w, p, end, out);
            if (!p)
                return false;
        } else if (c == '`') {
            return false;
        } else if (!(dq || in_dq) && !w->pattern &&
                   (c == '*' || c == '?' ||
                    (c == '[' && memchr(p + 1, ']', (size_t)(end - p - 1))))) {
            return false; /* a glob: only a run sees what it matches */
        } else {
            sbuf_add(out, p, 1);
            p++;
        }
    }
    return true;
}

/* The expanded word, or NULL when unknown. */
static char *expand(struct walk *w, const char *word)
{
    struct sbuf out = {0};
    sbuf_add(&out, "", 0);
    if (!expand_into(w, word, strlen(word), &out, false)) {
        sbuf_free(&out);
        return NULL;
    }
    return sbuf_take(&out);
}

/* ---- commands ---- */

/* A condition's outcome, as far as it can be told without running anything. */
enum st { ST_TRUE, ST_FALSE, ST_UNKNOWN };
/* Whether commands being read run: not at all, maybe (a condition not known), surely. */
enum live { L_NO, L_MAYBE, L_SURE };

static enum live weaken(enum live l, enum st cond)
{
    if (l == L_NO || cond == ST_FALSE)
        return L_NO;
    return cond == ST_TRUE ? l : L_MAYBE;
}

static int parse_list(struct walk *w, enum live live, const char *const *stops, enum st *status);

static bool is_assignment(const char *word, size_t *namelen)
{
    size_t i = 0;
    while (name_char(word[i], i == 0))
        i++;
    *namelen = i;
    return i && word[i] == '=';
}

static struct func *func_find(struct walk *w, const char *name)
{
    for (size_t i = 0; i < w->nfuncs; i++)
        if (strcmp(w->funcs[i].name, name) == 0)
            return &w->funcs[i];
    return NULL;
}

static const struct tok *cur(struct walk *w)
{
    return w->i < w->end ? &w->t[w->i] : NULL;
}

static bool at_word(struct walk *w, const char *s)
{
    const struct tok *t = cur(w);
    return t && t->type == T_WORD && strcmp(t->text, s) == 0;
}

static bool at_op(struct walk *w, const char *s)
{
    const struct tok *t = cur(w);
    return t && t->type == T_OP && strcmp(t->text, s) == 0;
}

static void skip_nl(struct walk *w)
{
    while (w->i < w->end && w->t[w->i].type == T_NL)
        w->i++;
}

static bool in_set(const char *s, const char *const *set)
{
    for (size_t i = 0; set && set[i]; i++)
        if (strcmp(s, set[i]) == 0)
            return true;
    return false;
}

/* test / [ on known words. */
static enum st eval_test(struct walk *w, char **a, size_t n)
{
    if (n == 0)
        return ST_FALSE;
    if (n == 1)
        return a[0][0] ? ST_TRUE : ST_FALSE;
    if (strcmp(a[0], "!") == 0 && n <= 4) {
        enum st s = eval_test(w, a + 1, n - 1);
        return s == ST_UNKNOWN ? s : s == ST_TRUE ? ST_FALSE : ST_TRUE;
    }
    if (n == 2 && a[0][0] == '-' && a[0][1] && !a[0][2]) {
        char op = a[0][1];
        if (op == 'z')
            return a[1][0] ? ST_FALSE : ST_TRUE;
        if (op == 'n')
            return a[1][0] ? ST_TRUE : ST_FALSE;
        if (op == 'h')
            op = 'L';
        if (op == 'r' || op == 'w')
            op = 'e';
        if (!strchr("efdLxs", op) || !w->ops->test_path || a[1][0] != '/')
            return ST_UNKNOWN;
        int r = w->ops->test_path(w->arg, op, a[1]);
        return r < 0 ? ST_UNKNOWN : r ? ST_TRUE : ST_FALSE;
    }
    if (n == 3 && (strcmp(a[1], "=") == 0 || strcmp(a[1], "==") == 0))
        return strcmp(a[0], a[2]) == 0 ? ST_TRUE : ST_FALSE;
    if (n == 3 && strcmp(a[1], "!=") == 0)
        return strcmp(a[0], a[2]) != 0 ? ST_TRUE : ST_FALSE;
    return ST_UNKNOWN;
}

static void substitutions(struct walk *w, const char *word, int line);

/* `. FILE`: the file's text (from the image, through ops->source) read in the running scope, as
   the shell would: its functions and variables stay. Its tokens go after the script's, so the
   functions it defines keep their bodies. A file the image lacks is a command that fails. */
static int run_sourced(struct walk *w, const char *path, enum live live, enum st *status)
{
    char *text = w->ops->source(w->arg, path);
    if (!text) {
        *status = ST_FALSE;
        return 0;
    }
    size_t si = w->i, se = w->end, start = w->n;
    tokenize(w, text);
    free(text);
    w->i = start;
    w->end = w->n;
    w->depth++;
    int rc = parse_list(w, live, NULL, status);
    w->depth--;
    w->ret = false; /* a return in it ends the file, not the function around the `.` */
    w->i = si;
    w->end = se;
    return rc;
}

/* Runs one simple command: words tok[a..b). */
static int run_simple(struct walk *w, size_t a, size_t b, enum live live, enum st *status)
{
    *status = ST_UNKNOWN;
    if (live == L_NO)
        return 0;
    if (w->ops->program)
        for (size_t m = a; m < b; m++)
            substitutions(w, w->t[m].text, w->t[m].line);
    size_t k = a, nl;
    bool decl = false;
    if (k < b && (strcmp(w->t[k].text, "local") == 0 || strcmp(w->t[k].text, "export") == 0 ||
                  strcmp(w->t[k].text, "readonly") == 0)) {
        decl = true;
        k++;
    }
    size_t first = k;
    while (k < b && is_assignment(w->t[k].text, &nl))
        k++;
    if (k == b || decl) {
        for (size_t m = first; m < b; m++) {
            if (!is_assignment(w->t[m].text, &nl))
                continue;
            char *v = expand(w, w->t[m].text + nl + 1);
            var_set(w, w->t[m].text, nl, v);
            free(v);
        }
        *status = ST_TRUE;
        return 0;
    }
    const char *c0 = w->t[k].text;
    if (strcmp(c0, "shift") == 0) {
        char *nv = k + 1 < b ? expand(w, w->t[k + 1].text) : NULL;
        long n = k + 1 < b ? (nv ? strtol(nv, NULL, 10) : -1) : 1;
        free(nv);
        if (n > 0 && (size_t)n <= w->npos) {
            w->pos += n;
            w->npos -= (size_t)n;
        }
        return 0;
    }
    if (strcmp(c0, "read") == 0) { /* what it reads only a run can tell */
        for (size_t m = k + 1; m < b; m++) {
            const char *x = w->t[m].text;
            if (x[0] == '-') {
                if (x[1] && !x[2] && strchr("pdntuN", x[1]))
                    m++; /* the option's value */
                continue;
            }
            size_t l = 0;
            while (name_char(x[l], l == 0))
                l++;
            if (l && !x[l])
                var_set(w, x, l, NULL);
        }
        *status = ST_UNKNOWN;
        return 0;
    }
    if (strcmp(c0, "true") == 0 || strcmp(c0, ":") == 0) {
        *status = ST_TRUE;
        return 0;
    }
    if (strcmp(c0, "false") == 0) {
        *status = ST_FALSE;
        return 0;
    }
    if (strcmp(c0, "exit") == 0 || strcmp(c0, "return") == 0) {
        if (live == L_SURE) {
            if (c0[0] == 'e' || w->depth == 0)
                w->stop = true;
            else
                w->ret = true;
        }
        return 0;
    }
    size_t cap = b - k + w->npos + 1;
    char **argv = xcalloc(cap, sizeof(char *));
    size_t argc = 0;
    bool known = true;
    struct func *f = func_find(w, c0);
    for (size_t m = k; m < b && (known || f); m++) {
        const char *tx = w->t[m].text;
        if ((strcmp(tx, "\"$@\"") == 0 || strcmp(tx, "$@") == 0) && w->args_unknown &&
            w->depth == 0) {
            known = false;
            if (!f || m == k)
                break;
            argv[argc++] = NULL;
            continue;
        }
        if (strcmp(tx, "\"$@\"") == 0 || strcmp(tx, "$@") == 0) {
            for (size_t q = 0; q < w->npos && argc + 1 < cap; q++) {
                argv[argc++] = w->pos[q] ? xstrdup(w->pos[q]) : NULL;
                if (!w->pos[q])
                    known = false;
            }
            continue;
        }
        char *x = expand(w, tx);
        if (!x) {
            known = false;
            if (!f || m == k)
                break;
        }
        argv[argc++] = x;
    }
    int rc = 0;
    if (!f && argc && argv[0] && w->ops->program) {
        size_t nk = 0;
        while (nk < argc && argv[nk])
            nk++;
        w->ops->program(w->arg, argv, nk, w->line_base + w->t[k].line);
    }
    if (f && argv[0] && w->depth < MAX_DEPTH) {
        /* a function: its unknown arguments stay unknown where they are used */
        char **saved = w->pos;
        size_t nsaved = w->npos, si = w->i, se = w->end;
        w->pos = argv + 1;
        w->npos = argc - 1;
        w->depth++;
        w->i = f->start;
        w->end = f->end;
        enum st st;
        rc = parse_list(w, live, NULL, &st);
        w->ret = false;
        w->depth--;
        w->pos = saved;
        w->npos = nsaved;
        w->i = si;
        w->end = se;
    } else if (!known) {
        w->st->unknown++;
    } else if ((!strcmp(argv[0], ".") || !strcmp(argv[0], "source")) && argc >= 2 &&
               argv[1][0] == '/' && w->ops->source && w->depth < MAX_DEPTH) {
        rc = run_sourced(w, argv[1], live, status);
    } else if (!strcmp(argv[0], "[") || !strcmp(argv[0], "test")) {
        size_t n = argc - 1;
        if (argv[0][0] == '[' && n && strcmp(argv[n], "]") == 0)
            n--;
        *status = eval_test(w, argv + 1, n);
    } else if (w->ops->command && !w->programs_only) {
        struct maint_cmd c = {w->pkg, w->script, w->t[k].line, argc, argv};
        w->st->commands++;
        rc = w->ops->command(w->arg, &c, w->err);
    }
    for (size_t m = 0; m < argc; m++)
        free(argv[m]);
    free(argv);
    return rc;
}

static int parse_and_or(struct walk *w, enum live live, enum st *status);

/* A list of and-or lists, up to a reserved word of `stops` (at a command's start), ";;", ")" or
   the end. */
static int parse_list(struct walk *w, enum live live, const char *const *stops, enum st *status)
{
    *status = ST_TRUE;
    while (w->i < w->end && !w->stop && !w->ret) {
        const struct tok *t = cur(w);
        if (t->type == T_NL ||
            (t->type == T_OP && (!strcmp(t->text, ";") || !strcmp(t->text, "&")))) {
            w->i++;
            continue;
        }
        if (t->type == T_WORD && in_set(t->text, stops))
            break;
        if (t->type == T_OP && (!strcmp(t->text, ";;") || !strcmp(t->text, ")")))
            break;
        size_t before = w->i;
        int rc = parse_and_or(w, live, status);
        if (rc < 0)
            return rc;
        if (w->i == before)
            w->i++; /* a token nothing here reads: passed over */
    }
    return 0;
}

static int parse_command(struct walk *w, enum live live, enum st *status);

static int parse_pipeline(struct walk *w, enum live live, enum st *status)
{
    bool neg = false;
    while (at_word(w, "!")) {
        neg = !neg;
        w->i++;
    }
    int rc = parse_command(w, live, status);
    bool piped = false;
    while (rc == 0 && at_op(w, "|")) {
        w->i++;
        skip_nl(w);
        piped = true;
        rc = parse_command(w, live, status);
    }
    if (piped)
        *status = ST_UNKNOWN;
    if (neg && *status != ST_UNKNOWN)
        *status = *status == ST_TRUE ? ST_FALSE : ST_TRUE;
    return rc;
}

static int parse_and_or(struct walk *w, enum live live, enum st *status)
{
    int rc = parse_pipeline(w, live, status);
    while (rc == 0 && (at_op(w, "&&") || at_op(w, "||"))) {
        bool and_ = at_op(w, "&&");
        w->i++;
        skip_nl(w);
        /* the right side runs when the left one succeeded (&&) or failed (||) */
        enum st left = *status;
        enum st run = and_                 ? left
                      : left == ST_UNKNOWN ? ST_UNKNOWN
                      : left == ST_TRUE    ? ST_FALSE
                                           : ST_TRUE;
        enum st right;
        rc = parse_pipeline(w, weaken(live, run), &right);
        if (run == ST_FALSE)
            *status = left;
        else if (run == ST_TRUE)
            *status = right;
        else if (and_)
            *status = right == ST_FALSE ? ST_FALSE : ST_UNKNOWN;
        else
            *status = right == ST_TRUE ? ST_TRUE : ST_UNKNOWN;
    }
    return rc;
}

static const char *const s_then[] = {"then", NULL};
static const char *const s_branch[] = {"elif", "else", "fi", NULL};
static const char *const s_fi[] = {"fi", NULL};
static const char *const s_do[] = {"do", NULL};
static const char *const s_done[] = {"done", NULL};
static const char *const s_brace[] = {"}", NULL};
static const char *const s_esac[] = {"esac", NULL};

static int parse_if(struct walk *w, enum live live, enum st *status)
{
    w->i++; /* if */
    enum st cond, body;
    int rc = parse_list(w, live, s_then, &cond);
    if (rc < 0 || !at_word(w, "then"))
        return rc;
    w->i++;
    bool decided = cond == ST_TRUE;
    rc = parse_list(w, weaken(live, cond), s_branch, &body);
    enum live rest = weaken(live, cond == ST_UNKNOWN ? ST_UNKNOWN
                                  : cond == ST_TRUE  ? ST_FALSE
                                                     : ST_TRUE);
    while (rc == 0 && at_word(w, "elif")) {
        w->i++;
        rc = parse_list(w, decided ? L_NO : rest, s_then, &cond);
        if (rc < 0 || !at_word(w, "then"))
            return rc;
        w->i++;
        rc = parse_list(w, decided ? L_NO : weaken(rest, cond), s_branch, &body);
        decided |= cond == ST_TRUE && rest != L_NO;
        if (!decided)
            rest = weaken(rest, cond == ST_UNKNOWN ? ST_UNKNOWN
                                : cond == ST_TRUE  ? ST_FALSE
                                                   : ST_TRUE);
    }
    if (rc == 0 && at_word(w, "else")) {
        w->i++;
        rc = parse_list(w, decided ? L_NO : rest, s_fi, &body);
    }
    if (at_word(w, "fi"))
        w->i++;
    *status = ST_UNKNOWN;
    return rc;
}

static int parse_case(struct walk *w, enum live live, enum st *status)
{
    w->i++; /* case */
    const struct tok *t = cur(w);
    char *word = t && t->type == T_WORD ? expand(w, t->text) : NULL;
    if (t)
        w->i++;
    skip_nl(w);
    if (at_word(w, "in"))
        w->i++;
    bool decided = false;
    int rc = 0;
    while (rc == 0 && w->i < w->end) {
        skip_nl(w);
        if (at_word(w, "esac")) {
            w->i++;
            break;
        }
        if (at_op(w, "("))
            w->i++;
        enum st match = ST_FALSE;
        while (w->i < w->end && !at_op(w, ")")) {
            const struct tok *p = cur(w);
            if (p->type == T_WORD) {
                w->pattern = true;
                char *pat = expand(w, p->text);
                w->pattern = false;
                if (!word || !pat)
                    match = match == ST_TRUE ? ST_TRUE : ST_UNKNOWN;
                else if (fnmatch(pat, word, 0) == 0)
                    match = ST_TRUE;
                free(pat);
            }
            w->i++;
        }
        if (at_op(w, ")"))
            w->i++;
        enum st arm;
        rc = parse_list(w, decided ? L_NO : weaken(live, match), s_esac, &arm);
        decided |= match == ST_TRUE;
        if (at_op(w, ";;"))
            w->i++;
    }
    free(word);
    *status = ST_UNKNOWN;
    return rc;
}

/* The words of `for NAME in WORDS`, tokens [a, b), expanded into *out (unquoted expansions split
   at blanks, as the shell splits them). False when one is not known, or more than 64. */
struct words {
    char **v;
    size_t n;
};

static bool for_words(struct walk *w, size_t a, size_t b, struct words *out)
{
    for (size_t m = a; m < b; m++) {
        if (w->t[m].type != T_WORD)
            continue;
        char *x = expand(w, w->t[m].text);
        if (!x || out->n > 64) {
            free(x);
            return false;
        }
        bool quoted = strpbrk(w->t[m].text, "'\"") != NULL;
        for (char *p = x; *p;) {
            size_t l = quoted ? strlen(p) : strcspn(p, " \t\n");
            if (l) {
                char *one = xstrndup(p, l);
                strv_add(&out->v, &out->n, one);
                free(one);
            }
            p += l;
            p += strspn(p, " \t\n");
        }
        free(x);
    }
    return out->n <= 64;
}

/* for/while/until: the body read once (when it may run at all); a for over known words once for
   each, its variable set to it. */
static int parse_loop(struct walk *w, enum live live, enum st *status)
{
    bool is_for = at_word(w, "for");
    bool until = at_word(w, "until");
    w->i++;
    enum st cond = ST_UNKNOWN;
    int rc = 0;
    const struct tok *v = NULL;
    const char *vname = NULL;
    struct words words = {0};
    bool known = false;
    if (is_for) {
        v = cur(w);
        if (v && v->type == T_WORD && live != L_NO)
            var_set(w, v->text, strlen(v->text), NULL);
        size_t in = 0;
        while (w->i < w->end && !at_word(w, "do")) {
            if (!in && at_word(w, "in"))
                in = w->i + 1;
            w->i++;
        }
        known = in && v && v->type == T_WORD && live != L_NO && for_words(w, in, w->i, &words);
        vname = known ? v->text : NULL; /* the token array may grow (a sourced file) */
    } else {
        rc = parse_list(w, live, s_do, &cond);
        if (until && cond != ST_UNKNOWN)
            cond = cond == ST_TRUE ? ST_FALSE : ST_TRUE;
    }
    if (rc < 0 || !at_word(w, "do")) {
        strv_free(words.v, words.n);
        return rc;
    }
    w->i++;
    enum st body;
    if (known && words.n) {
        size_t start = w->i;
        for (size_t k = 0; k < words.n && rc == 0 && !w->stop && !w->ret; k++) {
            var_set(w, vname, strlen(vname), words.v[k]);
            w->i = start;
            rc = parse_list(w, live, s_done, &body);
        }
        if (w->stop || w->ret) { /* it ended inside: read past the body */
            bool stop = w->stop, ret = w->ret;
            w->stop = w->ret = false;
            w->i = start;
            parse_list(w, L_NO, s_done, &body);
            w->stop = stop;
            w->ret = ret;
        }
    } else {
        rc = parse_list(w, known ? L_NO : weaken(live, cond == ST_TRUE ? ST_UNKNOWN : cond), s_done,
                        &body);
    }
    strv_free(words.v, words.n);
    if (at_word(w, "done"))
        w->i++;
    *status = ST_UNKNOWN;
    return rc;
}

static int parse_command(struct walk *w, enum live live, enum st *status)
{
    if (++w->steps > MAX_STEPS) {
        w->i = w->end;
        return 0;
    }
    *status = ST_UNKNOWN;
    const struct tok *t = cur(w);
    if (!t)
        return 0;
    if (t->type == T_OP && !strcmp(t->text, "(")) {
        w->i++;
        int rc = parse_list(w, live, NULL, status);
        if (at_op(w, ")"))
            w->i++;
        return rc;
    }
    if (t->type != T_WORD)
        return 0;
    if (!strcmp(t->text, "if"))
        return parse_if(w, live, status);
    if (!strcmp(t->text, "case"))
        return parse_case(w, live, status);
    if (!strcmp(t->text, "for") || !strcmp(t->text, "while") || !strcmp(t->text, "until"))
        return parse_loop(w, live, status);
    if (!strcmp(t->text, "{")) {
        w->i++;
        int rc = parse_list(w, live, s_brace, status);
        if (at_word(w, "}"))
            w->i++;
        return rc;
    }
    size_t a = w->i;
    while (w->i < w->end && w->t[w->i].type == T_WORD)
        w->i++;
    size_t b = w->i;
    /* a function definition: NAME ( ) { ... } */
    if (b == a + 1 && at_op(w, "(") && w->i + 1 < w->end && w->t[w->i + 1].type == T_OP &&
        !strcmp(w->t[w->i + 1].text, ")")) {
        w->i += 2;
        skip_nl(w);
        if (at_word(w, "{")) {
            w->i++;
            size_t start = w->i;
            enum st ignored;
            int rc = parse_list(w, L_NO, s_brace, &ignored);
            if (rc < 0)
                return rc;
            if (live != L_NO) {
                w->funcs = xrealloc(w->funcs, (w->nfuncs + 1) * sizeof(*w->funcs));
                w->funcs[w->nfuncs++] = (struct func){xstrdup(w->t[a].text), start, w->i};
            }
            if (at_word(w, "}"))
                w->i++;
        }
        *status = ST_TRUE;
        return 0;
    }
    return run_simple(w, a, b, live, status);
}

/* Tokenizes `text` and reads it with `w` (set up by the caller); frees what the reading made. */
static int walk_text(struct walk *w, const char *text)
{
    tokenize(w, text ? text : "");
    w->end = w->n;
    enum st status;
    int rc = parse_list(w, L_SURE, NULL, &status);
    for (size_t i = 0; i < w->n; i++)
        free(w->t[i].text);
    free(w->t);
    for (size_t i = 0; i < w->nvars; i++) {
        free(w->vars[i].name);
        free(w->vars[i].value);
    }
    free(w->vars);
    for (size_t i = 0; i < w->nfuncs; i++)
        free(w->funcs[i].name);
    free(w->funcs);
    return rc;
}

/* The command substitutions of word `word` (at `line`), read for their programs only: $( ... )
   and ` ... `, not inside single quotes, not $(( arithmetic )). Four deep at most. */
static void substitutions(struct walk *w, const char *word, int line)
{
    if (w->subst_depth >= 4 || (!strchr(word, '`') && !strstr(word, "$(")))
        return;
    bool dq = false;
    for (const char *p = word; *p;) {
        if (*p == '\\' && p[1]) {
            p += 2;
        } else if (*p == '\'' && !dq) {
            const char *e = strchr(p + 1, '\'');
            p = e ? e + 1 : p + strlen(p);
        } else if (*p == '"') {
            dq = !dq;
            p++;
        } else if ((*p == '$' && p[1] == '(' && p[2] != '(') || *p == '`') {
            const char *e = skip_subst(p);
            const char *in = p + (*p == '$' ? 2 : 1);
            size_t len = e > in && (e[-1] == ')' || e[-1] == '`') ? (size_t)(e - 1 - in) : 0;
            char *inner = xstrndup(in, len);
            struct maint_stats st = {0};
            struct walk nw = {.pkg = w->pkg,
                              .script = w->script,
                              .ops = w->ops,
                              .arg = w->arg,
                              .st = &st,
                              .err = w->err,
                              .args_unknown = true,
                              .programs_only = true,
                              .line_base = line - 1,
                              .subst_depth = w->subst_depth + 1};
            walk_text(&nw, inner);
            free(inner);
            p = e;
        } else {
            p++;
        }
    }
}

int maint_walk(const char *text, const char *pkg, const char *script, const struct maint_ops *ops,
               void *arg, struct maint_stats *st, struct jeos_err *err)
{
    struct walk w = {.pkg = pkg, .script = script, .ops = ops, .arg = arg, .st = st, .err = err};
    static char configure[] = "configure", install[] = "install", empty[] = "";
    char *top[] = {script && !strcmp(script, "preinst") ? install : configure, empty};
    if (script) {
        w.pos = top;
        w.npos = 2;
        /* what dpkg puts in a maintainer script's environment */
        var_set(&w, "DPKG_MAINTSCRIPT_PACKAGE", 24, pkg);
        var_set(&w, "DPKG_MAINTSCRIPT_NAME", 21, script);
    } else {
        w.args_unknown = true; /* a script a service runs: its arguments are not known here */
    }
    return walk_text(&w, text);
}
