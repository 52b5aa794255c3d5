/* sysconf.c — users and groups, postinst-equivalent folders, alternatives, identity files,
 * overlays. */
#include "builder/appliance/sysconf.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/core/err.h"
#include "builder/core/util.h"
#include "builder/recipe/recipe.h"

/* base-passwd 3.6.1's masters, used when base-passwd is not in the closure. */
static const char passwd_master[] =
    "root:*:0:0:root:/root:/bin/bash\n"
    "daemon:*:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "bin:*:2:2:bin:/bin:/usr/sbin/nologin\n"
    "sys:*:3:3:sys:/dev:/usr/sbin/nologin\n"
    "sync:*:4:65534:sync:/bin:/bin/sync\n"
    "games:*:5:60:games:/usr/games:/usr/sbin/nologin\n"
    "man:*:6:12:man:/var/cache/man:/usr/sbin/nologin\n"
    "lp:*:7:7:lp:/var/spool/lpd:/usr/sbin/nologin\n"
    "mail:*:8:8:mail:/var/mail:/usr/sbin/nologin\n"
    "news:*:9:9:news:/var/spool/news:/usr/sbin/nologin\n"
    "uucp:*:10:10:uucp:/var/spool/uucp:/usr/sbin/nologin\n"
    "proxy:*:13:13:proxy:/bin:/usr/sbin/nologin\n"
    "www-data:*:33:33:www-data:/var/www:/usr/sbin/nologin\n"
    "backup:*:34:34:backup:/var/backups:/usr/sbin/nologin\n"
    "list:*:38:38:Mailing List Manager:/var/list:/usr/sbin/nologin\n"
    "irc:*:39:39:ircd:/run/ircd:/usr/sbin/nologin\n"
    "_apt:*:42:65534::/nonexistent:/usr/sbin/nologin\n"
    "nobody:*:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
static const char group_master[] =
    "root:*:0:\ndaemon:*:1:\nbin:*:2:\nsys:*:3:\nadm:*:4:\ntty:*:5:\ndisk:*:6:\nlp:*:7:\n"
    "mail:*:8:\nnews:*:9:\nuucp:*:10:\nman:*:12:\nproxy:*:13:\nkmem:*:15:\ndialout:*:20:\n"
    "fax:*:21:\nvoice:*:22:\ncdrom:*:24:\nfloppy:*:25:\ntape:*:26:\nsudo:*:27:\naudio:*:29:\n"
    "dip:*:30:\nwww-data:*:33:\nbackup:*:34:\noperator:*:37:\nlist:*:38:\nirc:*:39:\nsrc:*:40:\n"
    "shadow:*:42:\nutmp:*:43:\nvideo:*:44:\nsasl:*:45:\nplugdev:*:46:\nstaff:*:50:\ngames:*:60:\n"
    "users:*:100:\nnogroup:*:65534:\n";

struct pw {
    char *name, *gecos, *home, *shell;
    uint32_t uid, gid;
};
struct gr {
    char *name;
    uint32_t gid;
    struct deb_strs members;
};
struct db {
    struct pw *pw;
    size_t npw;
    struct gr *gr;
    size_t ngr;
};

static void db_free(struct db *d)
{
    for (size_t i = 0; i < d->npw; i++) {
        free(d->pw[i].name);
        free(d->pw[i].gecos);
        free(d->pw[i].home);
        free(d->pw[i].shell);
    }
    for (size_t i = 0; i < d->ngr; i++) {
        free(d->gr[i].name);
        deb_strs_free(&d->gr[i].members);
    }
    free(d->pw);
    free(d->gr);
}

static struct pw *pw_find(struct db *d, const char *name)
{
    for (size_t i = 0; i < d->npw; i++)
        if (strcmp(d->pw[i].name, name) == 0)
            return &d->pw[i];
    return NULL;
}

static struct gr *gr_find(struct db *d, const char *name)
{
    for (size_t i = 0; i < d->ngr; i++)
        if (strcmp(d->gr[i].name, name) == 0)
            return &d->gr[i];
    return NULL;
}

static bool uid_used(struct db *d, uint32_t id)
{
    for (size_t i = 0; i < d->npw; i++)
        if (d->pw[i].uid == id)
            return true;
    return false;
}

static bool gid_used(struct db *d, uint32_t id)
{
    for (size_t i = 0; i < d->ngr; i++)
        if (d->gr[i].gid == id)
            return true;
    return false;
}

