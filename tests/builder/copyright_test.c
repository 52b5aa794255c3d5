/* copyright_test.c — DEP-5 copyright files into SPDX expressions: names mapped or kept as
 * LicenseRef-, "or"/"and"/"," as DEP-5 means them, texts of stand-alone License paragraphs, and
 * NOASSERTION (with the reason) for anything not machine-readable. */
#include <stdlib.h>
#include <string.h>

#include "builder/debian/copyright.h"
#include "tests/harness.h"

static void parse(const char *text, struct jeos_copyright *c)
{
    jeos_copyright_parse(text, strlen(text), c);
}

#define HDR "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\n"

static void mapped_names(void)
{
    struct jeos_copyright c;
    parse(HDR "Files: *\nCopyright: x\nLicense: GPL-2+\n\nFiles: a/*\nLicense: Expat\n\n"
              "Files: b/*\nLicense: BSD-3-clause\n\nFiles: c/*\nLicense: LGPL-2.1\n",
          &c);
    T_EQ_STR(c.expression, "GPL-2.0-or-later AND MIT AND BSD-3-Clause AND LGPL-2.1-only");
    T_EQ_STR(c.debian, "GPL-2+; Expat; BSD-3-clause; LGPL-2.1");
    T_EQ_INT(c.nrefs, 0);
    jeos_copyright_free(&c);
}

static void operators_and_duplicates(void)
{
    struct jeos_copyright c;
    parse(HDR "Files: *\nLicense: Artistic or GPL-1+\n\nFiles: x\nLicense: Zlib and Expat\n\n"
              "Files: y\nLicense: Zlib\n\nFiles: z\nLicense: GPL-2+ or Artistic-2.0, and "
              "BSD-3-clause\n",
          &c);
    T_EQ_STR(c.expression, "(Artistic-1.0-Perl OR GPL-1.0-or-later) AND Zlib AND MIT AND "
                           "(GPL-2.0-or-later OR Artistic-2.0) AND BSD-3-Clause");
    jeos_copyright_free(&c);
}

static void license_refs_with_text(void)
{
    struct jeos_copyright c;
    parse(HDR "Files: *\nLicense: public-domain\n\nFiles: b\nLicense: GPL-2+ with OpenSSL "
              "exception\n\nLicense: public-domain\n The author gives it away.\n .\n Really.\n",
          &c);
    T_EQ_STR(c.expression,
             "LicenseRef-public-domain AND LicenseRef-GPL-2-plus-with-OpenSSL-exception");
    T_EQ_INT(c.nrefs, 2);
    if (c.nrefs == 2) {
        T_EQ_STR(c.refs[0].debian, "public-domain");
        T_EQ_STR(c.refs[0].text, "The author gives it away.\n\nReally.\n");
        T_CHECK(c.refs[1].text == NULL);
    }
    jeos_copyright_free(&c);
}

static void not_machine_readable(void)
{
    struct jeos_copyright c;
    parse("This is the Debian prepackaged version of the GNU C Library.\n\nIt is LGPL.\n", &c);
    T_CHECK(c.expression == NULL);
    T_EQ_STR(c.why, "not machine-readable (line 1 is not a field)");
    jeos_copyright_free(&c);
    parse("Upstream-Name: x\n\nFiles: *\nLicense: MIT\n", &c);
    T_CHECK(c.expression == NULL);
    T_EQ_STR(c.why, "not machine-readable (no copyright-format 1.0 Format: line)");
    jeos_copyright_free(&c);
    parse(HDR "Files: *\nCopyright: x\n", &c);
    T_CHECK(c.expression == NULL && c.why && strstr(c.why, "no License field"));
    jeos_copyright_free(&c);
}

static void gnu_versions(void)
{
    struct jeos_copyright c;
    parse(HDR "Files: *\nLicense: GPL\n\nFiles: a\nLicense: GPL-3.0+\n\nFiles: b\n"
              "License: AGPL-3\n\nFiles: c\nLicense: GPL-4\n",
          &c);
    /* an unversioned GPL and a version SPDX does not list stay LicenseRefs */
    T_EQ_STR(c.expression,
             "LicenseRef-GPL AND GPL-3.0-or-later AND AGPL-3.0-only AND LicenseRef-GPL-4");
    jeos_copyright_free(&c);
}

int main(void)
{
    T_RUN(mapped_names);
    T_RUN(operators_and_duplicates);
    T_RUN(license_refs_with_text);
    T_RUN(not_machine_readable);
    T_RUN(gnu_versions);
    return T_DONE();
}
