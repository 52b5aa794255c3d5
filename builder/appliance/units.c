/* units.c — service units read from the tree and translated for jeos init (see units.h). */
#include "builder/appliance/units.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/appliance/pkgscripts.h"
#include "builder/appliance/rootops.h"
#include "builder/appliance/sdconf.h"
#include "builder/core/err.h"
#include "builder/core/util.h"
#include "builder/recipe/recipe.h"

const char *const units_dirs[] = {"/etc/systemd/system", "/usr/lib/systemd/system",
                                  "/lib/systemd/system", NULL};

/* A unit's assignments in the order read (the file, then its drop-ins). */
struct unit {
    char *path; /* the file read */
    char *name; /* "ssh.service" */
    struct deb_strs sec, key, val;
};

static void unit_free(struct unit *u)
{
    free(u->path);
    free(u->name);
    deb_strs_free(&u->sec);
    deb_strs_free(&u->key);
    deb_strs_free(&u->val);
}

static void unit_parse(struct unit *u, const char *text)
{
    char *copy = xstrdup(text);
    char section[64] = "";
    struct sbuf cont = {0};
    for (char *l = copy; l && *l;) {
        char *e = strchr(l, '\n');
        if (e)
            *e = '\0';
        char *next = e ? e + 1 : l + strlen(l);
        while (*l == ' ' || *l == '\t')
            l++;
        size_t len = strlen(l);
        while (len && (l[len - 1] == ' ' || l[len - 1] == '\t' || l[len - 1] == '\r'))
            l[--len] = '\0';
        if (cont.len && (*l == '#' || *l == ';')) {
            l = next;
            continue; /* comments inside a continued value are dropped */
        }
        bool more = len && l[len - 1] == '\\';
        if (more)
            l[--len] = '\0';
        if (cont.len || more) {
            if (cont.len)
                sbuf_puts(&cont, " ");
            sbuf_puts(&cont, l);
            if (more) {
                l = next;
                continue;
            }
            l = cont.s;
        }
        if (*l == '[') {
            char *close = strchr(l, ']');
            if (close)
                snprintf(section, sizeof(section), "%.*s", (int)(close - l - 1), l + 1);
        } else if (*l && *l != '#' && *l != ';') {
            char *eq = strchr(l, '=');
            if (eq && section[0]) {
                char *k = l, *ke = eq;
                while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
                    ke--;
                char *v = eq + 1;
                while (*v == ' ' || *v == '\t')
                    v++;
                char *key = xstrndup(k, (size_t)(ke - k));
                deb_strs_add(&u->sec, section);
                deb_strs_add(&u->key, key);
                deb_strs_add(&u->val, v);
                free(key);
            }
        }
        sbuf_free(&cont);
        l = next;
    }
    sbuf_free(&cont);
    free(copy);
}

/* Every value of Section.Key in order; an empty assignment clears the ones before it. */
static void unit_list(const struct unit *u, const char *sec, const char *key, struct deb_strs *out)
{
    for (size_t i = 0; i < u->key.n; i++) {
        if (strcmp(u->sec.v[i], sec) != 0 || strcmp(u->key.v[i], key) != 0)
            continue;
        if (!u->val.v[i][0])
            deb_strs_free(out);
        else
            deb_strs_add(out, u->val.v[i]);
    }
}

/* The last value of Section.Key, or NULL (also after an empty one). */
static const char *unit_get(const struct unit *u, const char *sec, const char *key)
{
    const char *v = NULL;
    for (size_t i = 0; i < u->key.n; i++)
        if (strcmp(u->sec.v[i], sec) == 0 && strcmp(u->key.v[i], key) == 0)
            v = u->val.v[i][0] ? u->val.v[i] : NULL;
    return v;
}