static void pw_add(struct db *d, const char *name, uint32_t uid, uint32_t gid, const char *gecos,
                   const char *home, const char *shell)
{
    d->pw = xrealloc(d->pw, (d->npw + 1) * sizeof(*d->pw));
    d->pw[d->npw++] =
        (struct pw){xstrdup(name), xstrdup(gecos), xstrdup(home), xstrdup(shell), uid, gid};
}

static struct gr *gr_add(struct db *d, const char *name, uint32_t gid)
{
    d->gr = xrealloc(d->gr, (d->ngr + 1) * sizeof(*d->gr));
    d->gr[d->ngr] = (struct gr){xstrdup(name), gid, {0, NULL}};
    return &d->gr[d->ngr++];
}

/* Splits a ':'-separated line into at most `max` fields (in place). Returns the count. */
static size_t split(char *line, char **f, size_t max)
{
    size_t n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++)
        if (*p == ':') {
            *p = '\0';
            f[n++] = p + 1;
        }
    return n;
}

static void db_parse(struct db *d, const char *pw, const char *gr)
{
    char *copy = xstrdup(pw), *save = NULL;
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *f[7];
        int64_t uid, gid;
        if (split(l, f, 7) == 7 && jeos_parse_i64(f[2], 0, UINT32_MAX, &uid) &&
            jeos_parse_i64(f[3], 0, UINT32_MAX, &gid) && !pw_find(d, f[0]))
            pw_add(d, f[0], (uint32_t)uid, (uint32_t)gid, f[4], f[5], f[6]);
    }
    free(copy);
    copy = xstrdup(gr);
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *f[4];
        int64_t gid;
        if (split(l, f, 4) >= 3 && jeos_parse_i64(f[2], 0, UINT32_MAX, &gid) && !gr_find(d, f[0]))
            gr_add(d, f[0], (uint32_t)gid);
    }
    free(copy);
}

/* The content of a regular file in the tree, NUL-terminated, or NULL. */
static char *tree_text(struct tree *t, const char *path)
{
    struct tree_node *n = tree_lookup(t, path, TREE_FOLLOW_LAST, NULL);
    if (!n || n->ino->type != TREE_FILE)
        return NULL;
    unsigned char *data;
    if (tree_inode_read(n->ino, &data, NULL) < 0)
        return NULL;
    char *s = xmalloc(n->ino->size + 1);
    if (n->ino->size)
        memcpy(s, data, n->ino->size);
    s[n->ino->size] = '\0';
    free(data);
    return s;
}

/* Makes (or re-owns) a folder at `path`, creating parents 0755 root:root. */
static int put_dir(struct tree *t, const char *path, uint32_t mode, uint32_t uid, uint32_t gid,
                   int64_t epoch, struct jeos_err *err)
{
    struct tree_node *n = tree_lookup(t, path, TREE_FOLLOW_LAST, NULL);
    if (n && n->ino->type == TREE_DIR) {
        n->ino->mode = mode;
        n->ino->uid = uid;
        n->ino->gid = gid;
        return 0;
    }
    struct tree_node *parent;
    const char *base;
    int r = tree_resolve_parent(t, path, true, epoch, &parent, &base);
    if (r < 0)
        return jeos_errf(err, r, "%s: cannot make folder: %s", path, strerror(-r));
    tree_link(t, parent, base, tree_inode_new(TREE_DIR, mode, uid, gid, epoch));
    return 0;
}

/* Puts a regular file (owned copy of `data`) or symlink (`target`) at `path`, replacing what is
 * there. */
static struct tree_inode *put_entry(struct tree *t, const char *path, enum tree_type type,
                                    uint32_t mode, uint32_t uid, uint32_t gid, int64_t epoch,
                                    struct jeos_err *err)
{
    struct tree_node *parent;
    const char *base;
    int r = tree_resolve_parent(t, path, true, epoch, &parent, &base);
    if (r < 0) {
        jeos_errf(err, r, "%s: cannot place: %s", path, strerror(-r));
        return NULL;
    }
    struct tree_node *old = tree_child(parent, base);
    if (old && old->ino->type == TREE_DIR) {
        jeos_errf(err, -EISDIR, "%s: is a folder in the image", path);
        return NULL;
    }
    struct tree_inode *ino = tree_inode_new(type, mode, uid, gid, epoch);
    tree_link(t, parent, base, ino);
    return ino;
}

