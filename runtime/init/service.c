/* service.c — the supervised services: started as systemd would (folders, environment, pre and post
 * commands, types forking/notify/oneshot), their output relayed, restarted by their policy. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/init/init.h"

int svc_init(struct svc *s, const struct init_svc *c)
{
    memset(s, 0, sizeof(*s));
    s->c = c;
    s->backoff_s = 1;
    s->out = s->out_w = -1;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0 || fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
        init_log("service %s: pipe: %s", c->name, strerror(errno));
        return -1;
    }
    s->out = p[0];
    s->out_w = p[1];
    return 0;
}

void svc_drain(struct svc *s)
{
    char buf[4096];
    if (s->out < 0)
        return;
    for (int i = 0; i < 256; i++) {
        ssize_t n = read(s->out, buf, sizeof(buf));
        if (n <= 0)
            return;
        init_console_write(buf, (size_t)n);
    }
}

/* ---- which processes are the service's ---- */

/* The parent of `pid` from /proc/PID/stat, or -1. */
static pid_t parent_of(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *rp = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
    int ppid;
    if (!rp || sscanf(rp + 2, "%*c %d", &ppid) != 1)
        return -1;
    return (pid_t)ppid;
}

bool svc_owns(const struct svc *s, pid_t pid)
{
    for (int depth = 0; pid > 1 && depth < 64; depth++) {
        if ((s->main && pid == s->main) || (s->child && pid == s->child))
            return true;
        pid = parent_of(pid);
    }
    return false;
}

/* ---- the environment of a start ---- */

static void env_put(struct svc *s, const char *kv)
{
    size_t kl = strcspn(kv, "=");
    for (int i = 0; i < s->nenvp; i++)
        if (strncmp(s->envp[i], kv, kl) == 0 && s->envp[i][kl] == '=') {
            free(s->envp[i]);
            s->envp[i] = strdup(kv);
            return;
        }
    if (s->nenvp < (int)(sizeof(s->envp) / sizeof(s->envp[0])) - 1)
        s->envp[s->nenvp++] = strdup(kv);
    s->envp[s->nenvp] = NULL;
}

static const char *env_get(const struct svc *s, const char *name, size_t len)
{
    for (int i = 0; i < s->nenvp; i++)
        if (strncmp(s->envp[i], name, len) == 0 && s->envp[i][len] == '=')
            return s->envp[i] + len + 1;
    return NULL;
}

static void env_clear(struct svc *s)
{
    for (int i = 0; i < s->nenvp; i++)
        free(s->envp[i]);
    s->nenvp = 0;
    s->envp[0] = NULL;
}

/* KEY=VALUE lines as systemd reads an EnvironmentFile: # and ; comments, quotes removed. */
static int env_file(struct svc *s, const char *spec)
{
    bool optional = spec[0] == '-';
    const char *path = spec + optional;
    FILE *f = fopen(path, "re");
    if (!f) {
        if (optional && errno == ENOENT)
            return 0;
        init_log("service %s: EnvironmentFile %s: %s", s->c->name, path, strerror(errno));
        return -1;
    }
    char line[4096];
    while (fgets(line, sizeof(line), f)) {
        char *l = line;
        while (*l == ' ' || *l == '\t')
            l++;
        size_t n = strlen(l);
        while (n && (l[n - 1] == '\n' || l[n - 1] == '\r' || l[n - 1] == ' '))
            l[--n] = '\0';
        if (!*l || *l == '#' || *l == ';')
            continue;
        if (strncmp(l, "export ", 7) == 0)
            l += 7;
        char *eq = strchr(l, '=');
        if (!eq || eq == l)
            continue;
        char kv[4200];
        size_t k = (size_t)(eq - l);
        while (k && (l[k - 1] == ' ' || l[k - 1] == '\t'))
            k--;
        memcpy(kv, l, k);
        size_t o = k;
        kv[o++] = '=';
        const char *v = eq + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        char q = 0;
        for (; *v && o + 1 < sizeof(kv); v++) {
            if (!q && (*v == '"' || *v == '\'')) {
                q = *v;
                continue;
            }
            if (q && *v == q) {
                q = 0;
                continue;
            }
            if (*v == '\\' && v[1] && q != '\'')
                v++;
            kv[o++] = *v;
        }
        kv[o] = '\0';
        env_put(s, kv);
    }
    fclose(f);
    return 0;
}

