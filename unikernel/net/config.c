/* unikernel/net/config.c — the network configuration words of the command line (see net.h). */
#include "console/console.h"
#include "lib/string.h"
#include "net/net.h"

/* Parses "A.B.C.D" at s (up to a ',', '/', ' ' or the end) into a; returns the end, or NULL. */
static const char *parse_ip(const char *s, uint8_t a[4])
{
    for (int i = 0; i < 4; i++) {
        unsigned v = 0, digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(*s++ - '0');
            digits++;
        }
        if (!digits || v > 255 || (i < 3 && *s++ != '.'))
            return NULL;
        a[i] = (uint8_t)v;
    }
    return s;
}

static int word_end(char c)
{
    return c == '\0' || c == ' ';
}

static int prefix_of(const char *w, const char *prefix)
{
    return strncmp(w, prefix, strlen(prefix)) == 0;
}

static int bad(char *why, size_t n, const char *w, const char *what)
{
    char word[81];
    size_t len = 0;
    while (!word_end(w[len]) && len < sizeof(word) - 1) {
        word[len] = w[len];
        len++;
    }
    word[len] = '\0';
    uk_snprintf(why, n, "\"%s\": %s", word, what);
    return -22;
}

/* jeos.net=VALUE into cfg (a fresh configuration: a later word replaces an earlier one). */
static int parse_net(const char *w, struct net_config *cfg, char *why, size_t n)
{
    const char *v = w + sizeof("jeos.net=") - 1;
    struct net_config c = {.mode = NET_STATIC};
    memcpy(c.hostname, cfg->hostname, sizeof(c.hostname));
    if (prefix_of(v, "none") && word_end(v[4])) {
        c.mode = NET_NONE;
    } else if (prefix_of(v, "dhcp") && word_end(v[4])) {
        c.mode = NET_DHCP;
    } else {
        const char *p = parse_ip(v, c.addr);
        if (!p || *p++ != '/' || *p < '0' || *p > '9')
            return bad(why, n, w, "expected none, dhcp or A.B.C.D/N[,gw=A.B.C.D][,dns=A.B.C.D]");
        while (*p >= '0' && *p <= '9' && c.prefix <= 32)
            c.prefix = c.prefix * 10 + (*p++ - '0');
        if (c.prefix > 32)
            return bad(why, n, w, "the prefix length is 0 to 32");
        while (*p == ',') {
            p++;
            if (prefix_of(p, "gw=")) {
                p = parse_ip(p + 3, c.gw);
                c.have_gw = 1;
            } else if (prefix_of(p, "dns=") && c.ndns < NET_MAX_DNS) {
                p = parse_ip(p + 4, c.dns[c.ndns++]);
            } else {
                return bad(why, n, w, "expected gw=A.B.C.D or dns=A.B.C.D (at most 3) after ','");
            }
            if (!p)
                return bad(why, n, w, "an address is written A.B.C.D");
        }
        if (!word_end(*p))
            return bad(why, n, w, "unexpected text after the address");
    }
    *cfg = c;
    return 0;
}

int net_config_parse(const char *words, struct net_config *cfg, char *why, size_t whylen)
{
    for (const char *w = words; w && *w;) {
        while (*w == ' ')
            w++;
        if (prefix_of(w, "jeos.net=")) {
            int rc = parse_net(w, cfg, why, whylen);
            if (rc < 0)
                return rc;
        } else if (prefix_of(w, "jeos.hostname=")) {
            const char *v = w + sizeof("jeos.hostname=") - 1;
            size_t len = 0;
            while (!word_end(v[len]))
                len++;
            if (len >= sizeof(cfg->hostname))
                return bad(why, whylen, w, "a host name has at most 63 characters");
            memcpy(cfg->hostname, v, len);
            cfg->hostname[len] = '\0';
        }
        while (!word_end(*w))
            w++;
    }
    return 0;
}
