/* copyright.c — a machine-readable Debian copyright file (DEP-5) read into an SPDX license
 * expression (see copyright.h). */
#include "builder/debian/copyright.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builder/core/alloc.h"
#include "builder/debian/pkgindex.h"

/* Debian short names (copyright-format 1.0, and common use) whose SPDX identifier means the same
   license. The GNU family is mapped by rule below (-only, -or-later). */
static const struct {
    const char *debian, *spdx;
} names[] = {
    {"Apache-1.0", "Apache-1.0"},
    {"Apache-1.1", "Apache-1.1"},
    {"Apache-2", "Apache-2.0"},
    {"Apache-2.0", "Apache-2.0"},
    {"Artistic", "Artistic-1.0-Perl"}, /* Debian's common-licenses/Artistic is Perl's */
    {"Artistic-1.0", "Artistic-1.0"},
    {"Artistic-2", "Artistic-2.0"},
    {"Artistic-2.0", "Artistic-2.0"},
    {"BSD-2-clause", "BSD-2-Clause"},
    {"BSD-3-clause", "BSD-3-Clause"},
    {"BSD-4-clause", "BSD-4-Clause"},
    {"BSL-1.0", "BSL-1.0"},
    {"CC0", "CC0-1.0"},
    {"CC0-1.0", "CC0-1.0"},
    {"curl", "curl"},
    {"Expat", "MIT"},
    {"FSFAP", "FSFAP"},
    {"FSFUL", "FSFUL"},
    {"FSFULLR", "FSFULLR"},
    {"ISC", "ISC"},
    {"MIT", "MIT"},
    {"MPL-1.1", "MPL-1.1"},
    {"Ms-PL", "MS-PL"},
    {"MPL-2", "MPL-2.0"},
    {"MPL-2.0", "MPL-2.0"},
    {"OpenSSL", "OpenSSL"},
    {"PSF-2", "PSF-2.0"},
    {"Sleepycat", "Sleepycat"},
    {"Python-2.0", "Python-2.0"},
    {"Unicode-DFS-2016", "Unicode-DFS-2016"},
    {"WTFPL", "WTFPL"},
    {"X11", "X11"},
    {"Zlib", "Zlib"},
    {"zlib", "Zlib"},
    {"0BSD", "0BSD"},
};

/* The GNU licenses: Debian writes NAME-VERSION[+]; SPDX NAME-VERSION-only / -or-later, with the
   versions SPDX lists. */
static const struct {
    const char *name;
    const char *const versions[4]; /* Debian's spelling -> SPDX's: "2" -> "2.0" */
    const char *const spdx[4];
} gnu[] = {
    {"GPL", {"1", "2", "3", NULL}, {"1.0", "2.0", "3.0", NULL}},
    {"LGPL", {"2", "2.1", "3", NULL}, {"2.0", "2.1", "3.0", NULL}},
    {"AGPL", {"3", NULL, NULL, NULL}, {"3.0", NULL, NULL, NULL}},
    {"GFDL", {"1.1", "1.2", "1.3", NULL}, {"1.1", "1.2", "1.3", NULL}},
};

static char *gnu_id(const char *d)
{
    for (size_t i = 0; i < sizeof(gnu) / sizeof(gnu[0]); i++) {
        size_t l = strlen(gnu[i].name);
        if (strncmp(d, gnu[i].name, l) != 0 || d[l] != '-')
            continue;
        const char *v = d + l + 1;
        size_t vl = strlen(v);
        bool plus = vl > 0 && v[vl - 1] == '+';
        if (plus)
            vl--;
        if (vl > 2 && strncmp(v + vl - 2, ".0", 2) == 0 && strchr(v, '.') == v + vl - 2)
            vl -= 2; /* "2.0" as "2" */
        for (size_t k = 0; gnu[i].versions[k]; k++)
            if (strlen(gnu[i].versions[k]) == vl && strncmp(v, gnu[i].versions[k], vl) == 0)
                return xasprintf("%s-%s-%s", gnu[i].name, gnu[i].spdx[k],
                                 plus ? "or-later" : "only");
    }
    return NULL;
}

const char *jeos_license_spdx_id(const char *debian_name)
{
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(names[i].debian, debian_name) == 0)
            return names[i].spdx;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(names[i].spdx, debian_name) == 0) /* written as SPDX writes it */
            return names[i].spdx;
    return NULL;
}