/* The environment for this start: PATH, HOME, USER, LOGNAME, the configured ones, then the files'.
 */
static int env_build(struct svc *s, const char *home, const char *uname, int notify)
{
    env_clear(s);
    env_put(s, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    char kv[400];
    snprintf(kv, sizeof(kv), "HOME=%s", home);
    env_put(s, kv);
    snprintf(kv, sizeof(kv), "USER=%s", uname);
    env_put(s, kv);
    snprintf(kv, sizeof(kv), "LOGNAME=%s", uname);
    env_put(s, kv);
    if (notify)
        env_put(s, "NOTIFY_SOCKET=" INIT_NOTIFY_PATH);
    for (int i = 0; i < s->c->nenv; i++)
        env_put(s, s->c->env[i]);
    for (int i = 0; i < s->c->nenvfiles; i++)
        if (env_file(s, s->c->envfiles[i]) < 0)
            return -1;
    return 0;
}

/* systemd's $VAR (split into words) and ${VAR} (one word) in the arguments of a command. */
static char **expand_args(const struct svc *s, const struct init_cmd *c)
{
    char **out = calloc(INIT_MAX_ARGS * 4 + 2, sizeof(char *));
    int n = 0, max = INIT_MAX_ARGS * 4;
    if (!out)
        return NULL;
    out[n++] = strdup(c->argv[0]);
    for (int i = 1; i < c->argc && n < max; i++) {
        const char *a = c->argv[i];
        if (!(c->flags & INIT_CMD_EXPAND) || !strchr(a, '$')) {
            out[n++] = strdup(a);
            continue;
        }
        if (a[0] == '$' && a[1] != '{' && a[1] != '$') {
            size_t len = strlen(a + 1);
            bool whole = len > 0;
            for (size_t k = 1; k <= len; k++)
                whole &= a[k] == '_' || (a[k] >= 'A' && a[k] <= 'Z') ||
                         (a[k] >= 'a' && a[k] <= 'z') || (k > 1 && a[k] >= '0' && a[k] <= '9');
            if (whole) {
                const char *v = env_get(s, a + 1, len);
                char *copy = strdup(v ? v : ""), *save = NULL;
                for (char *w = strtok_r(copy, " \t\n", &save); w && n < max;
                     w = strtok_r(NULL, " \t\n", &save))
                    out[n++] = strdup(w);
                free(copy);
                continue;
            }
        }
        char buf[4096];
        size_t o = 0;
        for (const char *p = a; *p && o + 1 < sizeof(buf);) {
            if (p[0] == '$' && p[1] == '$') {
                buf[o++] = '$';
                p += 2;
            } else if (p[0] == '$' && p[1] == '{' && strchr(p, '}')) {
                const char *e = strchr(p, '}');
                const char *v = env_get(s, p + 2, (size_t)(e - p - 2));
                for (; v && *v && o + 1 < sizeof(buf); v++)
                    buf[o++] = *v;
                p = e + 1;
            } else {
                buf[o++] = *p++;
            }
        }
        buf[o] = '\0';
        out[n++] = strdup(buf);
    }
    out[n] = NULL;
    return out;
}

/* ---- starting commands ---- */

/* The user and groups a command runs as. */
struct who {
    uid_t uid;
    gid_t gid;
    bool named; /* a passwd entry: initgroups */
    char name[64], home[256];
};

static int resolve_who(const struct svc *s, struct who *w)
{
    memset(w, 0, sizeof(*w));
    strcpy(w->home, "/");
    const char *uname = s->c->user[0] ? s->c->user : "root";
    snprintf(w->name, sizeof(w->name), "%s", uname);
    char *end = NULL;
    long num = strtol(uname, &end, 10);
    bool numeric = *uname && end && !*end && num >= 0;
    struct passwd *pw = numeric ? getpwuid((uid_t)num) : getpwnam(uname);
    if (pw) {
        w->uid = pw->pw_uid;
        w->gid = pw->pw_gid;
        w->named = true;
        snprintf(w->home, sizeof(w->home), "%s", pw->pw_dir);
        snprintf(w->name, sizeof(w->name), "%s", pw->pw_name);
    } else if (numeric) {
        w->uid = (uid_t)num; /* a number without a passwd entry: its own group */
        w->gid = (gid_t)num;
    } else if (strcmp(uname, "root") != 0) {
        init_log("service %s: no user \"%s\" in /etc/passwd", s->c->name, uname);
        return -1;
    }
    if (s->c->group[0]) {
        long gnum = strtol(s->c->group, &end, 10);
        struct group *gr = *end ? getgrnam(s->c->group) : getgrgid((gid_t)gnum);
        if (!gr && !*end && gnum >= 0) {
            w->gid = (gid_t)gnum;
        } else if (!gr) {
            init_log("service %s: no group \"%s\" in /etc/group", s->c->name, s->c->group);
            return -1;
        } else {
            w->gid = gr->gr_gid;
        }
    }
    return 0;
}

/* In the child: become `w`, with the service's supplementary groups. */
static int become(const struct svc *s, const struct who *w)
{
    if (w->uid == 0 && w->gid == 0 && !s->c->ngroups)
        return 0;
    gid_t groups[INIT_MAX_GROUPS + 64];
    int ng = 0;
    if (w->named) {
        if (initgroups(w->name, w->gid) < 0)
            return -1;
        ng = getgroups(64, groups);
        if (ng < 0)
            ng = 0;
    }
    for (int i = 0; i < s->c->ngroups; i++) {
        struct group *gr = getgrnam(s->c->groups[i]);
        char *end;
        long g = strtol(s->c->groups[i], &end, 10);
        if (gr)
            groups[ng++] = gr->gr_gid;
        else if (!*end && g >= 0)
            groups[ng++] = (gid_t)g;
    }
    if (setgroups((size_t)ng, groups) < 0 || setgid(w->gid) < 0 || setuid(w->uid) < 0)
        return -1;
    return 0;
}

static void set_nofile(const char *spec)
{
    struct rlimit rl;
    unsigned long a, b;
    char tail;
    if (!spec[0])
        return;
    if (strcmp(spec, "infinity") == 0) {
        rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
    } else if (sscanf(spec, "%lu:%lu%c", &a, &b, &tail) == 2) {
        rl.rlim_cur = a;
        rl.rlim_max = b;
    } else if (sscanf(spec, "%lu%c", &a, &tail) == 1) {
        rl.rlim_cur = rl.rlim_max = a;
    } else {
        return;
    }
    setrlimit(RLIMIT_NOFILE, &rl);
}

/* Forks one command of the service; returns its pid or -1 (logged). */
static pid_t spawn(struct svc *s, const struct init_cmd *cmd, const char *what)
{
    struct who w;
    if (resolve_who(s, &w) < 0)
        return -1;
    if (cmd->flags & INIT_CMD_ROOT) {
        w.uid = 0;
        w.gid = 0;
        w.named = false;
    }
    char **argv = expand_args(s, cmd);
    if (!argv) {
        init_log("service %s: out of memory", s->c->name);
        return -1;
    }
    const char *wd = s->c->workdir[0] ? s->c->workdir : "/";
    bool wd_optional = wd[0] == '-';
    wd += wd_optional;
    pid_t pid = fork();
    if (pid < 0) {
        init_log("service %s: fork: %s", s->c->name, strerror(errno));
    } else if (pid == 0) {
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        setsid();
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0)
            dup2(nul, 0);
        dup2(s->out_w, 1);
        dup2(s->out_w, 2);
        umask(s->c->umask >= 0 ? (mode_t)s->c->umask : 022);
        set_nofile(s->c->nofile);
        if (!(cmd->flags & INIT_CMD_ROOT) && become(s, &w) < 0) {
            dprintf(2, "jeos: service %s: cannot become %s: %s\n", s->c->name, w.name,
                    strerror(errno));
            _exit(126);
        }
        if (chdir(wd) < 0 && !(wd_optional && chdir("/") == 0)) {
            dprintf(2, "jeos: service %s: chdir %s: %s\n", s->c->name, wd, strerror(errno));
            _exit(126);
        }
        execve(argv[0], argv, s->envp);
        dprintf(2, "jeos: service %s: %s %s: %s\n", s->c->name, what, argv[0], strerror(errno));
        _exit(127);
    }
    for (int i = 0; argv[i]; i++)
        free(argv[i]);
    free(argv);
    return pid;
}

