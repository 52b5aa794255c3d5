/* boot.c — what init makes at boot before the services: tmpfiles.d's folders under /run,
 * /etc/machine-id, and the first-boot commands (per-instance secrets such as ssh host keys). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/init/init.h"

static long id_of(const char *name, bool user)
{
    char *end;
    long n = strtol(name, &end, 10);
    if (*name && !*end && n >= 0)
        return n;
    if (user) {
        struct passwd *pw = getpwnam(name);
        return pw ? (long)pw->pw_uid : -1;
    }
    struct group *gr = getgrnam(name);
    return gr ? (long)gr->gr_gid : -1;
}

/* mkdir -p of the folders above `path`. */
static void parents(const char *path)
{
    char p[512];
    snprintf(p, sizeof(p), "%s", path);
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
}

void boot_make(const struct init_dir *d, const char *who)
{
    struct stat st;
    parents(d->path);
    if (d->kind == 'L') {
        if (lstat(d->path, &st) != 0 && symlink(d->target, d->path) < 0)
            init_log("%s: symlink %s: %s", who, d->path, strerror(errno));
        return;
    }
    bool made = false;
    if (stat(d->path, &st) != 0) {
        mode_t m = d->mode >= 0 ? (mode_t)d->mode : d->kind == 'd' ? 0755 : 0644;
        int rc = 0;
        if (d->kind == 'd') {
            rc = mkdir(d->path, m);
        } else {
            int fd = open(d->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, m);
            rc = fd < 0 ? -1 : close(fd);
        }
        if (rc < 0 && errno != EEXIST) {
            init_log("%s: %s: %s", who, d->path, strerror(errno));
            return;
        }
        made = true;
    }
    long uid = d->user ? id_of(d->user, true) : -1, gid = d->group ? id_of(d->group, false) : -1;
    if ((d->user && uid < 0) || (d->group && gid < 0))
        init_log("%s: %s: no user %s or group %s", who, d->path, d->user ? d->user : "-",
                 d->group ? d->group : "-");
    if ((uid >= 0 || gid >= 0) && chown(d->path, (uid_t)uid, (gid_t)gid) < 0)
        init_log("%s: chown %s: %s", who, d->path, strerror(errno));
    /* after chown, which clears set-id bits */
    if ((d->mode >= 0 || made) && chmod(d->path, d->mode >= 0     ? (mode_t)d->mode
                                                 : d->kind == 'd' ? 0755
                                                                  : 0644) < 0)
        init_log("%s: chmod %s: %s", who, d->path, strerror(errno));
}

/* /etc/machine-id, made once: 128 random bits in hex, kept where the root is writable. */
static void machine_id(void)
{
    struct stat st;
    if (stat("/etc/machine-id", &st) == 0 && st.st_size == 33)
        return;
    unsigned char r[16];
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
        init_log("machine-id: getrandom: %s", strerror(errno));
        return;
    }
    char hex[34];
    for (int i = 0; i < 16; i++)
        snprintf(hex + 2 * i, 3, "%02x", r[i]);
    hex[32] = '\n';
    hex[33] = '\0';
    int fd = open("/etc/machine-id", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
    if (fd < 0 || write(fd, hex, 33) != 33) {
        init_log("/etc/machine-id: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    close(fd);
    init_log("/etc/machine-id made (first boot)");
}

static void boot_command(const struct init_cmd *c)
{
    if (c->unless && access(c->unless, F_OK) == 0)
        return;
    long long t0 = init_now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        int nul = open("/dev/null", O_RDWR);
        int con = open("/dev/console", O_WRONLY | O_NOCTTY);
        if (nul >= 0)
            dup2(nul, 0);
        if (con >= 0) {
            dup2(con, 1);
            dup2(con, 2);
        }
        char *env[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                       "HOME=/root", NULL};
        umask(022);
        execve(c->argv[0], c->argv, env);
        dprintf(2, "jeos: first boot: %s: %s\n", c->argv[0], strerror(errno));
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        init_log("first boot: %s: %s", c->argv[0], strerror(errno));
        return;
    }
    long long ms = init_now_ms() - t0;
    init_log("first boot: %s%s%s: %s (%lld.%01lld s)", c->argv[0], c->unless ? " made " : "",
             c->unless ? c->unless : "",
             WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "done" : "failed", ms / 1000,
             ms % 1000 / 100);
}

void boot_prepare(const struct init_conf *c)
{
    mkdir("/run/jeos", 0755);
    for (int i = 0; i < c->ndirs; i++)
        boot_make(&c->dirs[i], "tmpfiles.d");
    machine_id();
    for (int i = 0; i < c->nboot; i++)
        boot_command(&c->boot[i]);
}
