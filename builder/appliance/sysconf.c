/* sysconf.c — what maintainer scripts and systemd would have done, in order (see sysconf.h):
 * base folders, users, the packages' scripts and systemd files, services, identity, overlays. */
#include "builder/appliance/sysconf.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/appliance/accounts.h"
#include "builder/appliance/pkgscripts.h"
#include "builder/appliance/rootops.h"
#include "builder/appliance/sdconf.h"
#include "builder/appliance/units.h"
#include "builder/core/err.h"
#include "builder/core/util.h"
#include "builder/recipe/recipe.h"

/* ---- identity ---- */

static int write_identity(struct tree *t, const struct recipe *r, int64_t epoch,
                          struct jeos_err *err)
{
    const char *host = r->hostname ? r->hostname : r->name;
    char *text = xasprintf("%s\n", host);
    int rc = root_put_file(t, "/etc/hostname", text, strlen(text), 0644, 0, 0, epoch, err);
    free(text);
    if (rc < 0)
        return rc;
    text = xasprintf("127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost "
                     "ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n",
                     host);
    rc = root_put_file(t, "/etc/hosts", text, strlen(text), 0644, 0, 0, epoch, err);
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
    rc = root_put_file(t, "/etc/os-release", os.s, os.len, 0644, 0, 0, epoch, err);
    sbuf_free(&os);
    return rc;
}

/* ---- files: overlays, folders ---- */

struct overlay {
    struct tree *t;
    const struct recipe_file *f;
    const char *where;
    uint32_t uid, gid;
    uint32_t dmode; /* folders the entry makes */
    bool owned;     /* owner or group given: existing folders it copies into take them too */
    int64_t epoch;
    struct jeos_err *err;
};

/* A folder's mode from a file mode: search permission wherever reading is allowed. */
static uint32_t dir_mode(int mode)
{
    if (mode < 0)
        return 0755;
    return (uint32_t)mode | (((uint32_t)mode & 0444) >> 2);
}

/* The missing folders above `path` (not itself), made with the entry's owner and mode. */
static int overlay_parents(struct overlay *o, const char *path)
{
    char *p = xstrdup(path);
    int rc = 0;
    for (char *s = strchr(p + 1, '/'); s && rc == 0; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (!tree_lookup(o->t, p, TREE_FOLLOW_LAST, NULL))
            rc = root_put_dir(o->t, p, o->dmode, o->uid, o->gid, o->epoch, o->err);
        *s = '/';
    }
    free(p);
    return rc;
}

/* A folder of the entry: made with its owner and mode, or (when it exists) given them. */
static int overlay_dir(struct overlay *o, const char *dst, int64_t mtime)
{
    struct tree_node *n = tree_lookup(o->t, dst, TREE_FOLLOW_LAST, NULL);
    if (n && n->ino->type == TREE_DIR) {
        if (o->owned) {
            n->ino->uid = o->uid;
            n->ino->gid = o->gid;
        }
        if (o->f->mode >= 0)
            n->ino->mode = o->dmode;
        return 0;
    }
    return root_put_dir(o->t, dst, o->dmode, o->uid, o->gid, mtime, o->err);
}

