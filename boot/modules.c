/* modules.c — kernel module resolution: names to .ko paths with their dependencies (modules.dep or
 * .modinfo). */
#include "boot/modules.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/core/util.h"

/* ---- the module index: name -> path, deps ---- */

struct mod {
    char *name, *path, *deps; /* deps: comma-separated names, or NULL until read */
    char *aliases;            /* space-separated modalias patterns, or NULL until read */
    int state;                /* 0 new, 1 visiting, 2 done */
};

struct modindex {
    struct mod *v;
    size_t n, cap;
    char **builtin;
    size_t nbuiltin;
    bool have_dep; /* deps came from modules.dep */
};

static char *canon(const char *s, size_t n)
{
    char *c = xstrndup(s, n);
    for (char *p = c; *p; p++)
        if (*p == '-')
            *p = '_';
    return c;
}

/* "kernel/fs/ext4/ext4.ko" -> "ext4" */
static char *name_of(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    const char *dot = strstr(b, ".ko");
    return canon(b, dot ? (size_t)(dot - b) : strlen(b));
}

static struct mod *find(struct modindex *ix, const char *name)
{
    for (size_t i = 0; i < ix->n; i++)
        if (strcmp(ix->v[i].name, name) == 0)
            return &ix->v[i];
    return NULL;
}

static void add(struct modindex *ix, const char *path, char *deps)
{
    if (ix->n == ix->cap) {
        ix->cap = ix->cap ? ix->cap * 2 : 256;
        ix->v = xrealloc(ix->v, ix->cap * sizeof(*ix->v));
    }
    ix->v[ix->n++] = (struct mod){.name = name_of(path), .path = xstrdup(path), .deps = deps};
}

static void index_free(struct modindex *ix)
{
    for (size_t i = 0; i < ix->n; i++) {
        free(ix->v[i].name);
        free(ix->v[i].path);
        free(ix->v[i].deps);
        free(ix->v[i].aliases);
    }
    free(ix->v);
    for (size_t i = 0; i < ix->nbuiltin; i++)
        free(ix->builtin[i]);
    free(ix->builtin);
}

/* Calls fn(arg, path relative to root, stat) for each .ko file under root/rel (rel may be ""),
   depth first; symlinks are not followed. */
typedef void (*ko_fn)(void *arg, const char *rel, const struct stat *st);
static void walk_ko(const char *root, const char *rel, ko_fn fn, void *arg)
{
    char *dir = *rel ? xasprintf("%s/%s", root, rel) : xstrdup(root);
    DIR *d = opendir(dir);
    free(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *sub = *rel ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
        char *full = xasprintf("%s/%s", root, sub);
        struct stat st;
        if (lstat(full, &st) == 0) {
            size_t l = strlen(e->d_name);
            if (S_ISDIR(st.st_mode))
                walk_ko(root, sub, fn, arg);
            else if (S_ISREG(st.st_mode) && l > 3 && strcmp(e->d_name + l - 3, ".ko") == 0)
                fn(arg, sub, &st);
        }
        free(full);
        free(sub);
    }
    closedir(d);
}

static void index_ko(void *arg, const char *rel, const struct stat *st)
{
    (void)st;
    add(arg, rel, NULL);
}

struct ko_count {
    uint64_t n, bytes;
};

static void count_ko(void *arg, const char *rel, const struct stat *st)
{
    struct ko_count *c = arg;
    (void)rel;
    c->n++;
    c->bytes += (uint64_t)st->st_size;
}

void jeos_modules_count(const char *modroot, uint64_t *n, uint64_t *bytes)
{
    struct ko_count c = {0};
    walk_ko(modroot, "", count_ko, &c);
    *n = c.n;
    *bytes = c.bytes;
}

/* modules.dep: "kernel/a/x.ko: kernel/b/y.ko kernel/c/z.ko" */
static int load_dep(struct modindex *ix, const char *modroot, struct jeos_err *err)
{
    char *path = xasprintf("%s/modules.dep", modroot), *text = NULL;
    size_t len;
    if (access(path, R_OK) != 0) {
        free(path);
        return 0;
    }
    int rc = jeos_read_file(path, &text, &len, err);
    if (rc) {
        free(path);
        return rc;
    }
    int lineno = 0;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        char *colon = strchr(line, ':');
        if (!colon) {
            rc = jeos_errf(err, -EINVAL, "%s:%d: expected \"module.ko: dependencies\"", path,
                           lineno);
            break;
        }
        *colon = '\0';
        struct sbuf deps = {0};
        for (char *tok = strtok(colon + 1, " \t"); tok; tok = strtok(NULL, " \t")) {
            char *n = name_of(tok);
            if (deps.len)
                sbuf_puts(&deps, ",");
            sbuf_puts(&deps, n);
            free(n);
        }
        add(ix, line, deps.s ? sbuf_take(&deps) : xstrdup(""));
    }
    ix->have_dep = rc == 0;
    free(text);
    free(path);
    return rc;
}