static bool yes(const char *v)
{
    return v && (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"));
}

/* The unit file `name` in the first folder holding it; NULL when absent or masked. */
static char *unit_find(struct tree *t, const char *name, bool *masked)
{
    *masked = false;
    for (size_t i = 0; units_dirs[i]; i++) {
        char *p = xasprintf("%s/%s", units_dirs[i], name);
        struct tree_node *n = tree_lookup(t, p, 0, NULL);
        if (n && n->ino->type == TREE_SYMLINK && n->ino->target &&
            strcmp(n->ino->target, "/dev/null") == 0) {
            *masked = true;
            free(p);
            return NULL;
        }
        n = tree_lookup(t, p, TREE_FOLLOW_LAST, NULL);
        if (n && n->ino->type == TREE_FILE)
            return p;
        free(p);
    }
    return NULL;
}

/* Reads unit `name`: its file, then the NAME.d drop-ins (.conf) in file-name order, /etc first. */
/* The template of an instance name ("postgresql@15-main.service" -> "postgresql@.service"), or
   NULL when `name` is no instance. */
static char *template_of(const char *name)
{
    const char *at = strchr(name, '@');
    size_t l = strlen(name);
    if (!at || at == name || l < 9 || strcmp(name + l - 8, ".service") != 0 ||
        at + 1 == name + l - 8)
        return NULL;
    return xasprintf("%.*s@.service", (int)(at - name), name);
}

static bool unit_load(struct tree *t, const char *name, struct unit *u)
{
    memset(u, 0, sizeof(*u));
    bool masked;
    char *tmpl = template_of(name);
    u->path = unit_find(t, name, &masked);
    if (!u->path && tmpl && !masked)
        u->path = unit_find(t, tmpl, &masked); /* an instance of a template */
    if (!u->path) {
        free(tmpl);
        return false;
    }
    u->name = xstrdup(name);
    char *text = root_text(t, u->path);
    unit_parse(u, text ? text : "");
    free(text);
    struct deb_strs seen = {0}, dropins = {0};
    for (size_t i = 0; units_dirs[i] && tmpl; i++) {
        char *d = xasprintf("%s/%s.d", units_dirs[i], tmpl);
        struct tree_node *n = tree_lookup(t, d, TREE_FOLLOW_LAST, NULL);
        for (size_t k = 0; n && n->ino->type == TREE_DIR && k < n->nkids; k++) {
            const char *nm = n->kids[k]->name;
            size_t l = strlen(nm);
            if (l > 5 && strcmp(nm + l - 5, ".conf") == 0) {
                char *p = xasprintf("%s/%s", d, nm);
                deb_strs_add(&dropins, p);
                free(p);
            }
        }
        free(d);
    }
    size_t ntmpl = dropins.n; /* the template's drop-ins come before the instance's */
    free(tmpl);
    for (size_t i = 0; units_dirs[i]; i++) {
        char *d = xasprintf("%s/%s.d", units_dirs[i], name);
        struct tree_node *n = tree_lookup(t, d, TREE_FOLLOW_LAST, NULL);
        for (size_t k = 0; n && n->ino->type == TREE_DIR && k < n->nkids; k++) {
            const char *nm = n->kids[k]->name;
            size_t l = strlen(nm);
            bool dup = false;
            for (size_t s = 0; s < seen.n && !dup; s++)
                dup = strcmp(seen.v[s], nm) == 0;
            if (dup || l < 6 || strcmp(nm + l - 5, ".conf") != 0)
                continue;
            deb_strs_add(&seen, nm);
            char *p = xasprintf("%s/%s", d, nm);
            deb_strs_add(&dropins, p);
            free(p);
        }
        free(d);
    }
    /* in file-name order whatever the folder (the template's, then the instance's) */
    for (size_t i = ntmpl; i + 1 < dropins.n; i++)
        for (size_t k = i + 1; k < dropins.n; k++)
            if (strcmp(strrchr(dropins.v[k], '/'), strrchr(dropins.v[i], '/')) < 0) {
                char *x = dropins.v[i];
                dropins.v[i] = dropins.v[k];
                dropins.v[k] = x;
            }
    for (size_t i = 0; i < dropins.n; i++) {
        char *dt = root_text(t, dropins.v[i]);
        if (dt)
            unit_parse(u, dt);
        free(dt);
    }
    deb_strs_free(&seen);
    deb_strs_free(&dropins);
    return true;
}

/* ---- translation ---- */

struct tr {
    struct units_ctx *u;
    struct unit *un;
    struct svc_spec *s;
    char *prefix;                /* the unit name without .service, for %N */
    char *tprefix;               /* the part before @ (all of prefix when no instance), for %p */
    char *instance;              /* the part after @, "" when none, for %i */
    const struct svc_plan *plan; /* its first-boot commands */
};

/* A unit name's escaped part as a path (%I %P): "\xNN" is byte NN, "-" is "/". */
static char *unescape(const char *s)
{
    struct sbuf o = {0};
    sbuf_add(&o, "", 0);
    for (const char *p = s; *p; p++) {
        unsigned v;
        if (p[0] == '\\' && p[1] == 'x' && sscanf(p + 2, "%2x", &v) == 1 &&
            isxdigit((unsigned char)p[2]) && isxdigit((unsigned char)p[3])) {
            char c = (char)v;
            sbuf_add(&o, &c, 1);
            p += 3;
        } else {
            sbuf_add(&o, *p == '-' ? "/" : p, 1);
        }
    }
    return sbuf_take(&o);
}

/* Replaces unit specifiers in `s`; NULL for one not known here. */
static char *specifiers(struct tr *T, const char *s)
{
    struct sbuf o = {0};
    sbuf_add(&o, "", 0);
    for (const char *p = s; *p; p++) {
        if (*p != '%') {
            sbuf_add(&o, p, 1);
            continue;
        }
        p++;
        struct acct_user *us = T->s->user ? acct_user(T->u->a, T->s->user) : NULL;
        char *esc = *p == 'I' ? unescape(T->instance) : *p == 'P' ? unescape(T->tprefix) : NULL;
        const char *v = *p == 'n'                ? T->un->name
                        : *p == 'N'              ? T->prefix
                        : *p == 'p'              ? T->tprefix
                        : *p == 'i'              ? T->instance
                        : *p == 'I' || *p == 'P' ? esc
                        : *p == 't'              ? "/run"
                        : *p == 'S'              ? "/var/lib"
                        : *p == 'C'              ? "/var/cache"
                        : *p == 'L'              ? "/var/log"
                        : *p == 'E'              ? "/etc"
                        : *p == 'T'              ? "/tmp"
                        : *p == 'V'              ? "/var/tmp"
                        : *p == 'u'              ? (T->s->user ? T->s->user : "root")
                        : *p == 'h'              ? (us ? us->home : "/root")
                        : *p == '%'              ? "%"
                                                 : NULL;
        if (!v) {
            sbuf_free(&o);
            return NULL;
        }
        sbuf_puts(&o, v);
        free(esc);
    }
    return sbuf_take(&o);
}

static void note(struct svc_spec *s, const char *key, const char *val)
{
    char *n = xasprintf("%s=%s", key, val);
    for (size_t i = 0; i < s->notes.n; i++)
        if (strcmp(s->notes.v[i], n) == 0) {
            free(n);
            return;
        }
    deb_strs_add(&s->notes, n);
    free(n);
}

/* A program named without a folder: systemd's fixed search path, in the image. */
static char *find_program(struct tree *t, const char *name)
{
    if (name[0] == '/')
        return xstrdup(name);
    static const char *const path[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin",
                                       "/sbin",           "/bin",           NULL};
    for (size_t i = 0; path[i]; i++) {
        char *p = xasprintf("%s/%s", path[i], name);
        if (root_exists(t, p, true))
            return p;
        free(p);
    }
    return xasprintf("/usr/bin/%s", name);
}

/* mkdir/chown/chmod the image lacks, as folders init makes before each start. True when done. */
static bool fold_helper(struct tr *T, const struct deb_strs *w)
{
    const char *prog = strrchr(w->v[0], '/') ? strrchr(w->v[0], '/') + 1 : w->v[0];
    if (root_exists(T->u->t, w->v[0], true) ||
        (strcmp(prog, "mkdir") && strcmp(prog, "chown") && strcmp(prog, "chmod")))
        return false;
    struct svc_spec *s = T->s;
    int mode = -1;
    char *user = NULL, *group = NULL;
    size_t i = 1;
    bool ok = true;
    for (; i < w->n && w->v[i][0] == '-'; i++) {
        if (!strcmp(prog, "mkdir") && !strcmp(w->v[i], "-m") && i + 1 < w->n)
            mode = pkgscripts_mode(w->v[++i], 0777, true);
        else if (strcmp(w->v[i], "-p") && strcmp(w->v[i], "-R"))
            ok = false;
    }
    if (!strcmp(prog, "chown") || !strcmp(prog, "chmod")) {
        if (i >= w->n)
            return false;
        if (!strcmp(prog, "chmod")) {
            mode = pkgscripts_mode(w->v[i], 0755, true);
        } else {
            user = xstrdup(w->v[i]);
            char *sep = strchr(user, ':');
            if (sep) {
                *sep = '\0';
                group = sep[1] ? xstrdup(sep + 1) : NULL;
            }
        }
        i++;
    }
    ok = ok && i < w->n && (strcmp(prog, "mkdir") || mode >= -1);
    for (size_t k = i; ok && k < w->n; k++)
        ok = w->v[k][0] == '/';
    for (size_t k = i; ok && k < w->n; k++) {
        char *path = pkgscripts_run_path(w->v[k]);
        if (!path)
            path = xstrdup(w->v[k]);
        struct svc_dir *d = NULL;
        for (size_t j = 0; j < s->ndirs && !d; j++)
            if (strcmp(s->dirs[j].path, path) == 0)
                d = &s->dirs[j];
        if (!d) {
            svc_dir_add(&s->dirs, &s->ndirs, 'd', path, -1, NULL, NULL, NULL);
            d = &s->dirs[s->ndirs - 1];
        }
        if (mode >= 0)
            d->mode = mode;
        if (user) {
            free(d->user);
            d->user = xstrdup(user);
        }
        if (group) {
            free(d->group);
            d->group = xstrdup(group);
        }
        free(path);
    }
    if (ok) {
        struct sbuf c = {0};
        for (size_t k = 0; k < w->n; k++)
            sbuf_printf(&c, "%s%s", k ? " " : "", w->v[k]);
        sbuf_printf(T->u->log,
                    "%s: ExecStartPre=%s: %s is not in the image; init makes the "
                    "folder itself\n",
                    T->un->path, c.s, w->v[0]);
        sbuf_free(&c);
    }
    free(user);
    free(group);
    return ok;
}

/* One Exec*= line into a command; false when it cannot be read (noted). */
static bool parse_exec(struct tr *T, const char *key, const char *value, struct svc_cmd *c,
                       bool *folded)
{
    memset(c, 0, sizeof(*c));
    *folded = false;
    const char *p = value;
    bool expand = true, at = false;
    for (; *p && strchr("-+!:@|", *p); p++) {
        if (*p == '-')
            c->ignore_failure = true;
        else if (*p == '+' || *p == '!')
            c->privileged = true;
        else if (*p == ':')
            expand = false;
        else if (*p == '@')
            at = true;
    }
    struct deb_strs w = {0};
    if (!sdconf_split(p, &w) || !w.n) {
        note(T->s, key, value);
        deb_strs_free(&w);
        return false;
    }
    for (size_t i = 0; i < w.n; i++) {
        char *x = specifiers(T, w.v[i]);
        if (!x) {
            note(T->s, key, value);
            deb_strs_free(&w);
            return false;
        }
        free(w.v[i]);
        w.v[i] = x;
    }
    if (at) { /* "@PROGRAM ARGV0 ARGS": argv[0] differs from the program */
        note(T->s, key, value);
        if (w.n > 1) {
            free(w.v[1]);
            for (size_t i = 1; i + 1 < w.n; i++)
                w.v[i] = w.v[i + 1];
            w.n--;
        }
    }
    char *prog = find_program(T->u->t, w.v[0]);
    free(w.v[0]);
    w.v[0] = prog;
    if (!strcmp(key, "ExecStartPre") && fold_helper(T, &w)) {
        *folded = true;
        deb_strs_free(&w);
        return false;
    }
    c->argv = w;
    bool has_dollar = false;
    for (size_t i = 1; i < w.n; i++)
        has_dollar |= strchr(w.v[i], '$') != NULL;
    c->expand = expand && has_dollar;
    return true;
}

static void add_cmd(struct svc_cmd **v, size_t *n, const struct svc_cmd *c)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = *c;
}

