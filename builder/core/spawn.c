/* spawn.c — external tools from an argument vector (fork and execve, tied to us), with their
 * stderr quoted on failure (see spawn.h). */
#include "builder/core/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/cleanup.h"
#include "builder/core/err.h"

extern char **environ;

/* Reads both pipes until EOF, so neither tool output can block the other. */
static void drain(int outfd, int errfd, struct sbuf *out, struct sbuf *errbuf)
{
    struct pollfd pf[2] = {{outfd, POLLIN, 0}, {errfd, POLLIN, 0}};
    int open_fds = (outfd >= 0) + (errfd >= 0);
    if (outfd < 0)
        pf[0].fd = -1;
    char buf[65536];
    while (open_fds > 0) {
        if (poll(pf, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = read(pf[i].fd, buf, sizeof(buf));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                pf[i].fd = -1;
                open_fds--;
                continue;
            }
            struct sbuf *dst = i == 0 ? out : errbuf;
            if (i == 1 && errbuf->len > 16384)
                continue; /* keep the start; enough to explain a failure */
            sbuf_add(dst, buf, (size_t)n);
        }
    }
}

/* The Debian package of each tool jeos runs, for the message when one is not installed. */
static const char *const tool_packages[][2] = {
    {"mcopy", "mtools"},
    {"mmd", "mtools"},
    {"mkfs.fat", "dosfstools"},
    {"mkfs.ext4", "e2fsprogs"},
    {"qemu-img", "qemu-utils"},
    {"sqfstar", "squashfs-tools"},
    {"grub-mkimage", "grub-common"},
    {"dpkg-deb", "dpkg"},
    {"gpgv", "gpgv"},
    {"gcc", "gcc"},
    {"ld", "binutils"},
    {"nm", "binutils"},
    {"unshare", "util-linux"},
    {"sh", "dash"},
};

/* "TOOL: cannot run: WHY", or for a tool that is not there, which package brings it. */
static int cannot_run(const char *tool, int e, struct jeos_err *err)
{
    if (e != ENOENT)
        return jeos_errf(err, -e, "%s: cannot run: %s", tool, strerror(e));
    for (size_t i = 0; i < sizeof(tool_packages) / sizeof(tool_packages[0]); i++)
        if (strcmp(tool, tool_packages[i][0]) == 0)
            return jeos_errf(err, -ENOENT, "%s: not installed (Debian package %s; make deps)", tool,
                             tool_packages[i][1]);
    return jeos_errf(err, -ENOENT, "%s: not installed (not found in PATH)", tool);
}

char *jeos_find_exe(const char *argv0)
{
    if (strchr(argv0, '/'))
        return xstrdup(argv0);
    const char *path = getenv("PATH");
    for (const char *p = path && *path ? path : "/usr/bin:/bin"; *p;) {
        size_t l = strcspn(p, ":");
        char *cand = xasprintf("%.*s/%s", (int)l, l ? p : ".", argv0);
        if (access(cand, X_OK) == 0)
            return cand;
        free(cand);
        p += l + (p[l] == ':');
    }
    return NULL;
}

/*
 * Starts argv with stdin, stdout and stderr on `in`, `out` and `errfd` (-1: /dev/null), in
 * folder `dir` (NULL: ours), with environment `envp`. The tool starts with no signal blocked
 * and the stop signals at their default, whatever jeos does with them (cleanup.h), and dies
 * with the thread that started it (PR_SET_PDEATHSIG): a build killed even by SIGKILL leaves no
 * tool writing into its staging folder. Returns 0 (and *pid) or a positive errno; an exec
 * failure comes back through a pipe.
 */
