/* pkgscripts.c — the maintainer scripts' commands, done on the tree (see pkgscripts.h). */
#include "builder/appliance/pkgscripts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/appliance/maint.h"
#include "builder/appliance/rootops.h"
#include "builder/core/err.h"
#include "builder/core/util.h"

struct alt {
    char *name, *link, *path;
    long prio;
    struct deb_strs slaves; /* triples: link, name, path */
};

/* One walk over all the scripts. */
struct run {
    struct pkgscripts *ps;
    struct deb_strs aliases; /* pairs: a $(mktemp) name, the file copied into it */
    struct alt *alts;
    size_t nalts;
    bool pam;             /* pam-auth-update was asked for */
    struct deb_strs made; /* what the scripts made: only that may an rm take away */
    char *by;             /* "haproxy postinst" */
};

char *pkgscripts_run_path(const char *path)
{
    if (strncmp(path, "/var/run", 8) == 0 && (path[8] == '/' || !path[8]))
        return xasprintf("/run%s", path + 8);
    if (strncmp(path, "/run", 4) == 0 && (path[4] == '/' || !path[4]))
        return xstrdup(path);
    return NULL;
}

int pkgscripts_mode(const char *spec, int old, bool dir)
{
    char *end;
    long m = strtol(spec, &end, 8);
    if (*spec >= '0' && *spec <= '7' && !*end)
        return m >= 0 && m <= 07777 ? (int)m : -1;
    int mode = old < 0 ? 0 : old;
    for (const char *p = spec; *p;) {
        unsigned who = 0;
        for (; *p && strchr("ugoa", *p); p++)
            who |= *p == 'u' ? 04700u : *p == 'g' ? 02070u : *p == 'o' ? 01007u : 07777u;
        if (!who)
            who = 07777u;
        if (!*p || !strchr("+-=", *p))
            return -1;
        while (*p && strchr("+-=", *p)) {
            char op = *p++;
            unsigned bits = 0;
            for (; *p && strchr("rwxXst", *p); p++)
                bits |= *p == 'r'   ? 0444u
                        : *p == 'w' ? 0222u
                        : *p == 'x' ? 0111u
                        : *p == 'X' ? ((dir || (mode & 0111)) ? 0111u : 0u)
                        : *p == 's' ? 06000u
                                    : 01000u;
            bits &= who;
            if (op == '+')
                mode |= (int)bits;
            else if (op == '-')
                mode &= ~(int)bits;
            else
                mode = (mode & ~(int)who) | (int)bits;
        }
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
    }
    return mode & 07777;
}