/* State/Cache/Logs/ConfigurationDirectory=: folders in the image now, owned by the user. */
static int state_dirs(struct tr *T, struct jeos_err *err)
{
    static const struct {
        const char *key, *base;
        bool root_owned;
    } kinds[] = {{"StateDirectory", "/var/lib", false},
                 {"CacheDirectory", "/var/cache", false},
                 {"LogsDirectory", "/var/log", false},
                 {"ConfigurationDirectory", "/etc", true}};
    struct svc_spec *s = T->s;
    int64_t uid = s->user ? acct_uid(T->u->a, s->user) : 0;
    int64_t gid = s->group ? acct_gid(T->u->a, s->group) : -1;
    if (gid < 0 && uid > 0) {
        for (size_t i = 0; i < T->u->a->npw; i++)
            if (T->u->a->pw[i].uid == (uint32_t)uid)
                gid = T->u->a->pw[i].gid;
    }
    if (uid < 0)
        uid = 0;
    if (gid < 0)
        gid = 0;
    int rc = 0;
    for (size_t k = 0; k < 4 && rc == 0; k++) {
        struct deb_strs v = {0}, names = {0};
        unit_list(T->un, "Service", kinds[k].key, &v);
        char mkey[64];
        snprintf(mkey, sizeof(mkey), "%sMode", kinds[k].key);
        const char *ms = unit_get(T->un, "Service", mkey);
        int mode = ms ? pkgscripts_mode(ms, 0, true) : 0755;
        for (size_t i = 0; i < v.n; i++)
            sdconf_split(v.v[i], &names);
        for (size_t i = 0; i < names.n && rc == 0; i++) {
            char *rel = specifiers(T, names.v[i]);
            char *colon = rel ? strchr(rel, ':') : NULL; /* NAME:LINK: the link is not made */
            if (colon)
                *colon = '\0';
            char *path = rel ? xasprintf("%s/%s", kinds[k].base, rel) : NULL;
            if (path && mode >= 0) {
                bool root = kinds[k].root_owned;
                rc = root_put_dir(T->u->t, path, (uint32_t)mode, root ? 0 : (uint32_t)uid,
                                  root ? 0 : (uint32_t)gid, T->u->epoch, err);
                if (rc == 0)
                    sbuf_printf(T->u->log, "%s: %s=%s: %s %04o %s\n", T->un->path, kinds[k].key,
                                names.v[i], path, (unsigned)mode,
                                root      ? "root"
                                : s->user ? s->user
                                          : "root");
            }
            free(path);
            free(rel);
        }
        deb_strs_free(&v);
        deb_strs_free(&names);
    }
    return rc;
}