static int put_file(struct tree *t, const char *path, const char *text, uint32_t mode, uint32_t uid,
                    uint32_t gid, int64_t epoch, struct jeos_err *err)
{
    struct tree_inode *ino = put_entry(t, path, TREE_FILE, mode, uid, gid, epoch, err);
    if (!ino)
        return -EINVAL;
    tree_inode_set_buf(ino, text, strlen(text));
    return 0;
}

static int put_symlink(struct tree *t, const char *path, const char *target, int64_t epoch,
                       struct jeos_err *err)
{
    struct tree_inode *ino = put_entry(t, path, TREE_SYMLINK, 0777, 0, 0, epoch, err);
    if (!ino)
        return -EINVAL;
    ino->target = xstrdup(target);
    ino->size = strlen(target);
    return 0;
}

/* ---- users and groups ---- */

static uint32_t alloc_id(struct db *d, bool user, uint32_t from, uint32_t to)
{
    for (uint32_t id = from; id <= to; id++)
        if (!(user ? uid_used(d, id) : gid_used(d, id)) && !(user && gid_used(d, id)))
            return id;
    return UINT32_MAX;
}

static int ensure_group(struct db *d, const char *name, bool system, struct gr **out,
                        struct sysconf_report *rep, struct jeos_err *err, const char *where)
{
    struct gr *g = gr_find(d, name);
    if (!g) {
        int64_t num;
        if (jeos_parse_i64(name, 0, UINT32_MAX - 1, &num)) {
            *out = NULL;
            return (int)num; /* numeric: no entry needed */
        }
        uint32_t id = system ? alloc_id(d, false, 100, 999) : alloc_id(d, false, 1000, 59999);
        if (id == UINT32_MAX)
            return jeos_errf(err, -ENOSPC, "%s: no free group id for %s", where, name);
        g = gr_add(d, name, id);
        sbuf_printf(&rep->actions, "group %s gid %u (%s)\n", name, id, where);
    }
    *out = g;
    return (int)g->gid;
}

static int add_user(struct db *d, const char *name, int64_t uid, const char *group,
                    const struct recipe_strlist *groups, const char *home, const char *shell,
                    bool system, const char *where, struct sysconf_report *rep,
                    struct jeos_err *err)
{
    if (pw_find(d, name))
        return 0;
    uint32_t id;
    if (uid >= 0) {
        id = (uint32_t)uid;
        if (uid_used(d, id))
            return jeos_errf(err, -EEXIST, "%s: users: %s: uid %u is already taken", where, name,
                             id);
    } else {
        id = system ? alloc_id(d, true, 100, 999) : alloc_id(d, true, 1000, 59999);
        if (id == UINT32_MAX)
            return jeos_errf(err, -ENOSPC, "%s: no free user id for %s", where, name);
    }
    struct gr *g = NULL;
    int gid;
    if (!group && !gr_find(d, name) && !gid_used(d, id)) {
        g = gr_add(d, name, id); /* a group named like the user, same number when free */
        gid = (int)id;
        sbuf_printf(&rep->actions, "group %s gid %u (%s)\n", name, id, where);
    } else {
        gid = ensure_group(d, group ? group : name, system, &g, rep, err, where);
    }
    if (gid < 0)
        return gid;
    pw_add(d, name, id, (uint32_t)gid, name, home ? home : "/nonexistent",
           shell ? shell : "/usr/sbin/nologin");
    sbuf_printf(&rep->actions, "user %s uid %u gid %d (%s)\n", name, id, gid, where);
    for (size_t i = 0; groups && i < groups->n; i++) {
        struct gr *sg;
        int r = ensure_group(d, groups->v[i], system, &sg, rep, err, where);
        if (r < 0)
            return r;
        if (sg)
            deb_strs_add(&sg->members, name);
    }
    return 0;
}

