/* accounts.h — the image's users and groups while it is configured: base-passwd's masters, then
 * what packages and the recipe add or change; written out as /etc/passwd, group, shadow, gshadow.
 */
#ifndef JEOS_ACCOUNTS_H
#define JEOS_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "builder/core/alloc.h"
#include "builder/core/tree.h"
#include "builder/debian/deb.h"

struct jeos_err;

struct acct_user {
    char *name, *gecos, *home, *shell;
    uint32_t uid, gid;
    char *by; /* who asked for it: "base-passwd", "haproxy postinst", "web.yaml:7:5" */
};

struct acct_group {
    char *name;
    uint32_t gid;
    struct deb_strs members;
    char *by;
};

struct accounts {
    struct acct_user *pw;
    size_t npw;
    struct acct_group *gr;
    size_t ngr;
    struct sbuf *log; /* where each addition or change is described, one line each (borrowed) */
};

/*
 * Starts from base-passwd's masters: /usr/share/base-passwd/{passwd,group}.master when the tree
 * holds them, else the same built-in list. Lines describing what was done go to `log`.
 */
void acct_load(struct accounts *a, struct tree *t, struct sbuf *log);
void acct_free(struct accounts *a);

struct acct_user *acct_user(struct accounts *a, const char *name);
struct acct_group *acct_group(struct accounts *a, const char *name);
/* A user's uid, or a group's gid, from a name or a number; -ENOENT when unknown. */
int64_t acct_uid(struct accounts *a, const char *s);
int64_t acct_gid(struct accounts *a, const char *s);

/*
 * Adds group `name` unless it exists (then returns it): gid `gid`, or when -1 the first free one of
 * the system range (100-999) when `system`, else of 1000-59999. NULL with a message when no id is
 * free or the asked gid is taken.
 */
struct acct_group *acct_add_group(struct accounts *a, const char *name, int64_t gid, bool system,
                                  const char *by, struct jeos_err *err);

/* What acct_add_user makes. */
struct acct_spec {
    const char *name;
    int64_t uid;                   /* -1: the first free id of the range */
    const char *group;             /* primary group, a name or number; NULL: see usergroup */
    bool usergroup;                /* group NULL: a group named like the user (else nogroup) */
    const struct deb_strs *groups; /* supplementary groups, made when missing */
    const char *home;              /* NULL: /nonexistent */
    const char *shell;             /* NULL: /usr/sbin/nologin */
    const char *gecos;             /* NULL: the name */
    bool system;                   /* ids from 100-999, else from 1000-59999 */
};

/*
 * Adds the user unless it exists: returns 1 when it was added, 0 when it existed (unchanged), or a
 * negative errno with a message (`where` starts it) when an id is taken or none is free.
 */
int acct_add_user(struct accounts *a, const struct acct_spec *s, const char *by, const char *where,
                  struct jeos_err *err);

/* Adds user `user` to group `group` (no effect when it is a member already). */
void acct_add_member(struct accounts *a, struct acct_group *g, const char *user);

/* Writes /etc/passwd, /etc/group (0644), /etc/shadow and /etc/gshadow (0640 root:shadow). */
int acct_write(struct accounts *a, struct tree *t, int64_t epoch, struct jeos_err *err);

#endif
