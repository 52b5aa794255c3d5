/* pkgindex.h — Debian control-file (deb822) parsing and an in-memory package universe built from
 * Packages indexes. */
#ifndef JEOS_PKGINDEX_H
#define JEOS_PKGINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "builder/debian/deb_version.h"

struct jeos_err;

/*
 * A deb822 reader working in place: each value is NUL-terminated inside the
 * caller's buffer (which must hold a NUL at buf[len]); nothing is allocated.
 * Continuation lines stay part of the value (with their '\n's); '#' lines are skipped.
 */
struct deb822_iter {
    char *p, *end;
    size_t line; /* line number of the line last read (1-based) */
    bool in_stanza;
};
struct deb822_field {
    const char *name; /* not NUL-terminated: nlen bytes */
    size_t nlen;
    char *val; /* NUL-terminated, leading and trailing blanks trimmed */
    size_t vlen;
    size_t line; /* where the field starts */
};
void deb822_init(struct deb822_iter *it, char *buf, size_t len);
/* Returns 1 and fills `f` for a field, 0 at the end of a stanza, -1 at the end of input,
 * -2 for a malformed line (it->line says which). */
int deb822_next(struct deb822_iter *it, struct deb822_field *f);
/* True when the field's name is `name` (ASCII case-insensitive, as deb822 wants). */
bool deb822_is(const struct deb822_field *f, const char *name);

/*
 * Strips the OpenPGP cleartext-signature armour of an InRelease file without
 * checking it (only for --allow-unauthenticated): returns the signed text,
 * NUL-terminated, in a new buffer, or NULL when `s` is not a cleartext-signed message.
 */
char *deb822_strip_clearsign(const char *s, size_t len, size_t *outlen);

/* One relation of a dependency field: "name[:arch] [(REL version)]". */
enum dep_archq { DEP_ARCHQ_NONE, DEP_ARCHQ_ANY, DEP_ARCHQ_NATIVE, DEP_ARCHQ_OTHER };
struct dep_atom {
    const char *name;
    size_t nlen;
    enum deb_rel rel;
    const char *ver;
    size_t vlen;
    enum dep_archq archq;
    const char *archname; /* DEP_ARCHQ_OTHER: the architecture named ("amd64", "i386") */
    size_t archlen;
};
/*
 * Reads the next comma-separated clause of a dependency field at *p into
 * atoms[0..*n) (alternatives separated by '|'; at most `max`, extra ones are
 * an error). Sets *text and *tlen to the clause as written. Advances *p.
 * Returns 1 for a clause, 0 at the end, -EINVAL for a syntax error.
 */
int dep_next_clause(const char **p, struct dep_atom *atoms, size_t max, size_t *n,
                    const char **text, size_t *tlen);

enum pkg_multiarch { PKG_MA_NO = 0, PKG_MA_SAME, PKG_MA_FOREIGN, PKG_MA_ALLOWED };

#define PKG_NONE UINT32_MAX

/* One binary package stanza. Strings point into the universe's buffers; absent fields are "". */
struct pkg {
    const char *name, *version, *arch;
    const char *depends, *pre_depends, *provides, *conflicts, *breaks;
    const char *filename, *sha256, *source;
    uint64_t size;               /* bytes of the .deb */
    uint64_t installed_size;     /* KiB, as in Installed-Size */
    uint32_t name_id;            /* interned name */
    uint32_t origin;             /* index into pkg_universe.origins */
    uint32_t next_same_name;     /* next package with this name, or PKG_NONE */
    uint32_t prov_first, prov_n; /* its entries in pkg_universe.provs */
    uint8_t multi_arch;          /* enum pkg_multiarch */
    bool essential, required;
};

/* One entry of a Provides field. */
struct pkg_provide {
    uint32_t name_id; /* the name provided */
    uint32_t pkg;     /* the provider */
    uint32_t next;    /* next provider of the same name, or PKG_NONE */
    const char *ver;  /* "= ver" of a versioned provide, else NULL */
    uint32_t vlen;
};

/* Where a set of stanzas came from. */
struct pkg_origin {
    char *label;    /* "bookworm/main" (used in messages) */
    char *base_uri; /* the repository root; a package's URL is base_uri/Filename */
};

struct pkg_universe {
    const char *arch; /* native architecture: "amd64" */
    struct pkg *pkgs;
    size_t n, cap;
    struct pkg_provide *provs;
    size_t nprov, provcap;
    /* interned names: id -> string, first package, first provide */
    const char **names;
    uint32_t *name_pkg, *name_prov;
    size_t nnames, namecap;
    uint64_t *htab; /* open addressing: hash tag << 32 | (name id + 1), 0 = empty */
    size_t hcap;
    char **bufs; /* owned text buffers */
    size_t nbufs;
    char **arena; /* owned blocks holding names that occur only in relations */
    size_t narena, arena_used;
    struct pkg_origin *origins;
    size_t norigins;
};

/* An empty universe for architecture `arch` (copied by pointer: keep it alive). */
void pkgu_init(struct pkg_universe *u, const char *arch);
void pkgu_free(struct pkg_universe *u);

/* Adds an origin; returns its index. */
uint32_t pkgu_add_origin(struct pkg_universe *u, const char *label, const char *base_uri);

/*
 * Parses a Packages index held in `buf` (`len` bytes plus a NUL at buf[len]);
 * the universe takes ownership of `buf` (even on failure). Stanzas of other
 * architectures than the native one and "all" are skipped. `what` names the
 * file in messages. Returns 0 or a negative errno with "what:line: ..." in err.
 */
int pkgu_add_index(struct pkg_universe *u, char *buf, size_t len, uint32_t origin, const char *what,
                   struct jeos_err *err);

/* The id of a name, or PKG_NONE when no package has or provides it. */
uint32_t pkgu_lookup(const struct pkg_universe *u, const char *name, size_t len);

#endif
