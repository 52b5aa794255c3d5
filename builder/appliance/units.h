/* units.h — systemd without systemd: the service units the packages ship, read from the tree and
 * turned into what jeos init runs (struct svc_spec), or the recipe's own exec. */
#ifndef JEOS_UNITS_H
#define JEOS_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "builder/appliance/accounts.h"
#include "builder/appliance/init_conf.h"
#include "builder/core/alloc.h"
#include "builder/core/tree.h"
#include "builder/debian/deb.h"

struct recipe;
struct jeos_err;

/* Where units are looked for, first match wins (the /etc one overrides the package's). */
extern const char *const units_dirs[];

struct units_ctx {
    struct tree *t;
    struct accounts *a; /* DynamicUser= users are added here */
    const struct deb_info *pkgs;
    size_t npkgs;
    int64_t epoch;
    struct sbuf *log;          /* what was read and what it became */
    struct deb_strs *warnings; /* borrowed */
};

/*
 * Fills plan->v with the services of recipe `r`:
 *  - service.exec: that program, as the recipe says;
 *  - service.unit: that unit ("NAME" or "NAME.service", or one of its Alias= names), with the
 *    recipe's user, group, workdir, env, restart and ready on top;
 *  - neither: the units enabled by default (WantedBy=multi-user.target or default.target, not
 *    templates, not masked) of the packages the recipe asks for, in the order written; when those
 *    ship none, of the packages they depend on directly.
 * A unit's [Service] becomes commands (ExecStartPre/ExecStart/ExecStartPost with their - + ! :
 * prefixes; an ExecStartPre running mkdir/chown/chmod that the image lacks becomes folders init
 * makes), user and groups (DynamicUser= a system user made now), folders (RuntimeDirectory= at each
 * start; State/Cache/Logs/ConfigurationDirectory= in the image now, with their modes), working
 * folder, environment and environment files, umask, LimitNOFILE, Type and PIDFile, Restart, bind
 * mounts; ConditionPath*= are checked against the image now. Everything else it says goes to the
 * spec's notes for the build report. Errors name the recipe field or the unit file. Returns 0 or a
 * negative errno.
 */
int units_plan(struct units_ctx *u, const struct recipe *r, struct svc_plan *plan,
               struct jeos_err *err);

#endif
