/* deb_version.h — Debian version strings ([epoch:]upstream[-revision]) ordered exactly as dpkg
 * does. */
#ifndef JEOS_DEB_VERSION_H
#define JEOS_DEB_VERSION_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Compares two versions the way `dpkg --compare-versions` does: epoch as a
 * number, then upstream and revision with dpkg's rules (letters before
 * non-letters, '~' before everything, even the end; digit runs as numbers).
 * A missing revision compares equal to "0". Returns <0, 0 or >0.
 * The _n form takes lengths and needs no NUL terminator.
 */
int deb_ver_cmp(const char *a, const char *b);
int deb_ver_cmpn(const char *a, size_t alen, const char *b, size_t blen);

/* Relations of a dependency: <<, <=, =, >=, >> (the old "<" and ">" mean <= and >=). */
enum deb_rel { DEB_REL_ANY = 0, DEB_REL_LT, DEB_REL_LE, DEB_REL_EQ, DEB_REL_GE, DEB_REL_GT };

/* Spelling of a relation ("<<", ...; "" for DEB_REL_ANY). */
const char *deb_rel_name(enum deb_rel r);

/* True when version `v` satisfies "REL ref" (always true for DEB_REL_ANY). */
bool deb_ver_satisfies(const char *v, size_t vlen, enum deb_rel rel, const char *ref,
                       size_t reflen);

/*
 * Checks the syntax as dpkg does when it parses a version: not empty, no
 * spaces, a numeric epoch, an upstream part starting with a digit, only the
 * allowed characters. Returns NULL when valid, else a static text saying what is wrong.
 */
const char *deb_ver_problem(const char *v);

#endif
