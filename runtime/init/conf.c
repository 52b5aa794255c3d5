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

static void cmd_free(struct init_cmd *c)
{
    for (int i = 0; i < c->argc; i++)
        free(c->argv[i]);
    free(c->unless);
    memset(c, 0, sizeof(*c));
}

static void dir_free(struct init_dir *d)
{
    free(d->user);
    free(d->group);
    free(d->path);
    free(d->target);
    memset(d, 0, sizeof(*d));
}

void init_conf_free(struct init_conf *c)
{
    for (int i = 0; i < c->ndirs; i++)
        dir_free(&c->dirs[i]);
    for (int i = 0; i < c->nboot; i++)
        cmd_free(&c->boot[i]);
    for (int k = 0; k < c->nsvc; k++) {
        struct init_svc *s = &c->svc[k];
        for (int i = 0; i < s->npre; i++)
            cmd_free(&s->pre[i]);
        for (int i = 0; i < s->npost; i++)
            cmd_free(&s->post[i]);
        cmd_free(&s->start);
        for (int i = 0; i < s->ngroups; i++)
            free(s->groups[i]);
        for (int i = 0; i < s->nenv; i++)
            free(s->env[i]);
        for (int i = 0; i < s->nenvfiles; i++)
            free(s->envfiles[i]);
        for (int i = 0; i < s->ndirs; i++)
            dir_free(&s->dirs[i]);
        for (int i = 0; i < s->nbinds; i++)
            free(s->binds[i]);
    }
    memset(c, 0, sizeof(*c));
}

/* "MODE USER GROUP PATH" (dir, file) or "PATH TARGET" (symlink). */
static int parse_dir(const char *key, const char *val, struct init_dir *d, char *msg, size_t msgsz,
                     int line)
{
    memset(d, 0, sizeof(*d));
    if (strcmp(key, "symlink") == 0) {
        const char *sp = strchr(val, ' ');
        if (val[0] != '/' || !sp || !sp[1])
            return bad(msg, msgsz, line, "symlink: expected PATH TARGET", val);
        d->kind = 'L';
        d->path = strndup(val, (size_t)(sp - val));
        d->target = strdup(sp + 1);
        d->mode = -1;
        return 0;
    }
    char mode[16], user[64], group[64];
    int n = 0;
    if (sscanf(val, "%15s %63s %63s %n", mode, user, group, &n) != 3 || !n || val[n] != '/')
        return bad(msg, msgsz, line, "expected MODE USER GROUP PATH (- for as it is)", val);
    char *end = NULL;
    long m = strcmp(mode, "-") == 0 ? -1 : strtol(mode, &end, 8);
    if (m != -1 && (*end || m < 0 || m > 07777))
        return bad(msg, msgsz, line, "mode: expected octal digits or -", mode);
    d->kind = key[0] == 'f' ? 'f' : 'd';
    d->mode = (int)m;
    d->user = strcmp(user, "-") ? strdup(user) : NULL;
    d->group = strcmp(group, "-") ? strdup(group) : NULL;
    d->path = strdup(val + n);
    return 0;
}

/* The parser's state: which service and command the keys apply to. */
struct pstate {
    struct init_conf *c;
    struct init_svc *s;   /* NULL before the first "service" line */
    struct init_cmd *cmd; /* the command "arg", "flags" and "unless" add to */
    int line;
    char *msg;
    size_t msgsz;
};

static int new_cmd(struct pstate *p, struct init_cmd *cmd, const char *key, const char *val)
{
    if (val[0] != '/')
        return bad(p->msg, p->msgsz, p->line, "expected an absolute path of a program", val);
    (void)key;
    cmd->argv[0] = strdup(val);
    cmd->argc = 1;
    p->cmd = cmd;
    return 0;
}

static int cmd_key(struct pstate *p, const char *key, const char *val)
{
    struct init_svc *s = p->s;
    if (strcmp(key, "boot") == 0) {
        if (s)
            return bad(p->msg, p->msgsz, p->line, "boot: only before the first service", val);
        if (p->c->nboot == INIT_MAX_BOOT)
            return bad(p->msg, p->msgsz, p->line, "boot: too many commands (at most 8)", val);
        return new_cmd(p, &p->c->boot[p->c->nboot++], key, val);
    }
    if (!s)
        return bad(p->msg, p->msgsz, p->line, "before the first \"service\" line", key);
    if (strcmp(key, "exec") == 0) {
        if (s->start.argc)
            return bad(p->msg, p->msgsz, p->line, "exec: given twice", val);
        return new_cmd(p, &s->start, key, val);
    }
    int *n = key[1] == 'r' ? &s->npre : &s->npost;
    if (*n == INIT_MAX_PRE)
        return bad(p->msg, p->msgsz, p->line, "too many commands (at most 8)", val);
    struct init_cmd *c = key[1] == 'r' ? &s->pre[(*n)++] : &s->post[(*n)++];
    return new_cmd(p, c, key, val);
}