static void load_builtin(struct modindex *ix, const char *modroot)
{
    char *path = xasprintf("%s/modules.builtin", modroot), *text = NULL;
    size_t len;
    struct jeos_err ignore = {0};
    if (access(path, R_OK) == 0 && jeos_read_file(path, &text, &len, &ignore) == 0) {
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
            ix->builtin = xrealloc(ix->builtin, (ix->nbuiltin + 1) * sizeof(char *));
            ix->builtin[ix->nbuiltin++] = name_of(line);
        }
    }
    jeos_err_free(&ignore);
    free(text);
    free(path);
}

static bool is_builtin(const struct modindex *ix, const char *name)
{
    for (size_t i = 0; i < ix->nbuiltin; i++)
        if (strcmp(ix->builtin[i], name) == 0)
            return true;
    return false;
}

/* ---- .modinfo from the ELF image ---- */

static uint64_t rd(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Finds the .modinfo section of the ELF image; sets [*p, *end). */
static int modinfo_section(const uint8_t *data, size_t len, const char *what, const char **p,
                           const char **end, struct jeos_err *err)
{
    if (len < 64 || memcmp(data, "\177ELF", 4) != 0 || data[4] != 2 || data[5] != 1)
        return jeos_errf(err, -EINVAL, "%s: not a 64-bit little-endian ELF file", what);
    uint64_t shoff = rd(data + 0x28, 8);
    uint64_t shentsize = rd(data + 0x3a, 2), shnum = rd(data + 0x3c, 2),
             shstrndx = rd(data + 0x3e, 2);
    if (shentsize < 64 || shnum == 0 || shstrndx >= shnum || shoff > len ||
        shnum * shentsize > len - shoff)
        return jeos_errf(err, -EINVAL, "%s: section headers out of bounds", what);
    const uint8_t *sh = data + shoff;
    const uint8_t *strsh = sh + shstrndx * shentsize;
    uint64_t stroff = rd(strsh + 0x18, 8), strsize = rd(strsh + 0x20, 8);
    if (stroff > len || strsize > len - stroff)
        return jeos_errf(err, -EINVAL, "%s: section name table out of bounds", what);
    for (uint64_t i = 0; i < shnum; i++) {
        const uint8_t *s = sh + i * shentsize;
        uint64_t name = rd(s, 4), off = rd(s + 0x18, 8), size = rd(s + 0x20, 8);
        if (name >= strsize)
            continue;
        const char *nm = (const char *)data + stroff + name;
        size_t maxn = (size_t)(strsize - name);
        if (strnlen(nm, maxn) != 8 || memcmp(nm, ".modinfo", 8) != 0)
            continue;
        if (off > len || size > len - off)
            return jeos_errf(err, -EINVAL, "%s: .modinfo out of bounds", what);
        *p = (const char *)data + off;
        *end = *p + size;
        return 0;
    }
    return jeos_errf(err, -EINVAL, "%s: no .modinfo section (not a kernel module)", what);
}

int jeos_modinfo_depends(const uint8_t *data, size_t len, const char *what, char **deps,
                         struct jeos_err *err)
{
    *deps = NULL;
    const char *p, *end;
    int rc = modinfo_section(data, len, what, &p, &end, err);
    if (rc)
        return rc;
    while (p < end) {
        size_t l = strnlen(p, (size_t)(end - p));
        if (l > 8 && memcmp(p, "depends=", 8) == 0) {
            *deps = canon(p + 8, l - 8);
            return 0;
        }
        p += l + 1;
    }
    *deps = xstrdup("");
    return 0;
}

int jeos_modinfo_aliases(const uint8_t *data, size_t len, const char *what, char **aliases,
                         struct jeos_err *err)
{
    *aliases = NULL;
    const char *p, *end;
    int rc = modinfo_section(data, len, what, &p, &end, err);
    if (rc)
        return rc;
    struct sbuf b = {0};
    sbuf_puts(&b, "");
    while (p < end) {
        size_t l = strnlen(p, (size_t)(end - p));
        /* a pattern with a blank in it could not be written on one line: never seen, skipped */
        if (l > 6 && memcmp(p, "alias=", 6) == 0 && !memchr(p + 6, ' ', l - 6) &&
            !memchr(p + 6, '\n', l - 6)) {
            if (b.len)
                sbuf_puts(&b, " ");
            sbuf_add(&b, p + 6, l - 6);
        }
        p += l + 1;
    }
    *aliases = sbuf_take(&b);
    return 0;
}

/* Reads what the module's own .modinfo says: its aliases, and its dependencies unless
   modules.dep gave them. */
static int read_info(const char *modroot, struct mod *m, struct jeos_err *err)
{
    if (m->deps && m->aliases)
        return 0;
    char *path = xasprintf("%s/%s", modroot, m->path), *data = NULL;
    size_t len;
    if (m->deps && access(path, R_OK) != 0) {
        /* modules.dep named it but the file is not here: resolvable, with no aliases
           (jeos_initramfs_write reports the missing file if it is to be copied) */
        m->aliases = xstrdup("");
        free(path);
        return 0;
    }
    int rc = jeos_read_file(path, &data, &len, err);
    if (!rc && !m->deps)
        rc = jeos_modinfo_depends((const uint8_t *)data, len, path, &m->deps, err);
    if (!rc)
        rc = jeos_modinfo_aliases((const uint8_t *)data, len, path, &m->aliases, err);
    free(data);
    free(path);
    return rc;
}

/* Depth-first: dependencies are appended before the module itself. */
static int visit(struct modindex *ix, const char *modroot, const char *name, const char *needed_by,
                 bool optional, bool top, struct jeos_modlist *out, struct jeos_err *err)
{
    struct mod *m = find(ix, name);
    if (!m) {
        if (is_builtin(ix, name)) {
            if (!strv_has(out->builtin, out->nbuiltin, name))
                strv_add(&out->builtin, &out->nbuiltin, name);
            return 0;
        }
        if (optional) {
            if (!strv_has(out->missing, out->nmissing, name))
                strv_add(&out->missing, &out->nmissing, name);
            return 0;
        }
        if (needed_by)
            return jeos_errf(err, -ENOENT, "%s: module %s (needed by %s) is not in the tree",
                             modroot, name, needed_by);
        return jeos_errf(err, -ENOENT,
                         "%s: no kernel module named %s (neither a .ko file nor built in)", modroot,
                         name);
    }
    if (m->state == 2) {
        for (size_t i = 0; top && !optional && i < out->n; i++)
            if (strcmp(out->names[i], name) == 0)
                out->always[i] = true;
        return 0;
    }
    if (m->state == 1)
        return jeos_errf(err, -ELOOP, "%s: module %s depends on itself", modroot, name);
    m->state = 1;
    int rc = read_info(modroot, m, err);
    if (rc)
        return rc;
    char *deps = xstrdup(m->deps);
    for (char *tok = deps; tok && !rc;) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = '\0';
        if (*tok)
            rc = visit(ix, modroot, tok, m->name, false, false, out, err);
        tok = comma ? comma + 1 : NULL;
    }
    free(deps);
    if (rc)
        return rc;
    m->state = 2; /* the index does not grow while resolving, so m stays valid */
    out->names = xrealloc(out->names, (out->n + 1) * sizeof(char *));
    out->paths = xrealloc(out->paths, (out->n + 1) * sizeof(char *));
    out->deps = xrealloc(out->deps, (out->n + 1) * sizeof(char *));
    out->aliases = xrealloc(out->aliases, (out->n + 1) * sizeof(char *));
    out->always = xrealloc(out->always, (out->n + 1) * sizeof(bool));
    out->names[out->n] = xstrdup(m->name);
    out->paths[out->n] = xstrdup(m->path);
    out->deps[out->n] = xstrdup(m->deps);
    out->aliases[out->n] = xstrdup(m->aliases);
    out->always[out->n] = top && !optional;
    out->n++;
    return 0;
}

