/* cleanup.c — the stop-signal watcher and its registry of paths and children (see cleanup.h). */
#include "builder/core/cleanup.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/util.h"

/* Process-wide on purpose (cleanup.h): signals are. Guarded by `lock`. */
static struct {
    pthread_mutex_t lock;
    char **paths;
    size_t npaths;
    pid_t *kids;
    size_t nkids;
    bool started;
} reg = {.lock = PTHREAD_MUTEX_INITIALIZER};

void jeos_cleanup_add(const char *path)
{
    pthread_mutex_lock(&reg.lock);
    strv_add(&reg.paths, &reg.npaths, path);
    pthread_mutex_unlock(&reg.lock);
}

void jeos_cleanup_drop(const char *path)
{
    pthread_mutex_lock(&reg.lock);
    for (size_t i = 0; i < reg.npaths; i++)
        if (strcmp(reg.paths[i], path) == 0) {
            free(reg.paths[i]);
            reg.paths[i] = reg.paths[--reg.npaths];
            break;
        }
    pthread_mutex_unlock(&reg.lock);
}

void jeos_cleanup_add_child(pid_t pid)
{
    pthread_mutex_lock(&reg.lock);
    reg.kids = xrealloc(reg.kids, (reg.nkids + 1) * sizeof(*reg.kids));
    reg.kids[reg.nkids++] = pid;
    pthread_mutex_unlock(&reg.lock);
}

void jeos_cleanup_drop_child(pid_t pid)
{
    pthread_mutex_lock(&reg.lock);
    for (size_t i = 0; i < reg.nkids; i++)
        if (reg.kids[i] == pid) {
            reg.kids[i] = reg.kids[--reg.nkids];
            break;
        }
    pthread_mutex_unlock(&reg.lock);
}

static sigset_t stop_signals(void)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGINT);
    sigaddset(&s, SIGTERM);
    sigaddset(&s, SIGHUP);
    return s;
}

/* Whether child `pid` has ended (a zombie not yet reaped counts: it writes nothing more). */
static bool ended(pid_t pid)
{
    siginfo_t si = {0};
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
        return true; /* ECHILD: the build's own thread reaped it */
    return si.si_pid == pid;
}

/* Stop the registered tools and wait until they have: a tool still writing into a staging
   folder while it is removed makes the removal fail (ENOTEMPTY) and leaves it behind.
   SIGTERM first, SIGKILL after two seconds. */
static void stop_kids(void)
{
    for (size_t i = 0; i < reg.nkids; i++)
        kill(reg.kids[i], SIGTERM);
    for (int round = 0; round < 300; round++) {
        bool all = true;
        for (size_t i = 0; i < reg.nkids; i++)
            all &= ended(reg.kids[i]);
        if (all)
            return;
        if (round == 200)
            for (size_t i = 0; i < reg.nkids; i++)
                kill(reg.kids[i], SIGKILL);
        nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
    }
}

static void *watch(void *arg)
{
    (void)arg;
    sigset_t s = stop_signals();
    int sig = 0;
    while (sigwait(&s, &sig) != 0)
        ;
    pthread_mutex_lock(&reg.lock); /* held to the end: nothing registers or drops any more */
    stop_kids();
    const char *name = sigabbrev_np(sig);
    fprintf(stderr, "jeos: stopped by SIG%s\n", name ? name : "?");
    /* folders before the files registered after them (a staging folder before its owner
       file, which must outlive it); a folder that will not go keeps its owner file, so the
       next build removes both */
    bool kept = false;
    for (size_t i = 0; i < reg.npaths; i++) {
        struct stat st;
        bool dir = lstat(reg.paths[i], &st) == 0 && S_ISDIR(st.st_mode);
        size_t l = strlen(reg.paths[i]);
        if (!dir && kept && l > 6 && !strcmp(reg.paths[i] + l - 6, ".owner"))
            continue;
        int r = jeos_remove_tree(reg.paths[i]);
        /* a tool forked just before the signal, not registered yet, may still be writing */
        for (int t = 0; r != 0 && dir && t < 20; t++) {
            nanosleep(&(struct timespec){.tv_nsec = 50 * 1000 * 1000}, NULL);
            r = jeos_remove_tree(reg.paths[i]);
        }
        if (r == 0 && dir) /* temporary files go without a word */
            fprintf(stderr, "jeos: removed %s\n", reg.paths[i]);
        kept |= r != 0 && dir;
    }
    fflush(stderr);
    _exit(128 + sig);
    return NULL;
}

void jeos_cleanup_start(void)
{
    pthread_mutex_lock(&reg.lock);
    bool first = !reg.started;
    reg.started = true;
    pthread_mutex_unlock(&reg.lock);
    if (!first)
        return;
    sigset_t s = stop_signals();
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    pthread_t t;
    if (pthread_create(&t, NULL, watch, NULL) == 0)
        pthread_detach(t);
    else
        pthread_sigmask(SIG_UNBLOCK, &s, NULL); /* no watcher: stop as before */
}