static int svc_key(struct pstate *p, const char *key, const char *val)
{
    struct init_svc *s = p->s;
    char *msg = p->msg;
    size_t msgsz = p->msgsz;
    int line = p->line;
    if (!s)
        return bad(msg, msgsz, line, "before the first \"service\" line", key);
    if (strcmp(key, "type") == 0) {
        static const char *const t[] = {"simple", "exec", "forking", "notify", "oneshot"};
        for (int i = 0; i < 5; i++)
            if (strcmp(val, t[i]) == 0) {
                s->type = (enum init_type)i;
                return 0;
            }
        return bad(msg, msgsz, line, "type: expected simple, exec, forking, notify or oneshot",
                   val);
    }
    if (strcmp(key, "user") == 0)
        return copy(s->user, sizeof(s->user), val, msg, msgsz, line, key);
    if (strcmp(key, "group") == 0)
        return copy(s->group, sizeof(s->group), val, msg, msgsz, line, key);
    if (strcmp(key, "groups") == 0) {
        char *copyv = strdup(val), *save = NULL;
        for (char *g = strtok_r(copyv, " ", &save); g; g = strtok_r(NULL, " ", &save)) {
            if (s->ngroups == INIT_MAX_GROUPS) {
                free(copyv);
                return bad(msg, msgsz, line, "groups: too many (at most 16)", val);
            }
            s->groups[s->ngroups++] = strdup(g);
        }
        free(copyv);
        return 0;
    }
    if (strcmp(key, "workdir") == 0)
        return copy(s->workdir, sizeof(s->workdir), val, msg, msgsz, line, key);
    if (strcmp(key, "after") == 0) {
        /* a service given before this one, by name */
        int k = 0;
        while (k < p->c->nsvc - 1 && strcmp(p->c->svc[k].name, val) != 0)
            k++;
        if (k >= p->c->nsvc - 1)
            return bad(msg, msgsz, line, "after: not the name of a service given before this one",
                       val);
        if (s->nafter == INIT_MAX_SERVICES)
            return bad(msg, msgsz, line, "after: too many", val);
        s->after[s->nafter++] = k;
        return 0;
    }
    if (strcmp(key, "pidfile") == 0) {
        if (val[0] != '/')
            return bad(msg, msgsz, line, "pidfile: expected an absolute path", val);
        return copy(s->pidfile, sizeof(s->pidfile), val, msg, msgsz, line, key);
    }
    if (strcmp(key, "nofile") == 0) {
        unsigned long a, b;
        char tail;
        if (strcmp(val, "infinity") != 0 && sscanf(val, "%lu%c", &a, &tail) != 1 &&
            sscanf(val, "%lu:%lu%c", &a, &b, &tail) != 2)
            return bad(msg, msgsz, line, "nofile: expected N, SOFT:HARD or infinity", val);
        return copy(s->nofile, sizeof(s->nofile), val, msg, msgsz, line, key);
    }
    if (strcmp(key, "umask") == 0) {
        char *end;
        long m = strtol(val, &end, 8);
        if (!*val || *end || m < 0 || m > 0777)
            return bad(msg, msgsz, line, "umask: expected octal digits", val);
        s->umask = (int)m;
        return 0;
    }
    if (strcmp(key, "env") == 0) {
        if (!strchr(val, '=') || val[0] == '=')
            return bad(msg, msgsz, line, "env: expected NAME=value", val);
        if (s->nenv == INIT_MAX_ENV)
            return bad(msg, msgsz, line, "env: too many variables (at most 64)", val);
        s->env[s->nenv++] = strdup(val);
        return 0;
    }
    if (strcmp(key, "envfile") == 0) {
        if (val[val[0] == '-'] != '/')
            return bad(msg, msgsz, line, "envfile: expected an absolute path", val);
        if (s->nenvfiles == INIT_MAX_ENVFILES)
            return bad(msg, msgsz, line, "envfile: too many (at most 4)", val);
        s->envfiles[s->nenvfiles++] = strdup(val);
        return 0;
    }
    if (strcmp(key, "bind") == 0 || strcmp(key, "bind-ro") == 0) {
        const char *src = val + (val[0] == '-');
        const char *colon = strchr(src, ':');
        if (src[0] != '/' || !colon || colon[1] != '/')
            return bad(msg, msgsz, line, "bind: expected SRC:DST, both absolute", val);
        if (s->nbinds == INIT_MAX_BINDS)
            return bad(msg, msgsz, line, "bind: too many (at most 8)", val);
        s->bind_ro[s->nbinds] = key[4] == '-';
        s->binds[s->nbinds++] = strdup(val);
        return 0;
    }
    if (strcmp(key, "restart") == 0) {
        if (strcmp(val, "always") == 0)
            s->restart = INIT_RESTART_ALWAYS;
        else if (strcmp(val, "on-failure") == 0)
            s->restart = INIT_RESTART_ON_FAILURE;
        else if (strcmp(val, "no") == 0)
            s->restart = INIT_RESTART_NO;
        else
            return bad(msg, msgsz, line, "restart: expected always, on-failure or no", val);
        return 0;
    }
    if (strcmp(key, "ready") == 0) {
        static const char *const r[] = {"auto", "started", "listen", "notify"};
        for (int i = 0; i < 4; i++)
            if (strcmp(val, r[i]) == 0) {
                s->ready = (enum init_ready)i;
                return 0;
            }
        int port;
        char tail;
        if (sscanf(val, "port %d%c", &port, &tail) == 1 && port > 0 && port < 65536) {
            s->ready = INIT_READY_PORT;
            s->ready_port = port;
            return 0;
        }
        return bad(msg, msgsz, line, "ready: expected auto, started, listen, notify or port N",
                   val);
    }
    return bad(msg, msgsz, line, "unknown key", key);
}