/* ---- the start sequence ---- */

static void schedule_restart(struct svc *s, const char *how, bool failed)
{
    s->main = 0;
    s->child = 0;
    s->ready = false;
    enum init_restart r = s->c->restart;
    if (r == INIT_RESTART_NO || (r == INIT_RESTART_ON_FAILURE && !failed)) {
        init_log("service %s %s; not restarting", s->c->name, how);
        s->state = SVC_DONE;
        return;
    }
    /* Backoff doubles up to 30 s and starts over after a run of 10 s or more. */
    if (init_now_ms() - s->started_ms >= 10000)
        s->backoff_s = 1;
    init_log("service %s %s; restarting in %d s", s->c->name, how, s->backoff_s);
    s->restart_at_ms = init_now_ms() + s->backoff_s * 1000LL;
    s->backoff_s = s->backoff_s >= 16 ? 30 : s->backoff_s * 2;
    s->state = SVC_IDLE;
}

static void bind_mounts(struct svc *s)
{
    for (int i = 0; i < s->c->nbinds; i++) {
        char spec[600];
        snprintf(spec, sizeof(spec), "%s", s->c->binds[i]);
        bool optional = spec[0] == '-';
        char *src = spec + optional;
        char *dst = strchr(src, ':');
        if (!dst)
            continue;
        *dst++ = '\0';
        struct stat st;
        if (stat(src, &st) < 0) {
            if (!optional)
                init_log("service %s: bind %s: %s", s->c->name, src, strerror(errno));
            continue;
        }
        if (access(dst, F_OK) != 0) {
            struct init_dir d = {S_ISDIR(st.st_mode) ? 'd' : 'f', -1, NULL, NULL, dst, NULL};
            boot_make(&d, s->c->name);
        }
        if (mount(src, dst, NULL, MS_BIND, NULL) < 0) {
            init_log("service %s: bind %s on %s: %s", s->c->name, src, dst, strerror(errno));
            continue;
        }
        if (s->c->bind_ro[i])
            mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL);
    }
    s->bound = true;
}

