/* init.h — runtime/init, the PID 1 of a jeos appliance: shared declarations of its parts. */
#ifndef JEOS_INIT_H
#define JEOS_INIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The configuration the builder writes to /etc/jeos/init.conf (format: runtime/init/README.md). */
#define INIT_CONF_PATH "/etc/jeos/init.conf"
/* In the initramfs only: kernel modules to load, one path per line, dependencies first. */
#define INIT_MODULES_PATH "/etc/jeos/modules"
/* Where services of type notify send READY=1 ($NOTIFY_SOCKET). */
#define INIT_NOTIFY_PATH "/run/jeos/notify"
/* The syslog socket: each line goes to the consoles with its service's name. */
#define INIT_SYSLOG_PATH "/dev/log"

#define INIT_MAX_ARGS     64
#define INIT_MAX_ENV      64
#define INIT_MAX_DNS      4
#define INIT_MAX_SERVICES 8
#define INIT_MAX_PRE      8  /* ExecStartPre, and ExecStartPost, per service */
#define INIT_MAX_DIRS     32 /* made at boot; and per service */
#define INIT_MAX_BOOT     8
#define INIT_MAX_GROUPS   16
#define INIT_MAX_ENVFILES 4
#define INIT_MAX_BINDS    8

enum init_net { INIT_NET_NONE, INIT_NET_DHCP, INIT_NET_STATIC };
enum init_restart { INIT_RESTART_ALWAYS, INIT_RESTART_ON_FAILURE, INIT_RESTART_NO };
enum init_type { INIT_SIMPLE, INIT_EXEC, INIT_FORKING, INIT_NOTIFY, INIT_ONESHOT };
enum init_ready {
    INIT_READY_AUTO,    /* by the type: notify READY=1; forking, oneshot: the start's exit; else
                           the first listening socket */
    INIT_READY_STARTED, /* when started */
    INIT_READY_LISTEN,  /* its first listening socket */
    INIT_READY_NOTIFY,  /* READY=1 */
    INIT_READY_PORT,    /* TCP port ready_port listening */
};

/* Command flags (systemd's prefixes). */
#define INIT_CMD_IGNORE 1u /* '-': a failure does not stop the start */
#define INIT_CMD_ROOT   2u /* '+': as root, whatever the service's user */
#define INIT_CMD_EXPAND 4u /* '$': $VAR and ${VAR} from the service's environment */

struct init_cmd {
    char *argv[INIT_MAX_ARGS + 1]; /* argv[0]: the program (absolute); NULL-terminated */
    int argc;
    unsigned flags;
    char *unless; /* skipped when this path exists; NULL */
};

/* A folder, empty file or link init makes. */
struct init_dir {
    char kind;    /* 'd', 'f', 'L' */
    int mode;     /* -1: left as it is (0755/0644 when made) */
    char *user;   /* NULL: left as it is (root when made) */
    char *group;  /* NULL: left as it is */
    char *path;   /* absolute */
    char *target; /* 'L' */
};

struct init_svc {
    char name[64];
    enum init_type type;
    struct init_cmd pre[INIT_MAX_PRE], start, post[INIT_MAX_PRE];
    int npre, npost;
    char user[64];  /* "" = root */
    char group[64]; /* "" = the user's primary group */
    char *groups[INIT_MAX_GROUPS];
    int ngroups;
    char workdir[256]; /* a leading '-': ignored when missing */
    char *env[INIT_MAX_ENV + 1];
    int nenv;
    char *envfiles[INIT_MAX_ENVFILES]; /* a leading '-': may be missing */
    int nenvfiles;
    int umask; /* -1: 022 */
    char nofile[32];
    char pidfile[256];
    struct init_dir dirs[INIT_MAX_DIRS];
    int ndirs;
    char *binds[INIT_MAX_BINDS]; /* "SRC:DST" ("-SRC": may be missing) */
    bool bind_ro[INIT_MAX_BINDS];
    int nbinds;
    enum init_restart restart;
    enum init_ready ready;
    int ready_port;
    int after[INIT_MAX_SERVICES]; /* services (indexes in init_conf.svc) started first: this one
                                     begins once each is ready, or has ended for good */
    int nafter;
};

enum init_cloud { INIT_CLOUD_NONE, INIT_CLOUD_NOCLOUD };