static int one_line(struct pstate *p, const char *key, const char *val)
{
    struct init_conf *c = p->c;
    char *msg = p->msg;
    size_t msgsz = p->msgsz;
    int line = p->line;
    if (strcmp(key, "hostname") == 0)
        return copy(c->hostname, sizeof(c->hostname), val, msg, msgsz, line, key);
    if (strcmp(key, "cloud") == 0) {
        if (strcmp(val, "none") == 0)
            c->cloud = INIT_CLOUD_NONE;
        else if (strcmp(val, "nocloud") == 0)
            c->cloud = INIT_CLOUD_NOCLOUD;
        else
            return bad(msg, msgsz, line, "cloud: expected none or nocloud", val);
        return 0;
    }
    if (strcmp(key, "cloud-ssh-user") == 0)
        return copy(c->cloud_ssh_user, sizeof(c->cloud_ssh_user), val, msg, msgsz, line, key);
    if (strcmp(key, "net") == 0) {
        char a[64] = "", g[64] = "";
        int pf = -1;
        if (strcmp(val, "none") == 0) {
            c->net = INIT_NET_NONE;
        } else if (strcmp(val, "dhcp") == 0) {
            c->net = INIT_NET_DHCP;
        } else if (strncmp(val, "static ", 7) == 0 &&
                   sscanf(val + 7, "%63[0-9.]/%d %63s", a, &pf, g) >= 2 && is_quad(a) && pf >= 0 &&
                   pf <= 32 && (!g[0] || is_quad(g))) {
            c->net = INIT_NET_STATIC;
            strcpy(c->address, a);
            c->prefix = pf;
            strcpy(c->gateway, g);
        } else {
            return bad(msg, msgsz, line,
                       "net: expected none, dhcp or static ADDRESS/PREFIX [GATEWAY]", val);
        }
        return 0;
    }
    if (strcmp(key, "dns") == 0) {
        if (!is_quad(val))
            return bad(msg, msgsz, line, "dns: expected an IPv4 address", val);
        if (c->ndns == INIT_MAX_DNS)
            return bad(msg, msgsz, line, "dns: too many servers (at most 4)", val);
        strcpy(c->dns[c->ndns++], val);
        return 0;
    }
    if (strcmp(key, "service") == 0) {
        if (c->nsvc == INIT_MAX_SERVICES)
            return bad(msg, msgsz, line, "service: too many (at most 8)", val);
        if (p->s && !p->s->start.argc)
            return bad(msg, msgsz, line, "service without exec", p->s->name);
        p->s = &c->svc[c->nsvc++];
        p->s->umask = -1;
        p->s->restart = INIT_RESTART_ALWAYS;
        strcpy(p->s->workdir, "/");
        p->cmd = NULL;
        if (!val[0])
            return bad(msg, msgsz, line, "service: expected a name", val);
        return copy(p->s->name, sizeof(p->s->name), val, msg, msgsz, line, key);
    }
    if (strcmp(key, "dir") == 0 || strcmp(key, "file") == 0 || strcmp(key, "symlink") == 0) {
        int *n = p->s ? &p->s->ndirs : &c->ndirs;
        struct init_dir *v = p->s ? p->s->dirs : c->dirs;
        if (*n == INIT_MAX_DIRS)
            return bad(msg, msgsz, line, "too many folders (at most 32)", val);
        int rc = parse_dir(key, val, &v[*n], msg, msgsz, line);
        if (rc == 0)
            (*n)++;
        else
            dir_free(&v[*n]);
        return rc;
    }
    if (strcmp(key, "exec") == 0 || strcmp(key, "pre") == 0 || strcmp(key, "post") == 0 ||
        strcmp(key, "boot") == 0)
        return cmd_key(p, key, val);
    if (strcmp(key, "arg") == 0 || strcmp(key, "flags") == 0 || strcmp(key, "unless") == 0) {
        struct init_cmd *cmd = p->cmd;
        if (!cmd)
            return bad(msg, msgsz, line, "before exec, pre, post or boot", key);
        if (key[0] == 'a') {
            if (cmd->argc == INIT_MAX_ARGS)
                return bad(msg, msgsz, line, "arg: too many arguments (at most 64)", val);
            cmd->argv[cmd->argc++] = strdup(val);
            return 0;
        }
        if (key[0] == 'u') {
            if (val[0] != '/' || cmd->unless)
                return bad(msg, msgsz, line, "unless: expected one absolute path", val);
            cmd->unless = strdup(val);
            return 0;
        }
        for (const char *f = val; *f; f++) {
            if (*f == '-')
                cmd->flags |= INIT_CMD_IGNORE;
            else if (*f == '+')
                cmd->flags |= INIT_CMD_ROOT;
            else if (*f == '$')
                cmd->flags |= INIT_CMD_EXPAND;
            else
                return bad(msg, msgsz, line, "flags: expected some of - + $", val);
        }
        return 0;
    }
    return svc_key(p, key, val);
}

