/* copyright.h — a package's license from its Debian copyright file: machine-readable (DEP-5) only,
 * as an SPDX license expression; anything else is NOASSERTION, never a guess. */
#ifndef JEOS_COPYRIGHT_H
#define JEOS_COPYRIGHT_H

#include <stddef.h>

/* A license name the expression uses that is not on SPDX's list: LicenseRef-ID, with the text
   the copyright file gives for it (its stand-alone License paragraph, else the text under the
   Files paragraph's License line), or NULL when the file gives none. */
struct jeos_license_ref {
    char *id;     /* "LicenseRef-public-domain" */
    char *debian; /* the name as the copyright file writes it: "public-domain" */
    char *text;   /* or NULL */
};

/* What one copyright file says. */
struct jeos_copyright {
    char *expression; /* SPDX license expression, or NULL: NOASSERTION */
    char *debian;     /* the License: lines of its Files paragraphs as written, "; "-separated
                         (NULL when not machine-readable) */
    char *why;        /* when expression is NULL: why ("not machine-readable (no Format: line)") */
    struct jeos_license_ref *refs;
    size_t nrefs;
};

/*
 * Reads a copyright file's text (`len` bytes; need not be NUL-terminated). A file whose first
 * paragraph has a Format: field naming Debian's copyright-format 1.0 is machine-readable: the
 * package's expression is the AND of the distinct License expressions of its Files paragraphs
 * (and the header's License, if any), each Debian name mapped to its SPDX identifier where the
 * two mean the same license (GPL-2+ -> GPL-2.0-or-later, Expat -> MIT, BSD-3-clause ->
 * BSD-3-Clause, ...), every other name kept as a LicenseRef-. "or", "and" and "," connect names
 * as DEP-5 says. Anything else (no Format line, a malformed paragraph, no License field) gives
 * expression NULL and the reason in `why`. Never fails; free with jeos_copyright_free.
 */
void jeos_copyright_parse(const char *text, size_t len, struct jeos_copyright *out);
void jeos_copyright_free(struct jeos_copyright *c);

/* The SPDX identifier of a Debian license short name ("GPL-2+" -> "GPL-2.0-or-later"), or NULL
   when there is none that means the same. */
const char *jeos_license_spdx_id(const char *debian_name);

#endif
