/* init_conf.c — writes runtime/init's configuration from a recipe (see init_conf.h). */
#include "builder/appliance/init_conf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/recipe/recipe.h"

/* One "key value" line; values are verbatim to the end of the line, so no newline inside. */
static int line(struct sbuf *out, const struct recipe *r, const char *field, const char *key,
                const char *v, struct jeos_err *err)
{
    if (strpbrk(v, "\n\r"))
        return jeos_errf(err, -EINVAL, "%s: %s: a line break cannot be passed to the service",
                         r->path ? r->path : "recipe", field);
    sbuf_printf(out, "%s %s\n", key, v);
    return 0;
}

int jeos_init_conf_write(const struct recipe *r, struct sbuf *out, struct jeos_err *err)
{
    int rc = 0;
    const char *where = r->path ? r->path : "recipe";
    sbuf_puts(out, "jeos-init 1\n");
    if ((rc = line(out, r, "hostname", "hostname", r->hostname ? r->hostname : r->name, err)))
        return rc;
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
        if ((rc = line(out, r, "network.dns", "dns", r->network.dns.v[i], err)))
            return rc;

    const struct recipe_service *s = &r->service;
    if (s->exec.n == 0)
        return 0; /* nothing to start */
    const char *exe = s->exec.v[0];
    if (exe[0] != '/')
        return jeos_errf(err, -EINVAL,
                         "%s: service.exec[0]: expected an absolute path (got \"%s\")", where, exe);
    const char *base = strrchr(exe, '/') + 1;
    if ((rc = line(out, r, "service.exec", "service", *base ? base : exe, err)) ||
        (rc = line(out, r, "service.exec", "exec", exe, err)))
        return rc;
    for (size_t i = 1; i < s->exec.n; i++)
        if ((rc = line(out, r, "service.exec", "arg", s->exec.v[i], err)))
            return rc;
    if (s->user && (rc = line(out, r, "service.user", "user", s->user, err)))
        return rc;
    if (s->group && (rc = line(out, r, "service.group", "group", s->group, err)))
        return rc;
    if (s->workdir && (rc = line(out, r, "service.workdir", "workdir", s->workdir, err)))
        return rc;
    const struct recipe_env *envs[2] = {&r->env, &s->env};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < envs[k]->n; i++) {
            char *kv = xasprintf("%s=%s", envs[k]->keys[i], envs[k]->values[i]);
            rc = line(out, r, k ? "service.env" : "env", "env", kv, err);
            free(kv);
            if (rc)
                return rc;
        }
    static const char *const restart[] = {"always", "on-failure", "no"};
    sbuf_printf(out, "restart %s\n", restart[s->restart]);
    return 0;
}