static int overlay_one(struct overlay *o, const char *src, const char *dst)
{
    struct stat st;
    if (lstat(src, &st) < 0)
        return jeos_errf(o->err, -errno, "%s: files: src %s: %s", o->where, src, strerror(errno));
    int64_t mtime = st.st_mtime > o->epoch ? o->epoch : st.st_mtime;
    if (S_ISDIR(st.st_mode)) {
        int r = overlay_dir(o, dst, mtime);
        if (r < 0)
            return r;
        struct dirent **ents;
        int n = scandir(src, &ents, NULL, alphasort);
        if (n < 0)
            return jeos_errf(o->err, -errno, "%s: files: src %s: %s", o->where, src,
                             strerror(errno));
        for (int i = 0; i < n; i++) {
            const char *nm = ents[i]->d_name;
            if (r == 0 && strcmp(nm, ".") != 0 && strcmp(nm, "..") != 0) {
                char *s2 = xasprintf("%s/%s", src, nm);
                char *d2 = xasprintf("%s/%s", strcmp(dst, "/") == 0 ? "" : dst, nm);
                r = overlay_one(o, s2, d2);
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
        return root_put_symlink(o->t, dst, target, mtime, o->err);
    }
    if (!S_ISREG(st.st_mode))
        return jeos_errf(o->err, -EINVAL, "%s: files: %s: not a file, folder or symlink", o->where,
                         src);
    uint32_t mode = o->f->mode >= 0 ? (uint32_t)o->f->mode : (uint32_t)(st.st_mode & 07777);
    struct tree_inode *ino =
        root_put_entry(o->t, dst, TREE_FILE, mode, o->uid, o->gid, mtime, o->err);
    if (!ino)
        return -EINVAL;
    tree_inode_set_ref(ino, src, 0, (uint64_t)st.st_size);
    return 0;
}

static int apply_files(struct tree *t, struct accounts *a, const struct recipe *r, int64_t epoch,
                       struct sysconf_report *rep, struct jeos_err *err)
{
    for (size_t i = 0; i < r->nfiles; i++) {
        const struct recipe_file *f = &r->files[i];
        char *where =
            xasprintf("%s:%d:%d", r->path ? r->path : "<recipe>", f->pos.line, f->pos.col);
        int64_t uid = acct_uid(a, f->owner), gid = acct_gid(a, f->group);
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
            struct overlay o = {t,
                                f,
                                where,
                                (uint32_t)uid,
                                (uint32_t)gid,
                                dir_mode(f->mode),
                                f->owner || f->group,
                                epoch,
                                err};
            rc = overlay_parents(&o, dst);
            if (rc == 0)
                rc = overlay_one(&o, src, dst);
            if (rc == 0)
                sbuf_printf(&rep->actions, "files: %s -> %s\n", f->src, dst);
            free(src);
            free(dst);
        }
        free(where);
        if (rc < 0)
            return rc;
    }
    for (size_t i = 0; i < r->nfolders; i++) {
        const struct recipe_folder *f = &r->folders[i];
        int64_t uid = acct_uid(a, f->owner), gid = acct_gid(a, f->group);
        const char *rp = r->path ? r->path : "<recipe>";
        if (uid < 0 || gid < 0)
            return jeos_errf(err, -ENOENT, "%s:%d:%d: folders: %s: no %s %s in the image", rp,
                             f->pos.line, f->pos.col, uid < 0 ? "owner" : "group",
                             uid < 0 ? "user" : "group", uid < 0 ? f->owner : f->group);
        int rc = root_put_dir(t, f->path, f->mode >= 0 ? (uint32_t)f->mode : 0755, (uint32_t)uid,
                              (uint32_t)gid, epoch, err);
        if (rc < 0)
            return rc;
        sbuf_printf(&rep->actions, "folders: %s %04o %s:%s\n", f->path,
                    f->mode >= 0 ? (unsigned)f->mode : 0755u, f->owner ? f->owner : "root",
                    f->group ? f->group : "root");
    }
    return 0;
}

/* ---- the recipe's users ---- */

/* Changes an existing user as the recipe says, and says so. */
static int change_user(struct accounts *a, struct acct_user *p, const struct recipe_user *u,
                       const char *where, struct sysconf_report *rep, struct jeos_err *err)
{
    struct sbuf what = {0};
    if (u->uid >= 0 && (uint32_t)u->uid != p->uid)
        return jeos_errf(err, -EEXIST, "%s: users: %s exists already with uid %u (got uid %lld)",
                         where, u->name, p->uid, (long long)u->uid);
    if (u->group) {
        int64_t gid = acct_gid(a, u->group);
        if (gid < 0) {
            struct acct_group *g = acct_add_group(a, u->group, -1, true, where, err);
            if (!g)
                return -ENOSPC;
            gid = g->gid;
        }
        if ((uint32_t)gid != p->gid)
            sbuf_printf(&what, ", group %u -> %s", p->gid, u->group);
        p->gid = (uint32_t)gid;
    }
    if (u->home && strcmp(u->home, p->home) != 0) {
        sbuf_printf(&what, ", home %s -> %s", p->home, u->home);
        free(p->home);
        p->home = xstrdup(u->home);
    }
    if (u->shell && strcmp(u->shell, p->shell) != 0) {
        sbuf_printf(&what, ", shell %s -> %s", p->shell, u->shell);
        free(p->shell);
        p->shell = xstrdup(u->shell);
    }
    for (size_t i = 0; i < u->groups.n; i++) {
        struct acct_group *g = acct_group(a, u->groups.v[i]);
        if (!g && !(g = acct_add_group(a, u->groups.v[i], -1, true, where, err)))
            return -ENOSPC;
        bool member = false;
        for (size_t k = 0; k < g->members.n; k++)
            member |= strcmp(g->members.v[k], p->name) == 0;
        if (!member) {
            acct_add_member(a, g, p->name);
            sbuf_printf(&what, ", member of %s", g->name);
        }
    }
    sbuf_printf(&rep->actions, "users: %s exists (%s): %s (%s)\n", p->name, p->by,
                what.len ? what.s + 2 : "nothing to change", where);
    sbuf_free(&what);
    return 0;
}

static int recipe_users(struct tree *t, struct accounts *a, const struct recipe *r, int64_t epoch,
                        struct sysconf_report *rep, struct jeos_err *err)
{
    const char *rp = r->path ? r->path : "<recipe>";
    int rc = 0;
    for (size_t i = 0; i < r->nusers && rc == 0; i++) {
        const struct recipe_user *u = &r->users[i];
        char *w = xasprintf("%s:%d:%d", rp, u->pos.line, u->pos.col);
        struct acct_user *p = acct_user(a, u->name);
        if (p) {
            rc = change_user(a, p, u, w, rep, err);
        } else {
            struct deb_strs groups = {u->groups.n, u->groups.v};
            struct acct_spec s = {.name = u->name,
                                  .uid = u->uid,
                                  .group = u->group,
                                  .usergroup = true,
                                  .groups = &groups,
                                  .home = u->home,
                                  .shell = u->shell,
                                  .system = true};
            rc = acct_add_user(a, &s, w, w, err);
            rc = rc < 0 ? rc : 0;
        }
        p = acct_user(a, u->name);
        if (rc == 0 && p && u->home && strcmp(u->home, "/nonexistent") != 0 &&
            !tree_lookup(t, u->home, TREE_FOLLOW_LAST, NULL)) {
            rc = root_put_dir(t, u->home, 0755, p->uid, p->gid, epoch, err);
            if (rc == 0)
                sbuf_printf(&rep->actions, "users: home %s for %s (%s)\n", u->home, u->name, w);
        }
        free(w);
    }
    return rc;
}

/* Each service's user and group: present, or (the recipe's exec only) made with a warning. */
static int service_users(struct accounts *a, const struct recipe *r, struct sysconf_report *rep,
                         struct jeos_err *err)
{
    const char *rp = r->path ? r->path : "<recipe>";
    for (size_t i = 0; i < rep->plan.n; i++) {
        struct svc_spec *s = &rep->plan.v[i];
        bool from_recipe =
            !s->unit || (r->service.user && s->user && strcmp(r->service.user, s->user) == 0);
        if (s->user && acct_uid(a, s->user) < 0) {
            if (!from_recipe)
                return jeos_errf(err, -ENOENT,
                                 "%s: User=%s: no such user in the image (no package makes it; "
                                 "add it under users:)",
                                 s->unit, s->user);
            char *w = xasprintf("%s:%d:%d", rp, r->service.upos.line, r->service.upos.col);
            struct acct_spec sp = {
                .name = s->user, .uid = -1, .group = s->group, .usergroup = true, .system = true};
            int rc = acct_add_user(a, &sp, "service.user", w, err);
            if (rc >= 0) {
                char *m = xasprintf("%s: service.user: no user %s in the image; made a system user "
                                    "of that name (list it under users: to choose its ids)",
                                    w, s->user);
                deb_strs_add(&rep->warnings, m);
                free(m);
            }
            free(w);
            if (rc < 0)
                return rc;
        }
        if (s->group && acct_gid(a, s->group) < 0) {
            if (s->unit && !(r->service.group && !strcmp(r->service.group, s->group)))
                return jeos_errf(err, -ENOENT, "%s: Group=%s: no such group in the image", s->unit,
                                 s->group);
            if (!acct_add_group(a, s->group, -1, true, "service.group", err))
                return -ENOSPC;
        }
        for (size_t k = 0; k < s->groups.n; k++)
            if (acct_gid(a, s->groups.v[k]) < 0 &&
                !acct_add_group(a, s->groups.v[k], -1, true, s->unit ? s->unit : "service", err))
                return -ENOSPC;
    }
    return 0;
}

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
        char *text = root_text(t, p);
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

/* ---- the whole ---- */

void sysconf_report_free(struct sysconf_report *r)
{
    sbuf_free(&r->actions);
    deb_strs_free(&r->skipped);
    deb_strs_free(&r->warnings);
    svc_plan_free(&r->plan);
}

static int base_folders(struct tree *t, int64_t epoch, struct jeos_err *err)
{
    static const struct {
        const char *path;
        uint32_t mode;
    } dirs[] = {{"/dev", 0755},      {"/proc", 0555},     {"/sys", 0555},     {"/run", 0755},
                {"/tmp", 01777},     {"/var/tmp", 01777}, {"/root", 0700},    {"/etc", 0755},
                {"/home", 0755},     {"/var/log", 0755},  {"/var/lib", 0755}, {"/mnt", 0755},
                {"/var/cache", 0755}};
    int rc = 0;
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && rc == 0; i++)
        rc = root_put_dir(t, dirs[i].path, dirs[i].mode, 0, 0, epoch, err);
    /* what base-files links, whether it is installed or not */
    static const char *const links[][2] = {{"/var/run", "/run"}, {"/var/lock", "/run/lock"}};
    for (size_t i = 0; i < 2 && rc == 0; i++)
        if (!tree_lookup(t, links[i][0], 0, NULL))
            rc = root_put_symlink(t, links[i][0], links[i][1], epoch, err);
    return rc;
}

