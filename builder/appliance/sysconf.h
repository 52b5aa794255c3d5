/* sysconf.h — what maintainer scripts and systemd would have done, done on the tree: users,
 * folders, the packages' own scripts read statically, sysusers.d, tmpfiles.d, units, identity,
 * overlays. */
#ifndef JEOS_SYSCONF_H
#define JEOS_SYSCONF_H

#include <stddef.h>
#include <stdint.h>

#include "builder/appliance/init_conf.h"
#include "builder/core/alloc.h"
#include "builder/core/tree.h"
#include "builder/debian/deb.h"

struct recipe;
struct jeos_err;

/* What sysconf_apply did, for the build report and init. Free with sysconf_report_free. */
struct sysconf_report {
    struct sbuf actions;     /* one line per action ("user www-data uid 33 (base-passwd)") */
    struct deb_strs skipped; /* "nginx-common: postinst postrm" — scripts present, never run */
    struct deb_strs warnings;
    struct svc_plan plan; /* what jeos init does at boot and runs (init_conf.h) */
};
void sysconf_report_free(struct sysconf_report *r);

/*
 * Applies system configuration to `t`, in this order:
 *  1. base folders (/dev /proc /sys /run /tmp 1777 /var/tmp 1777 /root 0700 ...) and the
 *     /var/run -> /run, /var/lock -> /run/lock links;
 *  2. users and groups: base-passwd's masters (from the tree when base-passwd is installed, else
 *     the same built-in list), then sysusers.d, then what the packages' preinst and postinst
 *     scripts ask for (pkgscripts.h: adduser and the like, default configuration copies, folders,
 *     owners, links, alternatives, PAM's common files, first-boot secrets), then r->users (added,
 *     or an existing user changed — said in the report — and home folders made);
 *  3. tmpfiles.d (the /run part is made by init at boot);
 *  4. the services (units.h): rep->plan; a service user the image lacks is an error for a unit,
 *     and for the recipe's exec a warning and a system user of that name;
 *  5. /etc/passwd, group, shadow, gshadow;
 *  6. /etc/hostname, /etc/hosts, /etc/os-release (r->name, version, description);
 *  7. r->files overlays (content by reference to the recipe's folder; owner, group and mode apply
 *     to what is copied and to the folders the entry makes, the destination folder included) and
 *     r->folders.
 * The dynamic linker needs no cache here: Debian's ld.so searches the multiarch folders itself;
 * folders only named in /etc/ld.so.conf.d become warnings. `pkgs` are the installed packages, in
 * the order installed. New entries get mtime `epoch`. Returns 0 or a negative errno with a message
 * naming the recipe field, unit or file.
 */
int sysconf_apply(struct tree *t, const struct recipe *r, const struct deb_info *pkgs, size_t npkgs,
                  int64_t epoch, struct sysconf_report *rep, struct jeos_err *err);

#endif
