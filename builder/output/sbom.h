/* sbom.h — the SPDX 2.3 document (JSON) that describes one image: its packages, how they came in,
 * the files jeos added; written reproducibly and read back for jeos inspect and jeos diff. */
#ifndef JEOS_SBOM_H
#define JEOS_SBOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jeos_err;
struct sbuf;

/* Where the document is kept inside an appliance's root filesystem (and beside every image as
   OUT/NAME/NAME.spdx.json, the same bytes). */
#define JEOS_SBOM_ROOT_PATH "/usr/share/jeos/sbom.spdx.json"
#define JEOS_SBOM_SUFFIX    ".spdx.json"

/* One package. Strings are owned by the document (copied in by jeos_sbom_add_pkg); NULL means
   NOASSERTION where SPDX wants a value, absent otherwise. */
struct jeos_sbom_pkg {
    char *name, *version, *arch;
    char *supplier;     /* "Organization: Debian Nginx Maintainers (pkg-nginx@...)" */
    char *download;     /* the .deb's URL */
    char *sha256;       /* of the .deb */
    char *license;      /* SPDX expression (licenseDeclared) */
    char *license_note; /* licenseComments: where the license came from, or why NOASSERTION */
    char *source;       /* the source package "nginx 1.22.1-9" */
    char *homepage;
    char *purl;    /* pkg:deb/debian/nginx-light@1.22.1-9?arch=amd64, or NULL */
    char *comment; /* "in the image", "resolved with the kernel, not installed" */
    int parent;    /* index of the package whose dependency pulled it in; -1: requested */
    char *why;     /* the lock's Why: "Depends: libc6 (>= 2.34)", "requested (nginx.yaml:6:11)" */
    bool in_image; /* the image CONTAINS it */
};

/* A file jeos itself put into the image (not from a package's data). */
struct jeos_sbom_file {
    char *path; /* "/etc/jeos/init.conf" */
    char sha1[41], sha256[65];
    char *comment; /* "written by jeos (users and groups)" */
};

/* A LicenseRef- the packages' expressions use, with the text a copyright file gave for it. */
struct jeos_sbom_license {
    char *id, *name, *text;
};

struct jeos_sbom {
    char *name, *version; /* the image: the recipe's name and version */
    char *kind;           /* "appliance" or "unikernel" */
    char *description;    /* or NULL */
    int64_t created;      /* the build's epoch: seconds since 1970 */
    struct jeos_sbom_pkg *pkgs;
    size_t npkgs;
    struct jeos_sbom_file *files;
    size_t nfiles;
    struct jeos_sbom_license *licenses;
    size_t nlicenses;
};

/* Appends a copy of `p` (its strings copied; `p` stays the caller's). Returns its index. */
size_t jeos_sbom_add_pkg(struct jeos_sbom *s, const struct jeos_sbom_pkg *p);
/* Appends a file with the checksums of data[0..len). */
void jeos_sbom_add_file(struct jeos_sbom *s, const char *path, const void *data, size_t len,
                        const char *comment);
/* Records a LicenseRef- (once per id: a second call with the same id keeps the first text). */
void jeos_sbom_add_license(struct jeos_sbom *s, const char *id, const char *name, const char *text);
void jeos_sbom_free(struct jeos_sbom *s);

/* A Debian Maintainer field ("Name <mail>") as an SPDX supplier, "Organization: Name (mail)" for
   a team, else "Person: Name (mail)"; NULL for NULL or "" (caller frees). */
char *jeos_sbom_supplier(const char *maintainer);

/*
 * The document as SPDX 2.3 JSON, appended to `out`: a package for the image itself (DESCRIBES
 * from the document), one per package in the order added, the image CONTAINS those in the
 * image and the files; a package requested by the recipe is a DEPENDS_ON of the image, any
 * other one of its parent, with the why as the relationship's comment. Same document, same
 * bytes: the creation time is `created`, the namespace is derived from the content.
 */
void jeos_sbom_json(const struct jeos_sbom *s, struct sbuf *out);

/* What jeos inspect and jeos diff read back from a document. */
struct jeos_sbom_entry {
    char *name, *version, *arch, *license;
    bool in_image;
};
struct jeos_sbom_summary {
    char *name, *version, *kind, *created;
    struct jeos_sbom_entry *pkgs; /* the packages, the image's own package left out */
    size_t npkgs;
    size_t nfiles;
};

/* Reads an SPDX JSON document (`what` names it in messages). Returns 0, or -EBADMSG with
   "WHAT: not JSON (...)" / "WHAT: not an SPDX 2.x document (...)". */
int jeos_sbom_read(const char *text, size_t len, const char *what, struct jeos_sbom_summary *out,
                   struct jeos_err *err);
void jeos_sbom_summary_free(struct jeos_sbom_summary *s);

#endif