int sysconf_apply(struct tree *t, const struct recipe *r, const struct deb_info *pkgs, size_t npkgs,
                  int64_t epoch, struct sysconf_report *rep, struct jeos_err *err)
{
    int rc = base_folders(t, epoch, err);
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

    struct accounts a;
    acct_load(&a, t, &rep->actions);
    rc = sdconf_sysusers(t, &a, &rep->warnings, err);
    struct pkgscripts ps = {t, &a, &rep->plan, epoch, &rep->actions, &rep->warnings};
    if (rc == 0)
        rc = pkgscripts_apply(&ps, pkgs, npkgs, err);
    if (rc == 0)
        rc = recipe_users(t, &a, r, epoch, rep, err);
    if (rc == 0)
        rc = sdconf_tmpfiles(t, &a, &rep->plan, epoch, &rep->actions, err);
    struct units_ctx uc = {t, &a, pkgs, npkgs, epoch, &rep->actions, &rep->warnings};
    if (rc == 0)
        rc = units_plan(&uc, r, &rep->plan, err);
    if (rc == 0)
        rc = service_users(&a, r, rep, err);
    if (rc == 0)
        rc = acct_write(&a, t, epoch, err);
    if (rc == 0)
        rc = write_identity(t, r, epoch, err);
    if (rc == 0)
        rc = apply_files(t, &a, r, epoch, rep, err);
    if (rc == 0)
        ldso_check(t, rep);
    acct_free(&a);
    return rc;
}