/* ConditionPath*= checked against the image: false when the service would not start. */
static bool conditions_hold(struct tr *T)
{
    bool ok = true;
    for (size_t i = 0; i < T->un->key.n && ok; i++) {
        const char *k = T->un->key.v[i], *v = T->un->val.v[i];
        if (strcmp(T->un->sec.v[i], "Unit") != 0)
            continue;
        bool cond = !strncmp(k, "Condition", 9), assert_ = !strncmp(k, "Assert", 6);
        if (!cond && !assert_)
            continue;
        const char *what = k + (cond ? 9 : 6);
        const char *p = v;
        bool neg = false;
        while (*p == '|' || *p == '!') /* "|": any-of triggers, taken as a plain condition */
            neg ^= *p++ == '!';
        if (!strcmp(what, "PathExists") || !strcmp(what, "PathIsDirectory") ||
            !strcmp(what, "FileNotEmpty") || !strcmp(what, "DirectoryNotEmpty")) {
            char *path = specifiers(T, p);
            struct tree_node *n = path ? tree_lookup(T->u->t, path, TREE_FOLLOW_LAST, NULL) : NULL;
            bool r = n != NULL;
            if (!strcmp(what, "PathIsDirectory"))
                r = n && n->ino->type == TREE_DIR;
            else if (!strcmp(what, "FileNotEmpty"))
                r = n && n->ino->type == TREE_FILE && n->ino->size > 0;
            else if (!strcmp(what, "DirectoryNotEmpty"))
                r = n && n->ino->type == TREE_DIR && n->nkids > 0;
            /* what a first-boot command makes (a file; its folders) is there when services
               start */
            size_t pl = path ? strlen(path) : 0;
            for (size_t b = 0; !n && path && b < T->plan->nboot; b++) {
                const char *m = T->plan->boot[b].unless;
                bool same = m && !strcmp(m, path),
                     under = m && !strncmp(m, path, pl) && m[pl] == '/';
                if (same || under) {
                    r = !strcmp(what, "PathExists") || (same && !strcmp(what, "FileNotEmpty")) ||
                        (under &&
                         (!strcmp(what, "PathIsDirectory") || !strcmp(what, "DirectoryNotEmpty")));
                    if (r != neg)
                        sbuf_printf(T->u->log, "%s: %s=%s: made at first boot by %s\n", T->un->path,
                                    k, v, T->plan->boot[b].argv.v[0]);
                }
            }
            free(path);
            if (r == neg) {
                sbuf_printf(T->u->log, "%s: %s=%s does not hold in the image: not started\n",
                            T->un->path, k, v);
                ok = false;
            }
        } else {
            note(T->s, k, v);
        }
    }
    return ok;
}

/* Keys read by translate(); the rest of [Service] goes to the notes. */
static const char *const handled[] = {"Type",
                                      "ExecStart",
                                      "ExecStartPre",
                                      "ExecStartPost",
                                      "User",
                                      "Group",
                                      "DynamicUser",
                                      "SupplementaryGroups",
                                      "RuntimeDirectory",
                                      "RuntimeDirectoryMode",
                                      "StateDirectory",
                                      "StateDirectoryMode",
                                      "CacheDirectory",
                                      "CacheDirectoryMode",
                                      "LogsDirectory",
                                      "LogsDirectoryMode",
                                      "ConfigurationDirectory",
                                      "ConfigurationDirectoryMode",
                                      "WorkingDirectory",
                                      "Environment",
                                      "EnvironmentFile",
                                      "UMask",
                                      "LimitNOFILE",
                                      "PIDFile",
                                      "Restart",
                                      "BindPaths",
                                      "BindReadOnlyPaths",
                                      "ExecCondition",
                                      NULL};

static bool is_handled(const char *k)
{
    for (size_t i = 0; handled[i]; i++)
        if (!strcmp(handled[i], k))
            return true;
    return false;
}

