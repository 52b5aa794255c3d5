/* closure.c — what the root's programs need, checked against the root itself (see closure.h). */
#include "builder/appliance/closure.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/appliance/rootops.h"
#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/recipe/recipe.h"

/* Interpreters an essential package provides: Debian packages never depend on those. */
static const struct {
    const char *path, *pkg;
} providers[] = {
    {"/bin/sh", "dash"},
    {"/usr/bin/sh", "dash"},
    {"/bin/dash", "dash"},
    {"/usr/bin/dash", "dash"},
    {"/bin/bash", "bash"},
    {"/usr/bin/bash", "bash"},
    {"/usr/bin/perl", "perl-base"},
    {"/bin/perl", "perl-base"},
    {"/usr/bin/env", "coreutils"},
    {"/bin/env", "coreutils"},
};

static const char *provider_of(const char *path)
{
    for (size_t i = 0; i < sizeof(providers) / sizeof(providers[0]); i++)
        if (strcmp(providers[i].path, path) == 0)
            return providers[i].pkg;
    return NULL;
}

/* One program or library the walk found. */
struct item {
    char *path;
    const char *pkg;
    bool script;
    char *interp;  /* script: the #! program; ELF: PT_INTERP; NULL */
    char *envprog; /* script "#!/usr/bin/env NAME": NAME */
    struct deb_strs needed, dirs;
    bool service; /* a service runs it, or loads it */
    bool bad;     /* already reported */
};

struct walk {
    struct tree *t;
    struct item *v;
    size_t n, cap;
};

void closure_result_free(struct closure_result *c)
{
    for (size_t i = 0; i < c->nneeds; i++) {
        free(c->needs[i].pkg);
        free(c->needs[i].parent);
        free(c->needs[i].why);
    }
    free(c->needs);
    deb_strs_free(&c->warnings);
    memset(c, 0, sizeof(*c));
}

/* ---- ELF ---- */

static uint64_t rd(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* A NUL-terminated string at file offset `off`, or NULL. */
static const char *str_at(const unsigned char *d, size_t n, uint64_t off)
{
    if (off >= n)
        return NULL;
    const unsigned char *e = memchr(d + off, '\0', n - off);
    return e ? (const char *)d + off : NULL;
}

/* The file offset of virtual address `a`, through the PT_LOAD headers; UINT64_MAX when none. */
static uint64_t vaddr_off(const unsigned char *d, size_t n, uint64_t phoff, unsigned phnum,
                          unsigned phent, uint64_t a)
{
    for (unsigned i = 0; i < phnum; i++) {
        const unsigned char *ph = d + phoff + (uint64_t)i * phent;
        if (rd(ph, 4) != 1)
            continue;
        uint64_t off = rd(ph + 8, 8), va = rd(ph + 16, 8), fsz = rd(ph + 32, 8);
        if (a >= va && a - va < fsz && off + (a - va) < n)
            return off + (a - va);
    }
    return UINT64_MAX;
}

/* Reads a 64-bit little-endian ELF's interpreter, DT_NEEDED and run paths into it. Returns true
   for such an ELF (static ones included). Everything is bounds-checked: a bad file is no ELF. */
static bool elf_read(const unsigned char *d, size_t n, const char *path, struct item *it)
{
    if (n < 64 || memcmp(d, "\177ELF", 4) != 0 || d[4] != 2 || d[5] != 1)
        return false;
    uint64_t phoff = rd(d + 32, 8);
    unsigned phent = (unsigned)rd(d + 54, 2), phnum = (unsigned)rd(d + 56, 2);
    if (phent < 56 || phoff > n || (uint64_t)phnum * phent > n - phoff)
        return false;
    uint64_t dyn = 0, dynsz = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const unsigned char *ph = d + phoff + (uint64_t)i * phent;
        uint32_t type = (uint32_t)rd(ph, 4);
        uint64_t off = rd(ph + 8, 8), fsz = rd(ph + 32, 8);
        if (off > n || fsz > n - off)
            continue;
        if (type == 3) { /* PT_INTERP */
            const char *s = str_at(d, n, off);
            if (s && !it->interp)
                it->interp = xstrdup(s);
        } else if (type == 2) { /* PT_DYNAMIC */
            dyn = off;
            dynsz = fsz;
        }
    }
    if (!dynsz)
        return true;
    uint64_t strtab = 0;
    for (uint64_t o = dyn; o + 16 <= dyn + dynsz; o += 16)
        if (rd(d + o, 8) == 5) /* DT_STRTAB */
            strtab = vaddr_off(d, n, phoff, phnum, phent, rd(d + o + 8, 8));
    if (strtab == UINT64_MAX || !strtab)
        return true;
    const char *rpath = NULL, *runpath = NULL;
    for (uint64_t o = dyn; o + 16 <= dyn + dynsz; o += 16) {
        uint64_t tag = rd(d + o, 8), val = rd(d + o + 8, 8);
        if (tag == 0)
            break;
        const char *s = val < n - strtab ? str_at(d, n, strtab + val) : NULL;
        if (!s)
            continue;
        if (tag == 1)
            deb_strs_add(&it->needed, s);
        else if (tag == 15)
            rpath = s;
        else if (tag == 29)
            runpath = s;
    }
    const char *rp = runpath ? runpath : rpath;
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    for (const char *p = rp; p && *p;) {
        size_t len = strcspn(p, ":");
        char *one = xstrndup(p, len);
        char *x = strncmp(one, "$ORIGIN", 7) == 0     ? xasprintf("%s%s", dir, one + 7)
                  : strncmp(one, "${ORIGIN}", 9) == 0 ? xasprintf("%s%s", dir, one + 9)
                                                      : xstrdup(one);
        deb_strs_add(&it->dirs, x);
        free(x);
        free(one);
        p += len + (p[len] == ':');
    }
    free(dir);
    return true;
}

