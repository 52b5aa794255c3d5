/* power.c — power-off and reboot: the ACPI power button, stopping the service, a clean unmount. */
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
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
#include "runtime/init/kernel.h"

/* The /dev/input/event* devices that have INIT_KEY_POWER. */
int open_power_buttons(int *fds)
{
    int n = 0;
    DIR *d = opendir("/dev/input");
    struct dirent *e;
    while (d && (e = readdir(d)) && n < MAX_BUTTONS) {
        if (strncmp(e->d_name, "event", 5) != 0)
            continue;
        char path[300];
        snprintf(path, sizeof(path), "/dev/input/%s", e->d_name);
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue;
        unsigned long bits[INIT_KEY_MAX / (8 * sizeof(long)) + 1];
        memset(bits, 0, sizeof(bits));
        if (ioctl(fd, INIT_EVIOCGBIT(INIT_EV_KEY, sizeof(bits)), bits) >= 0 &&
            (bits[INIT_KEY_POWER / (8 * sizeof(long))] >> (INIT_KEY_POWER % (8 * sizeof(long)))) &
                1)
            fds[n++] = fd;
        else
            close(fd);
    }
    if (d)
        closedir(d);
    return n;
}

static void unmount_all(void)
{
    char *mps[64];
    int n = 0;
    FILE *f = fopen("/proc/self/mounts", "re");
    char line[1024];
    while (f && fgets(line, sizeof(line), f) && n < 64) {
        char dev[256], mp[512], type[64];
        if (sscanf(line, "%255s %511s %63s", dev, mp, type) == 3)
            mps[n++] = strdup(mp);
    }
    if (f)
        fclose(f);
    int failed = 0;
    for (int i = n - 1; i >= 0; i--) {
        const char *mp = mps[i];
        if (!strcmp(mp, "/") || !strcmp(mp, "/proc") || !strcmp(mp, "/sys") ||
            !strcmp(mp, "/dev") || !strcmp(mp, "/run/jeos/rw") || !strcmp(mp, "/run/jeos/lower") ||
            !strcmp(mp, "/run"))
            continue;
        if (umount2(mp, 0) < 0 && errno != EINVAL && errno != ENOENT) {
            if (mount(NULL, mp, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0) {
                init_log("unmount %s: %s", mp, strerror(errno));
                failed++;
            }
        }
    }
    for (int i = 0; i < n; i++)
        free(mps[i]);
    sync();
    /* The root (ext4, or the overlay) and a data partition under it: read-only is clean. */
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0 && errno != EINVAL) {
        init_log("remount / read-only: %s", strerror(errno));
        failed++;
    }
    struct stat st;
    if (stat("/run/jeos/rw", &st) == 0 &&
        mount(NULL, "/run/jeos/rw", NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0 && errno != EINVAL) {
        init_log("remount data read-only: %s", strerror(errno));
        failed++;
    }
    sync();
    if (!failed)
        init_log("filesystems unmounted cleanly");
}

static bool any_main(const struct svc *v, int n)
{
    for (int i = 0; i < n; i++)
        if (v[i].main > 0)
            return true;
    return false;
}

static void reap_all(struct svc *v, int n)
{
    int status;
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0)
        for (int i = 0; i < n; i++) {
            if (p == v[i].main)
                v[i].main = 0;
            if (p == v[i].child)
                v[i].child = 0;
        }
}

static void drain_all(struct svc *v, int n, int syslog_fd)
{
    syslog_drain(syslog_fd, v, n);
    for (int i = 0; i < n; i++)
        svc_drain(&v[i]);
}

void shutdown_and_off(struct svc *v, int n, int sfd, int syslog_fd, int cmd)
{
    init_log("shutting down");
    for (int i = 0; i < n; i++) {
        pid_t pids[2] = {v[i].main, v[i].child};
        for (int k = 0; k < 2; k++)
            if (pids[k] > 0) {
                if (k == 0)
                    init_log("stopping service %s (pid %d)", v[i].c->name, (int)pids[k]);
                kill(-pids[k], SIGTERM);
                kill(pids[k], SIGTERM);
            }
    }
    long long until = init_now_ms() + 10000;
    while (any_main(v, n) && init_now_ms() < until) {
        struct pollfd p[2 + INIT_MAX_SERVICES];
        int np = 0;
        p[np++] = (struct pollfd){.fd = sfd, .events = POLLIN};
        p[np++] = (struct pollfd){.fd = syslog_fd, .events = POLLIN};
        for (int i = 0; i < n; i++)
            p[np++] = (struct pollfd){.fd = v[i].out, .events = POLLIN};
        poll(p, (nfds_t)np, 100);
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof(si)) == sizeof(si))
            ;
        drain_all(v, n, syslog_fd);
        reap_all(v, n);
    }
    /* what they said on their way out */
    drain_all(v, n, syslog_fd);
    for (int i = 0; i < n; i++)
        if (v[i].main > 0) {
            init_log("service %s did not stop in 10 s; killing it", v[i].c->name);
            kill(-v[i].main, SIGKILL);
            kill(v[i].main, SIGKILL);
        }
    kill(-1, SIGTERM);
    struct timespec t = {0, 200 * 1000 * 1000};
    nanosleep(&t, NULL);
    kill(-1, SIGKILL);
    reap_all(v, n);
    drain_all(v, n, syslog_fd);
    sync();
    unmount_all();
    init_log(cmd == RB_AUTOBOOT ? "rebooting" : "powering off");
    reboot(cmd);
    for (;;)
        pause();
}
