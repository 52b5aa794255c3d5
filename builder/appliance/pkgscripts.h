/* pkgscripts.h — what the packages' maintainer scripts would have done, done on the tree from what
 * they say (read by maint.c, never run): users and groups, default configuration copies, folders,
 * owners and modes, links, alternatives, PAM's common files. */
#ifndef JEOS_PKGSCRIPTS_H
#define JEOS_PKGSCRIPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "builder/appliance/accounts.h"
#include "builder/appliance/init_conf.h"
#include "builder/core/alloc.h"
#include "builder/core/tree.h"
#include "builder/debian/deb.h"

struct jeos_err;

struct pkgscripts {
    struct tree *t;
    struct accounts *a;
    struct svc_plan *plan; /* what is under /run goes here, made by init at boot */
    int64_t epoch;
    struct sbuf *log;          /* one line per thing done */
    struct deb_strs *warnings; /* borrowed */
};

/*
 * Reads each package's preinst and postinst, in the order given (dependencies first), and does
 * what these commands would have done on a fresh install:
 *   adduser / addgroup / useradd / groupadd / usermod -aG / gpasswd -a   users, groups, members
 *                                          (and a system user's home unless --no-create-home);
 *   cp SRC DST, ucf [options] SRC DST      a copy of a default file, when DST is absent (a copy
 *                                          into a $(mktemp) name is followed to its ucf);
 *   mkdir [-p] [-m MODE], touch            folders and empty files, when absent;
 *   chown, chgrp, chmod [-R], dpkg-statoverride --add     owners and modes of what exists;
 *   ln -s TARGET LINK                       a link, when LINK is absent;
 *   update-alternatives --install ...       the highest priority whose path exists wins;
 *   pam-auth-update                         /etc/pam.d/common-* from /usr/share/pam's templates
 *                                          and the /usr/share/pam-configs profiles enabled by
 *                                          default, as pam-auth-update writes them.
 * Paths under /run (and /var/run) go to ps->plan as folders init makes at boot. Everything else is
 * passed over. Returns 0 or a negative errno with a message.
 */
int pkgscripts_apply(struct pkgscripts *ps, const struct deb_info *pkgs, size_t npkgs,
                     struct jeos_err *err);

/* The mode `spec` (octal, or symbolic like u+x,go-w) gives to one of mode `old`; -1 when it is
 * not one. */
int pkgscripts_mode(const char *spec, int old, bool dir);

/* When `path` is under /run or /var/run (a tmpfs at boot): its /run/... spelling (the caller
 * frees it); else NULL. */
char *pkgscripts_run_path(const char *path);

#endif