/* The SPDX form of one Debian name (caller frees); a LicenseRef- is recorded in `c`. */
static char *map_name(struct jeos_copyright *c, const char *d)
{
    const char *id = jeos_license_spdx_id(d);
    if (id)
        return xstrdup(id);
    char *g = gnu_id(d);
    if (g)
        return g;
    for (size_t i = 0; i < c->nrefs; i++)
        if (strcmp(c->refs[i].debian, d) == 0)
            return xstrdup(c->refs[i].id);
    struct sbuf b = {0};
    sbuf_puts(&b, "LicenseRef-");
    for (const char *p = d; *p; p++) {
        if (*p == '+')
            sbuf_puts(&b, "-plus");
        else
            sbuf_add(&b, isalnum((unsigned char)*p) || *p == '.' || *p == '-' ? p : "-", 1);
    }
    c->refs = xrealloc(c->refs, (c->nrefs + 1) * sizeof(*c->refs));
    c->refs[c->nrefs] = (struct jeos_license_ref){.id = xstrdup(b.s), .debian = xstrdup(d)};
    c->nrefs++;
    return sbuf_take(&b);
}

/* One License line ("GPL-2+ or Artistic, and BSD-3-clause") as an SPDX expression (caller frees):
   comma-separated groups joined by AND, each group's names joined as written. */
static char *map_expression(struct jeos_copyright *c, const char *line)
{
    struct sbuf out = {0}, grp = {0}, name = {0};
    size_t ngroups = 0;
    bool compound = false;
    const char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t w = strcspn(p, " \t,");
        bool end = *p == '\0' || *p == ',';
        bool op = !end && ((w == 2 && strncasecmp(p, "or", 2) == 0) ||
                           (w == 3 && strncasecmp(p, "and", 3) == 0));
        if ((end || op) && name.s) {
            char *m = map_name(c, name.s);
            sbuf_puts(&grp, m);
            free(m);
            sbuf_free(&name);
        }
        if (op) {
            if (grp.len) { /* ", and X": the comma already joins */
                sbuf_puts(&grp, w == 2 ? " OR " : " AND ");
                compound = true;
            }
            p += w;
            continue;
        }
        if (end) {
            if (grp.s && grp.len) {
                if (ngroups++)
                    sbuf_puts(&out, " AND ");
                bool paren = compound && strchr(line, ',');
                sbuf_printf(&out, paren ? "(%s)" : "%s", grp.s);
            }
            sbuf_free(&grp);
            compound = false;
            if (*p == '\0')
                break;
            p++;
            continue;
        }
        if (name.s)
            sbuf_puts(&name, " ");
        sbuf_add(&name, p, w);
        p += w;
    }
    sbuf_free(&name);
    return out.s ? sbuf_take(&out) : NULL;
}

/* The first line of a License field's value (its name or expression). */
static char *first_line(const char *v)
{
    return xstrndup(v, strcspn(v, "\n"));
}

/* The text after a License field's first line, continuation marks removed. */
static char *license_text(const char *v)
{
    const char *nl = strchr(v, '\n');
    if (!nl)
        return NULL;
    struct sbuf b = {0};
    for (const char *l = nl + 1; *l;) {
        size_t n = strcspn(l, "\n");
        const char *s = l;
        while (s < l + n && (*s == ' ' || *s == '\t'))
            s++;
        if (!(l + n - s == 1 && *s == '.'))
            sbuf_add(&b, s, (size_t)(l + n - s));
        sbuf_puts(&b, "\n");
        l += n + (l[n] == '\n');
    }
    return sbuf_take(&b);
}

static bool is_dep5_format(const char *v)
{
    /* https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/, its http: and older
       wiki spellings */
    return strstr(v, "copyright-format/1.0") != NULL || strstr(v, "dep5") != NULL ||
           strstr(v, "DEP-5") != NULL;
}

/* Adds `e` (owned) to the distinct terms of the package's expression: a group of names joined
   by AND only is split into its names. */