static int translate(struct tr *T, struct jeos_err *err)
{
    struct svc_spec *s = T->s;
    struct unit *un = T->un;
    const char *type = unit_get(un, "Service", "Type");
    struct deb_strs starts = {0}, pres = {0}, posts = {0};
    unit_list(un, "Service", "ExecStart", &starts);
    unit_list(un, "Service", "ExecCondition", &pres);
    unit_list(un, "Service", "ExecStartPre", &pres);
    unit_list(un, "Service", "ExecStartPost", &posts);
    if (!type)
        type = starts.n ? "simple" : "oneshot";
    if (!strcmp(type, "forking"))
        s->type = SVC_FORKING;
    else if (!strcmp(type, "notify") || !strcmp(type, "notify-reload"))
        s->type = SVC_NOTIFY;
    else if (!strcmp(type, "oneshot"))
        s->type = SVC_ONESHOT;
    else if (!strcmp(type, "exec"))
        s->type = SVC_EXEC;
    else
        s->type = SVC_SIMPLE;
    if (strcmp(type, "simple") && strcmp(type, "exec") && strcmp(type, "forking") &&
        strcmp(type, "notify") && strcmp(type, "oneshot"))
        note(s, "Type", type);

    const char *user = unit_get(un, "Service", "User"), *group = unit_get(un, "Service", "Group");
    s->user = user ? specifiers(T, user) : NULL;
    s->group = group ? specifiers(T, group) : NULL;
    if (yes(unit_get(un, "Service", "DynamicUser"))) {
        if (!s->user)
            s->user = xstrdup(T->prefix);
        char *by = xasprintf("%s DynamicUser=yes", un->name);
        struct acct_spec sp = {
            .name = s->user, .uid = -1, .group = s->group, .usergroup = true, .system = true};
        int rc = acct_add_user(T->u->a, &sp, by, un->path, err);
        if (rc > 0)
            sbuf_printf(T->u->log, "%s: DynamicUser=yes: a system user %s, made now\n", un->path,
                        s->user);
        free(by);
        if (rc < 0)
            return rc;
    }
    struct deb_strs v = {0};
    unit_list(un, "Service", "SupplementaryGroups", &v);
    for (size_t i = 0; i < v.n; i++)
        sdconf_split(v.v[i], &s->groups);
    deb_strs_free(&v);

    int rc = 0;
    for (size_t i = 0; i < pres.n; i++) {
        struct svc_cmd c;
        bool folded;
        if (parse_exec(T, "ExecStartPre", pres.v[i], &c, &folded))
            add_cmd(&s->pre, &s->npre, &c);
    }
    /* oneshot: every ExecStart= in order; the last is "the" start */
    for (size_t i = 0; i < starts.n; i++) {
        struct svc_cmd c;
        bool folded;
        if (!parse_exec(T, "ExecStart", starts.v[i], &c, &folded))
            continue;
        if (i + 1 < starts.n)
            add_cmd(&s->pre, &s->npre, &c);
        else
            s->start = c;
    }
    for (size_t i = 0; i < posts.n; i++) {
        struct svc_cmd c;
        bool folded;
        if (parse_exec(T, "ExecStartPost", posts.v[i], &c, &folded))
            add_cmd(&s->post, &s->npost, &c);
    }
    deb_strs_free(&starts);
    deb_strs_free(&pres);
    deb_strs_free(&posts);

    /* RuntimeDirectory=: under /run, made before each start */
    struct deb_strs rd = {0}, names = {0};
    unit_list(un, "Service", "RuntimeDirectory", &rd);
    for (size_t i = 0; i < rd.n; i++)
        sdconf_split(rd.v[i], &names);
    const char *rms = unit_get(un, "Service", "RuntimeDirectoryMode");
    int rmode = rms ? pkgscripts_mode(rms, 0, true) : 0755;
    for (size_t i = 0; i < names.n; i++) {
        char *rel = specifiers(T, names.v[i]);
        if (!rel)
            continue;
        char *path = xasprintf("/run/%s", rel);
        svc_dir_add(&s->dirs, &s->ndirs, 'd', path, rmode, s->user ? s->user : "root", s->group,
                    NULL);
        free(path);
        free(rel);
    }
    deb_strs_free(&rd);
    deb_strs_free(&names);
    if ((rc = state_dirs(T, err)) < 0)
        return rc;

    const char *wd = unit_get(un, "Service", "WorkingDirectory");
    if (wd) {
        bool opt = wd[0] == '-';
        const char *p = wd + opt;
        struct acct_user *us = s->user ? acct_user(T->u->a, s->user) : NULL;
        char *x = !strcmp(p, "~") ? xstrdup(us ? us->home : "/root") : specifiers(T, p);
        if (x)
            s->workdir = opt ? xasprintf("-%s", x) : xstrdup(x);
        free(x);
    }
    struct deb_strs env = {0};
    unit_list(un, "Service", "Environment", &env);
    for (size_t i = 0; i < env.n; i++) {
        struct deb_strs kv = {0};
        sdconf_split(env.v[i], &kv);
        for (size_t k = 0; k < kv.n; k++) {
            char *x = specifiers(T, kv.v[k]);
            if (x && strchr(x, '=') && x[0] != '=')
                deb_strs_add(&s->env, x);
            free(x);
        }
        deb_strs_free(&kv);
    }
    deb_strs_free(&env);
    struct deb_strs ef = {0};
    unit_list(un, "Service", "EnvironmentFile", &ef);
    for (size_t i = 0; i < ef.n; i++) {
        char *x = specifiers(T, ef.v[i]);
        if (x)
            deb_strs_add(&s->envfiles, x);
        free(x);
    }
    deb_strs_free(&ef);
    const char *um = unit_get(un, "Service", "UMask");
    if (um)
        s->umask = pkgscripts_mode(um, 0, false);
    const char *nf = unit_get(un, "Service", "LimitNOFILE");
    if (nf)
        s->nofile = xstrdup(nf);
    const char *pf = unit_get(un, "Service", "PIDFile");
    if (pf) {
        char *x = specifiers(T, pf);
        char *run = x ? pkgscripts_run_path(x) : NULL;
        s->pidfile = run ? run : x ? xstrdup(x) : NULL;
        if (run)
            free(x);
        else if (x)
            free(x);
    }
    const char *restart = unit_get(un, "Service", "Restart");
    if (!restart || !strcmp(restart, "no"))
        s->restart = RECIPE_RESTART_NO;
    else if (!strcmp(restart, "always"))
        s->restart = RECIPE_RESTART_ALWAYS;
    else if (!strcmp(restart, "on-success")) {
        s->restart = RECIPE_RESTART_NO;
        note(s, "Restart", restart);
    } else
        s->restart = RECIPE_RESTART_ON_FAILURE;
    static const char *const bk[] = {"BindPaths", "BindReadOnlyPaths"};
    for (int k = 0; k < 2; k++) {
        struct deb_strs b = {0}, items = {0};
        unit_list(un, "Service", bk[k], &b);
        for (size_t i = 0; i < b.n; i++)
            sdconf_split(b.v[i], &items);
        for (size_t i = 0; i < items.n; i++) {
            /* [-]SRC[:DST[:OPTIONS]] */
            char *it = specifiers(T, items.v[i]);
            if (!it)
                continue;
            char *c1 = strchr(it, ':');
            char *dst = c1 ? c1 + 1 : NULL;
            if (c1)
                *c1 = '\0';
            char *c2 = dst ? strchr(dst, ':') : NULL;
            if (c2)
                *c2 = '\0';
            char *line = xasprintf("%s:%s", it, dst && *dst ? dst : it + (it[0] == '-'));
            deb_strs_add(k ? &s->robinds : &s->binds, line);
            free(line);
            free(it);
        }
        deb_strs_free(&b);
        deb_strs_free(&items);
    }
    for (size_t i = 0; i < un->key.n; i++)
        if (!strcmp(un->sec.v[i], "Service") && !is_handled(un->key.v[i]) && un->val.v[i][0])
            note(s, un->key.v[i], un->val.v[i]);
    return 0;
}