/* Runs the command of the current state, or moves on when there is none to run. */
static void advance(struct svc *s, int notify_fd);

static bool skip_cmd(const struct init_cmd *c)
{
    return c->unless && access(c->unless, F_OK) == 0;
}

static void start_main(struct svc *s)
{
    pid_t pid = spawn(s, &s->c->start, "exec");
    if (pid < 0) {
        s->failed = true;
        s->restart_at_ms = init_now_ms() + 30000LL;
        s->state = SVC_IDLE;
        return;
    }
    s->runs++;
    if (s->c->type == INIT_FORKING || s->c->type == INIT_ONESHOT) {
        s->child = pid;
        s->state = SVC_START;
    } else {
        s->main = pid;
        init_log("service %s started (pid %d)", s->c->name, (int)pid);
        if (s->c->ready == INIT_READY_STARTED)
            svc_set_ready(s, "started");
        s->state = SVC_POST;
        s->step = 0;
    }
}

static void advance(struct svc *s, int notify_fd)
{
    (void)notify_fd;
    for (;;) {
        if (s->state == SVC_PRE) {
            if (s->step >= s->c->npre) {
                start_main(s);
                if (s->state != SVC_POST)
                    return;
                continue;
            }
            const struct init_cmd *c = &s->c->pre[s->step];
            if (skip_cmd(c)) {
                s->step++;
                continue;
            }
            pid_t pid = spawn(s, c, "ExecStartPre");
            if (pid < 0) {
                if (c->flags & INIT_CMD_IGNORE) {
                    s->step++;
                    continue;
                }
                schedule_restart(s, "could not start its pre command", true);
                return;
            }
            s->child = pid;
            return;
        }
        if (s->state == SVC_POST) {
            /* notify: the post commands wait for READY=1 */
            bool wait_notify = (s->c->type == INIT_NOTIFY || s->c->ready == INIT_READY_NOTIFY) &&
                               !s->ready && s->c->ready != INIT_READY_STARTED;
            if (wait_notify)
                return;
            if (s->step >= s->c->npost) {
                s->state = SVC_RUNNING;
                return;
            }
            const struct init_cmd *c = &s->c->post[s->step];
            if (skip_cmd(c)) {
                s->step++;
                continue;
            }
            pid_t pid = spawn(s, c, "ExecStartPost");
            if (pid < 0) {
                s->step++;
                continue;
            }
            s->child = pid;
            return;
        }
        return;
    }
}

