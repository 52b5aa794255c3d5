/* init_conf.c — writes runtime/init's configuration from the recipe and the service plan (see
 * init_conf.h). */
#include "builder/appliance/init_conf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "builder/core/alloc.h"
#include "builder/core/err.h"

void svc_cmd_free(struct svc_cmd *c)
{
    deb_strs_free(&c->argv);
    free(c->unless);
    memset(c, 0, sizeof(*c));
}

void svc_dir_free(struct svc_dir *d)
{
    free(d->path);
    free(d->user);
    free(d->group);
    free(d->target);
}

void svc_spec_free(struct svc_spec *s)
{
    free(s->name);
    free(s->unit);
    free(s->pkg);
    for (size_t i = 0; i < s->npre; i++)
        svc_cmd_free(&s->pre[i]);
    free(s->pre);
    svc_cmd_free(&s->start);
    for (size_t i = 0; i < s->npost; i++)
        svc_cmd_free(&s->post[i]);
    free(s->post);
    free(s->user);
    free(s->group);
    deb_strs_free(&s->groups);
    free(s->workdir);
    deb_strs_free(&s->env);
    deb_strs_free(&s->envfiles);
    free(s->nofile);
    free(s->pidfile);
    for (size_t i = 0; i < s->ndirs; i++)
        svc_dir_free(&s->dirs[i]);
    free(s->dirs);
    deb_strs_free(&s->binds);
    deb_strs_free(&s->robinds);
    deb_strs_free(&s->notes);
    deb_strs_free(&s->unit_after);
    deb_strs_free(&s->unit_before);
    deb_strs_free(&s->after);
}

void svc_plan_free(struct svc_plan *p)
{
    for (size_t i = 0; i < p->n; i++)
        svc_spec_free(&p->v[i]);
    free(p->v);
    for (size_t i = 0; i < p->ndirs; i++)
        svc_dir_free(&p->dirs[i]);
    free(p->dirs);
    for (size_t i = 0; i < p->nboot; i++)
        svc_cmd_free(&p->boot[i]);
    free(p->boot);
    memset(p, 0, sizeof(*p));
}

struct svc_spec *svc_plan_add(struct svc_plan *p)
{
    p->v = xrealloc(p->v, (p->n + 1) * sizeof(*p->v));
    struct svc_spec *s = &p->v[p->n++];
    memset(s, 0, sizeof(*s));
    s->umask = -1;
    return s;
}

void svc_dir_add(struct svc_dir **v, size_t *n, char kind, const char *path, int mode,
                 const char *user, const char *group, const char *target)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = (struct svc_dir){kind,
                                    xstrdup(path),
                                    mode,
                                    user ? xstrdup(user) : NULL,
                                    group ? xstrdup(group) : NULL,
                                    target ? xstrdup(target) : NULL};
}

/* One "key value" line; values are verbatim to the end of the line, so no line break inside. */
static int line(struct sbuf *out, const char *where, const char *field, const char *key,
                const char *v, struct jeos_err *err)
{
    if (strpbrk(v, "\n\r"))
        return jeos_errf(err, -EINVAL, "%s: %s: a line break cannot be passed to the service",
                         where, field);
    sbuf_printf(out, "%s %s\n", key, v);
    return 0;
}

static int write_cmd(struct sbuf *out, const char *where, const char *field, const char *key,
                     const struct svc_cmd *c, struct jeos_err *err)
{
    if (!c->argv.n || c->argv.v[0][0] != '/')
        return jeos_errf(err, -EINVAL, "%s: %s: expected an absolute path (got \"%s\")", where,
                         field, c->argv.n ? c->argv.v[0] : "");
    int rc = line(out, where, field, key, c->argv.v[0], err);
    for (size_t i = 1; i < c->argv.n && rc == 0; i++)
        rc = line(out, where, field, "arg", c->argv.v[i], err);
    if (rc == 0 && (c->ignore_failure || c->privileged || c->expand))
        sbuf_printf(out, "flags %s%s%s\n", c->ignore_failure ? "-" : "", c->privileged ? "+" : "",
                    c->expand ? "$" : "");
    if (rc == 0 && c->unless)
        rc = line(out, where, field, "unless", c->unless, err);
    return rc;
}

static int write_dir(struct sbuf *out, const char *where, const struct svc_dir *d,
                     struct jeos_err *err)
{
    if (strpbrk(d->path, " \t\n\r") || (d->user && strpbrk(d->user, " \n")) ||
        (d->group && strpbrk(d->group, " \n")) || (d->target && strpbrk(d->target, "\n\r")))
        return jeos_errf(err, -EINVAL, "%s: %s: a space or line break in a path or owner", where,
                         d->path);
    if (d->kind == 'L') {
        sbuf_printf(out, "symlink %s %s\n", d->path, d->target);
        return 0;
    }
    char mode[16] = "-";
    if (d->mode >= 0)
        snprintf(mode, sizeof(mode), "%04o", (unsigned)d->mode);
    sbuf_printf(out, "%s %s %s %s %s\n", d->kind == 'f' ? "file" : "dir", mode,
                d->user ? d->user : "-", d->group ? d->group : "-", d->path);
    return 0;
}