struct init_conf {
    char hostname[65];
    enum init_cloud cloud;   /* where instance metadata comes from (cloud.c) */
    char cloud_ssh_user[64]; /* the user whose authorized_keys get the metadata's keys; "": none */
    enum init_net net;
    char address[16]; /* static: dotted quad */
    int prefix;       /* static: 0-32 */
    char gateway[16]; /* static: "" when none */
    char dns[INIT_MAX_DNS][16];
    int ndns;
    struct init_dir dirs[INIT_MAX_DIRS]; /* made at boot */
    int ndirs;
    struct init_cmd boot[INIT_MAX_BOOT]; /* run once at boot, before the services */
    int nboot;
    struct init_svc svc[INIT_MAX_SERVICES];
    int nsvc;
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

/* ---- services (service.c) ---- */

enum svc_state {
    SVC_IDLE,    /* not started yet, or waiting for its restart */
    SVC_PRE,     /* an ExecStartPre runs (child) */
    SVC_START,   /* forking/oneshot: the start command runs (child) */
    SVC_POST,    /* an ExecStartPost runs (child); the main process too */
    SVC_RUNNING, /* the main process runs */
    SVC_DONE,    /* ended, not restarted */
};

struct svc {
    const struct init_svc *c;
    enum svc_state state;
    int step;       /* the pre/post command running */
    pid_t child;    /* that command (or the forking/oneshot start), 0 when none */
    pid_t main;     /* the main process, 0 when none */
    int out, out_w; /* its output pipe (init keeps both ends: never at end of file) */
    bool bound;     /* its bind mounts are done */
    bool ready;     /* said ready since its last start */
    bool failed;    /* the last run failed */
    long long started_ms, restart_at_ms;
    int backoff_s;
    int runs;
    bool begun;                        /* started once (a service waits for those it is after) */
    char *envp[INIT_MAX_ENV * 2 + 16]; /* the environment of this start (owned) */
    int nenvp;
};

/* Sets up s for c (the pipe). Returns 0 or -1 after logging why. */
int svc_init(struct svc *s, const struct init_svc *c);
/* Begins a start: folders, bind mounts, environment, then the first command. */
void svc_begin(struct svc *s, int notify_fd);
/* A child of init ended: the service it belongs to goes on (or ends, or waits for its restart).
   Returns true when `pid` was one of this service's. */
bool svc_reaped(struct svc *s, pid_t pid, int status, int notify_fd);
/* Restarts due now. */
void svc_tick(struct svc *s, int notify_fd);
/* Relays what the service wrote to the consoles (everything there is, now). */
void svc_drain(struct svc *s);
/* Marks the service ready (logging `how`); the caller prints "jeos: ready" when all are. */
void svc_set_ready(struct svc *s, const char *how);
/* After READY=1: the ExecStartPost commands that waited for it. */
void svc_continue(struct svc *s, int notify_fd);
/* Is `pid` one of the service's processes (the main one, a command, or a descendant)? */
bool svc_owns(const struct svc *s, pid_t pid);
/* Services waiting for a listening socket or a port: checks them (ready.c). */
void ready_check(struct svc *v, int n);
/* Does any service wait for a listening socket? */
bool ready_pending(const struct svc *v, int n);

/* ---- boot (boot.c) ---- */

/* The boot-time folders, /etc/machine-id when missing, the first-boot commands. */
void boot_prepare(const struct init_conf *c);
/* Makes one folder/file/link as `d` says; logs a failure. */
void boot_make(const struct init_dir *d, const char *who);

/* ---- syslog and notify (syslog.c) ---- */

/* The /dev/log receiver; -1 when it cannot be made (logged). */
int syslog_open(void);
/* Prints what arrived on it, each line with the name of the service that sent it. */
void syslog_drain(int fd, struct svc *v, int n);
/* The $NOTIFY_SOCKET receiver; -1 when it cannot be made. */
int notify_open(void);
/* READY=1 and MAINPID= from the services. */
void notify_drain(int fd, struct svc *v, int n);

/* ---- cloud metadata (cloud.c) ---- */

/* The NoCloud seed: a FAT volume labelled CIDATA (any case) on a whole disk or partition, its
   root folder's meta-data and user-data. What they say that init uses. */
#define CLOUD_MAX_KEYS 16
struct cloud_meta {
    char hostname[65];          /* "" when none (or invalid: `why` says) */
    char *keys[CLOUD_MAX_KEYS]; /* ssh_authorized_keys / public-keys lines (owned) */
    int nkeys;
    char why[160]; /* the first thing ignored, for the log; "" */
};
/* Finds `name` in the root folder of the FAT12/16/32 volume `img` (`len` bytes): its bytes into a
   malloc'd buffer (*out, NUL-terminated, *outlen; at most 64 KiB). Returns 0, -1 when the file is
   not there, -2 when the volume is malformed (`why` says where). */
int cloud_fat_read(const unsigned char *img, size_t len, const char *name, char **out,
                   size_t *outlen, char *why, size_t whysz);
/* Is `img` (its first 512 bytes at least) a FAT boot sector labelled CIDATA? */
bool cloud_is_seed(const unsigned char *img, size_t len);
/* Reads meta-data (local-hostname) and user-data (#cloud-config: hostname, ssh_authorized_keys)
   into `m`, which the caller zeroes and frees with cloud_meta_free. */
void cloud_parse(const char *meta, const char *user, struct cloud_meta *m);
void cloud_meta_free(struct cloud_meta *m);
/* At boot, before the hostname is set: with `cloud nocloud`, looks for the seed (up to 3 s while
   disks appear), sets c->hostname from it and installs the keys for c->cloud_ssh_user. Logs what
   it did; never fails the boot. */
void cloud_apply(struct init_conf *c);

/* ---- power (power.c) ---- */
#define MAX_BUTTONS 4
/* Opens up to MAX_BUTTONS input devices that report KEY_POWER; returns how many. */
int open_power_buttons(int *fds);
/* Stops the services (SIGTERM, 10 s, SIGKILL) and everything else, unmounts, then
   reboot(cmd): RB_POWER_OFF or RB_AUTOBOOT. Does not return. */
void shutdown_and_off(struct svc *v, int n, int sfd, int syslog_fd, int cmd)
    __attribute__((noreturn));

/* ---- networking (net.c). Each returns 0 or -1 after logging why. ---- */
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
