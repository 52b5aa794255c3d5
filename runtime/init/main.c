/* main.c — jeos PID 1: early mounts, the initramfs stage, then hostname, network, the service, the
 * main loop. */
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

/* ---- helpers ---- */

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
        /* what systemd's tmpfiles.d/legacy.conf makes: /var/lock links here (apache2ctl's
           mktemp -d /var/lock/apache2.XXXXXXXXXX) */
        if (mkdir("/run/lock", 01777) == 0)
            chmod("/run/lock", 01777);
    }
    if (stat("/tmp", &st) == 0 && access("/tmp", W_OK) != 0)
        mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
}

/* ---- main ---- */

static void initramfs_stage(void)
{
    char partuuid[64] = "", fstype[32] = "ext4", data[64] = "", dev[128], ddev[128];
    root_modules_read(INIT_MODULES_PATH);
    cmdline_get("rootfstype", fstype, sizeof(fstype));
    char fsalias[48];
    snprintf(fsalias, sizeof(fsalias), "fs-%s", fstype);
    root_modules_want(fsalias);
    if (strcmp(fstype, "squashfs") == 0)
        root_modules_want("fs-overlay");
    if (cmdline_get("jeos.data", data, sizeof(data)) == 0)
        root_modules_want("fs-ext4");
    int n = root_modules_coldplug();
    init_log("%d kernel modules loaded", n);
    if (cmdline_get("root", partuuid, sizeof(partuuid)) != 0 ||
        strncmp(partuuid, "PARTUUID=", 9) != 0) {
        init_log("no root=PARTUUID=... on the kernel command line; halting");
        for (;;)
            pause();
    }
    if (root_find_partuuid(partuuid + 9, dev, sizeof(dev), 15000) != 0) {
        init_log("root partition %s not found; halting", partuuid);
        for (;;)
            pause();
    }
    const char *data_dev = NULL;
    if (data[0] && !strncmp(data, "PARTUUID=", 9)) {
        if (root_find_partuuid(data + 9, ddev, sizeof(ddev), 5000) == 0)
            data_dev = ddev;
        else
            init_log("data partition %s not found; using memory", data);
    }
    n = root_modules_coldplug(); /* what appeared meanwhile (NICs behind a bus driver) */
    if (n)
        init_log("%d more kernel modules loaded", n);
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
        return 0; /* infinite (or unknown): nothing to renew */
    return init_now_ms() + (long long)l->lease_secs * 500; /* T1: half the lease */
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
            ns->renew_at = init_now_ms() + 60000;
    } else {
        init_log("dhcp: %s: no answer to the renewal; trying again in 60 s", ns->ifname);
        ns->renew_at = init_now_ms() + 60000;
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

/* Prints "jeos: ready" once, when every service that is to run is ready. */
static void check_all_ready(const struct svc *v, int n, bool *said)
{
    if (*said)
        return;
    for (int i = 0; i < n; i++)
        if (!v[i].ready && v[i].state != SVC_DONE)
            return;
    for (int i = 0; i < n; i++)
        if (!v[i].ready)
            return; /* ended before it was ready: not a ready appliance */
    struct timespec up;
    clock_gettime(CLOCK_BOOTTIME, &up);
    init_log("up %ld.%02ld s after the kernel started", (long)up.tv_sec,
             (long)(up.tv_nsec / 10000000));
    init_log("ready");
    *said = true;
}

/* Begins each service not begun yet whose `after` services are ready, or have ended for good (not
   to be restarted), or could not be set up. `of` maps the configuration's services to v. */
static void start_due(struct svc *v, int n, const int *of, int notify_fd)
{
    for (int i = 0; i < n; i++) {
        if (v[i].begun)
            continue;
        bool wait = false;
        for (int k = 0; k < v[i].c->nafter && !wait; k++) {
            int j = of[v[i].c->after[k]];
            const struct svc *d = j >= 0 ? &v[j] : NULL;
            wait = d && !d->ready && !(d->begun && d->state == SVC_IDLE && !d->restart_at_ms);
        }
        if (!wait) {
            v[i].begun = true;
            svc_begin(&v[i], notify_fd);
        }
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

    static struct init_conf c;
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
    if (c.cloud != INIT_CLOUD_NONE)
        cloud_apply(&c);
    if (sethostname(c.hostname, strlen(c.hostname)) < 0)
        init_log("hostname %s: %s", c.hostname, strerror(errno));
    int syslog_fd = syslog_open();
    int notify_fd = notify_open();
    boot_prepare(&c);
    struct netstate ns = {.renew_at = 0};
    setup_network(&c, &ns);

    int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    int buttons[MAX_BUTTONS];
    int nbuttons = open_power_buttons(buttons);
    static struct svc v[INIT_MAX_SERVICES];
    int n = 0, of[INIT_MAX_SERVICES];
    for (int i = 0; i < c.nsvc; i++) {
        of[i] = -1;
        if (svc_init(&v[n], &c.svc[i]) == 0)
            of[i] = n++;
    }
    for (int i = 0; i < n; i++)
        for (int k = 0; k < v[i].c->nafter; k++)
            init_log("service %s starts after %s", v[i].c->name, c.svc[v[i].c->after[k]].name);
    start_due(v, n, of, notify_fd);
    bool said_ready = false;
    check_all_ready(v, n, &said_ready);

    for (;;) {
        struct pollfd p[4 + MAX_BUTTONS + INIT_MAX_SERVICES];
        int np = 0;
        p[np++] = (struct pollfd){.fd = sfd, .events = POLLIN};
        p[np++] = (struct pollfd){.fd = syslog_fd, .events = POLLIN};
        p[np++] = (struct pollfd){.fd = notify_fd, .events = POLLIN};
        int first_button = np;
        for (int i = 0; i < nbuttons; i++)
            p[np++] = (struct pollfd){.fd = buttons[i], .events = POLLIN};
        for (int i = 0; i < n; i++)
            p[np++] = (struct pollfd){.fd = v[i].out, .events = POLLIN};
        long long next = 0;
        for (int i = 0; i < n; i++)
            if (v[i].state == SVC_IDLE && v[i].restart_at_ms &&
                (!next || v[i].restart_at_ms < next))
                next = v[i].restart_at_ms;
        if (ns.renew_at && (!next || ns.renew_at < next))
            next = ns.renew_at;
        int timeout = -1;
        if (next) {
            long long left = next - init_now_ms();
            timeout = left > 0 ? (left > 3600000 ? 3600000 : (int)left) : 0;
        }
        if (ready_pending(v, n) && (timeout < 0 || timeout > 100))
            timeout = 100; /* look for the first listening socket */
        poll(p, (nfds_t)np, timeout);

        /* What the services said first, then what became of them. */
        syslog_drain(syslog_fd, v, n);
        for (int i = 0; i < n; i++)
            svc_drain(&v[i]);
        notify_drain(notify_fd, v, n);
        for (int i = 0; i < nbuttons; i++) {
            if (!p[first_button + i].revents)
                continue;
            struct init_input_event ev;
            while (read(buttons[i], &ev, sizeof(ev)) == (ssize_t)sizeof(ev))
                if (ev.type == INIT_EV_KEY && ev.code == INIT_KEY_POWER && ev.value == 1) {
                    init_log("power button pressed");
                    shutdown_and_off(v, n, sfd, syslog_fd, RB_POWER_OFF);
                }
        }
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
            if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGPWR || si.ssi_signo == SIGUSR2)
                shutdown_and_off(v, n, sfd, syslog_fd, RB_POWER_OFF);
            if (si.ssi_signo == SIGINT || si.ssi_signo == SIGUSR1)
                shutdown_and_off(v, n, sfd, syslog_fd, RB_AUTOBOOT);
        }
        /* Reap everything (orphans land here too); the services go on from their ends. */
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
            for (int i = 0; i < n; i++)
                if (svc_reaped(&v[i], pid, status, notify_fd))
                    break;
        ready_check(v, n);
        if (ns.renew_at && init_now_ms() >= ns.renew_at)
            dhcp_renew(&ns);
        for (int i = 0; i < n; i++)
            svc_tick(&v[i], notify_fd);
        start_due(v, n, of, notify_fd);
        check_all_ready(v, n, &said_ready);
    }
}
