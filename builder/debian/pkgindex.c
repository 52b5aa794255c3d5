/* pkgindex.c — deb822 reader, dependency-field reader and the package universe (see pkgindex.h). */
#include "builder/debian/pkgindex.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builder/core/alloc.h"
#include "builder/core/err.h"

/* ---- deb822 ---- */

void deb822_init(struct deb822_iter *it, char *buf, size_t len)
{
    it->p = buf;
    it->end = buf + len;
    it->line = 0;
    it->in_stanza = false;
}

static bool blank(const char *s, const char *e)
{
    for (; s < e; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r')
            return false;
    return true;
}

int deb822_next(struct deb822_iter *it, struct deb822_field *f)
{
    for (;;) {
        if (it->p >= it->end) {
            if (it->in_stanza) {
                it->in_stanza = false;
                return 0;
            }
            return -1;
        }
        char *line = it->p;
        char *nl = memchr(line, '\n', (size_t)(it->end - line));
        char *le = nl ? nl : it->end;
        it->p = nl ? nl + 1 : it->end;
        it->line++;
        if (blank(line, le)) {
            if (it->in_stanza) {
                it->in_stanza = false;
                return 0;
            }
            continue;
        }
        if (*line == '#')
            continue;
        char *colon = memchr(line, ':', (size_t)(le - line));
        if (*line == ' ' || *line == '\t' || !colon || colon == line)
            return -2;
        f->name = line;
        f->nlen = (size_t)(colon - line);
        f->line = it->line;
        char *v = colon + 1;
        while (v < le && (*v == ' ' || *v == '\t'))
            v++;
        char *ve = le;
        while (it->p < it->end && (*it->p == ' ' || *it->p == '\t')) {
            char *l2 = it->p;
            char *nl2 = memchr(l2, '\n', (size_t)(it->end - l2));
            char *le2 = nl2 ? nl2 : it->end;
            if (blank(l2, le2))
                break;
            ve = le2;
            it->p = nl2 ? nl2 + 1 : it->end;
            it->line++;
        }
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r' || ve[-1] == '\n'))
            ve--;
        if (ve < v)
            ve = v;
        *ve = '\0'; /* ve <= end, and buf[len] is a NUL by contract */
        f->val = v;
        f->vlen = (size_t)(ve - v);
        it->in_stanza = true;
        return 1;
    }
}

bool deb822_is(const struct deb822_field *f, const char *name)
{
    return strlen(name) == f->nlen && strncasecmp(f->name, name, f->nlen) == 0;
}

char *deb822_strip_clearsign(const char *s, size_t len, size_t *outlen)
{
    static const char head[] = "-----BEGIN PGP SIGNED MESSAGE-----";
    static const char sig[] = "-----BEGIN PGP SIGNATURE-----";
    const char *e = s + len;
    if (len < sizeof(head) - 1 || memcmp(s, head, sizeof(head) - 1) != 0)
        return NULL;
    /* Skip the armour headers up to the first empty line. */
    const char *p = memchr(s, '\n', len);
    while (p && p + 1 < e) {
        p++;
        if (*p == '\n') {
            p++;
            break;
        }
        if (*p == '\r' && p + 1 < e && p[1] == '\n') {
            p += 2;
            break;
        }
        p = memchr(p, '\n', (size_t)(e - p));
    }
    if (!p || p >= e)
        return NULL;
    struct sbuf b = {0};
    bool found = false;
    while (p < e) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        const char *le = nl ? nl : e;
        if ((size_t)(le - p) >= sizeof(sig) - 1 && memcmp(p, sig, sizeof(sig) - 1) == 0) {
            found = true;
            break;
        }
        if (le - p >= 2 && p[0] == '-' && p[1] == ' ')
            p += 2;
        sbuf_add(&b, p, (size_t)(le - p));
        sbuf_add(&b, "\n", 1);
        p = nl ? nl + 1 : e;
    }
    if (!found) {
        sbuf_free(&b);
        return NULL;
    }
    /* The line break before the signature belongs to the armour, not the text. */
    if (b.len)
        b.s[--b.len] = '\0';
    else
        sbuf_add(&b, "", 0);
    *outlen = b.len;
    return sbuf_take(&b);
}

