/* init.h — runtime/init, the PID 1 of a jeos appliance: shared declarations of its parts. */
#ifndef JEOS_INIT_H
#define JEOS_INIT_H

#include <stdbool.h>
#include <stddef.h>

/* The configuration the builder writes to /etc/jeos/init.conf (format: runtime/init/README.md). */
#define INIT_CONF_PATH "/etc/jeos/init.conf"
/* In the initramfs only: kernel modules to load, one path per line, dependencies first. */
#define INIT_MODULES_PATH "/etc/jeos/modules"

#define INIT_MAX_ARGS 64
#define INIT_MAX_ENV  64
#define INIT_MAX_DNS  4

enum init_net { INIT_NET_NONE, INIT_NET_DHCP, INIT_NET_STATIC };
enum init_restart { INIT_RESTART_ALWAYS, INIT_RESTART_ON_FAILURE, INIT_RESTART_NO };

struct init_conf {
    char hostname[65];
    enum init_net net;
    char address[16]; /* static: dotted quad */
    int prefix;       /* static: 0-32 */
    char gateway[16]; /* static: "" when none */
    char dns[INIT_MAX_DNS][16];
    int ndns;
    char service[64];              /* name used in messages; "" = no service */
    char *argv[INIT_MAX_ARGS + 1]; /* argv[0] = exec path; NULL-terminated */
    int argc;
    char user[64];  /* "" = root */
    char group[64]; /* "" = the user's primary group */
    char workdir[256];
    char *env[INIT_MAX_ENV + 1];
    int nenv;
    enum init_restart restart;
};

/*
 * Parses init.conf text (`len` bytes) into `c`, which owns copies of the strings
 * (free with init_conf_free). On a bad line returns -1 and writes
 * "init.conf:LINE: what" into `msg`.
 */
int init_conf_parse(const char *text, size_t len, struct init_conf *c, char *msg, size_t msgsz);
void init_conf_free(struct init_conf *c);

/* Console output: every line goes to each active console (tty0 and ttyS0 both see it). */
void init_console_open(void);
void init_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void init_console_write(const char *buf, size_t len);
/* CLOCK_MONOTONIC in milliseconds. */
long long init_now_ms(void);

/* The service (service.c). */
#include <sys/types.h>
struct svc {
    pid_t pid;
    int out; /* read end of its stdout/stderr pipe, -1 when none */
    long long started_ms, restart_at_ms;
    int backoff_s;
    int runs;
};
/* Starts the configured service; logs "service NAME started (pid N)". Returns its pid or -1. */
pid_t svc_start(const struct init_conf *c, struct svc *s);
/* Relays what the service wrote to the consoles; closes the pipe at its end. */
void svc_drain(struct svc *s);

/* Power (power.c). */
#define MAX_BUTTONS 4
/* Opens up to MAX_BUTTONS input devices that report KEY_POWER; returns how many. */
int open_power_buttons(int *fds);
/* Stops the service (SIGTERM, 10 s, SIGKILL) and everything else, unmounts, then
   reboot(cmd): RB_POWER_OFF or RB_AUTOBOOT. Does not return. */
void shutdown_and_off(const struct init_conf *c, struct svc *s, int sfd, int cmd)
    __attribute__((noreturn));

/* Networking (net.c). Each returns 0 or -1 after logging why. */
int net_loopback_up(void);
/* Picks the first Ethernet interface (name into `ifname`, 16 bytes); -1 when none. */
int net_first_ether(char *ifname);
int net_static(const char *ifname, const char *addr, int prefix, const char *gw);
/* DHCPv4 DISCOVER/OFFER/REQUEST/ACK over a packet socket; fills in the lease. */
struct dhcp_lease {
    unsigned ip, mask, router, server; /* network byte order */
    unsigned dns[INIT_MAX_DNS];
    int ndns;
    unsigned lease_secs;
};
int net_dhcp(const char *ifname, struct dhcp_lease *lease, int timeout_ms);
int net_apply_lease(const char *ifname, const struct dhcp_lease *lease);
/* Renews `lease` (REQUEST from its address, broadcast); on ACK updates it and returns 0,
   -2 on NAK (the address is gone: start over with net_dhcp), -1 when nobody answered. */
int net_dhcp_renew(const char *ifname, struct dhcp_lease *lease, int timeout_ms);

#endif
