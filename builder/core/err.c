/* err.c — the error record (see err.h). */
#include "builder/core/err.h"
#include "builder/core/alloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void jeos_err_init(struct jeos_err *e)
{
    memset(e, 0, sizeof(*e));
}

void jeos_err_free(struct jeos_err *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->msgs[i]);
    free(e->msgs);
    memset(e, 0, sizeof(*e));
}

static void add_msg(struct jeos_err *e, int code, char *msg)
{
    if (e->code == 0)
        e->code = code;
    if (e->n >= JEOS_ERR_MAX_KEPT) {
        e->dropped++;
        free(msg);
        return;
    }
    e->msgs = xrealloc(e->msgs, (e->n + 1) * sizeof(*e->msgs));
    e->msgs[e->n++] = msg;
}

int jeos_errf(struct jeos_err *e, int code, const char *fmt, ...)
{
    if (code >= 0)
        code = -EINVAL;
    if (!e)
        return code;
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    add_msg(e, code, msg);
    return code;
}

size_t jeos_err_count(const struct jeos_err *e)
{
    return e->n + e->dropped;
}

void jeos_err_print(const struct jeos_err *e, FILE *f, const char *prefix)
{
    for (size_t i = 0; i < e->n; i++) {
        if (prefix)
            fprintf(f, "%s: %s\n", prefix, e->msgs[i]);
        else
            fprintf(f, "%s\n", e->msgs[i]);
    }
    if (e->dropped)
        fprintf(f, "%s%s(%zu more errors not shown)\n", prefix ? prefix : "", prefix ? ": " : "",
                e->dropped);
}

void jeos_err_move(struct jeos_err *dst, struct jeos_err *src)
{
    for (size_t i = 0; i < src->n; i++)
        add_msg(dst, src->code, src->msgs[i]);
    dst->dropped += src->dropped;
    if (dst->code == 0)
        dst->code = src->code;
    free(src->msgs);
    memset(src, 0, sizeof(*src));
}

void jeos_err_truncate(struct jeos_err *e, size_t from)
{
    while (e->n > from)
        free(e->msgs[--e->n]);
}