static int write_db(struct tree *t, struct db *d, int64_t epoch, struct jeos_err *err)
{
    struct sbuf pw = {0}, sh = {0}, gr = {0}, gs = {0};
    long days = (long)(epoch / 86400);
    for (size_t i = 0; i < d->npw; i++) {
        struct pw *p = &d->pw[i];
        sbuf_printf(&pw, "%s:x:%u:%u:%s:%s:%s\n", p->name, p->uid, p->gid, p->gecos, p->home,
                    p->shell);
        sbuf_printf(&sh, "%s:*:%ld:0:99999:7:::\n", p->name, days);
    }
    for (size_t i = 0; i < d->ngr; i++) {
        struct gr *g = &d->gr[i];
        sbuf_printf(&gr, "%s:x:%u:", g->name, g->gid);
        sbuf_printf(&gs, "%s:*::", g->name);
        for (size_t k = 0; k < g->members.n; k++) {
            sbuf_printf(&gr, "%s%s", k ? "," : "", g->members.v[k]);
            sbuf_printf(&gs, "%s%s", k ? "," : "", g->members.v[k]);
        }
        sbuf_puts(&gr, "\n");
        sbuf_puts(&gs, "\n");
    }
    struct gr *shadow = gr_find(d, "shadow");
    uint32_t sgid = shadow ? shadow->gid : 0;
    int r = put_file(t, "/etc/passwd", pw.s, 0644, 0, 0, epoch, err);
    if (r == 0)
        r = put_file(t, "/etc/group", gr.s, 0644, 0, 0, epoch, err);
    if (r == 0)
        r = put_file(t, "/etc/shadow", sh.s, 0640, 0, sgid, epoch, err);
    if (r == 0)
        r = put_file(t, "/etc/gshadow", gs.s, 0640, 0, sgid, epoch, err);
    sbuf_free(&pw);
    sbuf_free(&sh);
    sbuf_free(&gr);
    sbuf_free(&gs);
    return r;
}

/* "name" or a number → id; -ENOENT when unknown. */
static int64_t resolve_owner(struct db *d, const char *s, bool user)
{
    int64_t num;
    if (!s)
        return 0;
    if (jeos_parse_i64(s, 0, UINT32_MAX - 1, &num))
        return num;
    if (user) {
        struct pw *p = pw_find(d, s);
        return p ? (int64_t)p->uid : -ENOENT;
    }
    struct gr *g = gr_find(d, s);
    return g ? (int64_t)g->gid : -ENOENT;
}

/* ---- what known postinst scripts do ---- */

struct pkg_action {
    const char *pkg;
    char kind; /* 'd' folder (always), 'f' empty file, 'l' symlink, 'c' copy — these when absent */
    const char *path;
    uint32_t mode;
    const char *owner, *group;
    const char *arg; /* 'l': target, 'c': source */
};

static const struct pkg_action pkg_actions[] = {
    {"nginx-common", 'd', "/var/log/nginx", 0755, "root", "adm", NULL},
    {"nginx-common", 'f', "/var/log/nginx/access.log", 0640, "www-data", "adm", NULL},
    {"nginx-common", 'f', "/var/log/nginx/error.log", 0640, "www-data", "adm", NULL},
    {"nginx-common", 'l', "/etc/nginx/sites-enabled/default", 0777, "root", "root",
     "/etc/nginx/sites-available/default"},
    {"nginx-common", 'c', "/var/www/html/index.nginx-debian.html", 0644, "root", "root",
     "/usr/share/nginx/html/index.html"},
};

static int apply_pkg_actions(struct tree *t, struct db *d, const struct deb_info *pkgs,
                             size_t npkgs, int64_t epoch, struct sysconf_report *rep,
                             struct jeos_err *err)
{
    for (size_t i = 0; i < sizeof(pkg_actions) / sizeof(pkg_actions[0]); i++) {
        const struct pkg_action *a = &pkg_actions[i];
        bool have = false;
        for (size_t k = 0; k < npkgs && !have; k++)
            have = strcmp(pkgs[k].name, a->pkg) == 0;
        if (!have)
            continue;
        int64_t uid = resolve_owner(d, a->owner, true), gid = resolve_owner(d, a->group, false);
        if (uid < 0 || gid < 0)
            return jeos_errf(err, -ENOENT, "%s postinst: %s: unknown owner %s:%s", a->pkg, a->path,
                             a->owner, a->group);
        bool exists = tree_lookup(t, a->path, 0, NULL) != NULL;
        int r = 0;
        if (a->kind == 'd') {
            r = put_dir(t, a->path, a->mode, (uint32_t)uid, (uint32_t)gid, epoch, err);
        } else if (exists) {
            continue;
        } else if (a->kind == 'f') {
            r = put_file(t, a->path, "", a->mode, (uint32_t)uid, (uint32_t)gid, epoch, err);
        } else if (a->kind == 'l') {
            if (!tree_lookup(t, a->arg, TREE_FOLLOW_LAST, NULL))
                continue;
            r = put_symlink(t, a->path, a->arg, epoch, err);
        } else if (a->kind == 'c') {
            char *text = tree_text(t, a->arg);
            if (!text)
                continue;
            r = put_file(t, a->path, text, a->mode, (uint32_t)uid, (uint32_t)gid, epoch, err);
            free(text);
        }
        if (r < 0)
            return r;
        sbuf_printf(&rep->actions, "%s postinst: %c %s %04o %s:%s%s%s\n", a->pkg, a->kind, a->path,
                    a->mode, a->owner, a->group, a->arg ? " " : "", a->arg ? a->arg : "");
    }
    return 0;
}

