/* main.c — jeos PID 1: early mounts, initramfs stage, then hostname, network, the service, reaping,
 * power-off. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runtime/init/init.h"
#include "runtime/init/kernel.h"
#include "runtime/init/root.h"

/* ---- console ---- */

#define MAX_CONSOLES 4
static int consoles[MAX_CONSOLES];
static int nconsoles;

void init_console_open(void)
{
    for (int i = 0; i < nconsoles; i++)
        close(consoles[i]);
    nconsoles = 0;
    char active[128] = "";
    int fd = open("/sys/class/tty/console/active", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, active, sizeof(active) - 1);
        active[n > 0 ? n : 0] = 0;
        close(fd);
    }
    for (char *tok = strtok(active, " \n"); tok && nconsoles < MAX_CONSOLES;
         tok = strtok(NULL, " \n")) {
        char path[64];
        snprintf(path, sizeof(path), "/dev/%s", tok);
        int c = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
        if (c >= 0)
            consoles[nconsoles++] = c;
    }
    if (nconsoles == 0) {
        int c = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
        consoles[nconsoles++] = c >= 0 ? c : 2;
    }
}

void init_console_write(const char *buf, size_t len)
{
    for (int i = 0; i < nconsoles; i++) {
        size_t off = 0;
        while (off < len) {
            ssize_t n = write(consoles[i], buf + off, len - off);
            if (n < 0 && errno == EAGAIN) {
                struct pollfd p = {.fd = consoles[i], .events = POLLOUT};
                poll(&p, 1, 100);
                continue;
            }
            if (n <= 0)
                break;
            off += (size_t)n;
        }
    }
}

void init_log(const char *fmt, ...)
{
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "jeos: ");
    va_list ap;
    va_start(ap, fmt);
    n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 2)
        n = (int)sizeof(buf) - 2;
    buf[n++] = '\n';
    init_console_write(buf, (size_t)n);
}

/* ---- helpers ---- */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void early_mounts(void)
{
    mkdir("/proc", 0555);
    mkdir("/sys", 0555);
    mkdir("/dev", 0755);
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
}

/* Value of `key=` on the kernel command line into buf; 0 when found. */
static int cmdline_get(const char *key, char *buf, size_t n)
{
    char cl[4096];
    int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t got = read(fd, cl, sizeof(cl) - 1);
    close(fd);
    if (got <= 0)
        return -1;
    cl[got] = 0;
    size_t kl = strlen(key);
    for (char *tok = strtok(cl, " \n"); tok; tok = strtok(NULL, " \n"))
        if (strncmp(tok, key, kl) == 0 && tok[kl] == '=') {
            snprintf(buf, n, "%s", tok + kl + 1);
            return 0;
        }
    return -1;
}

static void later_mounts(void)
{
    mkdir("/dev/pts", 0755);
    mkdir("/dev/shm", 01777);
    mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=620,ptmxmode=666");
    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    struct stat st;
    if (stat("/run", &st) == 0) {
        /* /run is a tmpfs already when the initramfs stage ran; else mount one. */
        FILE *f = fopen("/proc/self/mounts", "re");
        char line[512];
        int have = 0;
        while (f && fgets(line, sizeof(line), f))
            if (strstr(line, " /run tmpfs "))
                have = 1;
        if (f)
            fclose(f);
        if (!have)
            mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
    }
    if (stat("/tmp", &st) == 0 && access("/tmp", W_OK) != 0)
        mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
}

/* ---- power button: /dev/input/event* devices that have INIT_KEY_POWER ---- */

#define MAX_BUTTONS 4
static int open_power_buttons(int *fds)
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

/* ---- the service ---- */

struct svc {
    pid_t pid;
    int out; /* read end of its stdout/stderr pipe, -1 when none */
    long long started_ms, restart_at_ms;
    int backoff_s;
    int runs;
};

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