/* Does the unit say it is enabled by default in a multi-user boot? */
static bool wanted(const struct unit *un)
{
    static const char *const keys[] = {"WantedBy", "RequiredBy"};
    for (int k = 0; k < 2; k++) {
        struct deb_strs v = {0}, w = {0};
        unit_list(un, "Install", keys[k], &v);
        for (size_t i = 0; i < v.n; i++)
            sdconf_split(v.v[i], &w);
        bool yes_ = false;
        for (size_t i = 0; i < w.n; i++)
            yes_ |= !strcmp(w.v[i], "multi-user.target") || !strcmp(w.v[i], "default.target");
        deb_strs_free(&v);
        deb_strs_free(&w);
        if (yes_)
            return true;
    }
    return false;
}

/* The .service names package `pkg` ships in the unit folders (not templates), sorted. */
static void pkg_units(struct tree *t, const char *pkg, struct deb_strs *out)
{
    for (size_t d = 0; units_dirs[d]; d++) {
        struct tree_node *n = tree_lookup(t, units_dirs[d], TREE_FOLLOW_LAST, NULL);
        for (size_t i = 0; n && n->ino->type == TREE_DIR && i < n->nkids; i++) {
            const struct tree_node *k = n->kids[i];
            size_t l = strlen(k->name);
            if (k->ino->type != TREE_FILE || l < 9 || strcmp(k->name + l - 8, ".service") ||
                strchr(k->name, '@') || !k->ino->pkg || strcmp(k->ino->pkg, pkg) != 0)
                continue;
            bool dup = false;
            for (size_t j = 0; j < out->n && !dup; j++)
                dup = !strcmp(out->v[j], k->name);
            if (!dup)
                deb_strs_add(out, k->name);
        }
    }
}

/* The unit a name stands for: NAME, NAME.service, or a unit whose Alias= it is. */
static bool unit_by_name(struct tree *t, const char *name, struct unit *u)
{
    size_t l = strlen(name);
    char *full =
        l > 8 && !strcmp(name + l - 8, ".service") ? xstrdup(name) : xasprintf("%s.service", name);
    bool ok = unit_load(t, full, u);
    for (size_t d = 0; !ok && units_dirs[d]; d++) {
        struct tree_node *n = tree_lookup(t, units_dirs[d], TREE_FOLLOW_LAST, NULL);
        for (size_t i = 0; !ok && n && n->ino->type == TREE_DIR && i < n->nkids; i++) {
            const char *kn = n->kids[i]->name;
            size_t kl = strlen(kn);
            if (kl < 9 || strcmp(kn + kl - 8, ".service"))
                continue;
            struct unit c;
            if (!unit_load(t, kn, &c))
                continue;
            struct deb_strs al = {0}, w = {0};
            unit_list(&c, "Install", "Alias", &al);
            for (size_t k = 0; k < al.n; k++)
                sdconf_split(al.v[k], &w);
            for (size_t k = 0; k < w.n && !ok; k++)
                ok = !strcmp(w.v[k], full);
            deb_strs_free(&al);
            deb_strs_free(&w);
            if (ok)
                *u = c;
            else
                unit_free(&c);
        }
    }
    free(full);
    return ok;
}

/* A unit that runs nothing of its own: Type=oneshot whose ExecStart= are all `true` (such as
   postgresql.service, which groups the postgresql@ instances). */
static bool runs_nothing(const struct unit *un)
{
    const char *type = unit_get(un, "Service", "Type");
    struct deb_strs starts = {0}, other = {0};
    unit_list(un, "Service", "ExecStart", &starts);
    unit_list(un, "Service", "ExecStartPre", &other);
    unit_list(un, "Service", "ExecStartPost", &other);
    bool yes_ = type && !strcmp(type, "oneshot") && starts.n && !other.n;
    for (size_t i = 0; i < starts.n && yes_; i++) {
        const char *v = starts.v[i] + strspn(starts.v[i], "-+!:@ ");
        yes_ = !strcmp(v, "/bin/true") || !strcmp(v, "/usr/bin/true") || !strcmp(v, "true");
    }
    deb_strs_free(&starts);
    deb_strs_free(&other);
    return yes_;
}

/* The templates (NAME@.service) that say PartOf= unit `name`, comma-separated into o. */
static void parts_of(struct tree *t, const char *name, struct sbuf *o)
{
    struct deb_strs done = {0};
    for (size_t d = 0; units_dirs[d]; d++) {
        struct tree_node *n = tree_lookup(t, units_dirs[d], TREE_FOLLOW_LAST, NULL);
        for (size_t i = 0; n && n->ino->type == TREE_DIR && i < n->nkids; i++) {
            const char *kn = n->kids[i]->name;
            size_t kl = strlen(kn);
            bool dup = false;
            for (size_t k = 0; k < done.n && !dup; k++)
                dup = !strcmp(done.v[k], kn);
            if (dup || kl < 10 || strcmp(kn + kl - 9, "@.service") != 0)
                continue;
            deb_strs_add(&done, kn);
            struct unit c;
            if (!unit_load(t, kn, &c))
                continue;
            struct deb_strs v = {0}, w = {0};
            unit_list(&c, "Unit", "PartOf", &v);
            for (size_t k = 0; k < v.n; k++)
                sdconf_split(v.v[k], &w);
            for (size_t k = 0; k < w.n; k++)
                if (!strcmp(w.v[k], name)) {
                    sbuf_printf(o, "%s%s", o->len ? ", " : "", kn);
                    break;
                }
            deb_strs_free(&v);
            deb_strs_free(&w);
            unit_free(&c);
        }
    }
    deb_strs_free(&done);
}