/* ---- update-alternatives ---- */

struct alt {
    char *name, *link, *path;
    long prio;
    struct deb_strs slaves; /* triples: link, name, path */
};

static void alt_free(struct alt *a)
{
    free(a->name);
    free(a->link);
    free(a->path);
    deb_strs_free(&a->slaves);
}

/* Splits a shell line into words (plain, '...' and "..." quoting). Returns false on $ or `. */
static bool shell_words(const char *s, struct deb_strs *out)
{
    while (*s) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s || *s == ';' || *s == '|' || *s == '&' || *s == '#')
            break;
        struct sbuf w = {0};
        sbuf_add(&w, "", 0);
        while (*s && *s != ' ' && *s != '\t' && *s != ';' && *s != '|' && *s != '&') {
            if (*s == '$' || *s == '`') {
                sbuf_free(&w);
                return false;
            }
            if (*s == '\'' || *s == '"') {
                char q = *s++;
                while (*s && *s != q) {
                    if (*s == '$' || *s == '`') {
                        sbuf_free(&w);
                        return false;
                    }
                    sbuf_add(&w, s++, 1);
                }
                if (*s)
                    s++;
            } else {
                sbuf_add(&w, s++, 1);
            }
        }
        deb_strs_add(out, w.s);
        sbuf_free(&w);
    }
    return true;
}