/* ---- the walk ---- */

static bool maybe_lib(const char *name)
{
    const char *so = strstr(name, ".so");
    return so && (so[3] == '\0' || so[3] == '.');
}

static int collect(struct tree_node *n, const char *path, void *arg)
{
    struct walk *w = arg;
    struct tree_inode *ino = n->ino;
    n->ino->id = 0;
    if (ino->type != TREE_FILE || ino->size < 4)
        return 0;
    bool exec = (ino->mode & 0111) != 0;
    if (!exec && !maybe_lib(n->name))
        return 0;
    size_t l = strlen(n->name);
    if (l > 3 && strcmp(n->name + l - 3, ".ko") == 0)
        return 0;
    const unsigned char *d = NULL;
    unsigned char *owned = NULL;
    if (ino->data == TREE_DATA_BUF) {
        d = ino->buf;
    } else if (tree_inode_read(ino, &owned, NULL) == 0) {
        d = owned;
    }
    if (!d) {
        free(owned);
        return 0;
    }
    struct item it = {0};
    bool keep = false;
    if (elf_read(d, (size_t)ino->size, path, &it)) {
        keep = true;
    } else if (exec && d[0] == '#' && d[1] == '!') {
        size_t max = ino->size < 256 ? (size_t)ino->size : 256;
        char line[260];
        size_t k = 2, o = 0;
        while (k < max && (d[k] == ' ' || d[k] == '\t'))
            k++;
        while (k < max && d[k] != '\n' && d[k] != ' ' && d[k] != '\t' && d[k] != '\r' &&
               o + 1 < sizeof(line))
            line[o++] = (char)d[k++];
        line[o] = '\0';
        if (line[0] == '/') {
            keep = true;
            it.script = true;
            it.interp = xstrdup(line);
            if (strcmp(line, "/usr/bin/env") == 0 || strcmp(line, "/bin/env") == 0) {
                while (k < max && (d[k] == ' ' || d[k] == '\t'))
                    k++;
                o = 0;
                while (k < max && d[k] != '\n' && d[k] != ' ' && d[k] != '\t' && d[k] != '\r' &&
                       o + 1 < sizeof(line))
                    line[o++] = (char)d[k++];
                line[o] = '\0';
                if (line[0] && line[0] != '-')
                    it.envprog = xstrdup(line);
            }
        }
    }
    free(owned);
    if (!keep) {
        free(it.interp);
        deb_strs_free(&it.needed);
        deb_strs_free(&it.dirs);
        return 0;
    }
    it.path = xstrdup(path);
    it.pkg = ino->pkg && *ino->pkg ? ino->pkg : NULL;
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 256;
        w->v = xrealloc(w->v, w->cap * sizeof(*w->v));
    }
    w->v[w->n++] = it;
    ino->id = w->n; /* the item of this inode, + 1 (reset at the end) */
    return 0;
}

