/* closure.c — what the root's programs need, checked against the root itself (see closure.h). */
#include "builder/appliance/closure.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/appliance/essential.h"
#include "builder/appliance/maint.h"
#include "builder/appliance/rootops.h"
#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/recipe/recipe.h"

/* The Essential package that provides `path` (an interpreter, a command in a bin folder): Debian
   packages never depend on those. NULL when none does. */
static const char *provider_of(const char *path)
{
    static const char *const bins[] = {"/bin/", "/usr/bin/", "/sbin/", "/usr/sbin/"};
    for (size_t i = 0; i < sizeof(bins) / sizeof(bins[0]); i++) {
        size_t l = strlen(bins[i]);
        if (strncmp(path, bins[i], l) == 0 && !strchr(path + l, '/'))
            return essential_provider(path + l);
    }
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
    bool service;  /* a service runs it, or loads it */
    bool bad;      /* already reported */
    bool followed; /* a shell script a service runs: its commands looked for */
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
    for (size_t i = 0; i < out->warnings.n; i++)
        if (strcmp(out->warnings.v[i], buf) == 0)
            return; /* the same line read twice (both branches of an if not known) */
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

/* ---- the commands of the shell scripts a service runs ---- */

/* Words the shell runs itself (dash's and bash's builtins and keywords that reach here). */
static bool builtin(const char *name)
{
    static const char *const v[] = {
        ".",        ":",       "[",      "alias", "bg",      "break", "builtin", "cd",    "command",
        "continue", "declare", "echo",   "eval",  "exec",    "exit",  "export",  "false", "fg",
        "getopts",  "hash",    "jobs",   "kill",  "let",     "local", "printf",  "pwd",   "read",
        "readonly", "return",  "set",    "shift", "source",  "test",  "times",   "trap",  "true",
        "type",     "typeset", "ulimit", "umask", "unalias", "unset", "wait",    "[["};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        if (strcmp(v[i], name) == 0)
            return true;
    return false;
}

/* `name` looked up as the service's shell would: a path as it is, else in init's PATH. The
   caller frees what is returned; NULL when it is not in the image. */
static char *which(struct tree *t, const char *name)
{
    if (name[0] == '/')
        return root_exists(t, name, true) ? xstrdup(name) : NULL;
    static const char *const path[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
                                       "/usr/bin",        "/sbin",          "/bin"};
    for (size_t i = 0; i < sizeof(path) / sizeof(path[0]); i++) {
        char *p = xasprintf("%s/%s", path[i], name);
        if (root_test(t, 'f', p) == 1)
            return p;
        free(p);
    }
    return NULL;
}

struct follow {
    struct walk *w;
    struct closure_result *out;
    const struct item *it; /* the script a service runs */
    const char *file;      /* the file being read: that script, or one it sources */
    int depth;             /* files sourced on the way here */
};

static void read_script(struct follow *f, const char *file, int depth);
static void read_perl(struct follow *f, const char *file, int depth);
static bool perl(const struct item *it);

static int follow_test(void *arg, char op, const char *path)
{
    const struct follow *f = arg;
    if (strncmp(path, "/run/", 5) == 0 || strncmp(path, "/var/run/", 9) == 0 ||
        strncmp(path, "/tmp/", 5) == 0)
        return -1; /* made at boot or by the script itself */
    return root_test(f->w->t, op, path);
}

static void follow_program(void *arg, char *const *argv, size_t argc, int line)
{
    struct follow *f = arg;
    size_t i = 0;
    /* exec X, command X (command -v X only asks) */
    while (i < argc && (!strcmp(argv[i], "exec") || !strcmp(argv[i], "command"))) {
        if (!strcmp(argv[i], "command") && i + 1 < argc && argv[i + 1][0] == '-' &&
            strpbrk(argv[i + 1], "vV"))
            return;
        i++;
        while (i < argc && argv[i][0] == '-')
            i++;
    }
    if (i >= argc)
        return;
    /* a parameter's value as the command ($ULIMIT = "ulimit -n 8192"): the shell splits it */
    char *split = NULL;
    if (argv[i][strcspn(argv[i], " \t")]) {
        split = xstrndup(argv[i], strcspn(argv[i], " \t"));
        if (!*split) {
            free(split);
            return;
        }
        char *one[] = {split, NULL};
        follow_program(f, one, 1, line);
        free(split);
        return;
    }
    const char *name = argv[i];
    if (!strcmp(name, ".") || !strcmp(name, "source")) {
        if (i + 1 < argc && argv[i + 1][0] == '/')
            read_script(f, argv[i + 1], f->depth + 1);
        return;
    }
    if (builtin(name) || (strchr(name, '/') && name[0] != '/') || strchr(name, '='))
        return;
    char *path = which(f->w->t, name);
    if (path) {
        mark_service(f->w, path, 0);
        free(path);
        /* a program that runs the next word as a command */
        const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
        if (!strcmp(base, "env") || !strcmp(base, "nohup") || !strcmp(base, "setsid") ||
            !strcmp(base, "nice")) {
            size_t j = i + 1;
            while (j < argc && (argv[j][0] == '-' || strchr(argv[j], '='))) {
                bool takes = !strcmp(base, "nice") && !strcmp(argv[j], "-n");
                j += takes ? 2 : 1;
            }
            if (j < argc)
                follow_program(f, argv + j, argc - j, line);
        }
        return;
    }
    const char *pkg = name[0] == '/' ? provider_of(name) : essential_provider(name);
    if (pkg) {
        char *why =
            !strcmp(f->file, f->it->path)
                ? xasprintf("command %s on line %d of %s, which a service runs", name, line,
                            f->file)
                : xasprintf("command %s on line %d of %s, which %s (a service runs it) "
                            "%s",
                            name, line, f->file, f->it->path, perl(f->it) ? "uses" : "sources");
        add_need(f->out, pkg, f->it->pkg, why);
        free(why);
    } else {
        warn(f->out,
             "%s: line %d: command %s is not in the image and no package is known to provide "
             "it (%s, which a service runs)",
             f->file, line, name, f->it->path);
    }
}

/* The text of `file`, read `depth` files down from the script (at most `max`), with *sub set up
   to follow it; NULL when too deep or not in the image. */
static char *open_sub(const struct follow *f, const char *file, int depth, int max,
                      struct follow *sub)
{
    if (depth > max)
        return NULL;
    *sub = *f;
    sub->file = file;
    sub->depth = depth;
    return root_text(f->w->t, file);
}

/* Reads `file` (the script, or one it sources with `.`) for the commands it would run. */
static void read_script(struct follow *f, const char *file, int depth)
{
    struct follow sub;
    char *text = open_sub(f, file, depth, 4, &sub);
    if (!text)
        return;
    static const struct maint_ops ops = {.test_path = follow_test, .program = follow_program};
    struct maint_stats st = {0};
    maint_walk(text, f->it->pkg ? f->it->pkg : "", NULL, &ops, &sub, &st, NULL);
    free(text);
}

static bool shell(const struct item *it)
{
    const char *p = it->envprog ? it->envprog : it->interp;
    const char *b = p && strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
    return b && (!strcmp(b, "sh") || !strcmp(b, "dash") || !strcmp(b, "bash"));
}

/*
 * The shell scripts services run (and what those run, in turn) read as the shell would, and their
 * perl scripts for the programs they start: each
 * command they would run must be in the image; what is not, an Essential package provides
 * (Debian packages never depend on those: apache2's apachectl runs id, mkdir, mktemp and chmod
 * from coreutils), or it is a warning.
 */
static void follow_scripts(struct walk *w, struct closure_result *out)
{
    for (bool more = true; more;) {
        more = false;
        for (size_t i = 0; i < w->n; i++) {
            struct item *it = &w->v[i];
            bool sh = shell(it), pl = !sh && perl(it);
            if (!it->service || !it->script || it->followed || (!sh && !pl))
                continue;
            it->followed = more = true;
            struct follow f = {w, out, it, it->path, 0};
            if (sh)
                read_script(&f, it->path, 0);
            else
                read_perl(&f, it->path, 0);
        }
    }
}

/* ---- the programs of the perl scripts a service runs ---- */

static bool perl(const struct item *it)
{
    const char *p = it->envprog ? it->envprog : it->interp;
    const char *b = p && strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
    return b && !strncmp(b, "perl", 4) && (!b[4] || isdigit((unsigned char)b[4]));
}

/* `use`/`require` of a module Debian keeps beside perl (/usr/share/perl5): read it too. */
static void perl_module(struct follow *f, const char *p, int depth)
{
    size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_:");
    if (!n || !isupper((unsigned char)*p) || n > 200)
        return;
    struct sbuf m = {0};
    sbuf_puts(&m, "/usr/share/perl5/");
    for (size_t i = 0; i < n; i++) {
        if (p[i] == ':' && p[i + 1] == ':') {
            sbuf_puts(&m, "/");
            i++;
        } else {
            sbuf_add(&m, &p[i], 1);
        }
    }
    sbuf_puts(&m, ".pm");
    if (root_test(f->w->t, 'f', m.s) == 1)
        read_perl(f, m.s, depth + 1);
    sbuf_free(&m);
}

/*
 * Reads a perl file for the programs it starts by name: `system` and `exec` whose program is a
 * quoted literal ('install', "pg_ctlcluster" or a whole shell command line,
 * which runs /bin/sh too). Programs held in variables are not known here; backticks capture what
 * they print, and a failing one is usually checked, so they are not counted.
 */
static void read_perl(struct follow *f, const char *file, int depth)
{
    struct follow sub;
    char *text = open_sub(f, file, depth, 3, &sub);
    if (!text)
        return;
    int line = 1;
    bool pod = false;
    for (char *l = text; l && *l; line++) {
        char *nl = strchr(l, '\n');
        if (nl)
            *nl = '\0';
        if (l[0] == '=')
            pod = strncmp(l, "=cut", 4) != 0;
        else if (!strncmp(l, "__END__", 7) || !strncmp(l, "__DATA__", 8))
            break;
        char *hash = NULL;
        for (char *q = l; *q && !pod; q++) /* a # outside quotes starts a comment */
            if (*q == '#' && (q == l || isspace((unsigned char)q[-1]))) {
                hash = q;
                break;
            }
        if (hash)
            *hash = '\0';
        const char *p = pod ? "" : l + strspn(l, " \t");
        if (!strncmp(p, "use ", 4) || !strncmp(p, "require ", 8))
            perl_module(&sub, p + strcspn(p, " ") + 1, depth);
        for (const char *q = p; *q; q++) {
            size_t kw = !strncmp(q, "system", 6) ? 6 : !strncmp(q, "exec", 4) ? 4 : 0;
            if (!kw || (q > p && (isalnum((unsigned char)q[-1]) || q[-1] == '_' || q[-1] == '$' ||
                                  q[-1] == '>' || q[-1] == ':')))
                continue;
            const char *a = q + kw;
            a += strspn(a, " \t");
            if (*a == '(')
                a += 1 + strspn(a + 1, " \t");
            if (*a != '\'' && *a != '"')
                continue;
            const char *e = strchr(a + 1, *a);
            if (!e)
                continue;
            char *lit = xstrndup(a + 1, (size_t)(e - a - 1));
            char *w0 = xstrndup(lit, strcspn(lit, " \t"));
            if (*w0 && !strpbrk(w0, "$@\\") &&
                (*a == '\'' || !strchr(lit, '$') || strcspn(lit, "$") > strlen(w0))) {
                char *one[] = {w0, NULL};
                follow_program(&sub, one, 1, line);
                if (lit[strlen(w0)]) { /* a command line: perl hands it to /bin/sh */
                    char *sh[] = {"/bin/sh", NULL};
                    follow_program(&sub, sh, 1, line);
                }
            }
            free(w0);
            free(lit);
            q = e;
        }
        l = nl ? nl + 1 : NULL;
    }
    free(text);
}

/*
 * Programs a service's configuration names: its configuration is the files under /etc/PKG/ and
 * /etc/PROGRAM/ (PKG the package of the program the service runs) and the /etc files its command
 * lines name. A line of one, outside a comment, naming an executable file of the image by its
 * absolute path counts as run by the service (lighttpd.conf's include_shell
 * "/usr/share/lighttpd/use-ipv6.pl" runs a perl script).
 */
struct conf_scan {
    struct walk *w;
    char *dirs[2];                /* "/etc/lighttpd/" */
    const struct deb_strs *named; /* files the command lines name */
};

static void scan_text(struct walk *w, const char *path)
{
    struct tree_node *n = tree_lookup(w->t, path, TREE_FOLLOW_LAST, NULL);
    if (!n || n->ino->type != TREE_FILE || n->ino->size > 256 * 1024)
        return;
    char *text = root_text(w->t, path);
    if (!text || strlen(text) != n->ino->size) { /* a NUL inside: not text */
        free(text);
        return;
    }
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        const char *p = line + strspn(line, " \t");
        for (const char *q = *p == '#' || *p == ';' ? NULL : strchr(p, '/'); q;
             q = strchr(q + 1, '/')) {
            if (q > line && (isalnum((unsigned char)q[-1]) || strchr("/._-~:$", q[-1])))
                continue; /* inside a path or a URL, not at its start */
            size_t l = strspn(q, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "0123456789/._+-");
            char *cand = xstrndup(q, l);
            /* programs only: a library named (LoadModule) may be one not enabled */
            if (l > 1 && item_at(w, cand) && root_test(w->t, 'f', cand) == 1 &&
                root_test(w->t, 'x', cand) == 1)
                mark_service(w, cand, 0);
            free(cand);
        }
        line = nl ? nl + 1 : NULL;
    }
    free(text);
}

