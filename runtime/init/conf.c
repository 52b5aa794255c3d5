/* conf.c — parses /etc/jeos/init.conf: one "key value" per line (see runtime/init/README.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/init/init.h"

static int bad(char *msg, size_t msgsz, int line, const char *what, const char *v)
{
    snprintf(msg, msgsz, "init.conf:%d: %s (got \"%.60s\")", line, what, v);
    return -1;
}

static int copy(char *dst, size_t dstsz, const char *v, char *msg, size_t msgsz, int line,
                const char *key)
{
    if (strlen(v) >= dstsz) {
        char what[128];
        snprintf(what, sizeof(what), "%.20s: too long (at most %zu bytes)", key, dstsz - 1);
        return bad(msg, msgsz, line, what, v);
    }
    strcpy(dst, v);
    return 0;
}

static int is_quad(const char *s)
{
    unsigned a, b, c, d;
    char tail;
    return sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a < 256 && b < 256 &&
           c < 256 && d < 256;
}

void init_conf_free(struct init_conf *c)
{
    for (int i = 0; i < c->argc; i++)
        free(c->argv[i]);
    for (int i = 0; i < c->nenv; i++)
        free(c->env[i]);
    memset(c, 0, sizeof(*c));
}

int init_conf_parse(const char *text, size_t len, struct init_conf *c, char *msg, size_t msgsz)
{
    memset(c, 0, sizeof(*c));
    strcpy(c->hostname, "jeos");
    strcpy(c->workdir, "/");
    c->restart = INIT_RESTART_ALWAYS;
    int lineno = 0, have_version = 0;
    size_t pos = 0;
    char line[4096];
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        lineno++;
        size_t n = end - pos;
        if (n >= sizeof(line)) {
            init_conf_free(c);
            return bad(msg, msgsz, lineno, "line too long", "");
        }
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos = end + 1;
        if (n == 0 || line[0] == '#')
            continue;
        char *sp = strchr(line, ' ');
        const char *val = sp ? sp + 1 : "";
        if (sp)
            *sp = '\0';
        const char *key = line;
        int rc = 0;
        if (!have_version) {
            if (strcmp(key, "jeos-init") != 0 || strcmp(val, "1") != 0) {
                init_conf_free(c);
                return bad(msg, msgsz, lineno, "expected the header \"jeos-init 1\"", key);
            }
            have_version = 1;
        } else if (strcmp(key, "hostname") == 0) {
            rc = copy(c->hostname, sizeof(c->hostname), val, msg, msgsz, lineno, key);
        } else if (strcmp(key, "net") == 0) {
            char a[64] = "", g[64] = "";
            int p = -1;
            if (strcmp(val, "none") == 0) {
                c->net = INIT_NET_NONE;
            } else if (strcmp(val, "dhcp") == 0) {
                c->net = INIT_NET_DHCP;
            } else if (strncmp(val, "static ", 7) == 0 &&
                       sscanf(val + 7, "%63[0-9.]/%d %63s", a, &p, g) >= 2 && is_quad(a) &&
                       p >= 0 && p <= 32 && (!g[0] || is_quad(g))) {
                c->net = INIT_NET_STATIC;
                strcpy(c->address, a);
                c->prefix = p;
                strcpy(c->gateway, g);
            } else {
                rc = bad(msg, msgsz, lineno,
                         "net: expected none, dhcp or static ADDRESS/PREFIX [GATEWAY]", val);
            }
        } else if (strcmp(key, "dns") == 0) {
            if (!is_quad(val))
                rc = bad(msg, msgsz, lineno, "dns: expected an IPv4 address", val);
            else if (c->ndns == INIT_MAX_DNS)
                rc = bad(msg, msgsz, lineno, "dns: too many servers (at most 4)", val);
            else
                strcpy(c->dns[c->ndns++], val);
        } else if (strcmp(key, "service") == 0) {
            rc = copy(c->service, sizeof(c->service), val, msg, msgsz, lineno, key);
        } else if (strcmp(key, "exec") == 0 || strcmp(key, "arg") == 0) {
            int is_exec = key[0] == 'e';
            if (is_exec != (c->argc == 0))
                rc = bad(msg, msgsz, lineno, is_exec ? "exec: given twice" : "arg: before exec",
                         val);
            else if (is_exec && val[0] != '/')
                rc = bad(msg, msgsz, lineno, "exec: expected an absolute path", val);
            else if (c->argc == INIT_MAX_ARGS)
                rc = bad(msg, msgsz, lineno, "arg: too many arguments (at most 64)", val);
            else
                c->argv[c->argc++] = strdup(val);
        } else if (strcmp(key, "user") == 0) {
            rc = copy(c->user, sizeof(c->user), val, msg, msgsz, lineno, key);
        } else if (strcmp(key, "group") == 0) {
            rc = copy(c->group, sizeof(c->group), val, msg, msgsz, lineno, key);
        } else if (strcmp(key, "workdir") == 0) {
            rc = copy(c->workdir, sizeof(c->workdir), val, msg, msgsz, lineno, key);
        } else if (strcmp(key, "env") == 0) {
            if (!strchr(val, '=') || val[0] == '=')
                rc = bad(msg, msgsz, lineno, "env: expected NAME=value", val);
            else if (c->nenv == INIT_MAX_ENV)
                rc = bad(msg, msgsz, lineno, "env: too many variables (at most 64)", val);
            else
                c->env[c->nenv++] = strdup(val);
        } else if (strcmp(key, "restart") == 0) {
            if (strcmp(val, "always") == 0)
                c->restart = INIT_RESTART_ALWAYS;
            else if (strcmp(val, "on-failure") == 0)
                c->restart = INIT_RESTART_ON_FAILURE;
            else if (strcmp(val, "no") == 0)
                c->restart = INIT_RESTART_NO;
            else
                rc = bad(msg, msgsz, lineno, "restart: expected always, on-failure or no", val);
        } else {
            rc = bad(msg, msgsz, lineno, "unknown key", key);
        }
        if (rc) {
            init_conf_free(c);
            return rc;
        }
    }
    if (!have_version) {
        init_conf_free(c);
        return bad(msg, msgsz, lineno, "empty file (expected the header \"jeos-init 1\")", "");
    }
    if (c->service[0] && !c->argc) {
        bad(msg, msgsz, lineno, "service without exec", c->service);
        init_conf_free(c);
        return -1;
    }
    return 0;
}