static int start_tool(char *const argv[], char *const envp[], const char *dir, int in, int out,
                      int errfd, pid_t *pid)
{
    char *exe = jeos_find_exe(argv[0]);
    if (!exe)
        return ENOENT;
    int ep[2];
    if (pipe2(ep, O_CLOEXEC) < 0) {
        int e = errno;
        free(exe);
        return e;
    }
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        /* only async-signal-safe calls from here to exec */
        int e = 0;
        sigset_t none;
        sigemptyset(&none);
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        int fds[3] = {in, out, errfd};
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
            _exit(127);
        for (int i = 0; i < 3 && !e; i++) {
            int fd = fds[i] >= 0 ? fds[i] : open("/dev/null", i ? O_WRONLY : O_RDONLY);
            if (fd < 0 || dup2(fd, i) < 0)
                e = errno;
        }
        if (!e && dir && chdir(dir) < 0)
            e = errno;
        int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
        for (size_t i = 0; !e && i < sizeof(sigs) / sizeof(sigs[0]); i++)
            sigaction(sigs[i], &dfl, NULL);
        if (!e) {
            sigprocmask(SIG_SETMASK, &none, NULL);
            execve(exe, argv, envp);
            e = errno;
        }
        while (write(ep[1], &e, sizeof(e)) < 0 && errno == EINTR)
            ;
        _exit(127);
    }
    int e = c < 0 ? errno : 0;
    close(ep[1]);
    free(exe);
    if (c > 0) {
        ssize_t r;
        while ((r = read(ep[0], &e, sizeof(e))) < 0 && errno == EINTR)
            ;
        if (r != (ssize_t)sizeof(e))
            e = 0;
        if (e)
            while (waitpid(c, NULL, 0) < 0 && errno == EINTR)
                ;
    }
    close(ep[0]);
    if (!e)
        *pid = c;
    return e;
}

/* Waits for `pid` and turns a failure into one message quoting the tool's own words (trimmed to
   their last line of substance). */
static int wait_report(const char *name, pid_t pid, struct sbuf *errbuf, struct jeos_err *err)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            jeos_cleanup_drop_child(pid);
            return jeos_errf(err, -errno, "%s: waitpid: %s", name, strerror(errno));
        }
    jeos_cleanup_drop_child(pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    while (errbuf->len && (errbuf->s[errbuf->len - 1] == '\n' || errbuf->s[errbuf->len - 1] == ' '))
        errbuf->s[--errbuf->len] = '\0';
    const char *sep = errbuf->len ? ": " : "", *text = errbuf->len ? errbuf->s : "";
    if (WIFEXITED(status))
        return jeos_errf(err, -EIO, "%s failed (exit status %d)%s%s", name, WEXITSTATUS(status),
                         sep, text);
    return jeos_errf(err, -EIO, "%s killed by signal %d%s%s", name, WTERMSIG(status), sep, text);
}

int jeos_spawn(char *const argv[], struct sbuf *out, struct jeos_err *err)
{
    return jeos_spawn_env(NULL, argv, out, err);
}

/* Our environment with `vars` set over it (the array only is new; free it). */
static char **merged_env(char *const *vars)
{
    size_t n = 0, nv = 0;
    while (environ[n])
        n++;
    while (vars && vars[nv])
        nv++;
    char **env = xcalloc(n + nv + 1, sizeof(char *));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool replaced = false;
        for (size_t v = 0; v < nv && !replaced; v++) {
            size_t l = strcspn(vars[v], "=");
            replaced = strncmp(environ[i], vars[v], l + 1) == 0;
        }
        if (!replaced)
            env[k++] = environ[i];
    }
    for (size_t v = 0; v < nv; v++)
        env[k++] = vars[v];
    return env;
}

int jeos_spawn_env(const struct jeos_tool_env *t, char *const argv[], struct sbuf *out,
                   struct jeos_err *err)
{
    const char *dir = t ? t->dir : NULL;
    char **env = t && t->vars ? merged_env(t->vars) : NULL;
    int outp[2] = {-1, -1}, errp[2] = {-1, -1};
    int rc = 0;
    struct sbuf errbuf = {0};