void jeos_modlist_free(struct jeos_modlist *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->names[i]);
        free(m->paths[i]);
        free(m->deps[i]);
        free(m->aliases[i]);
    }
    free(m->deps);
    free(m->aliases);
    free(m->always);
    for (size_t i = 0; i < m->nbuiltin; i++)
        free(m->builtin[i]);
    for (size_t i = 0; i < m->nmissing; i++)
        free(m->missing[i]);
    free(m->names);
    free(m->paths);
    free(m->builtin);
    free(m->missing);
    memset(m, 0, sizeof(*m));
}

int jeos_modules_resolve(const char *modroot, const char *const *required,
                         const char *const *optional, struct jeos_modlist *out,
                         struct jeos_err *err)
{
    memset(out, 0, sizeof(*out));
    struct stat st;
    if (stat(modroot, &st) != 0 || !S_ISDIR(st.st_mode))
        return jeos_errf(err, -ENOENT, "%s: not a kernel module tree (no such folder)", modroot);
    struct modindex ix = {0};
    int rc = load_dep(&ix, modroot, err);
    if (!rc && !ix.have_dep)
        walk_ko(modroot, "kernel", index_ko, &ix);
    load_builtin(&ix, modroot);
    for (int pass = 0; !rc && pass < 2; pass++) {
        const char *const *list = pass ? optional : required;
        for (size_t i = 0; !rc && list && list[i]; i++) {
            char *n = canon(list[i], strlen(list[i]));
            rc = visit(&ix, modroot, n, NULL, pass == 1, true, out, err);
            free(n);
        }
    }
    index_free(&ix);
    if (rc) {
        jeos_modlist_free(out);
        return rc;
    }
    /* A module no device can ask for (no alias) and nothing depends on is loaded always. */
    for (size_t i = 0; i < out->n; i++) {
        if (out->always[i] || out->aliases[i][0])
            continue;
        bool needed = false;
        for (size_t j = 0; j < out->n && !needed; j++) {
            const char *d = out->deps[j];
            size_t l = strlen(out->names[i]);
            for (const char *q = strstr(d, out->names[i]); q && !needed;
                 q = strstr(q + 1, out->names[i]))
                needed = (q == d || q[-1] == ',') && (q[l] == '\0' || q[l] == ',');
        }
        out->always[i] = !needed;
    }
    return 0;
}
