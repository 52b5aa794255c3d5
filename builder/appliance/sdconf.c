/* sdconf.c — sysusers.d and tmpfiles.d done on the tree (see sdconf.h). */
#include "builder/appliance/sdconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/appliance/pkgscripts.h"
#include "builder/appliance/rootops.h"
#include "builder/core/err.h"
#include "builder/core/util.h"

bool sdconf_split(const char *s, struct deb_strs *out)
{
    const char *p = s;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            return true;
        struct sbuf w = {0};
        sbuf_add(&w, "", 0);
        char q = 0;
        while (*p && (q || (*p != ' ' && *p != '\t'))) {
            if (!q && (*p == '"' || *p == '\'')) {
                q = *p++;
                continue;
            }
            if (q && *p == q) {
                q = 0;
                p++;
                continue;
            }
            if (*p == '\\' && p[1]) {
                p++;
                char c = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
                sbuf_add(&w, &c, 1);
                p++;
                continue;
            }
            sbuf_add(&w, p++, 1);
        }
        deb_strs_add(out, w.s);
        sbuf_free(&w);
        if (q)
            return false;
    }
}

static int cmp_base(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    return strcmp(strrchr(x, '/'), strrchr(y, '/'));
}

void sdconf_files(struct tree *t, const char *dir, struct deb_strs *out)
{
    static const char *const roots[] = {"/etc", "/usr/lib", "/lib"};
    struct deb_strs names = {0}, paths = {0};
    for (size_t r = 0; r < 3; r++) {
        char *d = xasprintf("%s/%s", roots[r], dir);
        struct tree_node *n = tree_lookup(t, d, TREE_FOLLOW_LAST, NULL);
        for (size_t i = 0; n && n->ino->type == TREE_DIR && i < n->nkids; i++) {
            const char *nm = n->kids[i]->name;
            size_t l = strlen(nm);
            if (l < 6 || strcmp(nm + l - 5, ".conf") != 0)
                continue;
            bool seen = false;
            for (size_t k = 0; k < names.n && !seen; k++)
                seen = strcmp(names.v[k], nm) == 0;
            if (seen)
                continue;
            deb_strs_add(&names, nm);
            struct tree_inode *ino = n->kids[i]->ino;
            if (ino->type == TREE_SYMLINK && ino->target && strcmp(ino->target, "/dev/null") == 0)
                continue; /* masked */
            char *p = xasprintf("%s/%s", d, nm);
            deb_strs_add(&paths, p);
            free(p);
        }
        free(d);
    }
    if (paths.n > 1)
        qsort(paths.v, paths.n, sizeof(char *), cmp_base);
    for (size_t i = 0; i < paths.n; i++)
        deb_strs_add(out, paths.v[i]);
    deb_strs_free(&names);
    deb_strs_free(&paths);
}

/* Calls fn for each non-comment line of each file of `dir`, split into words. */
typedef int (*line_fn)(void *arg, const char *file, int line, struct deb_strs *w,
                       struct jeos_err *err);

static int each_line(struct tree *t, const char *dir, line_fn fn, void *arg, struct jeos_err *err)
{
    struct deb_strs files = {0};
    sdconf_files(t, dir, &files);
    int rc = 0;
    for (size_t i = 0; i < files.n && rc == 0; i++) {
        char *text = root_text(t, files.v[i]);
        int ln = 0;
        for (char *l = text; l && *l && rc == 0;) {
            char *e = strchr(l, '\n');
            if (e)
                *e = '\0';
            ln++;
            while (*l == ' ' || *l == '\t')
                l++;
            if (*l && *l != '#') {
                struct deb_strs w = {0};
                if (sdconf_split(l, &w) && w.n)
                    rc = fn(arg, files.v[i], ln, &w, err);
                deb_strs_free(&w);
            }
            l = e ? e + 1 : l + strlen(l);
        }
        free(text);
    }
    deb_strs_free(&files);
    return rc;
}

/* ---- sysusers.d ---- */

struct su {
    struct accounts *a;
    struct deb_strs *warnings;
};

static const char *field(const struct deb_strs *w, size_t i)
{
    return i < w->n && strcmp(w->v[i], "-") != 0 ? w->v[i] : NULL;
}