static pid_t svc_start(const struct init_conf *c, struct svc *s)
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
    s->started_ms = now_ms();
    s->runs++;
    init_log("service %s started (pid %d)", c->service, (int)pid);
    return pid;
}

/* ---- shutdown ---- */

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

static void reap_all(struct svc *s)
{
    int status;
    pid_t p;
    while ((p = waitpid(-1, &status, WNOHANG)) > 0)
        if (p == s->pid)
            s->pid = 0;
}

/* Copies what the service wrote to the consoles; closes the pipe at its end. */
static void svc_drain(struct svc *s)
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

static void shutdown_and_off(const struct init_conf *c, struct svc *s, int sfd, int cmd)
{
    init_log("shutting down");
    if (s->pid > 0) {
        init_log("stopping service %s (pid %d)", c->service, (int)s->pid);
        kill(-s->pid, SIGTERM);
        kill(s->pid, SIGTERM);
        long long until = now_ms() + 10000;
        while (s->pid > 0 && now_ms() < until) {
            struct pollfd p[2] = {{.fd = sfd, .events = POLLIN}, {.fd = s->out, .events = POLLIN}};
            poll(p, 2, 100);
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof(si)) == sizeof(si))
                ;
            if (p[1].revents)
                svc_drain(s);
            reap_all(s);
        }
        /* what it said on its way out (a second at most: a stray child may hold the pipe) */
        long long drain_until = now_ms() + 1000;
        while (s->out >= 0 && now_ms() < drain_until) {
            struct pollfd p = {.fd = s->out, .events = POLLIN};
            if (poll(&p, 1, 100) > 0)
                svc_drain(s);
        }
        if (s->pid > 0) {
            init_log("service %s did not stop in 10 s; killing it", c->service);
            kill(-s->pid, SIGKILL);
            kill(s->pid, SIGKILL);
        }
    }
    kill(-1, SIGTERM);
    struct timespec t = {0, 200 * 1000 * 1000};
    nanosleep(&t, NULL);
    kill(-1, SIGKILL);
    reap_all(s);
    sync();
    unmount_all();
    init_log(cmd == RB_AUTOBOOT ? "rebooting" : "powering off");
    reboot(cmd);
    for (;;)
        pause();
}

/* ---- main ---- */

static void initramfs_stage(void)
{
    char partuuid[64] = "", fstype[32] = "ext4", data[64] = "", dev[128], ddev[128];
    int n = root_load_modules(INIT_MODULES_PATH);
    init_log("%d kernel modules loaded", n);
    if (cmdline_get("root", partuuid, sizeof(partuuid)) != 0 ||
        strncmp(partuuid, "PARTUUID=", 9) != 0) {
        init_log("no root=PARTUUID=... on the kernel command line; halting");
        for (;;)
            pause();
    }
    cmdline_get("rootfstype", fstype, sizeof(fstype));
    if (root_find_partuuid(partuuid + 9, dev, sizeof(dev), 15000) != 0) {
        init_log("root partition %s not found; halting", partuuid);
        for (;;)
            pause();
    }
    const char *data_dev = NULL;
    if (cmdline_get("jeos.data", data, sizeof(data)) == 0 && !strncmp(data, "PARTUUID=", 9)) {
        if (root_find_partuuid(data + 9, ddev, sizeof(ddev), 5000) == 0)
            data_dev = ddev;
        else
            init_log("data partition %s not found; using memory", data);
    }
    if (root_mount_and_switch(dev, fstype, data_dev) != 0) {
        init_log("cannot mount the root filesystem; halting");
        for (;;)
            pause();
    }
}

/* The DHCP lease being kept, and when to renew it (0: never). */
struct netstate {
    char ifname[16];
    struct dhcp_lease lease;
    long long renew_at;
};

static long long renew_time(const struct dhcp_lease *l)
{
    if (l->lease_secs == 0 || l->lease_secs == 0xffffffffu)
        return 0;                                     /* infinite (or unknown): nothing to renew */
    return now_ms() + (long long)l->lease_secs * 500; /* T1: half the lease */
}