/* ---- dependency fields ---- */

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    return p;
}

static bool name_char(char c)
{
    return c && c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '(' && c != ',' &&
           c != '|' && c != ':' && c != '[' && c != '<' && c != ')';
}

int dep_next_clause(const char **pp, struct dep_atom *atoms, size_t max, size_t *n,
                    const char **text, size_t *tlen)
{
    const char *p = skip_ws(*pp);
    *n = 0;
    if (!*p)
        return 0;
    *text = p;
    for (;;) {
        p = skip_ws(p);
        const char *name = p;
        while (name_char(*p))
            p++;
        if (p == name)
            return -EINVAL;
        if (*n >= max)
            return -EINVAL;
        struct dep_atom *a = &atoms[(*n)++];
        a->name = name;
        a->nlen = (size_t)(p - name);
        a->rel = DEB_REL_ANY;
        a->ver = NULL;
        a->vlen = 0;
        a->archq = DEP_ARCHQ_NONE;
        a->archname = NULL;
        a->archlen = 0;
        if (*p == ':') {
            const char *q = ++p;
            while (name_char(*p))
                p++;
            size_t l = (size_t)(p - q);
            if (l == 3 && memcmp(q, "any", 3) == 0)
                a->archq = DEP_ARCHQ_ANY;
            else if (l == 6 && memcmp(q, "native", 6) == 0)
                a->archq = DEP_ARCHQ_NATIVE;
            else if (l == 0)
                return -EINVAL;
            else
                a->archq = DEP_ARCHQ_OTHER;
            a->archname = q;
            a->archlen = l;
        }
        p = skip_ws(p);
        if (*p == '(') {
            p = skip_ws(p + 1);
            if (p[0] == '<' && p[1] == '<')
                a->rel = DEB_REL_LT, p += 2;
            else if (p[0] == '<' && p[1] == '=')
                a->rel = DEB_REL_LE, p += 2;
            else if (p[0] == '>' && p[1] == '>')
                a->rel = DEB_REL_GT, p += 2;
            else if (p[0] == '>' && p[1] == '=')
                a->rel = DEB_REL_GE, p += 2;
            else if (p[0] == '=')
                a->rel = DEB_REL_EQ, p += 1;
            else if (p[0] == '<')
                a->rel = DEB_REL_LE, p += 1;
            else if (p[0] == '>')
                a->rel = DEB_REL_GE, p += 1;
            else
                return -EINVAL;
            p = skip_ws(p);
            a->ver = p;
            while (*p && *p != ')' && *p != ' ' && *p != '\t' && *p != '\n' && *p != ',' &&
                   *p != '|')
                p++;
            a->vlen = (size_t)(p - a->ver);
            p = skip_ws(p);
            if (*p != ')' || a->vlen == 0)
                return -EINVAL;
            p = skip_ws(p + 1);
        }
        /* Architecture restrictions and build profiles (source fields only): skipped. */
        while (*p == '[' || *p == '<') {
            char close = *p == '[' ? ']' : '>';
            const char *q = strchr(p, close);
            if (!q)
                return -EINVAL;
            p = skip_ws(q + 1);
        }
        if (*p == '|') {
            p++;
            continue;
        }
        const char *end = p;
        while (end > *text && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n'))
            end--;
        *tlen = (size_t)(end - *text);
        if (*p == ',') {
            p++;
        } else if (*p) {
            return -EINVAL;
        }
        *pp = p;
        return 1;
    }
}

/* ---- the universe ---- */

void pkgu_init(struct pkg_universe *u, const char *arch)
{
    memset(u, 0, sizeof(*u));
    u->arch = arch;
}

void pkgu_free(struct pkg_universe *u)
{
    for (size_t i = 0; i < u->nbufs; i++)
        free(u->bufs[i]);
    for (size_t i = 0; i < u->narena; i++)
        free(u->arena[i]);
    for (size_t i = 0; i < u->norigins; i++) {
        free(u->origins[i].label);
        free(u->origins[i].base_uri);
    }
    free(u->bufs);
    free(u->arena);
    free(u->origins);
    free(u->pkgs);
    free(u->provs);
    free(u->names);
    free(u->name_pkg);
    free(u->name_prov);
    free(u->htab);
    memset(u, 0, sizeof(*u));
}

uint32_t pkgu_add_origin(struct pkg_universe *u, const char *label, const char *base_uri)
{
    u->origins = xrealloc(u->origins, (u->norigins + 1) * sizeof(*u->origins));
    u->origins[u->norigins].label = xstrdup(label);
    u->origins[u->norigins].base_uri = xstrdup(base_uri ? base_uri : "");
    return (uint32_t)u->norigins++;
}

static uint64_t hash_name(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* A table slot holds (hash >> 32) << 32 | (id + 1); 0 is empty. */
static uint32_t lookup_h(const struct pkg_universe *u, const char *name, size_t len, uint64_t h)
{
    if (!u->hcap)
        return PKG_NONE;
    size_t mask = u->hcap - 1;
    uint64_t tag = h >> 32;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint64_t v = u->htab[i];
        if (!v)
            return PKG_NONE;
        if ((v >> 32) != tag)
            continue;
        uint32_t id = (uint32_t)v - 1;
        const char *s = u->names[id];
        if (strncmp(s, name, len) == 0 && s[len] == '\0')
            return id;
    }
}

uint32_t pkgu_lookup(const struct pkg_universe *u, const char *name, size_t len)
{
    return lookup_h(u, name, len, hash_name(name, len));
}

static const char *arena_copy(struct pkg_universe *u, const char *s, size_t n)
{
    enum { BLOCK = 65536 };
    if (n + 1 > BLOCK) {
        u->arena = xrealloc(u->arena, (u->narena + 1) * sizeof(*u->arena));
        char *b = xstrndup(s, n);
        /* A block of its own, inserted before the current one so that stays current. */
        if (u->narena) {
            u->arena[u->narena] = u->arena[u->narena - 1];
            u->arena[u->narena - 1] = b;
        } else {
            u->arena[0] = b;
            u->arena_used = BLOCK;
        }
        u->narena++;
        return b;
    }
    if (!u->narena || u->arena_used + n + 1 > BLOCK) {
        u->arena = xrealloc(u->arena, (u->narena + 1) * sizeof(*u->arena));
        u->arena[u->narena++] = xmalloc(BLOCK);
        u->arena_used = 0;
    }
    char *d = u->arena[u->narena - 1] + u->arena_used;
    memcpy(d, s, n);
    d[n] = '\0';
    u->arena_used += n + 1;
    return d;
}

static void put(struct pkg_universe *u, uint64_t h, uint32_t id)
{
    size_t i = h & (u->hcap - 1);
    while (u->htab[i])
        i = (i + 1) & (u->hcap - 1);
    u->htab[i] = ((h >> 32) << 32) | (uint64_t)(id + 1);
}

static void rehash(struct pkg_universe *u, size_t cap)
{
    free(u->htab);
    u->htab = xcalloc(cap, sizeof(*u->htab));
    u->hcap = cap;
    for (size_t id = 0; id < u->nnames; id++) {
        const char *s = u->names[id];
        put(u, hash_name(s, strlen(s)), (uint32_t)id);
    }
}

/* Interns a name; `stable` is a NUL-terminated copy that outlives the universe's use, or NULL. */
static uint32_t intern(struct pkg_universe *u, const char *name, size_t len, const char *stable)
{
    uint64_t h = hash_name(name, len);
    uint32_t id = lookup_h(u, name, len, h);
    if (id != PKG_NONE)
        return id;
    if ((u->nnames + 1) * 2 > u->hcap)
        rehash(u, u->hcap ? u->hcap * 2 : 4096);
    if (u->nnames == u->namecap) {
        u->namecap = u->namecap ? u->namecap * 2 : 4096;
        u->names = xrealloc(u->names, u->namecap * sizeof(*u->names));
        u->name_pkg = xrealloc(u->name_pkg, u->namecap * sizeof(*u->name_pkg));
        u->name_prov = xrealloc(u->name_prov, u->namecap * sizeof(*u->name_prov));
    }
    id = (uint32_t)u->nnames++;
    u->names[id] = stable ? stable : arena_copy(u, name, len);
    u->name_pkg[id] = PKG_NONE;
    u->name_prov[id] = PKG_NONE;
    put(u, h, id);
    return id;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

static int add_provides(struct pkg_universe *u, uint32_t pi, const char *what, size_t line,
                        struct jeos_err *err)
{
    struct pkg *pk = &u->pkgs[pi];
    const char *p = pk->provides;
    struct dep_atom a[1];
    size_t n, tlen;
    const char *text;
    int r;
    pk->prov_first = (uint32_t)u->nprov;
    while ((r = dep_next_clause(&p, a, 1, &n, &text, &tlen)) > 0) {
        if (a[0].rel != DEB_REL_ANY && a[0].rel != DEB_REL_EQ)
            return jeos_errf(err, -EINVAL,
                             "%s:%zu: Provides of %s: only \"=\" versions may be provided (got "
                             "\"%.*s\")",
                             what, line, pk->name, (int)tlen, text);
        if (u->nprov == u->provcap) {
            u->provcap = u->provcap ? u->provcap * 2 : 4096;
            u->provs = xrealloc(u->provs, u->provcap * sizeof(*u->provs));
        }
        uint32_t id = intern(u, a[0].name, a[0].nlen, NULL);
        struct pkg_provide *pv = &u->provs[u->nprov];
        pv->name_id = id;
        pv->pkg = pi;
        pv->ver = a[0].rel == DEB_REL_EQ ? a[0].ver : NULL;
        pv->vlen = (uint32_t)a[0].vlen;
        /* Keep providers in index order: append at the end of the name's list. */
        pv->next = PKG_NONE;
        uint32_t *link = &u->name_prov[id];
        while (*link != PKG_NONE)
            link = &u->provs[*link].next;
        *link = (uint32_t)u->nprov;
        u->nprov++;
    }
    if (r < 0)
        return jeos_errf(err, -EINVAL, "%s:%zu: Provides of %s: cannot parse \"%s\"", what, line,
                         pk->name, pk->provides);
    pk->prov_n = (uint32_t)u->nprov - pk->prov_first;
    return 0;
}

static int finish_stanza(struct pkg_universe *u, struct pkg *cur, size_t line, size_t prov_line,
                         const char *what, struct jeos_err *err)
{
    if (!*cur->name)
        return jeos_errf(err, -EINVAL, "%s:%zu: stanza without a Package field", what, line);
    if (!*cur->version)
        return jeos_errf(err, -EINVAL, "%s:%zu: %s: no Version field", what, line, cur->name);
    const char *vp = deb_ver_problem(cur->version);
    if (vp)
        return jeos_errf(err, -EINVAL, "%s:%zu: %s: bad version \"%s\": %s", what, line, cur->name,
                         cur->version, vp);
    if (strcmp(cur->arch, "all") != 0 && strcmp(cur->arch, u->arch) != 0)
        return 0;
    if (u->n == u->cap) {
        u->cap = u->cap ? u->cap * 2 : 1024;
        u->pkgs = xrealloc(u->pkgs, u->cap * sizeof(*u->pkgs));
    }
    uint32_t pi = (uint32_t)u->n++;
    cur->name_id = intern(u, cur->name, strlen(cur->name), cur->name);
    cur->next_same_name = PKG_NONE;
    u->pkgs[pi] = *cur;
    /* Same-name packages stay in index order too. */
    uint32_t *link = &u->name_pkg[cur->name_id];
    while (*link != PKG_NONE)
        link = &u->pkgs[*link].next_same_name;
    *link = pi;
    if (*cur->provides)
        return add_provides(u, pi, what, prov_line, err);
    return 0;
}

int pkgu_add_index(struct pkg_universe *u, char *buf, size_t len, uint32_t origin, const char *what,
                   struct jeos_err *err)
{
    u->bufs = xrealloc(u->bufs, (u->nbufs + 1) * sizeof(*u->bufs));
    u->bufs[u->nbufs++] = buf;

    struct deb822_iter it;
    struct deb822_field f;
    struct pkg cur;
    size_t start = 0, prov_line = 0;
    bool have = false;
    int r;
    deb822_init(&it, buf, len);
    for (;;) {
        if (!have) {
            memset(&cur, 0, sizeof(cur));
            cur.name = cur.version = cur.arch = cur.depends = cur.pre_depends = "";
            cur.provides = cur.conflicts = cur.breaks = cur.filename = cur.sha256 = "";
            cur.source = "";
            cur.origin = origin;
            cur.arch = u->arch;
        }
        r = deb822_next(&it, &f);
        if (r == -1)
            break;
        if (r == -2)
            return jeos_errf(err, -EINVAL, "%s:%zu: not a \"Field: value\" line", what, it.line);
        if (r == 0) {
            if (have && (r = finish_stanza(u, &cur, start, prov_line, what, err)) < 0)
                return r;
            have = false;
            continue;
        }
        if (!have)
            start = f.line;
        have = true;
        /* Dispatch on length first: most fields are skipped after one compare. */
        const char *n = f.name;
        switch (f.nlen) {
        case 4:
            if (memcmp(n, "Size", 4) == 0 && !parse_u64(f.val, &cur.size))
                return jeos_errf(err, -EINVAL, "%s:%zu: Size: not a number (got \"%s\")", what,
                                 f.line, f.val);
            break;
        case 6:
            if (memcmp(n, "SHA256", 6) == 0)
                cur.sha256 = f.val;
            else if (memcmp(n, "Source", 6) == 0)
                cur.source = f.val;
            else if (memcmp(n, "Breaks", 6) == 0)
                cur.breaks = f.val;
            break;
        case 7:
            if (memcmp(n, "Package", 7) == 0)
                cur.name = f.val;
            else if (memcmp(n, "Version", 7) == 0)
                cur.version = f.val;
            else if (memcmp(n, "Depends", 7) == 0)
                cur.depends = f.val;
            break;
        case 8:
            if (memcmp(n, "Provides", 8) == 0) {
                cur.provides = f.val;
                prov_line = f.line;
            } else if (memcmp(n, "Filename", 8) == 0) {
                cur.filename = f.val;
            } else if (memcmp(n, "Priority", 8) == 0) {
                cur.required = strcmp(f.val, "required") == 0;
            }
            break;
        case 9:
            if (memcmp(n, "Conflicts", 9) == 0)
                cur.conflicts = f.val;
            else if (memcmp(n, "Essential", 9) == 0)
                cur.essential = strcasecmp(f.val, "yes") == 0;
            break;
        case 10:
            if (memcmp(n, "Multi-Arch", 10) == 0) {
                if (strcmp(f.val, "same") == 0)
                    cur.multi_arch = PKG_MA_SAME;
                else if (strcmp(f.val, "foreign") == 0)
                    cur.multi_arch = PKG_MA_FOREIGN;
                else if (strcmp(f.val, "allowed") == 0)
                    cur.multi_arch = PKG_MA_ALLOWED;
            }
            break;
        case 11:
            if (memcmp(n, "Pre-Depends", 11) == 0)
                cur.pre_depends = f.val;
            break;
        case 12:
            if (memcmp(n, "Architecture", 12) == 0)
                cur.arch = f.val;
            break;
        case 14:
            if (memcmp(n, "Installed-Size", 14) == 0 && !parse_u64(f.val, &cur.installed_size))
                return jeos_errf(err, -EINVAL, "%s:%zu: Installed-Size: not a number (got \"%s\")",
                                 what, f.line, f.val);
            break;
        default: break;
        }
    }
    return 0;
}