static void parse_alternatives(const char *script, struct alt **alts, size_t *nalts)
{
    /* join continuation lines */
    struct sbuf j = {0};
    for (const char *p = script; *p; p++) {
        if (p[0] == '\\' && p[1] == '\n') {
            p++;
            continue;
        }
        sbuf_add(&j, p, 1);
    }
    if (!j.s)
        return;
    char *save = NULL;
    for (char *l = strtok_r(j.s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (!strstr(l, "update-alternatives") || !strstr(l, "--install"))
            continue;
        struct deb_strs w = {0};
        if (!shell_words(l, &w)) {
            deb_strs_free(&w);
            continue;
        }
        size_t i = 0;
        while (i < w.n && strcmp(w.v[i], "--install") != 0)
            i++;
        char *end;
        if (i + 4 < w.n && w.v[i + 1][0] == '/' && w.v[i + 3][0] == '/') {
            long prio = strtol(w.v[i + 4], &end, 10);
            if (*end == '\0') {
                struct alt a = {
                    xstrdup(w.v[i + 2]), xstrdup(w.v[i + 1]), xstrdup(w.v[i + 3]), prio, {0, NULL}};
                for (size_t k = i + 5; k + 3 < w.n && strcmp(w.v[k], "--slave") == 0; k += 4) {
                    deb_strs_add(&a.slaves, w.v[k + 1]);
                    deb_strs_add(&a.slaves, w.v[k + 2]);
                    deb_strs_add(&a.slaves, w.v[k + 3]);
                }
                *alts = xrealloc(*alts, (*nalts + 1) * sizeof(**alts));
                (*alts)[(*nalts)++] = a;
            }
        }
        deb_strs_free(&w);
    }
    sbuf_free(&j);
}

/* LINK -> /etc/alternatives/NAME -> PATH, unless a real file is at LINK. */
static int alt_link(struct tree *t, const char *link, const char *name, const char *path, long prio,
                    int64_t epoch, struct sysconf_report *rep, struct jeos_err *err)
{
    struct tree_node *cur = tree_lookup(t, link, 0, NULL);
    if (cur && cur->ino->type != TREE_SYMLINK)
        return 0; /* a real file stays, as update-alternatives does */
    char *alt = xasprintf("/etc/alternatives/%s", name);
    int r = put_symlink(t, alt, path, epoch, err);
    if (r == 0)
        r = put_symlink(t, link, alt, epoch, err);
    if (r == 0)
        sbuf_printf(&rep->actions, "alternative %s -> %s -> %s (priority %ld)\n", link, alt, path,
                    prio);
    free(alt);
    return r;
}

static int apply_alternatives(struct tree *t, const struct deb_info *pkgs, size_t npkgs,
                              int64_t epoch, struct sysconf_report *rep, struct jeos_err *err)
{
    struct alt *alts = NULL;
    size_t nalts = 0;
    for (size_t i = 0; i < npkgs; i++)
        if (pkgs[i].postinst)
            parse_alternatives(pkgs[i].postinst, &alts, &nalts);
    int r = 0;
    for (size_t i = 0; i < nalts && r == 0; i++) {
        struct alt *a = &alts[i];
        if (!tree_lookup(t, a->path, TREE_FOLLOW_LAST, NULL))
            continue;
        bool best = true;
        for (size_t k = 0; k < nalts; k++)
            if (k != i && strcmp(alts[k].name, a->name) == 0 &&
                tree_lookup(t, alts[k].path, TREE_FOLLOW_LAST, NULL) &&
                (alts[k].prio > a->prio || (alts[k].prio == a->prio && k < i)))
                best = false;
        if (!best)
            continue;
        r = alt_link(t, a->link, a->name, a->path, a->prio, epoch, rep, err);
        for (size_t k = 0; k + 2 < a->slaves.n && r == 0; k += 3)
            if (tree_lookup(t, a->slaves.v[k + 2], TREE_FOLLOW_LAST, NULL))
                r = alt_link(t, a->slaves.v[k], a->slaves.v[k + 1], a->slaves.v[k + 2], a->prio,
                             epoch, rep, err);
    }
    for (size_t i = 0; i < nalts; i++)
        alt_free(&alts[i]);
    free(alts);
    return r;
}

/* ---- identity ---- */

static int write_identity(struct tree *t, const struct recipe *r, int64_t epoch,
                          struct jeos_err *err)
{
    const char *host = r->hostname ? r->hostname : r->name;
    char *text = xasprintf("%s\n", host);
    int rc = put_file(t, "/etc/hostname", text, 0644, 0, 0, epoch, err);
    free(text);
    if (rc < 0)
        return rc;
    text = xasprintf("127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost "
                     "ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n",
                     host);
    rc = put_file(t, "/etc/hosts", text, 0644, 0, 0, epoch, err);
    free(text);
    if (rc < 0)
        return rc;
    const char *version = r->version ? r->version : "1";
    struct sbuf os = {0};
    sbuf_printf(&os, "NAME=\"%s\"\nVERSION=\"%s\"\nID=%s\nID_LIKE=debian\n", r->name, version,
                r->name);
    sbuf_printf(&os, "PRETTY_NAME=\"%s %s (jeos appliance, Debian %s)\"\n",
                r->description ? r->description : r->name, version,
                r->debian.suite ? r->debian.suite : "bookworm");
    sbuf_printf(&os,
                "VERSION_ID=\"%s\"\nVERSION_CODENAME=%s\nVARIANT=\"jeos appliance\"\n"
                "VARIANT_ID=jeos\n",
                version, r->debian.suite ? r->debian.suite : "bookworm");
    rc = put_file(t, "/etc/os-release", os.s, 0644, 0, 0, epoch, err);
    sbuf_free(&os);
    return rc;
}

/* ---- files: overlays ---- */

struct overlay {
    struct tree *t;
    struct db *d;
    const struct recipe_file *f;
    const char *where;
    uint32_t uid, gid;
    int64_t epoch;
    struct jeos_err *err;
};

static int overlay_one(struct overlay *o, const char *src, const char *dst, bool top)
{
    struct stat st;
    if (lstat(src, &st) < 0)
        return jeos_errf(o->err, -errno, "%s: files: src %s: %s", o->where, src, strerror(errno));
    int64_t mtime = st.st_mtime > o->epoch ? o->epoch : st.st_mtime;
    if (S_ISDIR(st.st_mode)) {
        if (!top) {
            int r = put_dir(o->t, dst, 0755, o->uid, o->gid, mtime, o->err);
            if (r < 0)
                return r;
        } else if (!tree_lookup(o->t, dst, TREE_FOLLOW_LAST, NULL)) {
            int r = put_dir(o->t, dst, 0755, 0, 0, o->epoch, o->err);
            if (r < 0)
                return r;
        }
        struct dirent **ents;
        int n = scandir(src, &ents, NULL, alphasort);
        if (n < 0)
            return jeos_errf(o->err, -errno, "%s: files: src %s: %s", o->where, src,
                             strerror(errno));
        int r = 0;
        for (int i = 0; i < n; i++) {
            const char *nm = ents[i]->d_name;
            if (r == 0 && strcmp(nm, ".") != 0 && strcmp(nm, "..") != 0) {
                char *s2 = xasprintf("%s/%s", src, nm);
                char *d2 = xasprintf("%s/%s", strcmp(dst, "/") == 0 ? "" : dst, nm);
                r = overlay_one(o, s2, d2, false);
                free(s2);
                free(d2);
            }
            free(ents[i]);
        }
        free(ents);
        return r;
    }
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t n = readlink(src, target, sizeof(target) - 1);
        if (n < 0)
            return jeos_errf(o->err, -errno, "%s: files: %s: %s", o->where, src, strerror(errno));
        target[n] = '\0';
        return put_symlink(o->t, dst, target, mtime, o->err);
    }
    if (!S_ISREG(st.st_mode))
        return jeos_errf(o->err, -EINVAL, "%s: files: %s: not a file, folder or symlink", o->where,
                         src);
    uint32_t mode = o->f->mode >= 0 ? (uint32_t)o->f->mode : (uint32_t)(st.st_mode & 07777);
    struct tree_inode *ino = put_entry(o->t, dst, TREE_FILE, mode, o->uid, o->gid, mtime, o->err);
    if (!ino)
        return -EINVAL;
    tree_inode_set_ref(ino, src, 0, (uint64_t)st.st_size);
    return 0;
}