/* The message for a unit that runs nothing itself: what to run instead. */
static int runs_nothing_err(struct units_ctx *u, const struct unit *un, const char *where,
                            struct jeos_err *err)
{
    struct sbuf o = {0};
    parts_of(u->t, un->name, &o);
    int rc = jeos_errf(err, -EINVAL,
                       "%s%s runs nothing itself (Type=oneshot, ExecStart=true: it only groups "
                       "other units)%s%s%s",
                       where, un->name,
                       o.len ? "; give service: {unit: NAME@INSTANCE} for one of "
                               "its instances, from "
                             : "",
                       o.len ? o.s : "", o.len ? " (see recipes/README.md, service)" : "");
    sbuf_free(&o);
    return rc;
}

static int from_unit(struct units_ctx *u, struct unit *un, struct svc_plan *plan,
                     const struct recipe *r, bool overrides, struct jeos_err *err)
{
    struct svc_spec *s = svc_plan_add(plan);
    size_t l = strlen(un->name);
    char *prefix = xstrndup(un->name, l - 8);
    const char *at = strchr(prefix, '@');
    char *tprefix = at ? xstrndup(prefix, (size_t)(at - prefix)) : xstrdup(prefix);
    struct tr T = {u, un, s, prefix, tprefix, at ? (char *)at + 1 : "", plan};
    s->name = xstrdup(prefix);
    s->unit = xstrdup(un->path);
    struct tree_node *n = tree_lookup(u->t, un->path, TREE_FOLLOW_LAST, NULL);
    s->pkg = xstrdup(n && n->ino->pkg && *n->ino->pkg ? n->ino->pkg : "the recipe");
    int rc = 0;
    if (!conditions_hold(&T)) {
        svc_spec_free(s);
        plan->n--;
        free(prefix);
        free(tprefix);
        return 0;
    }
    rc = translate(&T, err);
    if (rc == 0 && !s->start.argv.n)
        rc = jeos_errf(err, -EINVAL, "%s: no ExecStart= jeos can run", un->path);
    if (rc == 0 && overrides) {
        const struct recipe_service *rs = &r->service;
        if (rs->user) {
            free(s->user);
            s->user = xstrdup(rs->user);
        }
        if (rs->group) {
            free(s->group);
            s->group = xstrdup(rs->group);
        }
        if (rs->workdir) {
            free(s->workdir);
            s->workdir = xstrdup(rs->workdir);
        }
        for (size_t i = 0; i < rs->env.n; i++) {
            char *kv = xasprintf("%s=%s", rs->env.keys[i], rs->env.values[i]);
            deb_strs_add(&s->env, kv);
            free(kv);
        }
        if (rs->restart_given)
            s->restart = rs->restart;
        s->where = rs->pos;
    }
    if (rc == 0) {
        struct deb_strs v = {0};
        unit_list(un, "Unit", "After", &v);
        for (size_t i = 0; i < v.n; i++)
            sdconf_split(v.v[i], &s->unit_after);
        deb_strs_free(&v);
        unit_list(un, "Unit", "Before", &v);
        for (size_t i = 0; i < v.n; i++)
            sdconf_split(v.v[i], &s->unit_before);
        deb_strs_free(&v);
        s->ready = overrides ? r->service.ready : RECIPE_READY_AUTO;
        s->ready_port = overrides ? r->service.ready_port : 0;
        sbuf_printf(u->log, "service %s from %s (%s)\n", s->name, un->path, s->pkg);
    }
    free(prefix);
    free(tprefix);
    return rc;
}

static int from_exec(const struct recipe *r, struct svc_plan *plan)
{
    const struct recipe_service *rs = &r->service;
    struct svc_spec *s = svc_plan_add(plan);
    const char *exe = rs->exec.v[0];
    const char *base = strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe;
    s->name = xstrdup(*base ? base : exe);
    for (size_t i = 0; i < rs->exec.n; i++)
        deb_strs_add(&s->start.argv, rs->exec.v[i]);
    s->type = rs->ready == RECIPE_READY_NOTIFY ? SVC_NOTIFY : SVC_SIMPLE;
    s->user = rs->user ? xstrdup(rs->user) : NULL;
    s->group = rs->group ? xstrdup(rs->group) : NULL;
    s->workdir = rs->workdir ? xstrdup(rs->workdir) : NULL;
    for (size_t i = 0; i < rs->env.n; i++) {
        char *kv = xasprintf("%s=%s", rs->env.keys[i], rs->env.values[i]);
        deb_strs_add(&s->env, kv);
        free(kv);
    }
    s->restart = rs->restart;
    s->ready = rs->ready;
    s->ready_port = rs->ready_port;
    s->where = rs->pos;
    return 0;
}

/* Is `unit` (an After=/Before= name) service s of the plan? */
static bool names(const struct svc_spec *s, const char *unit)
{
    size_t l = strlen(s->name);
    return !strcmp(unit, s->name) || (!strncmp(unit, s->name, l) && !strcmp(unit + l, ".service"));
}

static void add_after(struct svc_spec *s, const char *name)
{
    for (size_t i = 0; i < s->after.n; i++)
        if (!strcmp(s->after.v[i], name))
            return;
    deb_strs_add(&s->after, name);
}

/*
 * Orders the plan's services as their units' After= and Before= say among themselves (names of
 * units outside the plan order nothing here): each service's `after` names the ones it waits for,
 * and the plan is sorted so that those come first (otherwise in the order read). A cycle is an
 * error.
 */
