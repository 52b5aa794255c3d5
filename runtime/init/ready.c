/* ready.c — when a service is ready without telling: its first listening socket (TCP or a Unix
 * stream socket), or a TCP port listening, read from /proc. */
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/init/init.h"

#define MAX_SOCKS 256

struct lsock {
    unsigned long inode;
    int port; /* TCP; 0 for a Unix socket */
    char what[300];
};

static bool waits(const struct svc *s)
{
    if (s->ready || !s->main || (s->state != SVC_POST && s->state != SVC_RUNNING))
        return false;
    enum init_ready r = s->c->ready;
    return r == INIT_READY_LISTEN || r == INIT_READY_PORT ||
           (r == INIT_READY_AUTO && (s->c->type == INIT_SIMPLE || s->c->type == INIT_EXEC));
}

bool ready_pending(const struct svc *v, int n)
{
    for (int i = 0; i < n; i++)
        if (waits(&v[i]))
            return true;
    return false;
}

/* Listening TCP sockets of /proc/net/tcp or tcp6. */
static int read_tcp(const char *path, bool v6, struct lsock *out, int n)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return n;
    char line[512];
    if (!fgets(line, sizeof(line), f)) {
        fclose(f);
        return n;
    }
    while (n < MAX_SOCKS && fgets(line, sizeof(line), f)) {
        char local[64];
        unsigned port, st;
        unsigned long inode;
        /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
        if (sscanf(line, " %*d: %63[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %*d %*d %lu", local, &port,
                   &st, &inode) != 4 ||
            st != 0x0A)
            continue;
        out[n].inode = inode;
        out[n].port = (int)port;
        if (!v6) {
            unsigned a = (unsigned)strtoul(local, NULL, 16);
            snprintf(out[n].what, sizeof(out[n].what), "tcp %u.%u.%u.%u:%u", a & 255,
                     (a >> 8) & 255, (a >> 16) & 255, a >> 24, port);
        } else {
            bool any = strspn(local, "0") == strlen(local);
            snprintf(out[n].what, sizeof(out[n].what), "tcp6 [%s]:%u", any ? "::" : "...", port);
        }
        n++;
    }
    fclose(f);
    return n;
}

/* Listening Unix stream sockets of /proc/net/unix. */
static int read_unix(struct lsock *out, int n)
{
    FILE *f = fopen("/proc/net/unix", "re");
    if (!f)
        return n;
    char line[512];
    if (!fgets(line, sizeof(line), f)) {
        fclose(f);
        return n;
    }
    while (n < MAX_SOCKS && fgets(line, sizeof(line), f)) {
        unsigned long flags, inode;
        unsigned type, st;
        char path[256] = "";
        int k = sscanf(line, "%*s %*s %*s %lx %x %x %lu %255s", &flags, &type, &st, &inode, path);
        if (k < 4 || !(flags & 0x10000) || type != 1 || !path[0] ||
            strcmp(path, INIT_SYSLOG_PATH) == 0)
            continue;
        out[n].inode = inode;
        out[n].port = 0;
        snprintf(out[n].what, sizeof(out[n].what), "unix %s", path);
        n++;
    }
    fclose(f);
    return n;
}

static void user_of(pid_t pid, char *name, size_t n)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    snprintf(name, n, "?");
    FILE *f = fopen(path, "re");
    while (f && fgets(line, sizeof(line), f)) {
        unsigned uid;
        if (sscanf(line, "Uid: %u", &uid) == 1) {
            struct passwd *pw = getpwuid(uid);
            if (pw)
                snprintf(name, n, "%s", pw->pw_name);
            else
                snprintf(name, n, "%u", uid);
            break;
        }
    }
    if (f)
        fclose(f);
}

void ready_check(struct svc *v, int n)
{
    if (!ready_pending(v, n))
        return;
    struct lsock *socks = calloc(MAX_SOCKS, sizeof(*socks));
    if (!socks)
        return;
    int ns = read_tcp("/proc/net/tcp", false, socks, 0);
    ns = read_tcp("/proc/net/tcp6", true, socks, ns);
    int ntcp = ns;
    ns = read_unix(socks, ns);
    for (int i = 0; i < n; i++) {
        if (!waits(&v[i]) || v[i].c->ready != INIT_READY_PORT)
            continue;
        for (int k = 0; k < ntcp; k++)
            if (socks[k].port == v[i].c->ready_port) {
                char how[400];
                snprintf(how, sizeof(how), "port %d listening (%s)", v[i].c->ready_port,
                         socks[k].what);
                svc_set_ready(&v[i], how);
                break;
            }
    }
    /* who holds each socket: /proc/PID/fd links "socket:[INODE]" */
    DIR *proc = ns ? opendir("/proc") : NULL;
    struct dirent *e;
    while (proc && (e = readdir(proc)) && ready_pending(v, n)) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 1)
            continue;
        int owner = -1;
        for (int i = 0; i < n && owner < 0; i++)
            if (waits(&v[i]) && v[i].c->ready != INIT_READY_PORT && svc_owns(&v[i], (pid_t)pid))
                owner = i;
        if (owner < 0)
            continue;
        char dpath[64];
        snprintf(dpath, sizeof(dpath), "/proc/%ld/fd", pid);
        DIR *fds = opendir(dpath);
        struct dirent *fe;
        while (fds && (fe = readdir(fds))) {
            char lp[400], target[64];
            snprintf(lp, sizeof(lp), "%s/%s", dpath, fe->d_name);
            ssize_t len = readlink(lp, target, sizeof(target) - 1);
            if (len <= 0)
                continue;
            target[len] = '\0';
            unsigned long ino;
            if (sscanf(target, "socket:[%lu]", &ino) != 1)
                continue;
            for (int k = 0; k < ns; k++) {
                if (socks[k].inode != ino)
                    continue;
                char user[64], how[420];
                user_of((pid_t)pid, user, sizeof(user));
                snprintf(how, sizeof(how), "listening on %s (pid %ld, user %s)", socks[k].what, pid,
                         user);
                svc_set_ready(&v[owner], how);
                break;
            }
            if (v[owner].ready)
                break;
        }
        if (fds)
            closedir(fds);
    }
    if (proc)
        closedir(proc);
    free(socks);
}