static void logf_(struct run *R, const struct maint_cmd *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logf_(struct run *R, const struct maint_cmd *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sbuf_printf(R->ps->log, "%s %s:%d: ", c->pkg, c->script, c->line);
    char buf[1024];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    sbuf_printf(R->ps->log, "%s\n", buf);
}

/* ---- users and groups ---- */

/* Options that take a value, for adduser/addgroup. */
static bool takes_value(const char *o)
{
    static const char *const v[] = {"--home",
                                    "--shell",
                                    "--gecos",
                                    "--comment",
                                    "--uid",
                                    "--gid",
                                    "--ingroup",
                                    "--firstuid",
                                    "--lastuid",
                                    "--firstgid",
                                    "--lastgid",
                                    "--conf",
                                    "--add_extra_groups-x",
                                    NULL};
    for (size_t i = 0; v[i]; i++)
        if (strcmp(o, v[i]) == 0)
            return true;
    return false;
}

static int do_adduser(struct run *R, const struct maint_cmd *c, bool group_cmd,
                      struct jeos_err *err)
{
    bool system = false, group = group_cmd, nohome = false;
    const char *home = NULL, *shell = NULL, *gecos = NULL, *ingroup = NULL;
    int64_t uid = -1, gid = -1;
    const char *names[3];
    size_t nn = 0;
    for (size_t i = 1; i < c->argc; i++) {
        const char *o = c->argv[i];
        if (o[0] != '-') {
            if (nn < 3)
                names[nn++] = o;
            continue;
        }
        const char *val = NULL;
        char *eq = strchr(o, '=');
        char opt[64];
        snprintf(opt, sizeof(opt), "%.*s", eq ? (int)(eq - o) : (int)strlen(o), o);
        if (takes_value(opt)) {
            val = eq ? eq + 1 : (i + 1 < c->argc ? c->argv[++i] : NULL);
            if (!val)
                return 0;
        }
        if (!strcmp(opt, "--system"))
            system = true;
        else if (!strcmp(opt, "--group"))
            group = true;
        else if (!strcmp(opt, "--no-create-home"))
            nohome = true;
        else if (!strcmp(opt, "--home"))
            home = val;
        else if (!strcmp(opt, "--shell"))
            shell = val;
        else if (!strcmp(opt, "--gecos") || !strcmp(opt, "--comment"))
            gecos = val;
        else if (!strcmp(opt, "--ingroup"))
            ingroup = val;
        else if (!strcmp(opt, "--uid") && !jeos_parse_i64(val, 0, 65533, &uid))
            return 0;
        else if (!strcmp(opt, "--gid") && !jeos_parse_i64(val, 0, 65533, &gid))
            return 0;
        else if (!takes_value(opt) && strcmp(opt, "--quiet") && strcmp(opt, "-q") &&
                 strcmp(opt, "--force-badname") && strcmp(opt, "--allow-badname") &&
                 strcmp(opt, "--allow-bad-names") && strcmp(opt, "--disabled-password") &&
                 strcmp(opt, "--disabled-login") && strcmp(opt, "--no-create-home") &&
                 strcmp(opt, "--debug"))
            return 0; /* an option not known here: leave the whole command */
    }
    struct accounts *a = R->ps->a;
    if (nn == 2 && !system) { /* adduser USER GROUP: a membership */
        struct acct_group *g = acct_group(a, names[1]);
        if (!acct_user(a, names[0]) || !g)
            return 0;
        acct_add_member(a, g, names[0]);
        logf_(R, c, "user %s added to group %s", names[0], names[1]);
        return 0;
    }
    if (nn != 1)
        return 0;
    if (group && (group_cmd || !system)) { /* addgroup NAME, adduser --group NAME */
        if (acct_group(a, names[0]))
            return 0;
        return acct_add_group(a, names[0], gid, system, R->by, err) ? 0 : -ENOSPC;
    }
    struct acct_spec s = {.name = names[0],
                          .uid = uid,
                          .group = ingroup,
                          .usergroup = group || !system,
                          .home = home     ? home
                                  : system ? "/nonexistent"
                                           : NULL,
                          .shell = shell    ? shell
                                   : system ? "/usr/sbin/nologin"
                                            : "/bin/bash",
                          .gecos = gecos,
                          .system = system};
    if (!home && !system) {
        char *h = xasprintf("/home/%s", names[0]);
        s.home = h;
        int rc = acct_add_user(a, &s, R->by, R->by, err);
        free(h);
        return rc < 0 ? rc : 0;
    }
    int rc = acct_add_user(a, &s, R->by, R->by, err);
    if (rc <= 0)
        return rc;
    char *run = pkgscripts_run_path(s.home);
    if (!nohome && strcmp(s.home, "/nonexistent") != 0 && !run &&
        !root_exists(R->ps->t, s.home, true)) {
        struct acct_user *u = acct_user(a, names[0]);
        rc = root_put_dir(R->ps->t, s.home, 0755, u->uid, u->gid, R->ps->epoch, err);
        if (rc == 0)
            logf_(R, c, "home %s for %s", s.home, names[0]);
    }
    free(run);
    return rc < 0 ? rc : 0;
}

/* useradd / groupadd (the shadow tools) with their short options. */
static int do_useradd(struct run *R, const struct maint_cmd *c, bool group_cmd,
                      struct jeos_err *err)
{
    bool system = false, usergroup = true, mkhome = false;
    const char *home = NULL, *shell = NULL, *gecos = NULL, *group = NULL, *name = NULL;
    int64_t uid = -1;
    for (size_t i = 1; i < c->argc; i++) {
        const char *o = c->argv[i];
        if (o[0] != '-') {
            name = o;
            continue;
        }
        bool val = strchr("gGdscuK", o[1]) && !o[2];
        const char *v = val && i + 1 < c->argc ? c->argv[++i] : NULL;
        if (val && !v)
            return 0;
        if (!strcmp(o, "-r") || !strcmp(o, "--system"))
            system = true;
        else if (!strcmp(o, "-N") || !strcmp(o, "--no-user-group"))
            usergroup = false;
        else if (!strcmp(o, "-U") || !strcmp(o, "--user-group"))
            usergroup = true;
        else if (!strcmp(o, "-m") || !strcmp(o, "--create-home"))
            mkhome = true;
        else if (!strcmp(o, "-M") || !strcmp(o, "--no-create-home") || !strcmp(o, "-f"))
            ;
        else if (!strcmp(o, "-g"))
            group = v;
        else if (!strcmp(o, "-d"))
            home = v;
        else if (!strcmp(o, "-s"))
            shell = v;
        else if (!strcmp(o, "-c"))
            gecos = v;
        else if (!strcmp(o, "-u") && !jeos_parse_i64(v, 0, 65533, &uid))
            return 0;
        else if (strcmp(o, "-G") && strcmp(o, "-K"))
            return 0;
    }
    if (!name)
        return 0;
    struct accounts *a = R->ps->a;
    if (group_cmd)
        return acct_group(a, name) || acct_add_group(a, name, uid, system, R->by, err) ? 0
                                                                                       : -ENOSPC;
    struct acct_spec s = {.name = name,
                          .uid = uid,
                          .group = group,
                          .usergroup = usergroup,
                          .home = home,
                          .shell = shell,
                          .gecos = gecos,
                          .system = system};
    int rc = acct_add_user(a, &s, R->by, R->by, err);
    if (rc > 0 && mkhome && home && !root_exists(R->ps->t, home, true)) {
        struct acct_user *u = acct_user(a, name);
        rc = root_put_dir(R->ps->t, home, 0755, u->uid, u->gid, R->ps->epoch, err);
    }
    return rc < 0 ? rc : 0;
}

/* usermod -a -G G1,G2 USER, gpasswd -a USER GROUP */
static int do_member(struct run *R, const struct maint_cmd *c, bool gpasswd)
{
    struct accounts *a = R->ps->a;
    const char *user = NULL, *groups = NULL;
    if (gpasswd) {
        if (c->argc != 4 || strcmp(c->argv[1], "-a") != 0)
            return 0;
        user = c->argv[2];
        groups = c->argv[3];
    } else {
        bool append = false;
        for (size_t i = 1; i < c->argc; i++) {
            if (!strcmp(c->argv[i], "-a"))
                append = true;
            else if (!strcmp(c->argv[i], "-aG") && i + 1 < c->argc)
                append = true, groups = c->argv[++i];
            else if (!strcmp(c->argv[i], "-G") && i + 1 < c->argc)
                groups = c->argv[++i];
            else if (c->argv[i][0] != '-')
                user = c->argv[i];
            else
                return 0;
        }
        if (!append)
            return 0;
    }
    if (!user || !groups || !acct_user(a, user))
        return 0;
    char *copy = xstrdup(groups), *save = NULL;
    for (char *g = strtok_r(copy, ",", &save); g; g = strtok_r(NULL, ",", &save)) {
        struct acct_group *gr = acct_group(a, g);
        if (gr) {
            acct_add_member(a, gr, user);
            logf_(R, c, "user %s added to group %s", user, g);
        }
    }
    free(copy);
    return 0;
}

/* ---- files ---- */

/* Does the folder holding `path` exist? (cp, ln and touch make no folders.) */
static bool parent_exists(struct tree *t, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path)
        return true;
    char *d = xstrndup(path, (size_t)(slash - path));
    struct tree_node *n = tree_lookup(t, d, TREE_FOLLOW_LAST, NULL);
    free(d);
    return n && n->ino->type == TREE_DIR;
}

/* The file a $(mktemp) name stands for, or the path itself. */
static const char *alias_of(struct run *R, const char *p)
{
    for (size_t i = 0; i + 1 < R->aliases.n; i += 2)
        if (strcmp(R->aliases.v[i], p) == 0)
            return R->aliases.v[i + 1];
    return p;
}

static bool is_mktemp(const char *p)
{
    return strncmp(p, "/tmp/.jeos-mktemp-", 18) == 0;
}

/* Copies regular file `src` to `dst` unless dst exists. */
static int copy_default(struct run *R, const struct maint_cmd *c, const char *src, const char *dst,
                        bool nodref, struct jeos_err *err)
{
    src = alias_of(R, src);
    if (src[0] != '/' || dst[0] != '/')
        return 0;
    struct tree *t = R->ps->t;
    struct tree_node *s = tree_lookup(t, src, nodref ? 0 : TREE_FOLLOW_LAST, NULL);
    if (s && s->ino->type == TREE_SYMLINK && nodref && !is_mktemp(dst) &&
        !tree_lookup(t, dst, 0, NULL) && parent_exists(t, dst)) {
        int rc = root_put_symlink(t, dst, s->ino->target, R->ps->epoch, err);
        if (rc == 0) {
            deb_strs_add(&R->made, dst);
            logf_(R, c, "%s %s -> %s (absent: the link copied)", c->argv[0], src, dst);
        }
        return rc;
    }
    if (s && s->ino->type == TREE_SYMLINK)
        s = tree_lookup(t, src, TREE_FOLLOW_LAST, NULL);
    if (!s || s->ino->type != TREE_FILE)
        return 0;
    if (is_mktemp(dst)) {
        deb_strs_add(&R->aliases, dst);
        deb_strs_add(&R->aliases, src);
        return 0;
    }
    char *target = NULL;
    struct tree_node *d = tree_lookup(t, dst, TREE_FOLLOW_LAST, NULL);
    if (d && d->ino->type == TREE_DIR) {
        const char *b = strrchr(src, '/');
        target = xasprintf("%s/%s", dst, b + 1);
        d = tree_lookup(t, target, TREE_FOLLOW_LAST, NULL);
    }
    if (d || !parent_exists(t, target ? target : dst)) {
        free(target);
        return 0; /* there already (the package's, or the recipe's), or nowhere to go */
    }
    unsigned char *data = NULL;
    int rc = tree_inode_read(s->ino, &data, err);
    if (rc == 0)
        rc = root_put_file(t, target ? target : dst, data, s->ino->size, s->ino->mode & 07755, 0, 0,
                           R->ps->epoch, err);
    if (rc == 0) {
        deb_strs_add(&R->made, target ? target : dst);
        logf_(R, c, "%s %s -> %s (absent: copied)", c->argv[0], src, target ? target : dst);
    }
    free(data);
    free(target);
    return rc;
}