static int order_plan(struct units_ctx *u, struct svc_plan *plan, const char *rp,
                      struct jeos_err *err)
{
    for (size_t i = 0; i < plan->n; i++)
        for (size_t j = 0; j < plan->n; j++) {
            struct svc_spec *a = &plan->v[i], *b = &plan->v[j];
            if (i == j)
                continue;
            bool after = false;
            for (size_t k = 0; k < a->unit_after.n && !after; k++)
                after = names(b, a->unit_after.v[k]);
            for (size_t k = 0; k < b->unit_before.n && !after; k++)
                after = names(a, b->unit_before.v[k]);
            if (after) {
                add_after(a, b->name);
                sbuf_printf(u->log, "service %s starts after %s (After=/Before=)\n", a->name,
                            b->name);
            }
        }
    struct svc_spec *sorted = xcalloc(plan->n ? plan->n : 1, sizeof(*sorted));
    bool *placed = xcalloc(plan->n ? plan->n : 1, sizeof(bool));
    size_t n = 0;
    while (n < plan->n) {
        size_t pick = plan->n;
        for (size_t i = 0; i < plan->n && pick == plan->n; i++) {
            if (placed[i])
                continue;
            bool ready = true;
            for (size_t k = 0; k < plan->v[i].after.n && ready; k++)
                for (size_t j = 0; j < plan->n; j++)
                    if (!placed[j] && !strcmp(plan->v[j].name, plan->v[i].after.v[k]))
                        ready = false;
            if (ready)
                pick = i;
        }
        if (pick == plan->n)
            break;
        placed[pick] = true;
        sorted[n++] = plan->v[pick];
    }
    int rc = 0;
    if (n < plan->n) {
        struct sbuf o = {0};
        for (size_t i = 0; i < plan->n; i++)
            if (!placed[i])
                sbuf_printf(&o, "%s%s", o.len ? ", " : "", plan->v[i].name);
        rc = jeos_errf(err, -EINVAL,
                       "%s: services %s wait for each other (their units' After=/Before= make a "
                       "cycle): give service: {unit: NAME} for the one to run",
                       rp, o.s);
        sbuf_free(&o);
    } else {
        memcpy(plan->v, sorted, plan->n * sizeof(*sorted));
    }
    free(sorted);
    free(placed);
    return rc;
}

int units_plan(struct units_ctx *u, const struct recipe *r, struct svc_plan *plan,
               struct jeos_err *err)
{
    const char *rp = r->path ? r->path : "recipe";
    if (r->service.exec.n)
        return from_exec(r, plan);
    struct unit un;
    if (r->service.unit) {
        if (!unit_by_name(u->t, r->service.unit, &un)) {
            bool masked = false;
            char *full = xasprintf("%s.service", r->service.unit);
            free(unit_find(u->t, full, &masked));
            free(full);
            return jeos_errf(err, -ENOENT, "%s:%d:%d: service.unit: %s%s", rp, r->service.pos.line,
                             r->service.pos.col, r->service.unit,
                             masked ? " is masked (linked to /dev/null) in the image"
                                    : " is not a unit of the image (no such file in "
                                      "/etc/systemd/system or /lib/systemd/system)");
        }
        char *where =
            xasprintf("%s:%d:%d: service.unit: ", rp, r->service.pos.line, r->service.pos.col);
        int rc = runs_nothing(&un) ? runs_nothing_err(u, &un, where, err)
                                   : from_unit(u, &un, plan, r, true, err);
        free(where);
        unit_free(&un);
        return rc;
    }
    /* The requested packages' units enabled by default; else their direct dependencies'. */
    struct deb_strs names = {0}, req = {0};
    for (size_t i = 0; i < r->packages.n; i++) {
        char *n = xstrndup(r->packages.v[i], strcspn(r->packages.v[i], "="));
        deb_strs_add(&req, n);
        free(n);
    }
    /* level 0: the packages asked for; then what they depend on, a level at a time (a
       metapackage such as nginx-light → nginx → nginx-common), 3 levels at most */
    struct deb_strs level = {0}, seen = {0};
    for (size_t i = 0; i < req.n; i++)
        deb_strs_add(&level, req.v[i]);
    for (int round = 0; round < 4 && !names.n && level.n; round++) {
        for (size_t i = 0; i < level.n; i++)
            pkg_units(u->t, level.v[i], &names);
        /* only the enabled ones */
        for (size_t i = 0; i < names.n;) {
            struct unit c;
            if (unit_load(u->t, names.v[i], &c) && wanted(&c)) {
                unit_free(&c);
                i++;
                continue;
            }
            if (c.path)
                unit_free(&c);
            free(names.v[i]);
            memmove(&names.v[i], &names.v[i + 1], (names.n - i - 1) * sizeof(char *));
            names.n--;
        }
        struct deb_strs next = {0};
        for (size_t i = 0; i < level.n; i++) {
            deb_strs_add(&seen, level.v[i]);
            for (size_t k = 0; k < u->npkgs; k++) {
                if (strcmp(u->pkgs[k].name, level.v[i]) != 0)
                    continue;
                for (size_t d = 0; d < u->pkgs[k].depends.n; d++) {
                    const char *dn = u->pkgs[k].depends.v[d];
                    bool dup = false;
                    for (size_t j = 0; j < seen.n && !dup; j++)
                        dup = !strcmp(seen.v[j], dn);
                    for (size_t j = 0; j < next.n && !dup; j++)
                        dup = !strcmp(next.v[j], dn);
                    if (!dup)
                        deb_strs_add(&next, dn);
                }
            }
        }
        deb_strs_free(&level);
        level = next;
    }
    deb_strs_free(&level);
    deb_strs_free(&seen);
    int rc = 0;
    if (!names.n)
        rc = jeos_errf(err, -ENOENT,
                       "%s: service: none given, and the packages asked for ship no unit enabled "
                       "by default (WantedBy=multi-user.target); give service: {exec: [...]} or "
                       "service: {unit: NAME}",
                       rp);
    struct unit held = {0}; /* the first such unit, for the message when nothing else runs */
    for (size_t i = 0; i < names.n && rc == 0; i++) {
        if (!unit_load(u->t, names.v[i], &un))
            continue;
        if (runs_nothing(&un)) {
            sbuf_printf(u->log, "service %s: runs nothing itself (ExecStart=true); not run\n",
                        un.name);
            if (!held.path)
                held = un;
            else
                unit_free(&un);
            continue;
        }
        rc = from_unit(u, &un, plan, r, false, err);
        unit_free(&un);
    }
    if (rc == 0 && !plan->n && held.path) {
        char *where = xasprintf("%s: service: none given, and ", rp);
        rc = runs_nothing_err(u, &held, where, err);
        free(where);
    }
    if (held.path)
        unit_free(&held);
    if (rc == 0 && !plan->n)
        rc = jeos_errf(err, -ENOENT,
                       "%s: service: no unit of the packages can start in the image "
                       "(see the build report)",
                       rp);
    if (rc == 0)
        rc = order_plan(u, plan, rp, err);
    deb_strs_free(&names);
    deb_strs_free(&req);
    return rc;
}
