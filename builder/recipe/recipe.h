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

enum recipe_net_mode { RECIPE_NET_NONE, RECIPE_NET_DHCP, RECIPE_NET_STATIC };
enum recipe_restart { RECIPE_RESTART_ALWAYS, RECIPE_RESTART_ON_FAILURE, RECIPE_RESTART_NO };
/* When jeos init says the service is ready (service.ready). */
enum recipe_ready {
    RECIPE_READY_AUTO, /* by the service's type: notify, forking, else its first listening socket */
    RECIPE_READY_STARTED, /* as soon as it is started */
    RECIPE_READY_LISTEN,  /* its first listening socket */
    RECIPE_READY_NOTIFY,  /* sd_notify READY=1 on $NOTIFY_SOCKET */
    RECIPE_READY_PORT,    /* TCP port ready_port listening in the guest */
};

struct recipe_network {
    enum recipe_net_mode mode;
    char *address; /* static: "10.0.2.15" */
    int prefix;    /* static: 24 */
    char *gateway; /* static, optional */
    struct recipe_strlist dns;
};

/* The kernel package of an appliance whose recipe names none: Debian's cloud kernel (the
   virtio, Xen, Hyper-V, VMware and NVMe drivers, little else). */
#define RECIPE_DEFAULT_KERNEL "linux-image-cloud-amd64"

/* image.secure_boot: the boot method it changes, and the Debian packages it brings (resolved
   with the kernel, their signed EFI programs put on the ESP, never installed in the root). */
#define RECIPE_SECURE_BOOT_METHOD "uefi"
#define RECIPE_SECURE_BOOT_SHIM   "shim-signed"
#define RECIPE_SECURE_BOOT_GRUB   "grub-efi-amd64-signed"

/* The image's variable axes hold choice names of the tables in images/ and boot/ (axis.h),
   validated and defaulted by the loader; the strings are the tables' own (never freed). */
#define RECIPE_MAX_CHOICES 16

struct recipe_image {
    const char *formats[RECIPE_MAX_CHOICES]; /* jeos_axis_format, in the order written, no
                                                duplicates; default [raw] (unikernels: [elf]) */
    size_t nformats;
    uint64_t size;           /* bytes; 0 = just big enough */
    uint64_t data_size;      /* bytes of a writable data partition; 0 = none (tmpfs overlay) */
    const char *root;        /* jeos_axis_fs: "squashfs" (default) or "ext4"; NULL for unikernels */
    const char *compression; /* jeos_axis_compression, brought by squashfs (default lz4); NULL
                                when the root filesystem has no such key */
    const char *boot[RECIPE_MAX_CHOICES]; /* jeos_axis_boot; default [bios, uefi] */
    size_t nboot;
    const char *ptable; /* jeos_axis_ptable: "gpt" (default) or "mbr" */
    int timeout;        /* GRUB menu timeout, seconds */
    bool secure_boot;   /* appliances: the UEFI chain is Debian's signed shim, GRUB and kernel */
    enum recipe_cloud {
        RECIPE_CLOUD_NONE,
        RECIPE_CLOUD_NOCLOUD,
        RECIPE_CLOUD_CONFIGDRIVE,
        RECIPE_CLOUD_EC2,
        RECIPE_CLOUD_GCE,
        RECIPE_CLOUD_AUTO, /* all four, in that order */
    } cloud_init;          /* metadata source */
    char *cloud_ssh_user;  /* whose authorized_keys get the metadata's ssh keys; NULL: nobody's */
};

struct recipe_file {
    char *src;           /* relative to the recipe's folder; a trailing '/' copies a folder */
    char *dst;           /* absolute path in the image */
    int mode;            /* -1: keep the source's permission bits */
    char *owner, *group; /* names or numbers; NULL = root */
    struct recipe_pos pos;
};