int init_conf_parse(const char *text, size_t len, struct init_conf *c, char *msg, size_t msgsz)
{
    memset(c, 0, sizeof(*c));
    strcpy(c->hostname, "jeos");
    struct pstate p = {c, NULL, NULL, 0, msg, msgsz};
    int have_version = 0;
    size_t pos = 0;
    char line[4096];
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        p.line++;
        size_t n = end - pos;
        if (n >= sizeof(line)) {
            init_conf_free(c);
            return bad(msg, msgsz, p.line, "line too long", "");
        }
        memcpy(line, text + pos, n);
        line[n] = '\0';
        pos = end + 1;
        if (n == 0 || line[0] == '#')
            continue;
        if (memchr(line, '\0', n)) {
            init_conf_free(c);
            return bad(msg, msgsz, p.line, "a NUL byte in the line", "");
        }
        char *sp = strchr(line, ' ');
        const char *val = sp ? sp + 1 : "";
        if (sp)
            *sp = '\0';
        int rc;
        if (!have_version) {
            if (strcmp(line, "jeos-init") != 0 || strcmp(val, "1") != 0) {
                init_conf_free(c);
                return bad(msg, msgsz, p.line, "expected the header \"jeos-init 1\"", line);
            }
            have_version = 1;
            continue;
        }
        rc = one_line(&p, line, val);
        if (rc) {
            init_conf_free(c);
            return rc;
        }
    }
    if (!have_version) {
        init_conf_free(c);
        return bad(msg, msgsz, p.line, "empty file (expected the header \"jeos-init 1\")", "");
    }
    if (p.s && !p.s->start.argc) {
        bad(msg, msgsz, p.line, "service without exec", p.s->name);
        init_conf_free(c);
        return -1;
    }
    return 0;
}