static int do_cp(struct run *R, const struct maint_cmd *c, bool ucf, struct jeos_err *err)
{
    const char *pos[2];
    size_t n = 0;
    bool nodref = false;
    for (size_t i = 1; i < c->argc; i++) {
        const char *o = c->argv[i];
        if (o[0] == '-' && !ucf && o[1] != '-')
            nodref |= strchr(o, 'd') || strchr(o, 'P') || strchr(o, 'a');
        if (o[0] == '-') {
            if (ucf && (!strcmp(o, "--purge") || !strcmp(o, "-n") || !strcmp(o, "--no-action")))
                return 0;
            if (ucf && (!strcmp(o, "--sum-file") || !strcmp(o, "--src-dir") ||
                        !strcmp(o, "--state-dir") || !strcmp(o, "-d") || !strcmp(o, "--debug")))
                i++;
            if (!ucf && (!strcmp(o, "-t") || !strcmp(o, "--target-directory") || !strcmp(o, "-S") ||
                         !strcmp(o, "--suffix")))
                return 0;
            continue;
        }
        if (n == 2)
            return 0;
        pos[n++] = o;
    }
    return n == 2 ? copy_default(R, c, pos[0], pos[1], nodref, err) : 0;
}

/* Where a boot-time entry for path goes: the plan's entry for it, or a new one. */
static struct svc_dir *boot_entry(struct run *R, const char *run, char kind)
{
    struct svc_plan *p = R->ps->plan;
    for (size_t i = 0; i < p->ndirs; i++)
        if (strcmp(p->dirs[i].path, run) == 0)
            return &p->dirs[i];
    if (!kind)
        return NULL;
    svc_dir_add(&p->dirs, &p->ndirs, kind, run, -1, NULL, NULL, NULL);
    return &p->dirs[p->ndirs - 1];
}

static int do_mkdir(struct run *R, const struct maint_cmd *c, bool touch, struct jeos_err *err)
{
    int mode = touch ? 0644 : 0755;
    bool parents = false;
    for (size_t i = 1; i < c->argc; i++)
        if (c->argv[i][0] == '-' && c->argv[i][1] != '-' && strchr(c->argv[i], 'p'))
            parents = true;
    for (size_t i = 1; i < c->argc; i++) {
        const char *o = c->argv[i];
        if (!touch && (!strcmp(o, "-m") || !strcmp(o, "--mode")) && i + 1 < c->argc) {
            mode = pkgscripts_mode(c->argv[++i], 0777, true);
            if (mode < 0)
                return 0;
            continue;
        }
        if (o[0] == '-')
            continue;
        if (o[0] != '/' || is_mktemp(o))
            continue;
        char *run = pkgscripts_run_path(o);
        if (run) {
            struct svc_dir *d = boot_entry(R, run, touch ? 'f' : 'd');
            if (d->mode < 0)
                d->mode = mode;
            logf_(R, c, "%s %s: made by init at boot (/run is a tmpfs)", c->argv[0], run);
            free(run);
            continue;
        }
        if (root_exists(R->ps->t, o, true) || ((touch || !parents) && !parent_exists(R->ps->t, o)))
            continue;
        int rc = touch
                     ? root_put_file(R->ps->t, o, NULL, 0, (uint32_t)mode, 0, 0, R->ps->epoch, err)
                     : root_put_dir(R->ps->t, o, (uint32_t)mode, 0, 0, R->ps->epoch, err);
        if (rc < 0)
            return rc;
        deb_strs_add(&R->made, o);
        logf_(R, c, "%s %s %04o", c->argv[0], o, (unsigned)mode);
    }
    return 0;
}

struct own {
    int64_t uid, gid; /* -1: unchanged */
    int mode;         /* -1: unchanged */
    const char *mspec;
};

static int own_one(struct tree_node *n, const char *path, void *arg)
{
    (void)path;
    struct own *o = arg;
    if (n->ino->type == TREE_SYMLINK)
        return 0;
    if (o->uid >= 0)
        n->ino->uid = (uint32_t)o->uid;
    if (o->gid >= 0)
        n->ino->gid = (uint32_t)o->gid;
    if (o->mspec) {
        int m = pkgscripts_mode(o->mspec, (int)n->ino->mode, n->ino->type == TREE_DIR);
        if (m >= 0)
            n->ino->mode = (uint32_t)m;
    }
    return 0;
}

/* Walks the subtree of `top` (tree_walk covers the whole tree: filter on the path prefix). */
struct sub {
    const char *prefix;
    size_t len;
    struct own *o;
};

static int sub_one(struct tree_node *n, const char *path, void *arg)
{
    struct sub *s = arg;
    if (strncmp(path, s->prefix, s->len) == 0 && (path[s->len] == '/' || !path[s->len]))
        own_one(n, path, s->o);
    return 0;
}

static void apply_own(struct run *R, const char *path, bool recursive, struct own *o)
{
    struct tree_node *n = tree_lookup(R->ps->t, path, TREE_FOLLOW_LAST, NULL);
    if (!n)
        return;
    if (recursive && n->ino->type == TREE_DIR) {
        char *real = tree_path(n);
        struct sub s = {real, strlen(real), o};
        tree_walk(R->ps->t, sub_one, &s);
        free(real);
    } else {
        own_one(n, path, o);
    }
}

