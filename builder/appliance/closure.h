/* closure.h — a closure you can trust: the assembled root checked for what its programs need (every
 * ELF's DT_NEEDED, every script's #! interpreter, each service's program, user, group and working
 * folder), and the packages that would provide a missing interpreter. */
#ifndef JEOS_CLOSURE_H
#define JEOS_CLOSURE_H

#include <stddef.h>

#include "builder/appliance/init_conf.h"
#include "builder/core/tree.h"
#include "builder/debian/deb.h"

struct recipe;
struct jeos_err;

/* A package the image needs and does not have. */
struct closure_need {
    char *pkg;    /* "dash" */
    char *parent; /* the package whose file needs it ("haproxy"), or NULL */
    char *why;    /* "interpreter /bin/sh of /etc/init.d/haproxy" */
};

struct closure_result {
    struct closure_need *needs;
    size_t nneeds;
    struct deb_strs warnings; /* what is missing but no service runs */
    size_t elfs, scripts;     /* how many were checked */
};

void closure_result_free(struct closure_result *c);

/*
 * Checks tree `t` as the build assembled it, with the services of `plan` and the recipe `r` (for
 * the places of its messages):
 *  - the #! interpreter of every executable script (through `/usr/bin/env NAME` too): when a
 *    service runs the script and a package is known to provide the missing interpreter
 *    (/bin/sh: dash, /bin/bash: bash, /usr/bin/perl: perl-base, /usr/bin/env: coreutils), that
 *    package is a need; with no such package, an error; when no service runs it, a warning;
 *  - /bin/sh when a program a service runs (or a script's interpreter) names it in its bytes
 *    (system(), popen(), a login shell): dash is a need;
 *  - every ELF program and library: its PT_INTERP, and each DT_NEEDED found in its RUNPATH (or
 *    RPATH, $ORIGIN known) or the multiarch and /lib, /usr/lib folders; missing ones are errors
 *    for what a service runs, warnings otherwise;
 *  - each service command (the recipe's exec, ExecStartPre/ExecStart/ExecStartPost, first-boot
 *    commands): present and executable; the service's user and group in /etc/passwd and
 *    /etc/group; its working folder present (unless marked '-').
 * Needs and warnings go to `out`; errors are added to `err` (every one found) and -ENOENT is
 * returned. Returns 0 when nothing is in error (needs may still be there).
 */
int closure_check(struct tree *t, const struct recipe *r, const struct svc_plan *plan,
                  struct closure_result *out, struct jeos_err *err);

#endif