/* folders: a folder made in the image without files (files: makes the folders it copies). */
struct recipe_folder {
    char *path;          /* absolute path in the image */
    int mode;            /* -1: 0755 */
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

/* volumes: a disk of its own the unikernel writes (kind unikernel). */
struct recipe_volume {
    char *name;    /* [a-z0-9][a-z0-9_-]*, at most 20 characters (the virtio-blk serial) */
    uint64_t size; /* bytes, a multiple of 512 */
    char *mount;   /* absolute path in the application's file tree */
    struct recipe_file *files; /* initial content (dst: a path on the volume, "/" its root) */
    size_t nfiles;
    struct recipe_pos pos;
};

/* A unikernel built from a Debian source package (source:): what to compile of its tree. */
struct recipe_srcpkg {
    char *debian;                  /* "redis" or "redis=VERSION"; NULL when there is no source: */
    struct recipe_strlist sources; /* globs relative to the unpacked tree, expanded sorted */
    struct recipe_strlist exclude; /* globs taken out of what sources matched */
    struct recipe_strlist include; /* -I folders relative to the tree */
    struct recipe_pos pos;         /* where source: is written */
};

/* What PID 1 runs: the recipe's own exec, a unit a package ships (unit), or, with neither, the
   requested packages' units enabled by default. */
struct recipe_service {
    struct recipe_strlist exec; /* exec.v[0] is an absolute path; n == 0 without exec */
    char *unit;                 /* a systemd unit name ("ssh" or "ssh.service"); NULL */
    char *user;                 /* exec: default "root"; units: NULL = the unit's */
    char *group;                /* NULL = the user's primary group (or the unit's) */
    char *workdir;              /* NULL = "/" (or the unit's) */
    struct recipe_env env;      /* on top of the unit's */
    enum recipe_restart restart;
    bool restart_given; /* restart: written (a unit's Restart= applies otherwise) */
    enum recipe_ready ready;
    int ready_port;         /* RECIPE_READY_PORT */
    struct recipe_pos pos;  /* where service: was written (0 when absent) */
    struct recipe_pos upos; /* where service.user was written */
};

/* cflags_for: one entry: the compiler options of the sources a glob matches. */
struct recipe_srcflags {
    char *glob; /* matched against the source's path as sources: or source.sources name it */
    struct recipe_strlist flags;
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
    struct recipe_folder *folders;
    size_t nfolders;

    /* kind: appliance */
    struct recipe_debian debian;
    struct recipe_strlist packages; /* "name" or "name=version" */
    char *kernel;                   /* default RECIPE_DEFAULT_KERNEL */
    struct recipe_strlist
        exclude; /* globs, on top of the defaults unless exclude_defaults: false */
    bool exclude_defaults;
    struct recipe_strlist locales;
    struct recipe_strlist modules; /* extra kernel modules for the initramfs */
    struct recipe_service service;

    /* kind: unikernel (debian: above says where a source: package comes from) */
    struct recipe_srcpkg source;   /* source: {debian: NAME, sources: [...], ...} */
    struct recipe_strlist sources; /* C files, relative to dir (optional with source:) */
    struct recipe_strlist include; /* -I folders, relative to dir */
    struct recipe_strlist cflags;
    struct recipe_srcflags *cflags_for; /* per-source options, after cflags */
    size_t ncflags_for;
    struct recipe_strlist defines; /* "NAME" or "NAME=VALUE", passed as -D */
    struct recipe_strlist libs;    /* library names, linked as -lNAME */
    struct recipe_strlist args;    /* argv[1..] */
    struct recipe_volume *volumes;
    size_t nvolumes;
    char *workdir; /* the program's initial working folder; NULL: "/" */
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

/* The kind's name, as written in recipes. */
const char *recipe_kind_name(enum recipe_kind k);

/* True when image.formats lists `format`. */
bool recipe_has_format(const struct recipe *r, const char *format);

/*
 * Parses a size with an optional binary unit: "512", "16K", "16M", "2G", "1T",
 * also "16MiB"/"16MB"-style spellings (all binary). Returns false if `s` is not one
 * or overflows 64 bits.
 */
bool recipe_parse_size(const char *s, uint64_t *out);

#endif