/* chown/chgrp/chmod [-R] SPEC PATHS..., dpkg-statoverride --add USER GROUP MODE PATH */
static int do_own(struct run *R, const struct maint_cmd *c, char which)
{
    struct accounts *a = R->ps->a;
    bool recursive = false;
    size_t i = 1;
    for (; i < c->argc && c->argv[i][0] == '-' && c->argv[i][1]; i++) {
        if (!strcmp(c->argv[i], "-R") || !strcmp(c->argv[i], "--recursive"))
            recursive = true;
        else if (which == 'm' && pkgscripts_mode(c->argv[i], 0, false) >= 0)
            break; /* chmod -w FILE */
    }
    if (i + 1 >= c->argc)
        return 0;
    const char *spec = c->argv[i++];
    struct own o = {-1, -1, -1, NULL};
    if (which == 'o') {
        char *copy = xstrdup(spec);
        char *sep = strpbrk(copy, ":.");
        if (sep && *sep == '.' && acct_user(a, copy))
            sep = NULL; /* a name with a dot */
        if (sep)
            *sep = '\0';
        o.uid = *copy ? acct_uid(a, copy) : -1;
        o.gid = sep && sep[1] ? acct_gid(a, sep + 1) : -1;
        bool bad = (*copy && o.uid < 0) || (sep && sep[1] && o.gid < 0);
        if (sep && !sep[1] && o.uid >= 0) { /* "user:" means the user's group */
            for (size_t k = 0; k < a->npw; k++)
                if (a->pw[k].uid == (uint32_t)o.uid)
                    o.gid = a->pw[k].gid;
        }
        free(copy);
        if (bad) {
            logf_(R, c, "%s %s: no such user or group here; passed over", c->argv[0], spec);
            return 0;
        }
    } else if (which == 'g') {
        o.gid = acct_gid(a, spec);
        if (o.gid < 0)
            return 0;
    } else {
        if (pkgscripts_mode(spec, 0, false) < 0)
            return 0;
        o.mspec = spec;
    }
    for (; i < c->argc; i++) {
        const char *p = c->argv[i];
        if (p[0] != '/' || is_mktemp(p))
            continue;
        char *run = pkgscripts_run_path(p);
        if (run) {
            struct svc_dir *d = boot_entry(R, run, 0);
            if (d && which == 'o') {
                for (size_t k = 0; k < a->npw && o.uid >= 0; k++)
                    if (a->pw[k].uid == (uint32_t)o.uid) {
                        free(d->user);
                        d->user = xstrdup(a->pw[k].name);
                    }
                for (size_t k = 0; k < a->ngr && o.gid >= 0; k++)
                    if (a->gr[k].gid == (uint32_t)o.gid) {
                        free(d->group);
                        d->group = xstrdup(a->gr[k].name);
                    }
            } else if (d && which == 'g') {
                free(d->group);
                d->group = xstrdup(spec);
            } else if (d) {
                d->mode = pkgscripts_mode(spec, d->mode < 0 ? 0755 : d->mode, d->kind == 'd');
            }
            free(run);
            continue;
        }
        if (!root_exists(R->ps->t, p, true))
            continue;
        apply_own(R, p, recursive, &o);
        logf_(R, c, "%s %s%s %s", c->argv[0], recursive ? "-R " : "", spec, p);
    }
    return 0;
}

static int do_statoverride(struct run *R, const struct maint_cmd *c)
{
    size_t i = 1;
    bool add = false;
    for (; i < c->argc && c->argv[i][0] == '-'; i++)
        add |= strcmp(c->argv[i], "--add") == 0;
    if (!add || i + 4 != c->argc)
        return 0;
    const char *p = c->argv[i + 3];
    struct own o = {acct_uid(R->ps->a, c->argv[i]), acct_gid(R->ps->a, c->argv[i + 1]), -1,
                    c->argv[i + 2]};
    if (o.uid < 0 || o.gid < 0 || pkgscripts_mode(o.mspec, 0, false) < 0 || p[0] != '/' ||
        !root_exists(R->ps->t, p, true))
        return 0;
    apply_own(R, p, false, &o);
    logf_(R, c, "dpkg-statoverride %s:%s %s %s", c->argv[i], c->argv[i + 1], o.mspec, p);
    return 0;
}

static int do_ln(struct run *R, const struct maint_cmd *c, struct jeos_err *err)
{
    bool sym = false, force = false, nodir = false;
    const char *pos[2];
    size_t n = 0;
    for (size_t i = 1; i < c->argc; i++) {
        const char *o = c->argv[i];
        if (o[0] == '-' && o[1]) {
            for (const char *f = o + 1; *f && o[1] != '-'; f++) {
                sym |= *f == 's';
                force |= *f == 'f';
                nodir |= *f == 'n' || *f == 'T';
            }
            if (!strcmp(o, "--symbolic"))
                sym = true;
            continue;
        }
        if (n == 2)
            return 0;
        pos[n++] = o;
    }
    char *run = n == 2 ? pkgscripts_run_path(pos[1]) : NULL;
    free(run);
    if (!sym || n != 2 || pos[1][0] != '/' || run)
        return 0; /* hard links, relative names, /run: passed over */
    struct tree *t = R->ps->t;
    char *link = xstrdup(pos[1]);
    struct tree_node *d = tree_lookup(t, link, nodir ? 0 : TREE_FOLLOW_LAST, NULL);
    if (d && d->ino->type == TREE_DIR && !nodir) {
        const char *b = strrchr(pos[0], '/');
        char *l2 = xasprintf("%s/%s", link, b ? b + 1 : pos[0]);
        free(link);
        link = l2;
        d = tree_lookup(t, link, 0, NULL);
    }
    int rc = 0;
    if ((!d || (force && d->ino->type == TREE_SYMLINK)) && parent_exists(t, link)) {
        rc = root_put_symlink(t, link, pos[0], R->ps->epoch, err);
        if (rc == 0) {
            deb_strs_add(&R->made, link);
            logf_(R, c, "ln -s %s %s", pos[0], link);
        }
    }
    free(link);
    return rc;
}

/* ---- a2enmod, a2enconf, a2ensite and their a2dis* (apache2's postinst enables its defaults) ----
 */

/* Links /etc/apache2/KIND-enabled/NAME.EXT -> ../KIND-available/NAME.EXT for each EXT the module,
   configuration or site has; a module's "# Depends:" first. */
static int a2_enable(struct run *R, const struct maint_cmd *c, const char *kind, const char *name,
                     int depth, struct jeos_err *err)
{
    struct tree *t = R->ps->t;
    bool mods = !strcmp(kind, "mods");
    static const char *const mod_ext[] = {"load", "conf", NULL}, *const conf_ext[] = {"conf", NULL};
    int rc = 0;
    bool any = false;
    for (const char *const *e = mods ? mod_ext : conf_ext; *e && rc == 0; e++) {
        char *avail = xasprintf("/etc/apache2/%s-available/%s.%s", kind, name, *e);
        char *text = root_text(t, avail);
        if (text && mods && !strcmp(*e, "load") && depth < 8) {
            for (char *l = strstr(text, "# Depends:"); l && rc == 0; l = NULL) {
                char *end = strchr(l, '\n');
                if (end)
                    *end = '\0';
                char *sp = NULL;
                for (char *d = strtok_r(l + 10, " \t,", &sp); d && rc == 0;
                     d = strtok_r(NULL, " \t,", &sp)) {
                    char *dep = xstrdup(d);
                    rc = a2_enable(R, c, kind, dep, depth + 1, err);
                    free(dep);
                }
            }
        }
        if (text) {
            any = true;
            char *link = xasprintf("/etc/apache2/%s-enabled/%s.%s", kind, name, *e);
            char *target = xasprintf("../%s-available/%s.%s", kind, name, *e);
            if (!tree_lookup(t, link, 0, NULL) && parent_exists(t, link)) {
                rc = root_put_symlink(t, link, target, R->ps->epoch, err);
                if (rc == 0) {
                    deb_strs_add(&R->made, link);
                    logf_(R, c, "%s %s: %s -> %s", c->argv[0], name, link, target);
                }
            }
            free(link);
            free(target);
        }
        free(text);
        free(avail);
    }
    if (!any) {
        char *w = xasprintf("%s: line %d: %s %s: there is no /etc/apache2/%s-available/%s", R->by,
                            c->line, c->argv[0], name, kind, name);
        deb_strs_add(R->ps->warnings, w);
        free(w);
    }
    return rc;
}

