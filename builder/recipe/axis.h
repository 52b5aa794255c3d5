/* axis.h — the variable axes of an image as recipes see them: root filesystem, squashfs
 * compression, partition table, boot methods, output formats. */
#ifndef JEOS_AXIS_H
#define JEOS_AXIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sbuf;

/*
 * Each axis is one ops table in the file that implements it (images/, boot/), one row per
 * choice; every row begins with a struct jeos_choice, and the table's file defines the axis
 * below. The recipe loader reads the axes through these declarations only (it includes nothing
 * from images/ or boot/), so a choice added to a table is at once a value recipes accept.
 */

#define JEOS_FOR_APPLIANCE 1u /* bit 1 << RECIPE_APPLIANCE */
#define JEOS_FOR_UNIKERNEL 2u /* bit 1 << RECIPE_UNIKERNEL */
#define JEOS_FOR_BOTH      (JEOS_FOR_APPLIANCE | JEOS_FOR_UNIKERNEL)

struct jeos_axis;

/* A key under image: that a choice brings with it (squashfs brings compression). */
struct jeos_key {
    const char *name;             /* "compression" */
    const struct jeos_axis *axis; /* its values are that axis's choices */
    const char *def;              /* the choice when the key is absent */
};

/* What every choice of every axis has. */
struct jeos_choice {
    const char *name;            /* as written in recipes */
    unsigned kinds;              /* JEOS_FOR_* bits: the recipe kinds that may pick it */
    const char *suffix;          /* its output file's suffix (".qcow2", ".squashfs"), or NULL */
    const char *qemu;            /* QEMU's name for it (-drive format=), or NULL where QEMU
                                    cannot use it as it is */
    const struct jeos_key *keys; /* keys it brings, {NULL}-terminated; NULL: none */
    /*
     * Recognises a file of this choice (as kvmtool's disk ops do): `fd` is open for reading
     * and `size` bytes long; `self` is this choice (rows of one table may share a probe).
     * Returns NULL when the bytes match, else a few words saying what is missing ("no QFI
     * magic at its start"). NULL: the choice cannot be recognised.
     */
    const char *(*probe)(const struct jeos_choice *self, int fd, uint64_t size);
    const char *title; /* what it is, in messages: "qcow2 image" */
    /* A choice another axis must have for this one to work, or {NULL}: {"partition_table",
       "gpt"} for UEFI. */
    const char *needs[2];
};

struct jeos_axis {
    const char *key;  /* its key under image: ("root", "formats", "boot", ...) */
    const char *what; /* the word messages use: "root filesystem", "format" */
    bool list;        /* the key takes a list (formats, boot) */
    /* Defaults by recipe kind (index: enum recipe_kind): space-separated choice names, or
       NULL when the key has none. */
    const char *def[2];
    /* The i-th choice, in the order messages list them; NULL past the last. */
    const struct jeos_choice *(*choice)(size_t i);
};

extern const struct jeos_axis jeos_axis_fs;          /* images/fs.c: image.root */
extern const struct jeos_axis jeos_axis_compression; /* images/squashfs.c: image.compression */
extern const struct jeos_axis jeos_axis_ptable;      /* images/ptable.c: image.partition_table */
extern const struct jeos_axis jeos_axis_boot;        /* boot/boot.c: image.boot */
extern const struct jeos_axis jeos_axis_format;      /* images/format.c: image.formats */

/* The choice named `name` on axis `a`, or NULL. */
const struct jeos_choice *jeos_axis_find(const struct jeos_axis *a, const char *name);

/*
 * Appends the names of the choices a recipe of kind bits `kinds` may pick, as messages list
 * them: "lz4, zstd, xz, gzip, lzo".
 */
void jeos_axis_names(const struct jeos_axis *a, unsigned kinds, struct sbuf *out);

/*
 * The first choice of `a` whose probe recognises the file open at `fd`; `last` (may be NULL)
 * is tried last, after every other (a fixed VHD begins with the raw disk it holds, so raw goes
 * last among formats). NULL when none does.
 */
const struct jeos_choice *jeos_axis_probe(const struct jeos_axis *a, int fd, uint64_t size,
                                          const struct jeos_choice *last);

#endif