static void add_expr(char ***v, size_t *n, char *e)
{
    if (!e)
        return;
    if (!strstr(e, " OR ") && strstr(e, " AND ")) {
        for (char *p = e; p;) {
            char *a = strstr(p, " AND ");
            add_expr(v, n, a ? xstrndup(p, (size_t)(a - p)) : xstrdup(p));
            p = a ? a + 5 : NULL;
        }
        free(e);
        return;
    }
    if (strv_has(*v, *n, e)) {
        free(e);
        return;
    }
    *v = xrealloc(*v, (*n + 1) * sizeof(char *));
    (*v)[(*n)++] = e;
}

void jeos_copyright_parse(const char *text, size_t len, struct jeos_copyright *out)
{
    memset(out, 0, sizeof(*out));
    char *buf = xstrndup(text, len);
    size_t blen = strlen(buf); /* a NUL in the file ends it */
    struct deb822_iter it;
    struct deb822_field f;
    deb822_init(&it, buf, blen);
    char **exprs = NULL, **lines = NULL, **alone = NULL; /* alone: name, text, name, text... */
    size_t nexprs = 0, nlines = 0, nalone = 0;
    bool header = true, format = false, files = false;
    char *lic = NULL, *txt = NULL; /* the paragraph's License: first line and text */
    int r;
    while ((r = deb822_next(&it, &f)) != -1) {
        if (r == -2) {
            free(out->why);
            out->why = xasprintf("not machine-readable (line %zu is not a field)", it.line);
            break;
        }
        if (r == 1) {
            if (header && deb822_is(&f, "Format"))
                format = is_dep5_format(f.val);
            else if (deb822_is(&f, "Files"))
                files = true;
            else if (deb822_is(&f, "License") && !lic) {
                lic = first_line(f.val);
                txt = license_text(f.val);
            }
            continue;
        }
        /* the end of a paragraph */
        if (header && !format) {
            out->why = xstrdup("not machine-readable (no copyright-format 1.0 Format: line)");
            break;
        }
        if (lic && (files || header)) {
            if (!strv_has(lines, nlines, lic))
                strv_add(&lines, &nlines, lic);
            add_expr(&exprs, &nexprs, map_expression(out, lic));
        }
        if (lic && !files && !header && txt) {
            /* a stand-alone License paragraph: the text of a name used above or below */
            strv_add(&alone, &nalone, lic);
            strv_add(&alone, &nalone, txt);
        }
        free(lic), free(txt);
        lic = txt = NULL;
        header = files = false;
    }
    free(lic), free(txt);
    if (!out->why && header && !format)
        out->why = xstrdup("not machine-readable (no copyright-format 1.0 Format: line)");
    if (!out->why && nexprs == 0)
        out->why = xstrdup("machine-readable, but no License field in a Files paragraph");
    if (!out->why) {
        struct sbuf e = {0}, d = {0};
        for (size_t i = 0; i < nexprs; i++) {
            bool paren = nexprs > 1 && strstr(exprs[i], " OR ") && exprs[i][0] != '(';
            sbuf_printf(&e, "%s%s%s%s", i ? " AND " : "", paren ? "(" : "", exprs[i],
                        paren ? ")" : "");
        }
        for (size_t i = 0; i < nlines; i++)
            sbuf_printf(&d, "%s%s", i ? "; " : "", lines[i]);
        out->expression = sbuf_take(&e);
        out->debian = sbuf_take(&d);
        for (size_t i = 0; i < out->nrefs; i++)
            for (size_t k = 0; k + 1 < nalone && !out->refs[i].text; k += 2)
                if (strcmp(alone[k], out->refs[i].debian) == 0)
                    out->refs[i].text = xstrdup(alone[k + 1]);
    } else {
        /* nothing stands without an expression */
        for (size_t i = 0; i < out->nrefs; i++)
            free(out->refs[i].id), free(out->refs[i].debian), free(out->refs[i].text);
        free(out->refs);
        out->refs = NULL;
        out->nrefs = 0;
    }
    strv_free(exprs, nexprs);
    strv_free(lines, nlines);
    strv_free(alone, nalone);
    free(buf);
}

void jeos_copyright_free(struct jeos_copyright *c)
{
    free(c->expression), free(c->debian), free(c->why);
    for (size_t i = 0; i < c->nrefs; i++)
        free(c->refs[i].id), free(c->refs[i].debian), free(c->refs[i].text);
    free(c->refs);
    memset(c, 0, sizeof(*c));
}