static int apply_files(struct tree *t, struct db *d, const struct recipe *r, int64_t epoch,
                       struct sysconf_report *rep, struct jeos_err *err)
{
    for (size_t i = 0; i < r->nfiles; i++) {
        const struct recipe_file *f = &r->files[i];
        char *where =
            xasprintf("%s:%d:%d", r->path ? r->path : "<recipe>", f->pos.line, f->pos.col);
        int64_t uid = resolve_owner(d, f->owner, true), gid = resolve_owner(d, f->group, false);
        int rc = 0;
        if (uid < 0)
            rc = jeos_errf(err, -ENOENT, "%s: files: owner: no user %s in the image", where,
                           f->owner);
        else if (gid < 0)
            rc = jeos_errf(err, -ENOENT, "%s: files: group: no group %s in the image", where,
                           f->group);
        if (rc == 0) {
            char *src = f->src[0] == '/' ? xstrdup(f->src)
                                         : xasprintf("%s/%s", r->dir ? r->dir : ".", f->src);
            size_t sl = strlen(src);
            while (sl > 1 && src[sl - 1] == '/')
                src[--sl] = '\0';
            char *dst;
            size_t dl = strlen(f->dst);
            struct stat st;
            bool src_dir = stat(src, &st) == 0 && S_ISDIR(st.st_mode);
            if (!src_dir && dl && f->dst[dl - 1] == '/') {
                const char *b = strrchr(src, '/');
                dst = xasprintf("%s%s", f->dst, b ? b + 1 : src);
            } else {
                dst = xstrdup(f->dst);
                while (strlen(dst) > 1 && dst[strlen(dst) - 1] == '/')
                    dst[strlen(dst) - 1] = '\0';
            }
            struct overlay o = {t, d, f, where, (uint32_t)uid, (uint32_t)gid, epoch, err};
            rc = overlay_one(&o, src, dst, true);
            if (rc == 0)
                sbuf_printf(&rep->actions, "files: %s -> %s\n", f->src, dst);
            free(src);
            free(dst);
        }
        free(where);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- the whole ---- */

static void ldso_check(struct tree *t, struct sysconf_report *rep)
{
    struct tree_node *dir = tree_lookup(t, "/etc/ld.so.conf.d", TREE_FOLLOW_LAST, NULL);
    if (!dir || dir->ino->type != TREE_DIR)
        return;
    static const char *const builtin[] = {"/lib/x86_64-linux-gnu",
                                          "/usr/lib/x86_64-linux-gnu",
                                          "/lib",
                                          "/usr/lib",
                                          "/usr/local/lib/x86_64-linux-gnu",
                                          "/usr/local/lib"};
    for (size_t i = 0; i < dir->nkids; i++) {
        char *p = xasprintf("/etc/ld.so.conf.d/%s", dir->kids[i]->name);
        char *text = tree_text(t, p);
        free(p);
        if (!text)
            continue;
        char *save = NULL;
        for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
            if (l[0] != '/')
                continue;
            bool known = false;
            for (size_t k = 0; k < sizeof(builtin) / sizeof(builtin[0]); k++)
                known |= strcmp(l, builtin[k]) == 0;
            if (!known) {
                char *w = xasprintf("ld.so: %s (from /etc/ld.so.conf.d/%s) is not searched "
                                    "without an ld.so.cache, which jeos does not generate",
                                    l, dir->kids[i]->name);
                deb_strs_add(&rep->warnings, w);
                free(w);
            }
        }
        free(text);
    }
}

void sysconf_report_free(struct sysconf_report *r)
{
    sbuf_free(&r->actions);
    deb_strs_free(&r->skipped);
    deb_strs_free(&r->warnings);
}

int sysconf_apply(struct tree *t, const struct recipe *r, const struct deb_info *pkgs, size_t npkgs,
                  int64_t epoch, struct sysconf_report *rep, struct jeos_err *err)
{
    static const struct {
        const char *path;
        uint32_t mode;
    } dirs[] = {{"/dev", 0755},  {"/proc", 0555},     {"/sys", 0555},     {"/run", 0755},
                {"/tmp", 01777}, {"/var/tmp", 01777}, {"/root", 0700},    {"/etc", 0755},
                {"/home", 0755}, {"/var/log", 0755},  {"/var/lib", 0755}, {"/mnt", 0755}};
    int rc = 0;
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && rc == 0; i++)
        rc = put_dir(t, dirs[i].path, dirs[i].mode, 0, 0, epoch, err);
    if (rc < 0)
        return rc;

