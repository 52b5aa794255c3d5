/* deb.h — extracting a Debian binary package (.deb) into the in-memory tree, never onto the host.
 */
#ifndef JEOS_DEB_H
#define JEOS_DEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "builder/core/tree.h"

struct jeos_err;

struct deb_strs {
    size_t n;
    char **v;
};

/* What a package told us, filled by deb_extract_*. Free with deb_info_free. */
struct deb_info {
    char *label;                  /* the path or name used in messages */
    char *name;                   /* Package: */
    char *version;                /* Version: */
    char *arch;                   /* Architecture: */
    char *source;                 /* Source: ("openssl (3.0.11-1)"), or NULL: the package's name */
    char *maintainer;             /* Maintainer:, or NULL */
    char *homepage;               /* Homepage:, or NULL */
    struct deb_strs replaces;     /* package names from Replaces: */
    struct deb_strs replaces_ver; /* for each, "OP VERSION" ("<< 2.0") or "" for any version */
    struct deb_strs scripts;      /* maintainer scripts present (preinst, postinst, ...), not run */
    struct deb_strs depends;      /* names from Depends: and Pre-Depends: (every alternative) */
    char *postinst;               /* the postinst's text, or NULL (read, never run) */
    char *preinst;                /* the preinst's text, or NULL */
    char *recommends;             /* Recommends: as written, or NULL */
    char *provides;               /* Provides: as written, or NULL */
    char *data_member;            /* "data.tar.xz" etc. */
    int64_t newest_mtime;         /* newest mtime among the data entries */
    size_t entries;               /* data.tar entries added */
    uint64_t bytes;               /* regular-file bytes added */
};

void deb_info_free(struct deb_info *d);

/*
 * Reads the .deb at `path` and adds its data.tar entries to `t`:
 *  - an `ar` archive with debian-binary, control.tar.{gz,xz,zst,none} then
 *    data.tar.{xz,zst,gz,bz2,none} (libarchive detects the compression);
 *  - member names holding a ".." component are rejected, as are names whose
 *    parent folders are symlinks leading outside the root; absolute names are
 *    taken relative to the root;
 *  - parent folders that are symlinks (merged /usr: /bin -> usr/bin) are followed,
 *    as dpkg does; a folder entry where a symlink to a folder is keeps the symlink;
 *  - a non-folder already installed by another package is overwritten only when
 *    this package's Replaces: names that package and its version constraint (dpkg
 *    ordering) holds for the installed version (looked up in `installed`), else it
 *    is an error naming both;
 *    entries the builder made itself (pkg "") are always overwritten.
 * Each inode installed records the package name in ino->pkg. On success fills
 * *info (the caller frees it with deb_info_free) and returns 0. On failure returns
 * a negative errno with a message such as
 *   "pool/a.deb: data.tar.xz: ./../etc/passwd: path leaves the root (\"..\")"
 * in `err`; the tree may then hold part of the package (discard it).
 */
int deb_extract_file(struct tree *t, const char *path, const struct deb_info *installed,
                     size_t ninstalled, struct deb_info *info, struct jeos_err *err);

/* The same from a buffer; `label` names it in messages. Used by the fuzz target. */
int deb_extract_buffer(struct tree *t, const char *label, const void *buf, size_t len,
                       const struct deb_info *installed, size_t ninstalled, struct deb_info *info,
                       struct jeos_err *err);

/* Parses Replaces:-style relation text into bare package names (appended to *out). */
void deb_parse_relation_names(const char *text, struct deb_strs *out);
/* The same, with each name's constraint ("<< 2.0", or "") appended to *constraints. */
void deb_parse_relations(const char *text, struct deb_strs *names, struct deb_strs *constraints);

/* True when `version` satisfies `constraint` ("OP VERSION" with OP << <= = >= >>, or ""). */
bool deb_version_satisfies(const char *version, const char *constraint);

void deb_strs_add(struct deb_strs *s, const char *v);
void deb_strs_free(struct deb_strs *s);

#endif
