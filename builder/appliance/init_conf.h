/* init_conf.h — the builder side of /etc/jeos/init.conf: what jeos init does at boot and the
 * services it runs (from the recipe's exec or the packages' systemd units), written for
 * runtime/init. */
#ifndef JEOS_INIT_CONF_H
#define JEOS_INIT_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "builder/debian/deb.h"
#include "builder/recipe/recipe.h"

struct sbuf;
struct jeos_err;

/* Where the file goes in the image. */
#define JEOS_INIT_CONF_PATH "/etc/jeos/init.conf"

/* A command jeos init runs. */
struct svc_cmd {
    struct deb_strs argv; /* argv.v[0]: the program, an absolute path */
    bool ignore_failure;  /* systemd's '-': a failure does not stop the start */
    bool privileged;      /* '+': as root, whatever the service's user */
    bool expand;          /* $VAR / ${VAR} taken from the service's environment at start */
    char *unless;         /* skipped when this path exists (a first-boot secret); NULL */
};

/* Something init makes: at boot (tmpfiles.d entries under /run), or before each start of a service
 * (RuntimeDirectory=, the mkdir/chown an ExecStartPre would run). */
struct svc_dir {
    char kind;          /* 'd' folder, 'f' empty file, 'L' symlink */
    char *path;         /* absolute */
    int mode;           /* -1: left as it is (0755 or 0644 when made) */
    char *user, *group; /* NULL: left as they are (root when made) */
    char *target;       /* 'L' */
};

enum svc_type { SVC_SIMPLE, SVC_EXEC, SVC_FORKING, SVC_NOTIFY, SVC_ONESHOT };

/* One service. Strings are owned by the spec. */
struct svc_spec {
    char *name; /* in messages */
    char *unit; /* the unit file it was read from; NULL for the recipe's exec */
    char *pkg;  /* the package shipping that unit */
    enum svc_type type;
    struct svc_cmd *pre, start, *post;
    size_t npre, npost;
    char *user, *group; /* NULL: root / the user's primary group */
    struct deb_strs groups;
    char *workdir;            /* NULL: "/"; a leading '-': ignored when missing */
    struct deb_strs env;      /* NAME=value, in order */
    struct deb_strs envfiles; /* paths read at each start; a leading '-': may be missing */
    int umask;                /* -1: 022 */
    char *nofile;             /* RLIMIT_NOFILE: "N", "SOFT:HARD" or "infinity"; NULL */
    char *pidfile;            /* forking: where the main process's pid is */
    enum recipe_restart restart;
    enum recipe_ready ready;
    int ready_port;
    struct svc_dir *dirs; /* made before each start */
    size_t ndirs;
    struct deb_strs binds;   /* "SRC:DST" bind mounts, "-" first: skipped when SRC is missing */
    struct deb_strs robinds; /* the same, read-only */
    struct deb_strs notes;   /* what the unit says that jeos does not do, for the report */
    struct recipe_pos where; /* the recipe's service: (exec) */
    /* ordering: the unit's After= and Before= names as read (units.c); then `after`, the names
       of the plan's services this one starts after (each earlier in the plan) */
    struct deb_strs unit_after, unit_before, after;
};

/* Everything init.conf says beyond the network. */
struct svc_plan {
    struct svc_spec *v;
    size_t n;
    struct svc_dir *dirs; /* made at boot */
    size_t ndirs;
    struct svc_cmd *boot; /* run once at boot, as root, before the services */
    size_t nboot;
};

void svc_cmd_free(struct svc_cmd *c);
void svc_dir_free(struct svc_dir *d);
void svc_spec_free(struct svc_spec *s);
void svc_plan_free(struct svc_plan *p);
/* A new spec at the end of p->v (zeroed but for umask -1), returned. */
struct svc_spec *svc_plan_add(struct svc_plan *p);
/* Appends a dir entry (strings copied) to the array *v of *n. */
void svc_dir_add(struct svc_dir **v, size_t *n, char kind, const char *path, int mode,
                 const char *user, const char *group, const char *target);

/*
 * Appends init.conf to `out` (format: runtime/init/README.md): hostname and network (dhcp /
 * static / none, dns) from `r`, then the plan: boot-time folders and commands, and each service
 * (its commands with their flags, user, group, groups, workdir, environment — the recipe's env
 * first —, environment files, umask, open-file limit, pid file, folders, bind mounts, restart
 * policy, readiness). Returns 0, or -EINVAL with a message naming the recipe field (or the unit)
 * when a value cannot be written (a line break in it, or a relative program path).
 */
int jeos_init_conf_write(const struct recipe *r, const struct svc_plan *p, struct sbuf *out,
                         struct jeos_err *err);

#endif
