/* sdconf.h — systemd's declarative files the packages ship, done on the tree: sysusers.d (users and
 * groups) and tmpfiles.d (folders, files, links; those under /run go to jeos init). */
#ifndef JEOS_SDCONF_H
#define JEOS_SDCONF_H

#include <stdbool.h>
#include <stdint.h>

#include "builder/appliance/accounts.h"
#include "builder/appliance/init_conf.h"
#include "builder/core/alloc.h"
#include "builder/core/tree.h"
#include "builder/debian/deb.h"

struct jeos_err;

/*
 * Splits a systemd configuration value into words: white space separates them, "..." and '...'
 * group them, a backslash escapes the next character (\n \t \\ and the quotes are known). Appends
 * the words to `out`; returns false (out partly filled) on an unterminated quote.
 */
bool sdconf_split(const char *s, struct deb_strs *out);

/*
 * The files of a .d folder pair: NAME.conf from /etc/DIR wins over /usr/lib/DIR (and /lib/DIR); a
 * /etc one linked to /dev/null masks it. Appends the paths to `out`, sorted by file name.
 */
void sdconf_files(struct tree *t, const char *dir, struct deb_strs *out);

/*
 * sysusers.d: "u NAME ID GECOS HOME SHELL" (ID "-", "N" or "N:GROUP"; a group of the same name
 * unless GROUP is given), "g NAME ID", "m USER GROUP"; other lines are passed over. Returns 0 or a
 * negative errno with a message naming the file and line.
 */
int sdconf_sysusers(struct tree *t, struct accounts *a, struct deb_strs *warnings,
                    struct jeos_err *err);

/*
 * tmpfiles.d: d D v q Q (folders), f f+ F (files, with their argument as content), L L+ (links),
 * C (copies), z Z (modes and owners of what exists), with the %t %S %C %L %T %V %E %h %%
 * specifiers. Entries under /run (and /var/run) go to plan->dirs, made by init at each boot; the
 * others are made in the tree now. What cannot be done (devices, fifos, removals, an unknown user)
 * is passed over with a line in `log`. Returns 0 or a negative errno with a message.
 */
int sdconf_tmpfiles(struct tree *t, struct accounts *a, struct svc_plan *plan, int64_t epoch,
                    struct sbuf *log, struct jeos_err *err);

#endif