static int reset_id(struct tree_node *n, const char *path, void *arg)
{
    (void)path;
    (void)arg;
    n->ino->id = 0;
    return 0;
}

static struct item *item_at(struct walk *w, const char *path)
{
    struct tree_node *n = tree_lookup(w->t, path, TREE_FOLLOW_LAST, NULL);
    if (!n || !n->ino->id || n->ino->id > w->n)
        return NULL;
    return &w->v[n->ino->id - 1];
}

/* Where a DT_NEEDED name is found for `it`, or NULL. The caller frees the path. */
static char *find_lib(struct walk *w, const struct item *it, const char *lib)
{
    if (strchr(lib, '/'))
        return root_exists(w->t, lib, true) ? xstrdup(lib) : NULL;
    static const char *const def[] = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib",
                                      "/usr/lib", NULL};
    for (size_t i = 0; i < it->dirs.n; i++) {
        char *p = xasprintf("%s/%s", it->dirs.v[i], lib);
        if (root_exists(w->t, p, true))
            return p;
        free(p);
    }
    for (size_t i = 0; def[i]; i++) {
        char *p = xasprintf("%s/%s", def[i], lib);
        if (root_exists(w->t, p, true))
            return p;
        free(p);
    }
    return NULL;
}

/* Marks what `path` loads (and what that loads) as run by a service. */
static void mark_service(struct walk *w, const char *path, int depth)
{
    struct item *it = item_at(w, path);
    if (!it || it->service || depth > 32)
        return;
    it->service = true;
    if (it->script && it->interp)
        mark_service(w, it->interp, depth + 1);
    for (size_t i = 0; i < it->needed.n; i++) {
        char *p = find_lib(w, it, it->needed.v[i]);
        if (p)
            mark_service(w, p, depth + 1);
        free(p);
    }
}

static void add_need(struct closure_result *out, const char *pkg, const char *parent,
                     const char *why)
{
    for (size_t i = 0; i < out->nneeds; i++)
        if (strcmp(out->needs[i].pkg, pkg) == 0)
            return;
    out->needs = xrealloc(out->needs, (out->nneeds + 1) * sizeof(*out->needs));
    out->needs[out->nneeds++] =
        (struct closure_need){xstrdup(pkg), parent ? xstrdup(parent) : NULL, xstrdup(why)};
}

