/* sysconf.h — what maintainer scripts would have done, done on the tree: users, dirs, alternatives,
 * identity. */
#ifndef JEOS_SYSCONF_H
#define JEOS_SYSCONF_H

#include <stddef.h>
#include <stdint.h>

#include "builder/core/alloc.h"
#include "builder/debian/deb.h"
#include "builder/core/tree.h"

struct recipe;
struct jeos_err;

/* What sysconf_apply did, for the build report. Free with sysconf_report_free. */
struct sysconf_report {
    struct sbuf actions;     /* one line per action ("user www-data uid 33 (base-passwd)") */
    struct deb_strs skipped; /* "nginx-common: postinst postrm" — scripts not run */
    struct deb_strs warnings;
};
void sysconf_report_free(struct sysconf_report *r);

/*
 * Applies system configuration to `t`, in this order:
 *  1. base folders (/dev /proc /sys /run /tmp 1777 /var/tmp 1777 /root 0700 ...);
 *  2. /etc/passwd, /etc/group, /etc/shadow (0640 root:shadow), /etc/gshadow from
 *     base-passwd's masters (from the tree when base-passwd is installed, else the
 *     same built-in list), then r->users (uid -1: system ids from 100 up), then the service's
 *     user and group when missing (system ids from 100 up);
 *  3. what known packages' postinst scripts create (nginx-common: /var/log/nginx
 *     root:adm, its log files www-data:adm 0640, the default site link, index page);
 *  4. update-alternatives links registered by the packages' postinst scripts
 *     (plain `update-alternatives --install LINK NAME PATH PRIO [--slave ...]`
 *     lines; the highest priority whose PATH exists wins);
 *  5. /etc/hostname, /etc/hosts, /etc/os-release (r->name, version, description);
 *  6. r->files overlays (content by reference to the recipe's folder, with
 *     mode/owner/group resolved against the passwd/group just written).
 * The dynamic linker needs no cache here: Debian's ld.so searches the multiarch
 * folders itself; folders only named in /etc/ld.so.conf.d become warnings.
 * `pkgs` are the installed packages (for their scripts). New entries get mtime
 * `epoch`. Returns 0 or a negative errno with a message naming the recipe field.
 */
int sysconf_apply(struct tree *t, const struct recipe *r, const struct deb_info *pkgs, size_t npkgs,
                  int64_t epoch, struct sysconf_report *rep, struct jeos_err *err);

#endif
