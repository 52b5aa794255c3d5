/* recipe.h — a YAML recipe loaded into a typed, validated struct recipe (contract:
 * recipes/README.md). */
#ifndef JEOS_RECIPE_H
#define JEOS_RECIPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jeos_err;

/* Where a value was written: 1-based line and column (0 when the value is a default). */
struct recipe_pos {
    int line, col;
};

struct recipe_strlist {
    size_t n;
    char **v;
    struct recipe_pos *pos; /* pos[i] is where v[i] was written */
};

/* NAME=value pairs, in the order written (env:, service.env:). */
struct recipe_env {
    size_t n;
    char **keys;
    char **values;
};

enum recipe_kind { RECIPE_APPLIANCE, RECIPE_UNIKERNEL };

enum recipe_format {
    RECIPE_FMT_RAW,
    RECIPE_FMT_QCOW2,
    RECIPE_FMT_VMDK,
    RECIPE_FMT_VHD,
    RECIPE_FMT_OVA,
    RECIPE_FMT_GCE,
    RECIPE_FMT_ELF, /* unikernel only: the bare ELF */
    RECIPE_FMT_COUNT
};

enum recipe_root { RECIPE_ROOT_SQUASHFS, RECIPE_ROOT_EXT4 };
enum recipe_ptable { RECIPE_PT_GPT, RECIPE_PT_MBR };
#define RECIPE_BOOT_BIOS 1u
#define RECIPE_BOOT_UEFI 2u

enum recipe_net_mode { RECIPE_NET_NONE, RECIPE_NET_DHCP, RECIPE_NET_STATIC };
enum recipe_restart { RECIPE_RESTART_ALWAYS, RECIPE_RESTART_ON_FAILURE, RECIPE_RESTART_NO };

struct recipe_network {
    enum recipe_net_mode mode;
    char *address; /* static: "10.0.2.15" */
    int prefix;    /* static: 24 */
    char *gateway; /* static, optional */
    struct recipe_strlist dns;
};

struct recipe_image {
    enum recipe_format formats[RECIPE_FMT_COUNT]; /* in the order written, no duplicates */
    size_t nformats;
    uint64_t size;      /* bytes; 0 = just big enough */
    uint64_t data_size; /* bytes of a writable data partition; 0 = none (tmpfs overlay) */
    enum recipe_root root;
    const char *compression; /* squashfs: "lz4" (default), "zstd", "xz", "gzip" or "lzo" */
    unsigned boot;           /* RECIPE_BOOT_* bits */
    enum recipe_ptable ptable;
    int timeout; /* GRUB menu timeout, seconds */
};

struct recipe_file {
    char *src;           /* relative to the recipe's folder; a trailing '/' copies a folder */
    char *dst;           /* absolute path in the image */
    int mode;            /* -1: keep the source's permission bits */
    char *owner, *group; /* names or numbers; NULL = root */
    struct recipe_pos pos;
};

struct recipe_user {
    char *name;
    int64_t uid; /* -1: allocate */
    char *group; /* primary group; NULL = a group named like the user */
    struct recipe_strlist groups;
    char *home;  /* NULL = /nonexistent */
    char *shell; /* NULL = /usr/sbin/nologin */
    struct recipe_pos pos;
};

struct recipe_source {
    char *uri; /* http://, https:// or file: */
    struct recipe_strlist suites;
    struct recipe_strlist components;
    char *keyring; /* NULL = the debian.keyring or debian-archive-keyring */
    struct recipe_pos pos;
};

struct recipe_debian {
    char *suite;                      /* default "bookworm" */
    char *mirror;                     /* NULL = the host's apt sources */
    struct recipe_strlist components; /* default [main] */
    char *keyring;                    /* NULL = /usr/share/keyrings/debian-archive-keyring.gpg */
    struct recipe_source *sources;    /* explicit sources replace suite/mirror/components */
    size_t nsources;
};

struct recipe_service {
    struct recipe_strlist exec; /* exec.v[0] is an absolute path */
    char *user;                 /* default "root" */
    char *group;                /* NULL = the user's primary group */
    char *workdir;              /* NULL = "/" */
    struct recipe_env env;
    enum recipe_restart restart;
};

struct recipe {
    char *path; /* the file as named on the command line ("<buffer>" for buffers) */
    char *dir;  /* its folder: relative paths in the recipe are relative to this */

    char *name;
    enum recipe_kind kind;
    char *description; /* NULL if absent */
    char *version;     /* default "1" */
    char *hostname;    /* default: name, with '_' and '.' as '-' */
    uint64_t memory;   /* bytes */
    int cpus;
    char *cmdline; /* extra kernel / unikernel command line; NULL if absent */
    struct recipe_network network;
    struct recipe_image image;
    struct recipe_env env;
    struct recipe_file *files;
    size_t nfiles;
    struct recipe_user *users;
    size_t nusers;

    /* kind: appliance */
    struct recipe_debian debian;
    struct recipe_strlist packages; /* "name" or "name=version" */
    char *kernel;                   /* default "linux-image-cloud-amd64" */
    struct recipe_strlist
        exclude; /* globs, on top of the defaults unless exclude_defaults: false */
    bool exclude_defaults;
    struct recipe_strlist locales;
    struct recipe_strlist modules; /* extra kernel modules for the initramfs */
    struct recipe_service service;

    /* kind: unikernel */
    struct recipe_strlist sources; /* C files, relative to dir */
    struct recipe_strlist cflags;
    struct recipe_strlist defines; /* "NAME" or "NAME=VALUE", passed as -D */
    struct recipe_strlist libs;    /* library names, linked as -lNAME */
    struct recipe_strlist args;    /* argv[1..] */
};

/* Load options. */
struct recipe_load_opts {
    bool check_files; /* files[].src and sources[] must exist under the recipe's folder */
};

/*
 * Parses and validates a recipe held in `buf` (`len` bytes, need not be
 * NUL-terminated); `path` is used in messages and to find the recipe's folder.
 * On success returns 0 and sets *out (free with recipe_free). Otherwise returns
 * a negative errno, *out is NULL, and `err` holds every problem found, each as
 * "path:line:col: field.path: what (expected ...)".
 */
int recipe_load_buffer(const char *path, const char *buf, size_t len,
                       const struct recipe_load_opts *opts, struct recipe **out,
                       struct jeos_err *err);

/* Reads `path` and calls recipe_load_buffer with check_files set. */
int recipe_load_file(const char *path, struct recipe **out, struct jeos_err *err);

void recipe_free(struct recipe *r);

/* Names of formats, kinds and so on, as written in recipes. */
const char *recipe_format_name(enum recipe_format f);
const char *recipe_kind_name(enum recipe_kind k);

/*
 * Parses a size with an optional binary unit: "512", "16K", "16M", "2G", "1T",
 * also "16MiB"/"16MB"-style spellings (all binary). Returns false if `s` is not one
 * or overflows 64 bits.
 */
bool recipe_parse_size(const char *s, uint64_t *out);

#endif
