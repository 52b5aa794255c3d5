/* service.c — the supervised service: started as its user with its environment, its output relayed.
 */
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime/init/init.h"

static void add_env(char **env, int *n, int max, const char *kv)
{
    size_t kl = strcspn(kv, "=");
    for (int i = 0; i < *n; i++)
        if (strncmp(env[i], kv, kl) == 0 && env[i][kl] == '=') {
            env[i] = (char *)kv;
            return;
        }
    if (*n < max)
        env[(*n)++] = (char *)kv;
}

pid_t svc_start(const struct init_conf *c, struct svc *s)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0 || fcntl(p[0], F_SETFL, O_NONBLOCK) < 0) {
        init_log("service %s: pipe: %s", c->service, strerror(errno));
        return -1;
    }
    struct passwd *pw = NULL;
    uid_t uid = 0;
    gid_t gid = 0;
    const char *home = "/";
    const char *uname = c->user[0] ? c->user : "root";
    char *end = NULL;
    long num = strtol(uname, &end, 10);
    bool numeric = *uname && end && !*end && num >= 0;
    if ((pw = numeric ? getpwuid((uid_t)num) : getpwnam(uname))) {
        uid = pw->pw_uid;
        gid = pw->pw_gid;
        home = pw->pw_dir;
    } else if (numeric) {
        uid = (uid_t)num; /* a number without a passwd entry: its own group */
        gid = (gid_t)num;
    } else if (strcmp(uname, "root") != 0) {
        init_log("service %s: no user \"%s\" in /etc/passwd", c->service, uname);
        close(p[0]), close(p[1]);
        return -1;
    }
    if (c->group[0]) {
        long gnum = strtol(c->group, &end, 10);
        struct group *gr = *end ? getgrnam(c->group) : getgrgid((gid_t)gnum);
        if (!gr && !*end && gnum >= 0) {
            gid = (gid_t)gnum;
        } else if (!gr) {
            init_log("service %s: no group \"%s\" in /etc/group", c->service, c->group);
            close(p[0]), close(p[1]);
            return -1;
        } else {
            gid = gr->gr_gid;
        }
    }
    /* Everything the child needs is computed before fork. */
    static char e_home[300], e_user[100], e_logname[100];
    snprintf(e_home, sizeof(e_home), "HOME=%s", home);
    snprintf(e_user, sizeof(e_user), "USER=%s", uname);
    snprintf(e_logname, sizeof(e_logname), "LOGNAME=%s", uname);
    char *env[INIT_MAX_ENV + 8];
    int ne = 0;
    add_env(env, &ne, INIT_MAX_ENV + 7,
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    add_env(env, &ne, INIT_MAX_ENV + 7, e_home);
    add_env(env, &ne, INIT_MAX_ENV + 7, e_user);
    add_env(env, &ne, INIT_MAX_ENV + 7, e_logname);
    for (int i = 0; i < c->nenv; i++)
        add_env(env, &ne, INIT_MAX_ENV + 7, c->env[i]);
    env[ne] = NULL;

    pid_t pid = fork();
    if (pid < 0) {
        init_log("service %s: fork: %s", c->service, strerror(errno));
        close(p[0]), close(p[1]);
        return -1;
    }
    if (pid == 0) {
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        setsid();
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0)
            dup2(nul, 0);
        dup2(p[1], 1);
        dup2(p[1], 2);
        if (uid != 0 || gid != 0) {
            if ((pw ? initgroups(uname, gid) : setgroups(0, NULL)) < 0 || setgid(gid) < 0 ||
                setuid(uid) < 0) {
                dprintf(2, "jeos: service %s: cannot become %s: %s\n", c->service, uname,
                        strerror(errno));
                _exit(126);
            }
        }
        if (chdir(c->workdir) < 0) {
            dprintf(2, "jeos: service %s: chdir %s: %s\n", c->service, c->workdir, strerror(errno));
            _exit(126);
        }
        execve(c->argv[0], c->argv, env);
        dprintf(2, "jeos: service %s: exec %s: %s\n", c->service, c->argv[0], strerror(errno));
        _exit(127);
    }
    close(p[1]);
    s->pid = pid;
    s->out = p[0];
    s->started_ms = init_now_ms();
    s->runs++;
    init_log("service %s started (pid %d)", c->service, (int)pid);
    return pid;
}

/* Copies what the service wrote to the consoles; closes the pipe at its end. */
void svc_drain(struct svc *s)
{
    char buf[4096];
    if (s->out < 0)
        return;
    ssize_t n = read(s->out, buf, sizeof(buf));
    if (n > 0) {
        init_console_write(buf, (size_t)n);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        close(s->out);
        s->out = -1;
    }
}