static void warn(struct closure_result *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void warn(struct closure_result *out, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    deb_strs_add(&out->warnings, buf);
}

/* The interpreter of script `it`: present, a need, a warning, or an error. */
static int check_script(struct walk *w, struct item *it, struct closure_result *out,
                        struct jeos_err *err)
{
    const char *missing = NULL;
    char *envp = NULL;
    if (!root_exists(w->t, it->interp, true)) {
        missing = it->interp;
    } else if (it->envprog) {
        static const char *const path[] = {
            "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", NULL};
        bool found = it->envprog[0] == '/' && root_exists(w->t, it->envprog, true);
        for (size_t i = 0; path[i] && !found && it->envprog[0] != '/'; i++) {
            char *p = xasprintf("%s/%s", path[i], it->envprog);
            found = root_exists(w->t, p, true);
            free(p);
        }
        if (!found)
            missing = envp = it->envprog[0] == '/' ? xstrdup(it->envprog)
                                                   : xasprintf("/usr/bin/%s", it->envprog);
    }
    if (!missing)
        return 0;
    const char *prov = provider_of(missing);
    int rc = 0;
    if (prov && it->service) {
        char *why = xasprintf("interpreter %s of %s", missing, it->path);
        add_need(out, prov, it->pkg, why);
        free(why);
    } else if (it->service && !it->bad) {
        rc = jeos_errf(err, -ENOENT,
                       "%s: interpreter %s is not in the image (a service runs it; add the "
                       "package that provides it to packages:)",
                       it->path, missing);
        it->bad = true;
    } else if (prov) {
        warn(out, "%s: interpreter %s is not in the image (%s provides it; no service runs it)",
             it->path, missing, prov);
    } else {
        warn(out, "%s: interpreter %s is not in the image (no service runs it)", it->path, missing);
    }
    free(envp);
    return rc;
}

static int check_elf(struct walk *w, struct item *it, struct closure_result *out,
                     struct jeos_err *err)
{
    int rc = 0;
    if (it->interp && !root_exists(w->t, it->interp, true)) {
        if (it->service)
            rc = jeos_errf(err, -ENOENT,
                           "%s: its dynamic linker %s is not in the image (a service runs it)",
                           it->path, it->interp);
        else
            warn(out, "%s: its dynamic linker %s is not in the image (no service runs it)",
                 it->path, it->interp);
    }
    for (size_t i = 0; i < it->needed.n; i++) {
        char *p = find_lib(w, it, it->needed.v[i]);
        if (p) {
            free(p);
            continue;
        }
        if (it->service)
            rc = jeos_errf(err, -ENOENT,
                           "%s: needs %s, which is not in the image (a service runs it)", it->path,
                           it->needed.v[i]);
        else
            warn(out, "%s: needs %s, which is not in the image (no service runs it)", it->path,
                 it->needed.v[i]);
    }
    return rc;
}

/* /etc/passwd or /etc/group of the tree: is `name` (or a number) in it? */
static bool in_db(struct tree *t, const char *file, const char *name)
{
    char *end;
    strtol(name, &end, 10);
    if (*name && !*end)
        return true;
    char *text = root_text(t, file);
    bool found = false;
    size_t l = strlen(name);
    for (char *p = text; p && *p && !found;) {
        found = strncmp(p, name, l) == 0 && p[l] == ':';
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    free(text);
    return found;
}

/* A program a service runs that names /bin/sh in its bytes (system(), popen(), a user's
   shell...): the shell must be there. */
static void wants_sh(struct walk *w, const char *prog, struct closure_result *out)
{
    if (root_exists(w->t, "/bin/sh", true))
        return;
    struct tree_node *n = tree_lookup(w->t, prog, TREE_FOLLOW_LAST, NULL);
    if (!n || n->ino->type != TREE_FILE || n->ino->size < 8)
        return;
    unsigned char *owned = NULL;
    const unsigned char *d = n->ino->data == TREE_DATA_BUF ? n->ino->buf : NULL;
    if (!d && tree_inode_read(n->ino, &owned, NULL) == 0)
        d = owned;
    if (d && memcmp(d, "\177ELF", 4) == 0 && memmem(d, (size_t)n->ino->size, "/bin/sh", 8)) {
        char *why = xasprintf("/bin/sh, which %s runs commands with", prog);
        add_need(out, provider_of("/bin/sh"), n->ino->pkg && *n->ino->pkg ? n->ino->pkg : NULL,
                 why);
        free(why);
    }
    free(owned);
}

/* A service command's program: present and executable; what it runs, marked. */
static int check_program(struct walk *w, const char *where, const char *field,
                         const struct svc_cmd *c, struct closure_result *out, struct jeos_err *err)
{
    const char *prog = c->argv.n ? c->argv.v[0] : "";
    struct tree_node *n = tree_lookup(w->t, prog, TREE_FOLLOW_LAST, NULL);
    if (!n)
        return jeos_errf(err, -ENOENT, "%s: %s: %s is not in the image", where, field, prog);
    if (n->ino->type != TREE_FILE || !(n->ino->mode & 0111))
        return jeos_errf(err, -EACCES, "%s: %s: %s is not an executable file (mode %04o)", where,
                         field, prog, n->ino->mode);
    mark_service(w, prog, 0);
    struct item *it = item_at(w, prog);
    wants_sh(w, it && it->script && it->interp ? it->interp : prog, out);
    return 0;
}

static int check_services(struct walk *w, const struct recipe *r, const struct svc_plan *plan,
                          struct closure_result *out, struct jeos_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < plan->nboot; i++) {
        int e = check_program(w, "first boot", "command", &plan->boot[i], out, err);
        rc = rc ? rc : e;
    }
    for (size_t i = 0; i < plan->n; i++) {
        const struct svc_spec *s = &plan->v[i];
        char *where = s->unit ? xstrdup(s->unit)
                              : xasprintf("%s:%d:%d", r && r->path ? r->path : "recipe",
                                          s->where.line, s->where.col);
        int e;
        for (size_t k = 0; k < s->npre; k++)
            if ((e = check_program(w, where, "ExecStartPre", &s->pre[k], out, err)) < 0)
                rc = rc ? rc : e;
        if ((e = check_program(w, where, s->unit ? "ExecStart" : "service.exec[0]", &s->start, out,
                               err)) < 0)
            rc = rc ? rc : e;
        for (size_t k = 0; k < s->npost; k++)
            if ((e = check_program(w, where, "ExecStartPost", &s->post[k], out, err)) < 0)
                rc = rc ? rc : e;
        if (s->user && !in_db(w->t, "/etc/passwd", s->user))
            rc = jeos_errf(err, -ENOENT, "%s: %s: %s is not a user of the image", where,
                           s->unit ? "User" : "service.user", s->user);
        if (s->group && !in_db(w->t, "/etc/group", s->group))
            rc = jeos_errf(err, -ENOENT, "%s: %s: %s is not a group of the image", where,
                           s->unit ? "Group" : "service.group", s->group);
        if (s->workdir && s->workdir[0] != '-') {
            struct tree_node *n = tree_lookup(w->t, s->workdir, TREE_FOLLOW_LAST, NULL);
            if (!n || n->ino->type != TREE_DIR)
                rc = jeos_errf(err, -ENOENT, "%s: %s: %s is not a folder of the image", where,
                               s->unit ? "WorkingDirectory" : "service.workdir", s->workdir);
        }
        free(where);
    }
    return rc;
}

int closure_check(struct tree *t, const struct recipe *r, const struct svc_plan *plan,
                  struct closure_result *out, struct jeos_err *err)
{
    struct walk w = {.t = t};
    tree_walk(t, collect, &w);
    int rc = check_services(&w, r, plan, out, err);
    for (size_t i = 0; i < w.n; i++) {
        struct item *it = &w.v[i];
        int e = it->script ? check_script(&w, it, out, err) : check_elf(&w, it, out, err);
        rc = rc ? rc : e;
        if (it->script)
            out->scripts++;
        else
            out->elfs++;
    }
    tree_walk(t, reset_id, NULL);
    for (size_t i = 0; i < w.n; i++) {
        free(w.v[i].path);
        free(w.v[i].interp);
        free(w.v[i].envprog);
        deb_strs_free(&w.v[i].needed);
        deb_strs_free(&w.v[i].dirs);
    }
    free(w.v);
    return rc;
}