static int su_line(void *arg, const char *file, int line, struct deb_strs *w, struct jeos_err *err)
{
    struct su *s = arg;
    const char *type = w->v[0], *name = field(w, 1);
    const char *base = strrchr(file, '/') + 1;
    char *by = xasprintf("sysusers.d/%s", base);
    int rc = 0;
    int64_t id = -1;
    const char *idf = field(w, 2);
    char *idcopy = idf ? xstrdup(idf) : NULL;
    char *grp = idcopy ? strchr(idcopy, ':') : NULL;
    if (grp)
        *grp++ = '\0';
    if (idcopy && !jeos_parse_i64(idcopy, 0, 65533, &id))
        id = -1; /* a path, or a range: take a free id */
    if (!name) {
        /* nothing */
    } else if (!strcmp(type, "u") || !strcmp(type, "u!")) {
        struct acct_spec sp = {.name = name,
                               .uid = id >= 0 && !acct_user(s->a, name) ? id : -1,
                               .group = grp,
                               .usergroup = true,
                               .gecos = field(w, 3),
                               .home = field(w, 4) ? field(w, 4) : "/",
                               .shell = field(w, 5),
                               .system = true};
        rc = acct_add_user(s->a, &sp, by, by, err);
        rc = rc < 0 ? rc : 0;
    } else if (!strcmp(type, "g")) {
        if (!acct_group(s->a, name) && !acct_add_group(s->a, name, id, true, by, err))
            rc = -ENOSPC;
    } else if (!strcmp(type, "m") && field(w, 2)) {
        struct acct_group *g = acct_group(s->a, field(w, 2));
        if (!g)
            g = acct_add_group(s->a, field(w, 2), -1, true, by, err);
        if (!g)
            rc = -ENOSPC;
        else
            acct_add_member(s->a, g, name);
    } else if (strcmp(type, "r") != 0) {
        char *m = xasprintf("%s:%d: sysusers.d type \"%s\" is not known here; line passed over",
                            file, line, type);
        deb_strs_add(s->warnings, m);
        free(m);
    }
    free(idcopy);
    free(by);
    return rc;
}

int sdconf_sysusers(struct tree *t, struct accounts *a, struct deb_strs *warnings,
                    struct jeos_err *err)
{
    struct su s = {a, warnings};
    return each_line(t, "sysusers.d", su_line, &s, err);
}

/* ---- tmpfiles.d ---- */

struct tf {
    struct tree *t;
    struct accounts *a;
    struct svc_plan *plan;
    int64_t epoch;
    struct sbuf *log;
};

/* The path with tmpfiles' specifiers replaced, or NULL for one not known here. */
static char *specifiers(const char *p)
{
    struct sbuf o = {0};
    sbuf_add(&o, "", 0);
    for (; *p; p++) {
        if (*p != '%') {
            sbuf_add(&o, p, 1);
            continue;
        }
        p++;
        const char *v = *p == 't'   ? "/run"
                        : *p == 'S' ? "/var/lib"
                        : *p == 'C' ? "/var/cache"
                        : *p == 'L' ? "/var/log"
                        : *p == 'T' ? "/tmp"
                        : *p == 'V' ? "/var/tmp"
                        : *p == 'E' ? "/etc"
                        : *p == 'h' ? "/root"
                        : *p == '%' ? "%"
                                    : NULL;
        if (!v) {
            sbuf_free(&o);
            return NULL;
        }
        sbuf_puts(&o, v);
    }
    return sbuf_take(&o);
}

static void note(struct tf *f, const char *file, int line, const char *what)
{
    sbuf_printf(f->log, "tmpfiles.d %s:%d: %s\n", strrchr(file, '/') + 1, line, what);
}

