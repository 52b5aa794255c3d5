/* boot.c — what init makes at boot before the services: tmpfiles.d's folders under /run,
 * /etc/machine-id, and the first-boot commands (per-instance secrets such as ssh host keys). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
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

/* What a first-boot command printed, a line at a time, as "first boot: NAME: line" on init's
   consoles (the kernel's /dev/console is only the last console= of the command line). */
static void relay(const char *name, char *buf, size_t *len, bool all)
{
    char *start = buf, *nl;
    while ((nl = memchr(start, '\n', *len - (size_t)(start - buf))) ||
           (all && start < buf + *len)) {
        size_t n = nl ? (size_t)(nl - start) : *len - (size_t)(start - buf);
        init_log("first boot: %s: %.*s", name, (int)n, start);
        start += n + (nl ? 1 : 0);
    }
    *len -= (size_t)(start - buf);
    memmove(buf, start, *len);
}

/* TZ=Area/City from where /etc/localtime points (…/zoneinfo/Etc/UTC), or TZ=UTC without one:
   the zone libc uses anyway, named, so that a program that looks for the zone's name need not
   search the zone database for it (initdb's search takes most of its time: 41 s of 44 s on a host).
 */
static bool tz_env(char *out, size_t n)
{
    char target[128];
    ssize_t l = readlink("/etc/localtime", target, sizeof(target) - 1);
    if (l < 0 && errno == ENOENT && access("/etc/localtime", F_OK) < 0)
        return snprintf(out, n, "TZ=UTC") < (int)n; /* no zone at all: libc's is UTC */
    if (l <= 0)
        return false;
    target[l] = '\0';
    const char *z = strstr(target, "zoneinfo/");
    if (!z || strstr(z, "..") || !z[9])
        return false;
    return snprintf(out, n, "TZ=%s", z + 9) < (int)n;
}

static void boot_command(const struct init_cmd *c)
{
    if (c->unless && access(c->unless, F_OK) == 0)
        return;
    long long t0 = init_now_ms();
    int out[2];
    if (pipe2(out, O_CLOEXEC) < 0) {
        init_log("first boot: %s: pipe: %s", c->argv[0], strerror(errno));
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        int nul = open("/dev/null", O_RDWR);
        if (nul >= 0)
            dup2(nul, 0);
        dup2(out[1], 1);
        dup2(out[1], 2);
        char tz[160] = "";
        char *env[] = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                       "HOME=/root", tz_env(tz, sizeof(tz)) ? tz : NULL, NULL};
        umask(022);
        execve(c->argv[0], c->argv, env);
        dprintf(2, "%s\n", strerror(errno));
        _exit(127);
    }
    close(out[1]);
    const char *name = strrchr(c->argv[0], '/') ? strrchr(c->argv[0], '/') + 1 : c->argv[0];
    int status = 0;
    bool reaped = false;
    if (pid < 0) {
        init_log("first boot: %s: %s", c->argv[0], strerror(errno));
        close(out[0]);
        return;
    }
    /* Its output until it ends (not until the pipe closes: a daemon it starts may keep it). */
    char buf[4096];
    size_t len = 0;
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    while (!reaped) {
        struct pollfd p = {.fd = out[0], .events = POLLIN};
        poll(&p, 1, 200);
        ssize_t n;
        while ((n = read(out[0], buf + len, sizeof(buf) - 1 - len)) > 0) {
            len += (size_t)n;
            relay(name, buf, &len, len == sizeof(buf) - 1);
        }
        pid_t w = waitpid(pid, &status, WNOHANG);
        reaped = w == pid || (w < 0 && errno != EINTR);
    }
    ssize_t n;
    while ((n = read(out[0], buf + len, sizeof(buf) - 1 - len)) > 0) {
        len += (size_t)n;
        relay(name, buf, &len, len == sizeof(buf) - 1);
    }
    relay(name, buf, &len, true);
    close(out[0]);
    long long ms = init_now_ms() - t0;
    char how[48] = "done";
    if (WIFEXITED(status) && WEXITSTATUS(status))
        snprintf(how, sizeof(how), "failed (exit status %d)", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(how, sizeof(how), "failed (signal %d)", WTERMSIG(status));
    init_log("first boot: %s%s%s: %s (%lld.%01lld s)", c->argv[0], c->unless ? " made " : "",
             c->unless ? c->unless : "", how, ms / 1000, ms % 1000 / 100);
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