static int do_a2(struct run *R, const struct maint_cmd *c, const char *kind, bool enable,
                 struct jeos_err *err)
{
    int rc = 0;
    for (size_t i = 1; i < c->argc && rc == 0; i++) {
        if (c->argv[i][0] == '-')
            continue;
        char *name = xstrdup(c->argv[i]);
        size_t l = strlen(name);
        if (l > 5 && (!strcmp(name + l - 5, ".conf") || !strcmp(name + l - 5, ".load")))
            name[l - 5] = '\0';
        if (enable) {
            rc = a2_enable(R, c, kind, name, 0, err);
        } else {
            for (int e = 0; e < 2; e++) {
                char *link =
                    xasprintf("/etc/apache2/%s-enabled/%s.%s", kind, name, e ? "conf" : "load");
                struct tree_node *n = tree_lookup(R->ps->t, link, 0, NULL);
                if (n && n->ino->type == TREE_SYMLINK) {
                    tree_remove(R->ps->t, n);
                    logf_(R, c, "%s %s: %s removed", c->argv[0], name, link);
                }
                free(link);
            }
        }
        free(name);
    }
    return rc;
}

/* lighty-enable-mod NAME...: /etc/lighttpd/conf-enabled/NN-NAME.conf -> ../conf-available/...
   (lighty-disable-mod removes the link). Its own Depends: comments are not followed. */
struct lighty {
    const char *name;
    char *found; /* "99-unconfigured.conf" */
};

static int lighty_find(struct tree_node *n, const char *path, void *arg)
{
    struct lighty *l = arg;
    const char *dash = strchr(n->name, '-');
    size_t nl = strlen(l->name), len = strlen(n->name);
    if (!l->found && dash && strncmp(path, "/etc/lighttpd/conf-available/", 29) == 0 &&
        !strchr(path + 29, '/') && len == (size_t)(dash - n->name) + 1 + nl + 5 &&
        strncmp(dash + 1, l->name, nl) == 0 && strcmp(dash + 1 + nl, ".conf") == 0)
        l->found = xstrdup(n->name);
    return 0;
}

static int do_lighty(struct run *R, const struct maint_cmd *c, bool enable, struct jeos_err *err)
{
    int rc = 0;
    for (size_t i = 1; i < c->argc && rc == 0; i++) {
        if (c->argv[i][0] == '-')
            continue;
        struct lighty l = {c->argv[i], NULL};
        tree_walk(R->ps->t, lighty_find, &l);
        if (!l.found) {
            char *w = xasprintf("%s: line %d: %s %s: there is no "
                                "/etc/lighttpd/conf-available/NN-%s.conf",
                                R->by, c->line, c->argv[0], l.name, l.name);
            deb_strs_add(R->ps->warnings, w);
            free(w);
            continue;
        }
        char *link = xasprintf("/etc/lighttpd/conf-enabled/%s", l.found);
        char *target = xasprintf("../conf-available/%s", l.found);
        struct tree_node *n = tree_lookup(R->ps->t, link, 0, NULL);
        if (enable && !n && parent_exists(R->ps->t, link)) {
            rc = root_put_symlink(R->ps->t, link, target, R->ps->epoch, err);
            if (rc == 0) {
                deb_strs_add(&R->made, link);
                logf_(R, c, "%s %s: %s -> %s", c->argv[0], l.name, link, target);
            }
        } else if (!enable && n && n->ino->type == TREE_SYMLINK) {
            tree_remove(R->ps->t, n);
            logf_(R, c, "%s %s: %s removed", c->argv[0], l.name, link);
        }
        free(link), free(target), free(l.found);
    }
    return rc;
}

static void do_alternatives(struct run *R, const struct maint_cmd *c)
{
    size_t i = 1;
    while (i < c->argc && strcmp(c->argv[i], "--install") != 0)
        i++;
    char *end;
    if (i + 4 >= c->argc || c->argv[i + 1][0] != '/' || c->argv[i + 3][0] != '/')
        return;
    long prio = strtol(c->argv[i + 4], &end, 10);
    if (*end)
        return;
    struct alt a = {
        xstrdup(c->argv[i + 2]), xstrdup(c->argv[i + 1]), xstrdup(c->argv[i + 3]), prio, {0, NULL}};
    for (size_t k = i + 5; k + 3 < c->argc && strcmp(c->argv[k], "--slave") == 0; k += 4) {
        deb_strs_add(&a.slaves, c->argv[k + 1]);
        deb_strs_add(&a.slaves, c->argv[k + 2]);
        deb_strs_add(&a.slaves, c->argv[k + 3]);
    }
    R->alts = xrealloc(R->alts, (R->nalts + 1) * sizeof(*R->alts));
    R->alts[R->nalts++] = a;
}

/* rm: only what an earlier command of the scripts made (a package's own files stay). */
static void do_rm(struct run *R, const struct maint_cmd *c)
{
    for (size_t i = 1; i < c->argc; i++) {
        const char *p = c->argv[i];
        if (p[0] == '-')
            continue;
        for (size_t k = 0; k < R->made.n; k++) {
            if (strcmp(R->made.v[k], p) != 0)
                continue;
            struct tree_node *n = tree_lookup(R->ps->t, p, 0, NULL);
            if (n && n != R->ps->t->root && (n->ino->type != TREE_DIR || !n->nkids)) {
                tree_remove(R->ps->t, n);
                logf_(R, c, "rm %s (made by a command before)", p);
            }
            free(R->made.v[k]);
            R->made.v[k] = xstrdup("");
        }
    }
}

/* mv SRC DST: only what an earlier command of the scripts made (cp, ln -s .tmp; mv). */
static int do_mv(struct run *R, const struct maint_cmd *c, struct jeos_err *err)
{
    const char *pos[2];
    size_t n = 0;
    for (size_t i = 1; i < c->argc; i++) {
        if (c->argv[i][0] == '-')
            continue;
        if (n == 2)
            return 0;
        pos[n++] = c->argv[i];
    }
    bool made = false;
    for (size_t k = 0; n == 2 && k < R->made.n && !made; k++)
        made = strcmp(R->made.v[k], pos[0]) == 0;
    struct tree *t = R->ps->t;
    struct tree_node *s = made ? tree_lookup(t, pos[0], 0, NULL) : NULL;
    struct tree_node *d = s ? tree_lookup(t, pos[1], 0, NULL) : NULL;
    if (!s || s->ino->type == TREE_DIR || (d && d->ino->type == TREE_DIR) ||
        !parent_exists(t, pos[1]))
        return 0;
    struct tree_inode *ino = s->ino;
    int rc = 0;
    if (ino->type == TREE_SYMLINK) {
        rc = root_put_symlink(t, pos[1], ino->target, R->ps->epoch, err);
    } else {
        unsigned char *data = NULL;
        rc = tree_inode_read(ino, &data, err);
        if (rc == 0)
            rc = root_put_file(t, pos[1], data, ino->size, ino->mode, ino->uid, ino->gid,
                               R->ps->epoch, err);
        free(data);
    }
    if (rc == 0) {
        tree_remove(t, tree_lookup(t, pos[0], 0, NULL));
        deb_strs_add(&R->made, pos[1]);
        logf_(R, c, "mv %s %s (made by a command before)", pos[0], pos[1]);
    }
    return rc;
}

/* Command c (its program found in the bin folders) as a first-boot command of the plan, run by
   init before the services unless `unless` exists. False when the image lacks the program or it
   is there already (every branch of a script is read). */