    if ((out && pipe2(outp, O_CLOEXEC) < 0) || pipe2(errp, O_CLOEXEC) < 0) {
        rc = jeos_errf(err, -errno, "%s: pipe: %s", argv[0], strerror(errno));
        goto out;
    }
    pid_t pid;
    int e = start_tool(argv, env ? env : environ, dir, -1, out ? outp[1] : -1, errp[1], &pid);
    if (e != 0) {
        rc = cannot_run(argv[0], e, err);
        goto out;
    }
    jeos_cleanup_add_child(pid);
    if (out) {
        close(outp[1]);
        outp[1] = -1;
    }
    close(errp[1]);
    errp[1] = -1;
    struct sbuf dummy = {0};
    drain(out ? outp[0] : -1, errp[0], out ? out : &dummy, &errbuf);
    sbuf_free(&dummy);
    if (t && t->errout && errbuf.len)
        sbuf_add(t->errout, errbuf.s, errbuf.len);
    rc = wait_report(argv[0], pid, &errbuf, err);
out:
    free(env);
    for (int i = 0; i < 2; i++) {
        if (outp[i] >= 0)
            close(outp[i]);
        if (errp[i] >= 0)
            close(errp[i]);
    }
    sbuf_free(&errbuf);
    return rc;
}

static void child_clear(struct jeos_child *c)
{
    if (c->in >= 0)
        close(c->in);
    if (c->errfd >= 0)
        close(c->errfd);
    free(c->name);
    c->pid = -1;
    c->in = c->errfd = -1;
    c->name = NULL;
    c->errout = NULL;
}

static int child_start(char *const argv[], char *const envp[], const char *dir,
                       struct jeos_child *c, struct jeos_err *err);

int jeos_child_start(char *const argv[], char *const envp[], struct jeos_child *c,
                     struct jeos_err *err)
{
    return child_start(argv, envp, NULL, c, err);
}

int jeos_child_start_env(const struct jeos_tool_env *t, char *const argv[], struct jeos_child *c,
                         struct jeos_err *err)
{
    char **env = t && t->vars ? merged_env(t->vars) : NULL;
    int rc = child_start(argv, env, t ? t->dir : NULL, c, err);
    free(env);
    if (rc == 0 && t)
        c->errout = t->errout;
    return rc;
}

static int child_start(char *const argv[], char *const envp[], const char *dir,
                       struct jeos_child *c, struct jeos_err *err)
{
    *c = (struct jeos_child){.pid = -1, .in = -1, .errfd = -1, .name = xstrdup(argv[0])};
    int inp[2] = {-1, -1};
    /* stderr goes to an anonymous file, not a pipe: the caller is busy writing stdin and
       could not drain a pipe at the same time */
    c->errfd = memfd_create("jeos-stderr", MFD_CLOEXEC);
    if (c->errfd < 0 || pipe2(inp, O_CLOEXEC) < 0) {
        int rc = jeos_errf(err, -errno, "%s: %s", argv[0], strerror(errno));
        child_clear(c);
        return rc;
    }
    int e = start_tool(argv, envp ? envp : environ, dir, inp[0], -1, c->errfd, &c->pid);
    if (e == 0)
        jeos_cleanup_add_child(c->pid);
    close(inp[0]);
    c->in = inp[1];
    if (e != 0) {
        int rc = cannot_run(argv[0], e, err);
        child_clear(c);
        return rc;
    }
    return 0;
}

int jeos_child_finish(struct jeos_child *c, struct jeos_err *err)
{
    if (c->in >= 0) {
        close(c->in);
        c->in = -1;
    }
    struct sbuf errbuf = {0};
    char buf[4096];
    ssize_t n;
    /* the tool's end awaited (not reaped: wait_report does) before its stderr is read */
    siginfo_t si;
    while (waitid(P_PID, (id_t)c->pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
        ;
    for (off_t at = 0; errbuf.len < 16384 && (n = pread(c->errfd, buf, sizeof(buf), at)) > 0;
         at += n)
        sbuf_add(&errbuf, buf, (size_t)n);
    if (c->errout && errbuf.len)
        sbuf_add(c->errout, errbuf.s, errbuf.len);
    int rc = wait_report(c->name, c->pid, &errbuf, err);
    sbuf_free(&errbuf);
    child_clear(c);
    return rc;
}

void jeos_child_kill(struct jeos_child *c)
{
    if (c->pid > 0) {
        kill(c->pid, SIGTERM);
        while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        jeos_cleanup_drop_child(c->pid);
    }
    child_clear(c);
}