static int scan_conf(struct tree_node *n, const char *path, void *arg)
{
    struct conf_scan *c = arg;
    bool in = false;
    for (size_t i = 0; i < 2 && !in; i++)
        in = c->dirs[i] && strncmp(path, c->dirs[i], strlen(c->dirs[i])) == 0;
    for (size_t i = 0; i < c->named->n && !in; i++)
        in = strcmp(path, c->named->v[i]) == 0;
    const char *base = strrchr(path, '/') + 1;
    if (in && n->ino->type == TREE_FILE && strncmp(base, "README", 6) != 0)
        scan_text(c->w, path); /* a README's words are not run */
    return 0;
}

static void named_files(const struct svc_cmd *c, struct deb_strs *named)
{
    for (size_t k = 1; k < c->argv.n; k++) {
        const char *a = c->argv.v[k], *eq = strchr(a, '=');
        a = a[0] == '-' && eq ? eq + 1 : a; /* --config=/etc/x.conf */
        if (strncmp(a, "/etc/", 5) == 0)
            deb_strs_add(named, a);
    }
}

static void scan_confs(struct walk *w, const struct svc_plan *plan)
{
    for (size_t i = 0; i < plan->n; i++) {
        const struct svc_spec *s = &plan->v[i];
        const struct svc_cmd *c = &s->start;
        struct deb_strs named = {0};
        named_files(c, &named);
        for (size_t k = 0; k < s->npre; k++)
            named_files(&s->pre[k], &named);
        struct tree_node *n =
            c->argv.n ? tree_lookup(w->t, c->argv.v[0], TREE_FOLLOW_LAST, NULL) : NULL;
        const char *pkg = n && n->ino->pkg && *n->ino->pkg ? n->ino->pkg : NULL;
        const char *prog = c->argv.n ? c->argv.v[0] : "";
        prog = strrchr(prog, '/') ? strrchr(prog, '/') + 1 : prog;
        struct conf_scan cs = {
            w,
            {pkg ? xasprintf("/etc/%s/", pkg) : NULL, *prog ? xasprintf("/etc/%s/", prog) : NULL},
            &named};
        tree_walk(w->t, scan_conf, &cs);
        free(cs.dirs[0]);
        free(cs.dirs[1]);
        deb_strs_free(&named);
    }
}

int closure_check(struct tree *t, const struct recipe *r, const struct svc_plan *plan,
                  struct closure_result *out, struct jeos_err *err)
{
    struct walk w = {.t = t};
    tree_walk(t, collect, &w);
    int rc = check_services(&w, r, plan, out, err);
    scan_confs(&w, plan);
    follow_scripts(&w, out);
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
