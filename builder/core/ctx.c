/* ctx.c — the build context (see ctx.h). */
#include "builder/core/ctx.h"
#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/core/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int jeos_ctx_init(struct jeos_ctx *c, struct jeos_err *err)
{
    memset(c, 0, sizeof(*c));
    c->log_level = JEOS_LOG_INFO;
    c->color = isatty(2);
    const char *t = getenv("TMPDIR");
    c->tmpdir = xstrdup(t && *t ? t : "/tmp");
    const char *cache = getenv("JEOS_CACHE");
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (cache && *cache)
        c->cache_dir = xstrdup(cache);
    else if (xdg && *xdg)
        c->cache_dir = xasprintf("%s/jeos", xdg);
    else if (home && *home)
        c->cache_dir = xasprintf("%s/.cache/jeos", home);
    else
        c->cache_dir = xstrdup("/var/cache/jeos");
    c->out_dir = xstrdup("out");
    const char *fault = getenv("JEOS_FAULT");
    c->fault = fault && *fault ? xstrdup(fault) : NULL;

    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde) {
        int64_t v;
        if (!jeos_parse_i64(sde, 0, 253402300799LL, &v))
            return jeos_errf(err, -EINVAL,
                             "SOURCE_DATE_EPOCH: not a time (expected seconds since 1970 as a "
                             "whole number, got \"%s\")",
                             sde);
        c->have_epoch = true;
        c->epoch = v;
    }
    return 0;
}

void jeos_ctx_free(struct jeos_ctx *c)
{
    free(c->tmpdir);
    free(c->cache_dir);
    free(c->out_dir);
    free(c->fault);
    memset(c, 0, sizeof(*c));
}

int jeos_fault(const struct jeos_ctx *c, const char *point, struct jeos_err *err)
{
    if (!c->fault || strcmp(c->fault, point) != 0)
        return 0;
    return jeos_errf(err, -EIO, "JEOS_FAULT=%s: the build fails here, as asked", point);
}

void jeos_log(const struct jeos_ctx *c, int level, const char *fmt, ...)
{
    if (level > c->log_level)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("jeos: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
