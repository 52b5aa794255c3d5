/* spawn.c — external tools through posix_spawn, with their stderr quoted on failure (see spawn.h).
 */
#include "builder/core/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <spawn.h>
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

/* Tools start with no signal blocked and the default actions for the stop signals, whatever
   jeos itself does with them (cleanup.h). */
static void tool_attr(posix_spawnattr_t *at)
{
    sigset_t none, stop;
    sigemptyset(&none);
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    sigaddset(&stop, SIGPIPE);
    posix_spawnattr_init(at);
    posix_spawnattr_setsigmask(at, &none);
    posix_spawnattr_setsigdefault(at, &stop);
    posix_spawnattr_setflags(at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
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
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    struct sbuf errbuf = {0};

    if ((out && pipe2(outp, O_CLOEXEC) < 0) || pipe2(errp, O_CLOEXEC) < 0) {
        rc = jeos_errf(err, -errno, "%s: pipe: %s", argv[0], strerror(errno));
        goto out;
    }
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (out)
        posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
    else
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
    if (dir)
        posix_spawn_file_actions_addchdir_np(&fa, dir);

    pid_t pid;
    posix_spawnattr_t at;
    tool_attr(&at);
    int e = posix_spawnp(&pid, argv[0], &fa, &at, argv, env ? env : environ);
    posix_spawnattr_destroy(&at);
    if (e != 0) {
        rc = jeos_errf(err, -e, "%s: cannot run: %s", argv[0], strerror(e));
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
    rc = wait_report(argv[0], pid, &errbuf, err);
out:
    free(env);
    posix_spawn_file_actions_destroy(&fa);
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
}

int jeos_child_start(char *const argv[], char *const envp[], struct jeos_child *c,
                     struct jeos_err *err)
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
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, inp[0], 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, c->errfd, 2);
    posix_spawnattr_t at;
    tool_attr(&at);
    int e = posix_spawnp(&c->pid, argv[0], &fa, &at, argv, envp ? envp : environ);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    if (e == 0)
        jeos_cleanup_add_child(c->pid);
    close(inp[0]);
    c->in = inp[1];
    if (e != 0) {
        int rc = jeos_errf(err, -e, "%s: cannot run: %s", argv[0], strerror(e));
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
    for (off_t at = 0; errbuf.len < 16384 && (n = pread(c->errfd, buf, sizeof(buf), at)) > 0;
         at += n)
        sbuf_add(&errbuf, buf, (size_t)n);
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