static bool first_boot(struct run *R, const struct maint_cmd *c, const char *unless)
{
    const char *path = NULL;
    static const char *const dirs[] = {"/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/", NULL};
    char *full = NULL;
    for (size_t i = 0; dirs[i] && !path; i++) {
        free(full);
        full = xasprintf("%s%s", dirs[i], c->argv[0]);
        if (c->argv[0][0] == '/' || root_exists(R->ps->t, full, true))
            path = c->argv[0][0] == '/' ? c->argv[0] : full;
    }
    struct svc_plan *p = R->ps->plan;
    for (size_t i = 0; path && i < p->nboot; i++)
        if (p->boot[i].unless && strcmp(p->boot[i].unless, unless) == 0)
            path = NULL;
    if (path) {
        p->boot = xrealloc(p->boot, (p->nboot + 1) * sizeof(*p->boot));
        struct svc_cmd *bc = &p->boot[p->nboot++];
        memset(bc, 0, sizeof(*bc));
        deb_strs_add(&bc->argv, path);
        for (size_t i = 1; i < c->argc; i++)
            deb_strs_add(&bc->argv, c->argv[i]);
        bc->unless = xstrdup(unless);
    }
    free(full);
    return path != NULL;
}

/* ssh-keygen -f FILE -t TYPE ...: a per-instance secret, made by init at first boot. */
static void do_keygen(struct run *R, const struct maint_cmd *c)
{
    const char *file = NULL, *type = NULL;
    for (size_t i = 1; i < c->argc; i++) {
        const char *o = c->argv[i];
        if (o[0] != '-' || !o[1] || o[2])
            return;
        if (strchr("fNtbC", o[1])) {
            if (i + 1 >= c->argc)
                return;
            if (o[1] == 'f')
                file = c->argv[i + 1];
            else if (o[1] == 't')
                type = c->argv[i + 1];
            i++;
        } else if (o[1] != 'q') {
            return; /* -l, -y and the like read a key; they make none */
        }
    }
    if (!file || file[0] != '/' || !type)
        return;
    if (!strcmp(type, "dsa")) {
        logf_(R, c, "ssh-keygen -t dsa: not one of sshd's default host keys; not made");
        return;
    }
    if (first_boot(R, c, file))
        logf_(R, c, "ssh-keygen -t %s -f %s: a per-instance secret, made by init at first boot",
              type, file);
}

/* pg_createcluster [OPTIONS] VERSION NAME (postgresql-common's configure_version, from each
   postgresql-N's postinst): a cluster is a per-instance database, so initdb runs at first boot,
   as the postinst would have run it, unless the cluster's postgresql.conf is there. */
static void do_pgcluster(struct run *R, const struct maint_cmd *c)
{
    static const char *const with_value[] = {"-u",
                                             "--user",
                                             "-g",
                                             "--group",
                                             "-d",
                                             "--datadir",
                                             "-s",
                                             "--socketdir",
                                             "-l",
                                             "--logfile",
                                             "-p",
                                             "--port",
                                             "-e",
                                             "--encoding",
                                             "--locale",
                                             "--lc-collate",
                                             "--lc-ctype",
                                             "--lc-messages",
                                             "--lc-monetary",
                                             "--lc-numeric",
                                             "--lc-time",
                                             "--createclusterconf",
                                             "--environment",
                                             "-o",
                                             NULL};
    const char *pos[3] = {NULL, NULL, NULL};
    size_t npos = 0;
    for (size_t i = 1; i < c->argc; i++) {
        const char *o = c->argv[i];
        if (!strcmp(o, "--")) {
            for (i++; i < c->argc && npos < 3; i++)
                pos[npos++] = c->argv[i];
            break;
        }
        if (o[0] != '-') {
            if (npos < 3)
                pos[npos++] = o;
            continue;
        }
        for (size_t k = 0; with_value[k]; k++)
            if (!strcmp(o, with_value[k]))
                i++;
    }
    if (npos != 2 || strchr(pos[0], '/') || strchr(pos[1], '/')) {
        logf_(R, c, "pg_createcluster: not VERSION NAME; no cluster made");
        return;
    }
    char *conf = xasprintf("/etc/postgresql/%s/%s/postgresql.conf", pos[0], pos[1]);
    if (first_boot(R, c, conf))
        logf_(R, c,
              "pg_createcluster %s %s: a per-instance database, made by init at first boot "
              "(unless %s is there)",
              pos[0], pos[1], conf);
    free(conf);
}

/* `. FILE` in a script: the image's file. */
static char *on_source(void *arg, const char *path)
{
    struct run *R = arg;
    return root_text(R->ps->t, path);
}

static int on_test(void *arg, char op, const char *path)
{
    struct run *R = arg;
    char *run = pkgscripts_run_path(path);
    free(run);
    if (!run)
        return root_test(R->ps->t, op, path);
    return -1; /* /run: what is there at boot is not known now */
}

static int on_command(void *arg, const struct maint_cmd *c, struct jeos_err *err)
{
    struct run *R = arg;
    const char *cmd = strrchr(c->argv[0], '/') ? strrchr(c->argv[0], '/') + 1 : c->argv[0];
    if (!strcmp(cmd, "adduser"))
        return do_adduser(R, c, false, err);
    if (!strcmp(cmd, "addgroup"))
        return do_adduser(R, c, true, err);
    if (!strcmp(cmd, "useradd"))
        return do_useradd(R, c, false, err);
    if (!strcmp(cmd, "groupadd"))
        return do_useradd(R, c, true, err);
    if (!strcmp(cmd, "usermod") || !strcmp(cmd, "gpasswd"))
        return do_member(R, c, cmd[0] == 'g');
    if (!strcmp(cmd, "cp") || !strcmp(cmd, "ucf"))
        return do_cp(R, c, cmd[0] == 'u', err);
    if (!strcmp(cmd, "mkdir") || !strcmp(cmd, "touch"))
        return do_mkdir(R, c, cmd[0] == 't', err);
    if (!strcmp(cmd, "chown") || !strcmp(cmd, "chgrp") || !strcmp(cmd, "chmod"))
        return do_own(R, c, cmd[3] == 'w' ? 'o' : cmd[3] == 'r' ? 'g' : 'm');
    if (!strcmp(cmd, "dpkg-statoverride"))
        return do_statoverride(R, c);
    if (!strcmp(cmd, "ln"))
        return do_ln(R, c, err);
    if (!strncmp(cmd, "a2en", 4) || !strncmp(cmd, "a2dis", 5)) {
        const char *k = cmd + (cmd[2] == 'e' ? 4 : 5);
        const char *kind = !strcmp(k, "mod")    ? "mods"
                           : !strcmp(k, "conf") ? "conf"
                           : !strcmp(k, "site") ? "sites"
                                                : NULL;
        if (kind)
            return do_a2(R, c, kind, cmd[2] == 'e', err);
    }
    if (!strcmp(cmd, "lighty-enable-mod") || !strcmp(cmd, "lighty-disable-mod"))
        return do_lighty(R, c, cmd[7] == 'e', err);
    if (!strcmp(cmd, "update-alternatives"))
        do_alternatives(R, c);
    else if (!strcmp(cmd, "pam-auth-update"))
        R->pam = true;
    else if (!strcmp(cmd, "ssh-keygen"))
        do_keygen(R, c);
    else if (!strcmp(cmd, "pg_createcluster"))
        do_pgcluster(R, c);
    else if (!strcmp(cmd, "rm"))
        do_rm(R, c);
    else if (!strcmp(cmd, "mv"))
        return do_mv(R, c, err);
    return 0;
}