static void dhcp_renew(struct netstate *ns)
{
    int rc = net_dhcp_renew(ns->ifname, &ns->lease, 5000);
    if (rc == 0) {
        init_log("dhcp: %s: lease renewed (%u s)", ns->ifname, ns->lease.lease_secs);
        ns->renew_at = renew_time(&ns->lease);
    } else if (rc == -2) {
        init_log("dhcp: %s: lease refused; asking again", ns->ifname);
        if (net_dhcp(ns->ifname, &ns->lease, 20000) == 0 &&
            net_apply_lease(ns->ifname, &ns->lease) == 0)
            ns->renew_at = renew_time(&ns->lease);
        else
            ns->renew_at = now_ms() + 60000;
    } else {
        init_log("dhcp: %s: no answer to the renewal; trying again in 60 s", ns->ifname);
        ns->renew_at = now_ms() + 60000;
    }
}

static void setup_network(const struct init_conf *c, struct netstate *ns)
{
    net_loopback_up();
    if (c->net == INIT_NET_NONE)
        return;
    char ifname[16];
    if (net_first_ether(ifname) != 0) {
        init_log("network: no Ethernet interface");
        return;
    }
    char dns[INIT_MAX_DNS][16];
    int ndns = 0;
    for (int i = 0; i < c->ndns; i++)
        strcpy(dns[ndns++], c->dns[i]);
    if (c->net == INIT_NET_STATIC) {
        if (net_static(ifname, c->address, c->prefix, c->gateway) == 0)
            init_log("network %s %s/%d%s%s", ifname, c->address, c->prefix,
                     c->gateway[0] ? " via " : "", c->gateway);
    } else {
        struct dhcp_lease l;
        if (net_dhcp(ifname, &l, 20000) == 0 && net_apply_lease(ifname, &l) == 0) {
            strcpy(ns->ifname, ifname);
            ns->lease = l;
            ns->renew_at = renew_time(&l);
            char ip[16], gw[16];
            inet_ntop(AF_INET, &l.ip, ip, sizeof(ip));
            inet_ntop(AF_INET, &l.router, gw, sizeof(gw));
            int prefix = __builtin_popcount(l.mask);
            init_log("network %s %s/%d via %s (dhcp, lease %u s)", ifname, ip, prefix, gw,
                     l.lease_secs);
            for (int i = 0; i < l.ndns && ndns < INIT_MAX_DNS && c->ndns == 0; i++)
                inet_ntop(AF_INET, &l.dns[i], dns[ndns++], 16);
        }
    }
    if (ndns) {
        int fd = open("/etc/resolv.conf", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        for (int i = 0; fd >= 0 && i < ndns; i++)
            dprintf(fd, "nameserver %s\n", dns[i]);
        if (fd >= 0)
            close(fd);
    }
}

int main(void)
{
    if (getpid() != 1) {
        fprintf(stderr, "jeos-init: must run as PID 1\n");
        return 1;
    }
    sigset_t mask;
    sigfillset(&mask);
    sigprocmask(SIG_SETMASK, &mask, NULL);
    reboot(RB_DISABLE_CAD); /* Ctrl-Alt-Del becomes SIGINT to us */
    umask(022);
    early_mounts();
    init_console_open();

    if (access(INIT_MODULES_PATH, F_OK) == 0) {
        initramfs_stage();
        init_console_open();
    }
    later_mounts();

    struct init_conf c;
    char msg[256];
    char *text = NULL;
    size_t len = 0;
    FILE *f = fopen(INIT_CONF_PATH, "re");
    if (f) {
        text = malloc(65536);
        len = text ? fread(text, 1, 65535, f) : 0;
        fclose(f);
    }
    int have_conf = text && init_conf_parse(text, len, &c, msg, sizeof(msg)) == 0;
    free(text);
    if (!have_conf) {
        init_log("%s", f ? msg : INIT_CONF_PATH ": missing; nothing to start");
        memset(&c, 0, sizeof(c));
        strcpy(c.hostname, "jeos");
    }
    if (sethostname(c.hostname, strlen(c.hostname)) < 0)
        init_log("hostname %s: %s", c.hostname, strerror(errno));
    struct netstate ns = {.renew_at = 0};
    setup_network(&c, &ns);

    int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    int buttons[MAX_BUTTONS];
    int nbuttons = open_power_buttons(buttons);
    struct svc s = {.pid = 0, .out = -1, .backoff_s = 1};
    if (c.service[0])
        svc_start(&c, &s);
    struct timespec up;
    clock_gettime(CLOCK_BOOTTIME, &up);
    init_log("up %ld.%02ld s after the kernel started", (long)up.tv_sec,
             (long)(up.tv_nsec / 10000000));
    init_log("ready");

    for (;;) {
        struct pollfd p[2 + MAX_BUTTONS];
        int np = 0;
        p[np++] = (struct pollfd){.fd = sfd, .events = POLLIN};
        p[np++] = (struct pollfd){.fd = s.out, .events = POLLIN};
        for (int i = 0; i < nbuttons; i++)
            p[np++] = (struct pollfd){.fd = buttons[i], .events = POLLIN};
        long long next = 0;
        if (!s.pid && s.restart_at_ms)
            next = s.restart_at_ms;
        if (ns.renew_at && (!next || ns.renew_at < next))
            next = ns.renew_at;
        int timeout = -1;
        if (next) {
            long long left = next - now_ms();
            timeout = left > 0 ? (left > 3600000 ? 3600000 : (int)left) : 0;
        }
        poll(p, (nfds_t)np, timeout);

        if (p[1].revents)
            svc_drain(&s);
        for (int i = 0; i < nbuttons; i++) {
            if (!p[2 + i].revents)
                continue;
            struct init_input_event ev;
            while (read(buttons[i], &ev, sizeof(ev)) == (ssize_t)sizeof(ev))
                if (ev.type == INIT_EV_KEY && ev.code == INIT_KEY_POWER && ev.value == 1) {
                    init_log("power button pressed");
                    shutdown_and_off(&c, &s, sfd, RB_POWER_OFF);
                }
        }
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
            if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGPWR || si.ssi_signo == SIGUSR2)
                shutdown_and_off(&c, &s, sfd, RB_POWER_OFF);
            if (si.ssi_signo == SIGINT || si.ssi_signo == SIGUSR1)
                shutdown_and_off(&c, &s, sfd, RB_AUTOBOOT);
        }
        /* Reap everything; notice when the service ends. */
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid != s.pid)
                continue;
            s.pid = 0;
            int failed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
            char how[64];
            if (WIFEXITED(status))
                snprintf(how, sizeof(how), "exited with status %d", WEXITSTATUS(status));
            else
                snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(status));
            if (c.restart == INIT_RESTART_NO || (c.restart == INIT_RESTART_ON_FAILURE && !failed)) {
                init_log("service %s %s; not restarting", c.service, how);
                continue;
            }
            /* Backoff doubles up to 30 s and starts over after a run of 10 s or more. */
            if (now_ms() - s.started_ms >= 10000)
                s.backoff_s = 1;
            init_log("service %s %s; restarting in %d s", c.service, how, s.backoff_s);
            s.restart_at_ms = now_ms() + s.backoff_s * 1000LL;
            s.backoff_s = s.backoff_s >= 16 ? 30 : s.backoff_s * 2;
        }
        if (ns.renew_at && now_ms() >= ns.renew_at)
            dhcp_renew(&ns);
        if (!s.pid && s.restart_at_ms && now_ms() >= s.restart_at_ms) {
            s.restart_at_ms = 0;
            if (s.out >= 0) {
                close(s.out);
                s.out = -1;
            }
            if (svc_start(&c, &s) < 0)
                s.restart_at_ms = now_ms() + 30000LL;
        }
    }
}