static int tf_line(void *arg, const char *file, int line, struct deb_strs *w, struct jeos_err *err)
{
    struct tf *f = arg;
    char type = w->v[0][0];
    const char *mods = w->v[0] + 1;
    bool plus = strchr(mods, '+') != NULL;
    if (strchr(mods, '~') || strchr(mods, '^') || w->n < 2)
        return 0;
    char *path = specifiers(w->v[1]);
    if (!path || path[0] != '/') {
        free(path);
        return 0;
    }
    const char *ms = field(w, 2), *user = field(w, 3), *group = field(w, 4);
    const char *argument = w->n > 6 ? w->v[6] : NULL;
    int mode = -1;
    if (ms) {
        const char *m = ms[0] == '~' || ms[0] == ':' ? ms + 1 : ms;
        mode = pkgscripts_mode(m, 0, false);
        if (mode < 0) {
            free(path);
            return 0;
        }
    }
    int rc = 0;
    char *run = pkgscripts_run_path(path);
    bool isdir = strchr("dDvqQ", type) != NULL;
    if (run || strncmp(path, "/dev/", 5) == 0) {
        const char *p = run ? run : path;
        if (isdir || ((type == 'f' || type == 'F') && !(argument && *argument))) {
            svc_dir_add(&f->plan->dirs, &f->plan->ndirs, isdir ? 'd' : 'f', p, mode, user, group,
                        NULL);
            char *m = xasprintf("%s: made by init at boot", p);
            note(f, file, line, m);
            free(m);
        } else if (type == 'L') {
            char *target = argument ? xstrdup(argument) : xasprintf("/usr/share/factory%s", p);
            svc_dir_add(&f->plan->dirs, &f->plan->ndirs, 'L', p, -1, NULL, NULL, target);
            free(target);
        }
        free(run);
        free(path);
        return 0;
    }
    if (strncmp(path, "/proc/", 6) == 0 || strncmp(path, "/sys/", 5) == 0 ||
        !strchr("dDvqQfFLCzZ", type)) {
        free(path);
        return 0;
    }
    int64_t uid = user ? acct_uid(f->a, user) : 0, gid = group ? acct_gid(f->a, group) : 0;
    if (uid < 0 || gid < 0) {
        char *m = xasprintf("%s: no user %s or group %s in the image; passed over", path,
                            user ? user : "root", group ? group : "root");
        note(f, file, line, m);
        free(m);
        free(path);
        return 0;
    }
    struct tree_node *n = tree_lookup(f->t, path, TREE_FOLLOW_LAST, NULL);
    if (isdir) {
        rc = root_put_dir(f->t, path,
                          (uint32_t)(mode >= 0 ? mode
                                     : n       ? (int)n->ino->mode
                                               : 0755),
                          (uint32_t)uid, (uint32_t)gid, f->epoch, err);
        if (rc == 0)
            note(f, file, line, path);
    } else if (type == 'f' || type == 'F') {
        if (!n || plus || type == 'F') {
            const char *c = argument ? argument : "";
            rc = root_put_file(f->t, path, c, strlen(c), (uint32_t)(mode >= 0 ? mode : 0644),
                               (uint32_t)uid, (uint32_t)gid, f->epoch, err);
            if (rc == 0)
                note(f, file, line, path);
        }
    } else if (type == 'L') {
        if (!tree_lookup(f->t, path, 0, NULL) || plus) {
            char *target = argument ? xstrdup(argument) : xasprintf("/usr/share/factory%s", path);
            rc = root_put_symlink(f->t, path, target, f->epoch, err);
            free(target);
        }
    } else if (type == 'C') {
        char *src = argument ? xstrdup(argument) : xasprintf("/usr/share/factory%s", path);
        struct tree_node *s = tree_lookup(f->t, src, TREE_FOLLOW_LAST, NULL);
        if (!n && s && s->ino->type == TREE_FILE) {
            unsigned char *data = NULL;
            rc = tree_inode_read(s->ino, &data, err);
            if (rc == 0)
                rc = root_put_file(f->t, path, data, s->ino->size, s->ino->mode, (uint32_t)uid,
                                   (uint32_t)gid, f->epoch, err);
            free(data);
        }
        free(src);
    } else if (n && (type == 'z' || type == 'Z')) {
        if (mode >= 0)
            n->ino->mode = (uint32_t)mode;
        if (user)
            n->ino->uid = (uint32_t)uid;
        if (group)
            n->ino->gid = (uint32_t)gid;
    }
    free(path);
    return rc;
}

int sdconf_tmpfiles(struct tree *t, struct accounts *a, struct svc_plan *plan, int64_t epoch,
                    struct sbuf *log, struct jeos_err *err)
{
    struct tf f = {t, a, plan, epoch, log};
    return each_line(t, "tmpfiles.d", tf_line, &f, err);
}