/* ---- update-alternatives ---- */

static void alt_free(struct alt *a)
{
    free(a->name);
    free(a->link);
    free(a->path);
    deb_strs_free(&a->slaves);
}

/* LINK -> /etc/alternatives/NAME -> PATH, unless a real file is at LINK. */
static int alt_link(struct run *R, const char *link, const char *name, const char *path, long prio,
                    struct jeos_err *err)
{
    struct tree *t = R->ps->t;
    struct tree_node *cur = tree_lookup(t, link, 0, NULL);
    if (cur && cur->ino->type != TREE_SYMLINK)
        return 0; /* a real file stays, as update-alternatives does */
    char *alt = xasprintf("/etc/alternatives/%s", name);
    int r = root_put_symlink(t, alt, path, R->ps->epoch, err);
    if (r == 0)
        r = root_put_symlink(t, link, alt, R->ps->epoch, err);
    if (r == 0)
        sbuf_printf(R->ps->log, "alternative %s -> %s -> %s (priority %ld)\n", link, alt, path,
                    prio);
    free(alt);
    return r;
}

static int apply_alternatives(struct run *R, struct jeos_err *err)
{
    struct tree *t = R->ps->t;
    int r = 0;
    for (size_t i = 0; i < R->nalts && r == 0; i++) {
        struct alt *a = &R->alts[i];
        if (!tree_lookup(t, a->path, TREE_FOLLOW_LAST, NULL))
            continue;
        bool best = true;
        for (size_t k = 0; k < R->nalts; k++)
            if (k != i && strcmp(R->alts[k].name, a->name) == 0 &&
                tree_lookup(t, R->alts[k].path, TREE_FOLLOW_LAST, NULL) &&
                (R->alts[k].prio > a->prio || (R->alts[k].prio == a->prio && k < i)))
                best = false;
        if (!best)
            continue;
        r = alt_link(R, a->link, a->name, a->path, a->prio, err);
        for (size_t k = 0; k + 2 < a->slaves.n && r == 0; k += 3)
            if (tree_lookup(t, a->slaves.v[k + 2], TREE_FOLLOW_LAST, NULL))
                r = alt_link(R, a->slaves.v[k], a->slaves.v[k + 1], a->slaves.v[k + 2], a->prio,
                             err);
    }
    return r;
}

/* ---- pam-auth-update ---- */

struct pam_profile {
    char *file;
    long prio;
    struct deb_strs keys, values; /* "Auth", "Auth-Type", ... */
};

static const char *prof_field(const struct pam_profile *p, const char *key)
{
    for (size_t i = 0; i < p->keys.n; i++)
        if (strcasecmp(p->keys.v[i], key) == 0)
            return p->values.v[i];
    return NULL;
}

/* A field; the Session-noninteractive ones are the Session ones unless the profile says
   Session-Interactive-Only. */
static const char *prof_get(const struct pam_profile *p, const char *key)
{
    const char *v = prof_field(p, key);
    if (!v && strncasecmp(key, "Session-noninteractive", 22) == 0 &&
        !prof_field(p, "Session-Interactive-Only")) {
        char k2[64];
        snprintf(k2, sizeof(k2), "Session%s", key + 22);
        v = prof_field(p, k2);
    }
    return v;
}

/* A profile: "Field: value" lines, indented lines continuing the last field. */
static void prof_parse(struct pam_profile *p, const char *text)
{
    char *copy = xstrdup(text), *save = NULL;
    struct sbuf cur = {0};
    char *key = NULL;
    for (char *l = strtok_r(copy, "\n", &save);; l = strtok_r(NULL, "\n", &save)) {
        bool cont = l && (l[0] == ' ' || l[0] == '\t');
        if (!l || !cont) {
            if (key) {
                deb_strs_add(&p->keys, key);
                deb_strs_add(&p->values, cur.s ? cur.s : "");
                free(key);
                key = NULL;
                sbuf_free(&cur);
            }
            if (!l)
                break;
            char *colon = strchr(l, ':');
            if (!colon)
                continue;
            *colon = '\0';
            key = xstrdup(l);
            size_t klen = strlen(key);
            if (klen > 6 && strcmp(key + klen - 6, "-Final") == 0)
                key[klen - 6] = '\0';
            char *v = colon + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            if (*v)
                sbuf_puts(&cur, v);
        } else {
            while (*l == ' ' || *l == '\t')
                l++;
            size_t len = strlen(l);
            while (len && (l[len - 1] == ' ' || l[len - 1] == '\t'))
                l[--len] = '\0';
            if (len) {
                if (cur.len)
                    sbuf_puts(&cur, "\n");
                sbuf_puts(&cur, l);
            }
        }
    }
    sbuf_free(&cur);
    free(copy);
    const char *pr = prof_get(p, "Priority");
    p->prio = pr ? strtol(pr, NULL, 10) : 0;
}

static int prof_cmp(const void *a, const void *b)
{
    const struct pam_profile *x = a, *y = b;
    if (x->prio != y->prio)
        return x->prio > y->prio ? -1 : 1;
    return strcmp(x->file, y->file);
}

/* The lines of a profile for a type ("Auth") at stack position `pos`. */
static const char *prof_lines(const struct pam_profile *p, const char *type, size_t pos)
{
    char key[64];
    snprintf(key, sizeof(key), "%s-Initial", type);
    const char *init = prof_get(p, key);
    if (pos == 0 && init && *init)
        return init;
    return prof_get(p, type);
}

/* Emits a block of `val` ("Primary"/"Additional") lines for `type` as pam-auth-update does:
   "end" in a jump becomes the count of lines left. */