void svc_begin(struct svc *s, int notify_fd)
{
    const struct init_svc *c = s->c;
    s->restart_at_ms = 0;
    s->ready = false;
    s->failed = false;
    s->started_ms = init_now_ms();
    for (int i = 0; i < c->ndirs; i++)
        boot_make(&c->dirs[i], c->name);
    if (!s->bound)
        bind_mounts(s);
    struct who w;
    if (resolve_who(s, &w) < 0 ||
        env_build(s, w.home, w.name, c->type == INIT_NOTIFY || c->ready == INIT_READY_NOTIFY) < 0) {
        s->restart_at_ms = init_now_ms() + 30000LL;
        s->state = SVC_IDLE;
        return;
    }
    s->state = SVC_PRE;
    s->step = 0;
    advance(s, notify_fd);
}

void svc_tick(struct svc *s, int notify_fd)
{
    if (s->state == SVC_IDLE && s->restart_at_ms && init_now_ms() >= s->restart_at_ms)
        svc_begin(s, notify_fd);
}

void svc_continue(struct svc *s, int notify_fd)
{
    if (s->state == SVC_POST && !s->child)
        advance(s, notify_fd);
}

void svc_set_ready(struct svc *s, const char *how)
{
    if (s->ready)
        return;
    s->ready = true;
    init_log("service %s ready: %s", s->c->name, how);
}

/* The main pid from the PID file, or 0. */
static pid_t read_pidfile(const char *path)
{
    FILE *f = fopen(path, "re");
    int pid = 0;
    if (f) {
        if (fscanf(f, "%d", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    return pid > 1 && kill(pid, 0) == 0 ? (pid_t)pid : 0;
}

static void describe(int status, char *how, size_t n)
{
    if (WIFEXITED(status))
        snprintf(how, n, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(how, n, "killed by signal %d", WTERMSIG(status));
}

bool svc_reaped(struct svc *s, pid_t pid, int status, int notify_fd)
{
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    char how[80];
    if (s->child && pid == s->child) {
        s->child = 0;
        svc_drain(s);
        if (s->state == SVC_PRE) {
            const struct init_cmd *c = &s->c->pre[s->step];
            if (!ok && !(c->flags & INIT_CMD_IGNORE)) {
                char w[120];
                describe(status, how, sizeof(how));
                snprintf(w, sizeof(w), "pre command %s %s", c->argv[0], how);
                schedule_restart(s, w, true);
                return true;
            }
            s->step++;
            advance(s, notify_fd);
        } else if (s->state == SVC_START) {
            if (!ok) {
                describe(status, how, sizeof(how));
                schedule_restart(s, how, true);
                return true;
            }
            if (s->c->type == INIT_ONESHOT) {
                init_log("service %s finished", s->c->name);
                svc_set_ready(s, "finished");
                s->state = SVC_POST;
                s->step = 0;
                advance(s, notify_fd);
                if (s->state == SVC_RUNNING)
                    s->state = SVC_DONE;
                return true;
            }
            s->main = s->c->pidfile[0] ? read_pidfile(s->c->pidfile) : 0;
            if (!s->main) {
                init_log("service %s: no main process found%s%s", s->c->name,
                         s->c->pidfile[0] ? " in " : "", s->c->pidfile);
                schedule_restart(s, "lost its main process", true);
                return true;
            }
            init_log("service %s started (pid %d)", s->c->name, (int)s->main);
            if (s->c->ready == INIT_READY_AUTO || s->c->ready == INIT_READY_STARTED)
                svc_set_ready(s, "its start command returned");
            s->state = SVC_POST;
            s->step = 0;
            advance(s, notify_fd);
        } else if (s->state == SVC_POST) {
            s->step++;
            advance(s, notify_fd);
        }
        return true;
    }
    if (s->main && pid == s->main) {
        svc_drain(s);
        describe(status, how, sizeof(how));
        if (s->child) {
            kill(s->child, SIGTERM);
            s->child = 0;
        }
        bool failed = !ok;
        s->failed = failed;
        schedule_restart(s, how, failed);
        return true;
    }
    return false;
}
