/* axis.c — lookups over an axis's choices (see axis.h). */
#include "builder/recipe/axis.h"

#include <string.h>

#include "builder/core/alloc.h"

const struct jeos_choice *jeos_axis_find(const struct jeos_axis *a, const char *name)
{
    const struct jeos_choice *c;
    for (size_t i = 0; (c = a->choice(i)); i++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

void jeos_axis_names(const struct jeos_axis *a, unsigned kinds, struct sbuf *out)
{
    const struct jeos_choice *c;
    size_t n = 0;
    for (size_t i = 0; (c = a->choice(i)); i++)
        if (c->kinds & kinds)
            sbuf_printf(out, "%s%s", n++ ? ", " : "", c->name);
}

const struct jeos_choice *jeos_axis_probe(const struct jeos_axis *a, int fd, uint64_t size,
                                          const struct jeos_choice *last)
{
    const struct jeos_choice *c;
    for (size_t i = 0; (c = a->choice(i)); i++)
        if (c != last && c->probe && !c->probe(c, fd, size))
            return c;
    return last && last->probe && !last->probe(last, fd, size) ? last : NULL;
}