static void pam_block(struct sbuf *out, struct pam_profile *pv, size_t n, const char *uctype,
                      const char *type, const char *val)
{
    char tkey[64];
    snprintf(tkey, sizeof(tkey), "%s-Type", uctype);
    long count = 0;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        const char *ty = prof_get(&pv[i], tkey);
        if (!ty || strcmp(ty, val) != 0)
            continue;
        const char *lines = prof_lines(&pv[i], uctype, pos++);
        for (const char *q = lines; q && *q;) {
            const char *e = strchr(q, '\n');
            if ((e ? e : q + strlen(q)) > q)
                count++;
            q = e ? e + 1 : q + strlen(q);
        }
    }
    if (!strcmp(val, "Additional"))
        count--;
    if (!strcmp(val, "Primary") && count == 0)
        sbuf_printf(out, "%s\t[default=1]\t\t\tpam_permit.so\n", type);
    pos = 0;
    for (size_t i = 0; i < n; i++) {
        const char *ty = prof_get(&pv[i], tkey);
        if (!ty || strcmp(ty, val) != 0)
            continue;
        const char *lines = prof_lines(&pv[i], uctype, pos++);
        for (const char *q = lines; q && *q;) {
            const char *e = strchr(q, '\n');
            size_t len = e ? (size_t)(e - q) : strlen(q);
            /* "[success=end default=ignore] pam_unix.so opts": the control, the module, the
               options joined by single spaces */
            char *l = xstrndup(q, len);
            struct sbuf mod = {0};
            char *p = l;
            const char *ctl_end = p[0] == '[' ? strchr(p, ']') : NULL;
            char *rest;
            if (ctl_end) {
                rest = (char *)ctl_end + 1;
            } else {
                rest = p;
                while (*rest && *rest != ' ' && *rest != '\t')
                    rest++;
            }
            struct sbuf ctl = {0};
            sbuf_add(&ctl, p, (size_t)(rest - p));
            char *mstart = rest;
            while (*mstart == ' ' || *mstart == '\t')
                mstart++;
            char *mend = mstart;
            while (*mend && *mend != ' ' && *mend != '\t')
                mend++;
            /* s/end/COUNT/g over the control, the white space after it and the module */
            sbuf_add(&mod, ctl.s, ctl.len);
            sbuf_add(&mod, rest, (size_t)(mend - rest));
            struct sbuf fixed = {0};
            char num[24];
            snprintf(num, sizeof(num), "%ld", count);
            for (const char *m = mod.s; *m;) {
                if (strncmp(m, "end", 3) == 0) {
                    sbuf_puts(&fixed, num);
                    m += 3;
                } else {
                    sbuf_add(&fixed, m, 1);
                    m++;
                }
            }
            sbuf_printf(out, "%s\t%s", type, fixed.s);
            /* the options, split on white space and joined with one space */
            sbuf_puts(out, " ");
            bool first = true;
            for (char *o = mend; *o;) {
                while (*o == ' ' || *o == '\t')
                    o++;
                if (!*o)
                    break;
                char *oe = o;
                while (*oe && *oe != ' ' && *oe != '\t')
                    oe++;
                sbuf_printf(out, "%s%.*s", first ? "" : " ", (int)(oe - o), o);
                first = false;
                o = oe;
            }
            sbuf_puts(out, "\n");
            count--;
            sbuf_free(&fixed);
            sbuf_free(&mod);
            sbuf_free(&ctl);
            free(l);
            q = e ? e + 1 : q + len;
        }
    }
}

static int apply_pam(struct run *R, struct jeos_err *err)
{
    struct tree *t = R->ps->t;
    struct tree_node *dir = tree_lookup(t, "/usr/share/pam-configs", TREE_FOLLOW_LAST, NULL);
    struct pam_profile *pv = NULL;
    size_t n = 0;
    for (size_t i = 0; dir && dir->ino->type == TREE_DIR && i < dir->nkids; i++) {
        char *path = xasprintf("/usr/share/pam-configs/%s", dir->kids[i]->name);
        char *text = root_text(t, path);
        free(path);
        if (!text)
            continue;
        pv = xrealloc(pv, (n + 1) * sizeof(*pv));
        memset(&pv[n], 0, sizeof(pv[n]));
        pv[n].file = xstrdup(dir->kids[i]->name);
        prof_parse(&pv[n], text);
        free(text);
        const char *def = prof_get(&pv[n], "Default");
        if (!def || strcmp(def, "yes") != 0) {
            free(pv[n].file);
            deb_strs_free(&pv[n].keys);
            deb_strs_free(&pv[n].values);
            continue;
        }
        n++;
    }
    qsort(pv, n, sizeof(*pv), prof_cmp);
    static const char *const types[] = {"auth", "account", "password", "session",
                                        "session-noninteractive"};
    int rc = 0;
    for (size_t k = 0; k < 5 && rc == 0; k++) {
        char *tmpl = xasprintf("/usr/share/pam/common-%s", types[k]);
        char *dst = xasprintf("/etc/pam.d/common-%s", types[k]);
        char *text = root_text(t, tmpl);
        if (text && !root_exists(t, dst, false)) {
            char uctype[40];
            snprintf(uctype, sizeof(uctype), "%s", types[k]);
            uctype[0] = (char)(uctype[0] - 'a' + 'A');
            char type[16];
            snprintf(type, sizeof(type), "%.*s", (int)strcspn(types[k], "-"), types[k]);
            struct sbuf out = {0};
            int state = 0;
            /* keep the text's own line ends: walk line by line */
            for (char *l = text; l && *l;) {
                char *e = strchr(l, '\n');
                size_t len = e ? (size_t)(e - l) + 1 : strlen(l);
                char *line = xstrndup(l, len);
                l += len;
                if (state == 1) {
                    if (strncmp(line, "# here's the fallback if no module succeeds", 43) == 0) {
                        sbuf_puts(&out, line);
                        state++;
                    }
                    free(line);
                    continue;
                }
                if (state == 3) {
                    if (strncmp(line, "# end of pam-auth-update config", 31) == 0) {
                        sbuf_puts(&out, line);
                        state++;
                    }
                    free(line);
                    continue;
                }
                sbuf_puts(&out, line);
                if (state == 0 &&
                    strncmp(line, "# here are the per-package modules (the \"Primary\" block)",
                            56) == 0) {
                    pam_block(&out, pv, n, uctype, type, "Primary");
                    state++;
                } else if (state == 2 && strncmp(line,
                                                 "# and here are more per-package modules (the "
                                                 "\"Additional\" block)",
                                                 64) == 0) {
                    pam_block(&out, pv, n, uctype, type, "Additional");
                    state++;
                }
                free(line);
            }
            if (state == 4) {
                rc = root_put_file(t, dst, out.s, out.len, 0644, 0, 0, R->ps->epoch, err);
                if (rc == 0)
                    sbuf_printf(R->ps->log, "pam-auth-update: %s from %s (%zu profile%s)\n", dst,
                                tmpl, n, n == 1 ? "" : "s");
            }
            sbuf_free(&out);
        }
        free(text);
        free(tmpl);
        free(dst);
    }
    for (size_t i = 0; i < n; i++) {
        free(pv[i].file);
        deb_strs_free(&pv[i].keys);
        deb_strs_free(&pv[i].values);
    }
    free(pv);
    return rc;
}

int pkgscripts_apply(struct pkgscripts *ps, const struct deb_info *pkgs, size_t npkgs,
                     struct jeos_err *err)
{
    struct run R = {.ps = ps};
    int rc = 0;
    for (size_t i = 0; i < npkgs && rc == 0; i++) {
        const char *texts[2] = {pkgs[i].preinst, pkgs[i].postinst};
        static const char *const names[2] = {"preinst", "postinst"};
        for (int k = 0; k < 2 && rc == 0; k++) {
            if (!texts[k])
                continue;
            R.by = xasprintf("%s %s", pkgs[i].name, names[k]);
            struct maint_stats st = {0, 0};
            static const struct maint_ops ops = {
                .command = on_command, .test_path = on_test, .source = on_source};
            rc = maint_walk(texts[k], pkgs[i].name, names[k], &ops, &R, &st, err);
            free(R.by);
            R.by = NULL;
        }
    }
    if (rc == 0)
        rc = apply_alternatives(&R, err);
    if (rc == 0 && R.pam)
        rc = apply_pam(&R, err);
    for (size_t i = 0; i < R.nalts; i++)
        alt_free(&R.alts[i]);
    free(R.alts);
    deb_strs_free(&R.aliases);
    deb_strs_free(&R.made);
    return rc;
}