    for (size_t i = 0; i < npkgs; i++) {
        if (!pkgs[i].scripts.n)
            continue;
        struct sbuf s = {0};
        sbuf_printf(&s, "%s:", pkgs[i].name);
        for (size_t k = 0; k < pkgs[i].scripts.n; k++)
            sbuf_printf(&s, " %s", pkgs[i].scripts.v[k]);
        deb_strs_add(&rep->skipped, s.s);
        sbuf_free(&s);
    }

    struct db d = {0};
    char *pwm = tree_text(t, "/usr/share/base-passwd/passwd.master");
    char *grm = tree_text(t, "/usr/share/base-passwd/group.master");
    db_parse(&d, pwm && grm ? pwm : passwd_master, pwm && grm ? grm : group_master);
    sbuf_printf(&rep->actions, "passwd/group from %s\n",
                pwm && grm ? "base-passwd's masters in the image" : "built-in base-passwd masters");
    free(pwm);
    free(grm);
    char *where = xasprintf("%s", r->path ? r->path : "<recipe>");
    for (size_t i = 0; i < r->nusers && rc == 0; i++) {
        const struct recipe_user *u = &r->users[i];
        char *w = xasprintf("%s:%d:%d", where, u->pos.line, u->pos.col);
        rc = add_user(&d, u->name, u->uid, u->group, &u->groups, u->home, u->shell, true, w, rep,
                      err);
        free(w);
    }
    if (rc == 0 && r->service.user && !pw_find(&d, r->service.user) &&
        resolve_owner(&d, r->service.user, true) < 0)
        rc = add_user(&d, r->service.user, -1, r->service.group, NULL, "/nonexistent", NULL, true,
                      "service.user", rep, err);
    if (rc == 0 && r->service.group && resolve_owner(&d, r->service.group, false) < 0) {
        struct gr *g;
        int gid = ensure_group(&d, r->service.group, true, &g, rep, err, "service.group");
        rc = gid < 0 ? gid : 0;
    }
    free(where);
    if (rc == 0)
        rc = write_db(t, &d, epoch, err);
    if (rc == 0)
        rc = apply_pkg_actions(t, &d, pkgs, npkgs, epoch, rep, err);
    if (rc == 0)
        rc = apply_alternatives(t, pkgs, npkgs, epoch, rep, err);
    if (rc == 0)
        rc = write_identity(t, r, epoch, err);
    if (rc == 0)
        rc = apply_files(t, &d, r, epoch, rep, err);
    if (rc == 0)
        ldso_check(t, rep);
    db_free(&d);
    return rc;
}