static int write_service(struct sbuf *out, const struct recipe *r, const struct svc_spec *s,
                         struct jeos_err *err)
{
    static const char *const types[] = {"simple", "exec", "forking", "notify", "oneshot"};
    static const char *const restart[] = {"always", "on-failure", "no"};
    static const char *const ready[] = {"auto", "started", "listen", "notify", "port"};
    char *where =
        s->unit ? xstrdup(s->unit)
                : xasprintf("%s:%d:%d", r->path ? r->path : "recipe", s->where.line, s->where.col);
    int rc = line(out, where, "service", "service", s->name, err);
    if (rc == 0)
        sbuf_printf(out, "type %s\n", types[s->type]);
    for (size_t i = 0; i < s->npre && rc == 0; i++)
        rc = write_cmd(out, where, "ExecStartPre", "pre", &s->pre[i], err);
    if (rc == 0)
        rc = write_cmd(out, where, s->unit ? "ExecStart" : "service.exec[0]", "exec", &s->start,
                       err);
    for (size_t i = 0; i < s->npost && rc == 0; i++)
        rc = write_cmd(out, where, "ExecStartPost", "post", &s->post[i], err);
    if (rc == 0 && s->user)
        rc = line(out, where, "user", "user", s->user, err);
    if (rc == 0 && s->group)
        rc = line(out, where, "group", "group", s->group, err);
    if (rc == 0 && s->groups.n) {
        struct sbuf g = {0};
        for (size_t i = 0; i < s->groups.n; i++)
            sbuf_printf(&g, "%s%s", i ? " " : "", s->groups.v[i]);
        rc = line(out, where, "SupplementaryGroups", "groups", g.s, err);
        sbuf_free(&g);
    }
    if (rc == 0 && s->workdir)
        rc = line(out, where, "workdir", "workdir", s->workdir, err);
    const struct recipe_env *re = &r->env;
    for (size_t i = 0; i < re->n && rc == 0; i++) {
        char *kv = xasprintf("%s=%s", re->keys[i], re->values[i]);
        rc = line(out, where, "env", "env", kv, err);
        free(kv);
    }
    for (size_t i = 0; i < s->env.n && rc == 0; i++)
        rc = line(out, where, "env", "env", s->env.v[i], err);
    for (size_t i = 0; i < s->envfiles.n && rc == 0; i++)
        rc = line(out, where, "EnvironmentFile", "envfile", s->envfiles.v[i], err);
    if (rc == 0 && s->umask >= 0)
        sbuf_printf(out, "umask %04o\n", (unsigned)s->umask);
    if (rc == 0 && s->nofile)
        rc = line(out, where, "LimitNOFILE", "nofile", s->nofile, err);
    for (size_t i = 0; rc == 0 && i < s->after.n; i++)
        rc = line(out, where, "After", "after", s->after.v[i], err);
    if (rc == 0 && s->pidfile)
        rc = line(out, where, "PIDFile", "pidfile", s->pidfile, err);
    for (size_t i = 0; i < s->ndirs && rc == 0; i++)
        rc = write_dir(out, where, &s->dirs[i], err);
    for (size_t i = 0; i < s->binds.n && rc == 0; i++)
        rc = line(out, where, "BindPaths", "bind", s->binds.v[i], err);
    for (size_t i = 0; i < s->robinds.n && rc == 0; i++)
        rc = line(out, where, "BindReadOnlyPaths", "bind-ro", s->robinds.v[i], err);
    if (rc == 0)
        sbuf_printf(out, "restart %s\n", restart[s->restart]);
    if (rc == 0 && s->ready == RECIPE_READY_PORT)
        sbuf_printf(out, "ready port %d\n", s->ready_port);
    else if (rc == 0)
        sbuf_printf(out, "ready %s\n", ready[s->ready]);
    free(where);
    return rc;
}

int jeos_init_conf_write(const struct recipe *r, const struct svc_plan *p, struct sbuf *out,
                         struct jeos_err *err)
{
    int rc = 0;
    const char *where = r->path ? r->path : "recipe";
    sbuf_puts(out, "jeos-init 1\n");
    if ((rc = line(out, where, "hostname", "hostname", r->hostname ? r->hostname : r->name, err)))
        return rc;
    if (r->image.cloud_init == RECIPE_CLOUD_NOCLOUD) {
        sbuf_puts(out, "cloud nocloud\n");
        if (r->image.cloud_ssh_user && (rc = line(out, where, "image.cloud_ssh_user",
                                                  "cloud-ssh-user", r->image.cloud_ssh_user, err)))
            return rc;
    }
    switch (r->network.mode) {
    case RECIPE_NET_NONE: sbuf_puts(out, "net none\n"); break;
    case RECIPE_NET_DHCP: sbuf_puts(out, "net dhcp\n"); break;
    case RECIPE_NET_STATIC:
        if (!r->network.address || strpbrk(r->network.address, " \n") ||
            (r->network.gateway && strpbrk(r->network.gateway, " \n")))
            return jeos_errf(err, -EINVAL, "%s: network.address: expected an IPv4 address", where);
        sbuf_printf(out, "net static %s/%d%s%s\n", r->network.address, r->network.prefix,
                    r->network.gateway ? " " : "", r->network.gateway ? r->network.gateway : "");
        break;
    }
    for (size_t i = 0; i < r->network.dns.n; i++)
        if ((rc = line(out, where, "network.dns", "dns", r->network.dns.v[i], err)))
            return rc;
    for (size_t i = 0; p && i < p->ndirs && rc == 0; i++)
        rc = write_dir(out, "tmpfiles.d", &p->dirs[i], err);
    for (size_t i = 0; p && i < p->nboot && rc == 0; i++)
        rc = write_cmd(out, "first boot", "command", "boot", &p->boot[i], err);
    for (size_t i = 0; p && i < p->n && rc == 0; i++)
        rc = write_service(out, r, &p->v[i], err);
    return rc;
}
