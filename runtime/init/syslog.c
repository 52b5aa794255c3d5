/* syslog.c — the two sockets services talk to init on: /dev/log (syslog lines, put on the console
 * with the sending service's name) and $NOTIFY_SOCKET (sd_notify's READY=1 and MAINPID=). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "runtime/init/init.h"

static int dgram_at(const char *path, mode_t mode)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        init_log("%s: socket: %s", path, strerror(errno));
        return -1;
    }
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
    unlink(path);
    int one = 1;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0) {
        init_log("%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    chmod(path, mode);
    return fd;
}

int syslog_open(void)
{
    return dgram_at(INIT_SYSLOG_PATH, 0666);
}

int notify_open(void)
{
    mkdir("/run/jeos", 0755);
    return dgram_at(INIT_NOTIFY_PATH, 0777);
}

/* One datagram and its sender's pid (0 when not known); -1 when none is left. */
static ssize_t recv_one(int fd, char *buf, size_t n, pid_t *pid)
{
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(struct ucred))];
    } ctl;
    struct iovec iov = {buf, n - 1};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl, .msg_controllen = sizeof(ctl)};
    ssize_t len = recvmsg(fd, &m, MSG_DONTWAIT);
    if (len < 0)
        return -1;
    buf[len] = '\0';
    *pid = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred cr;
            memcpy(&cr, CMSG_DATA(c), sizeof(cr));
            *pid = cr.pid;
        }
    return len;
}

static struct svc *owner(struct svc *v, int n, pid_t pid)
{
    for (int i = 0; pid > 0 && i < n; i++)
        if (svc_owns(&v[i], pid))
            return &v[i];
    return NULL;
}

void syslog_drain(int fd, struct svc *v, int n)
{
    char buf[2048];
    pid_t pid;
    for (int k = 0; fd >= 0 && k < 256; k++) {
        ssize_t len = recv_one(fd, buf, sizeof(buf), &pid);
        if (len < 0)
            return;
        char *m = buf;
        /* <PRI>, then an RFC 3164 time stamp ("Oct 17 17:17:00 ") when there is one */
        if (*m == '<') {
            char *e = strchr(m, '>');
            if (e && e - m <= 4)
                m = e + 1;
        }
        if (strlen(m) > 16 && m[3] == ' ' && m[6] == ' ' && m[9] == ':' && m[12] == ':' &&
            m[15] == ' ')
            m += 16;
        size_t l = strlen(m);
        while (l && (m[l - 1] == '\n' || m[l - 1] == '\r' || m[l - 1] == '\0'))
            m[--l] = '\0';
        struct svc *s = owner(v, n, pid);
        char line[2200];
        int o = snprintf(line, sizeof(line), "%s: %s\n", s ? s->c->name : "syslog", m);
        if (o > (int)sizeof(line) - 1)
            o = (int)sizeof(line) - 1;
        init_console_write(line, (size_t)o);
    }
}

void notify_drain(int fd, struct svc *v, int n)
{
    char buf[1024];
    pid_t pid;
    for (int k = 0; fd >= 0 && k < 64; k++) {
        if (recv_one(fd, buf, sizeof(buf), &pid) < 0)
            return;
        struct svc *s = owner(v, n, pid);
        if (!s) { /* one service waits for READY=1: it is that one */
            for (int i = 0; i < n; i++)
                if (!v[i].ready &&
                    (v[i].c->type == INIT_NOTIFY || v[i].c->ready == INIT_READY_NOTIFY))
                    s = s ? s : &v[i];
        }
        if (!s)
            continue;
        char *save = NULL;
        bool ready = false;
        for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
            int mp;
            if (strcmp(l, "READY=1") == 0)
                ready = true;
            else if (sscanf(l, "MAINPID=%d", &mp) == 1 && mp > 1)
                s->main = mp;
        }
        if (ready && s->c->ready != INIT_READY_LISTEN && s->c->ready != INIT_READY_PORT) {
            svc_set_ready(s, "READY=1 (sd_notify)");
            svc_continue(s, fd);
        }
    }
}
