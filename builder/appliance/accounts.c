/* accounts.c — the image's users and groups (see accounts.h). */
#include "builder/appliance/accounts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/appliance/rootops.h"
#include "builder/core/err.h"
#include "builder/core/util.h"

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

void acct_free(struct accounts *a)
{
    for (size_t i = 0; i < a->npw; i++) {
        free(a->pw[i].name);
        free(a->pw[i].gecos);
        free(a->pw[i].home);
        free(a->pw[i].shell);
        free(a->pw[i].by);
    }
    for (size_t i = 0; i < a->ngr; i++) {
        free(a->gr[i].name);
        free(a->gr[i].by);
        deb_strs_free(&a->gr[i].members);
    }
    free(a->pw);
    free(a->gr);
    a->pw = NULL;
    a->gr = NULL;
    a->npw = a->ngr = 0;
}

struct acct_user *acct_user(struct accounts *a, const char *name)
{
    for (size_t i = 0; i < a->npw; i++)
        if (strcmp(a->pw[i].name, name) == 0)
            return &a->pw[i];
    return NULL;
}

struct acct_group *acct_group(struct accounts *a, const char *name)
{
    for (size_t i = 0; i < a->ngr; i++)
        if (strcmp(a->gr[i].name, name) == 0)
            return &a->gr[i];
    return NULL;
}

static bool uid_used(struct accounts *a, uint32_t id)
{
    for (size_t i = 0; i < a->npw; i++)
        if (a->pw[i].uid == id)
            return true;
    return false;
}

static bool gid_used(struct accounts *a, uint32_t id)
{
    for (size_t i = 0; i < a->ngr; i++)
        if (a->gr[i].gid == id)
            return true;
    return false;
}

static void pw_add(struct accounts *a, const char *name, uint32_t uid, uint32_t gid,
                   const char *gecos, const char *home, const char *shell, const char *by)
{
    a->pw = xrealloc(a->pw, (a->npw + 1) * sizeof(*a->pw));
    a->pw[a->npw++] = (struct acct_user){
        xstrdup(name), xstrdup(gecos), xstrdup(home), xstrdup(shell), uid, gid, xstrdup(by)};
}

static struct acct_group *gr_add(struct accounts *a, const char *name, uint32_t gid, const char *by)
{
    a->gr = xrealloc(a->gr, (a->ngr + 1) * sizeof(*a->gr));
    a->gr[a->ngr] = (struct acct_group){xstrdup(name), gid, {0, NULL}, xstrdup(by)};
    return &a->gr[a->ngr++];
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

static void parse_masters(struct accounts *a, const char *pw, const char *gr)
{
    char *copy = xstrdup(pw), *save = NULL;
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *f[7];
        int64_t uid, gid;
        if (split(l, f, 7) == 7 && jeos_parse_i64(f[2], 0, UINT32_MAX, &uid) &&
            jeos_parse_i64(f[3], 0, UINT32_MAX, &gid) && !acct_user(a, f[0]))
            pw_add(a, f[0], (uint32_t)uid, (uint32_t)gid, f[4], f[5], f[6], "base-passwd");
    }
    free(copy);
    copy = xstrdup(gr);
    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *f[4];
        int64_t gid;
        if (split(l, f, 4) >= 3 && jeos_parse_i64(f[2], 0, UINT32_MAX, &gid) &&
            !acct_group(a, f[0]))
            gr_add(a, f[0], (uint32_t)gid, "base-passwd");
    }
    free(copy);
}

void acct_load(struct accounts *a, struct tree *t, struct sbuf *log)
{
    memset(a, 0, sizeof(*a));
    a->log = log;
    char *pwm = root_text(t, "/usr/share/base-passwd/passwd.master");
    char *grm = root_text(t, "/usr/share/base-passwd/group.master");
    parse_masters(a, pwm && grm ? pwm : passwd_master, pwm && grm ? grm : group_master);
    sbuf_printf(log, "passwd/group from %s\n",
                pwm && grm ? "base-passwd's masters in the image" : "built-in base-passwd masters");
    free(pwm);
    free(grm);
}

int64_t acct_uid(struct accounts *a, const char *s)
{
    int64_t num;
    if (!s)
        return 0;
    if (jeos_parse_i64(s, 0, UINT32_MAX - 1, &num))
        return num;
    struct acct_user *p = acct_user(a, s);
    return p ? (int64_t)p->uid : -ENOENT;
}

int64_t acct_gid(struct accounts *a, const char *s)
{
    int64_t num;
    if (!s)
        return 0;
    if (jeos_parse_i64(s, 0, UINT32_MAX - 1, &num))
        return num;
    struct acct_group *g = acct_group(a, s);
    return g ? (int64_t)g->gid : -ENOENT;
}

static uint32_t alloc_id(struct accounts *a, bool user, bool system)
{
    uint32_t from = system ? 100 : 1000, to = system ? 999 : 59999;
    for (uint32_t id = from; id <= to; id++)
        if (!(user ? uid_used(a, id) : gid_used(a, id)) && !(user && gid_used(a, id)))
            return id;
    return UINT32_MAX;
}

