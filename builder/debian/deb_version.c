/* deb_version.c — dpkg's version ordering (see deb_version.h). */
#include "builder/debian/deb_version.h"

#include <string.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* dpkg's weight of one character in a non-digit run; `end` stands for the end of the string. */
static int order(const char *p, const char *end)
{
    if (p >= end)
        return 0;
    char c = *p;
    if (is_digit(c))
        return 0;
    if (is_alpha(c))
        return (unsigned char)c;
    if (c == '~')
        return -1;
    return (unsigned char)c + 256;
}

/* dpkg's verrevcmp over [a, ae) and [b, be). */
static int verrevcmp(const char *a, const char *ae, const char *b, const char *be)
{
    while (a < ae || b < be) {
        int first_diff = 0;
        while ((a < ae && !is_digit(*a)) || (b < be && !is_digit(*b))) {
            int ac = order(a, ae), bc = order(b, be);
            if (ac != bc)
                return ac - bc;
            a++;
            b++;
        }
        while (a < ae && *a == '0')
            a++;
        while (b < be && *b == '0')
            b++;
        while (a < ae && b < be && is_digit(*a) && is_digit(*b)) {
            if (!first_diff)
                first_diff = *a - *b;
            a++;
            b++;
        }
        if (a < ae && is_digit(*a))
            return 1;
        if (b < be && is_digit(*b))
            return -1;
        if (first_diff)
            return first_diff;
    }
    return 0;
}

struct parts {
    unsigned long epoch;
    const char *up, *up_end, *rev, *rev_end;
};

static void split(const char *s, size_t len, struct parts *p)
{
    const char *e = s + len;
    while (s < e && (*s == ' ' || *s == '\t' || *s == '\n'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n'))
        e--;
    p->epoch = 0;
    const char *colon = memchr(s, ':', (size_t)(e - s));
    if (colon) {
        for (const char *q = s; q < colon; q++) {
            if (!is_digit(*q))
                break;
            if (p->epoch < 100000000000UL)
                p->epoch = p->epoch * 10 + (unsigned long)(*q - '0');
        }
        s = colon + 1;
    }
    const char *dash = NULL;
    for (const char *q = e; q > s; q--)
        if (q[-1] == '-') {
            dash = q - 1;
            break;
        }
    p->up = s;
    if (dash) {
        p->up_end = dash;
        p->rev = dash + 1;
        p->rev_end = e;
    } else {
        p->up_end = e;
        p->rev = p->rev_end = e;
    }
}

int deb_ver_cmpn(const char *a, size_t alen, const char *b, size_t blen)
{
    struct parts pa, pb;
    split(a, alen, &pa);
    split(b, blen, &pb);
    if (pa.epoch != pb.epoch)
        return pa.epoch < pb.epoch ? -1 : 1;
    int r = verrevcmp(pa.up, pa.up_end, pb.up, pb.up_end);
    if (r)
        return r;
    return verrevcmp(pa.rev, pa.rev_end, pb.rev, pb.rev_end);
}

int deb_ver_cmp(const char *a, const char *b)
{
    return deb_ver_cmpn(a, strlen(a), b, strlen(b));
}

const char *deb_rel_name(enum deb_rel r)
{
    switch (r) {
    case DEB_REL_LT: return "<<";
    case DEB_REL_LE: return "<=";
    case DEB_REL_EQ: return "=";
    case DEB_REL_GE: return ">=";
    case DEB_REL_GT: return ">>";
    case DEB_REL_ANY: break;
    }
    return "";
}

bool deb_ver_satisfies(const char *v, size_t vlen, enum deb_rel rel, const char *ref, size_t reflen)
{
    if (rel == DEB_REL_ANY)
        return true;
    int c = deb_ver_cmpn(v, vlen, ref, reflen);
    switch (rel) {
    case DEB_REL_LT: return c < 0;
    case DEB_REL_LE: return c <= 0;
    case DEB_REL_EQ: return c == 0;
    case DEB_REL_GE: return c >= 0;
    case DEB_REL_GT: return c > 0;
    case DEB_REL_ANY: break;
    }
    return true;
}

const char *deb_ver_problem(const char *v)
{
    if (!*v)
        return "empty version";
    for (const char *q = v; *q; q++)
        if (*q == ' ' || *q == '\t' || *q == '\n')
            return "version has embedded spaces";
    const char *colon = strchr(v, ':');
    const char *up = v;
    if (colon) {
        if (colon == v)
            return "epoch in version is empty";
        for (const char *q = v; q < colon; q++)
            if (!is_digit(*q))
                return "epoch in version is not number";
        if (colon - v > 9)
            return "epoch in version is too big";
        up = colon + 1;
    }
    const char *dash = strrchr(up, '-');
    if (!*up || dash == up)
        return "nothing after colon in version number";
    if (dash && !dash[1])
        return "revision number is empty";
    if (!is_digit(*up))
        return "version number does not start with digit";
    const char *up_end = dash ? dash : up + strlen(up);
    for (const char *q = up; q < up_end; q++)
        if (!is_digit(*q) && !is_alpha(*q) && !strchr(".-+~:", *q))
            return "invalid character in version number";
    if (dash)
        for (const char *q = dash + 1; *q; q++)
            if (!is_digit(*q) && !is_alpha(*q) && !strchr(".+~", *q))
                return "invalid character in revision number";
    return NULL;
}