struct acct_group *acct_add_group(struct accounts *a, const char *name, int64_t gid, bool system,
                                  const char *by, struct jeos_err *err)
{
    struct acct_group *g = acct_group(a, name);
    if (g)
        return g;
    uint32_t id;
    if (gid >= 0) {
        id = (uint32_t)gid;
        if (gid_used(a, id)) {
            jeos_errf(err, -EEXIST, "%s: group %s: gid %u is already taken", by, name, id);
            return NULL;
        }
    } else if ((id = alloc_id(a, false, system)) == UINT32_MAX) {
        jeos_errf(err, -ENOSPC, "%s: no free group id for %s", by, name);
        return NULL;
    }
    g = gr_add(a, name, id, by);
    sbuf_printf(a->log, "group %s gid %u (%s)\n", name, id, by);
    return g;
}

void acct_add_member(struct accounts *a, struct acct_group *g, const char *user)
{
    (void)a;
    for (size_t i = 0; i < g->members.n; i++)
        if (strcmp(g->members.v[i], user) == 0)
            return;
    deb_strs_add(&g->members, user);
}

int acct_add_user(struct accounts *a, const struct acct_spec *s, const char *by, const char *where,
                  struct jeos_err *err)
{
    if (acct_user(a, s->name))
        return 0;
    uint32_t id;
    if (s->uid >= 0) {
        id = (uint32_t)s->uid;
        if (uid_used(a, id))
            return jeos_errf(err, -EEXIST, "%s: users: %s: uid %u is already taken", where, s->name,
                             id);
    } else if ((id = alloc_id(a, true, s->system)) == UINT32_MAX) {
        return jeos_errf(err, -ENOSPC, "%s: no free user id for %s", where, s->name);
    }
    int64_t gid;
    if (!s->group && !s->usergroup) {
        struct acct_group *ng = acct_group(a, "nogroup");
        gid = ng ? ng->gid : 65534;
    } else if (!s->group && !acct_group(a, s->name) && !gid_used(a, id)) {
        gr_add(a, s->name, id, by); /* a group named like the user, same number when free */
        sbuf_printf(a->log, "group %s gid %u (%s)\n", s->name, id, by);
        gid = id;
    } else if ((gid = acct_gid(a, s->group ? s->group : s->name)) < 0) {
        struct acct_group *g =
            acct_add_group(a, s->group ? s->group : s->name, -1, s->system, by, err);
        if (!g)
            return -ENOSPC;
        gid = g->gid;
    }
    pw_add(a, s->name, id, (uint32_t)gid, s->gecos ? s->gecos : s->name,
           s->home ? s->home : "/nonexistent", s->shell ? s->shell : "/usr/sbin/nologin", by);
    sbuf_printf(a->log, "user %s uid %u gid %u (%s)\n", s->name, id, (uint32_t)gid, by);
    for (size_t i = 0; s->groups && i < s->groups->n; i++) {
        struct acct_group *sg = acct_group(a, s->groups->v[i]);
        int64_t num;
        if (!sg && jeos_parse_i64(s->groups->v[i], 0, UINT32_MAX - 1, &num))
            continue; /* a bare number: nothing to list the member in */
        if (!sg && !(sg = acct_add_group(a, s->groups->v[i], -1, s->system, by, err)))
            return -ENOSPC;
        acct_add_member(a, sg, s->name);
    }
    return 1;
}

int acct_write(struct accounts *a, struct tree *t, int64_t epoch, struct jeos_err *err)
{
    struct sbuf pw = {0}, sh = {0}, gr = {0}, gs = {0};
    long days = (long)(epoch / 86400);
    for (size_t i = 0; i < a->npw; i++) {
        struct acct_user *p = &a->pw[i];
        sbuf_printf(&pw, "%s:x:%u:%u:%s:%s:%s\n", p->name, p->uid, p->gid, p->gecos, p->home,
                    p->shell);
        sbuf_printf(&sh, "%s:*:%ld:0:99999:7:::\n", p->name, days);
    }
    for (size_t i = 0; i < a->ngr; i++) {
        struct acct_group *g = &a->gr[i];
        sbuf_printf(&gr, "%s:x:%u:", g->name, g->gid);
        sbuf_printf(&gs, "%s:*::", g->name);
        for (size_t k = 0; k < g->members.n; k++) {
            sbuf_printf(&gr, "%s%s", k ? "," : "", g->members.v[k]);
            sbuf_printf(&gs, "%s%s", k ? "," : "", g->members.v[k]);
        }
        sbuf_puts(&gr, "\n");
        sbuf_puts(&gs, "\n");
    }
    struct acct_group *shadow = acct_group(a, "shadow");
    uint32_t sgid = shadow ? shadow->gid : 0;
    int r = root_put_file(t, "/etc/passwd", pw.s, pw.len, 0644, 0, 0, epoch, err);
    if (r == 0)
        r = root_put_file(t, "/etc/group", gr.s, gr.len, 0644, 0, 0, epoch, err);
    if (r == 0)
        r = root_put_file(t, "/etc/shadow", sh.s, sh.len, 0640, 0, sgid, epoch, err);
    if (r == 0)
        r = root_put_file(t, "/etc/gshadow", gs.s, gs.len, 0640, 0, sgid, epoch, err);
    sbuf_free(&pw);
    sbuf_free(&sh);
    sbuf_free(&gr);
    sbuf_free(&gs);
    return r;
}
