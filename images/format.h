/* format.h — output formats of a raw disk (raw, qcow2, vmdk, vhd, ova, gce) as ops, listed in one
 * table. */
#ifndef JEOS_FORMAT_H
#define JEOS_FORMAT_H

#include <stddef.h>
#include <stdint.h>

struct jeos_ctx;
struct jeos_err;

/* What some formats describe besides the disk (the OVF descriptor of an OVA). */
struct jeos_format_opts {
    const char *name; /* appliance name: OVF VirtualSystem id, file names inside the OVA */
    int cpus;         /* 0 = 1 */
    uint64_t memory;  /* bytes; 0 = 512 MiB */
    const char *seed; /* the VHD's unique id derives from it (NULL: ""), as the disk's GUIDs do */
    const char *file_name; /* set by jeos_format_write: the output's own file name, which a
                              VMDK names as its extent */
    const char *vmdk; /* an OVA takes this VMDK, already made from the same raw disk, instead of
                         converting again (its extent name is rewritten); NULL: convert */
};

/*
 * One output format. All are listed in jeos_formats[] (format.c).
 *   name:    as written in recipes (image.formats): "raw", "qcow2", ...
 *   suffix:  appended to the image's base name: ".raw", ".qcow2", ".vmdk", ".vhd",
 *            ".ova", ".tar.gz"
 *   convert: writes `out` (a temporary the caller renames) from the raw disk `raw`.
 *            Returns 0 or a negative errno with a message in `err`.
 */
struct jeos_format_ops {
    const char *name;
    const char *suffix;
    int (*convert)(const struct jeos_ctx *ctx, const char *raw, const char *out,
                   const struct jeos_format_opts *opts, struct jeos_err *err);
};

extern const struct jeos_format_ops *const jeos_formats[]; /* NULL-terminated */

/* Looks a format up by name; NULL when unknown. */
const struct jeos_format_ops *jeos_format_find(const char *name);

/*
 * Converts the raw disk `raw` to format `f`, writing `out_path` atomically
 * (a temporary in the same folder, renamed on success; removed on failure).
 * Runs qemu-img where it does the job; the OVA and GCE archives are written with
 * libarchive, their members timed at SOURCE_DATE_EPOCH (0 without one).
 * Every format is reproducible: what qemu-img makes up is replaced — a VMDK's CID
 * becomes the start of the raw disk's sha256 and its extent name the file's own name; a VHD's
 * timestamp becomes SOURCE_DATE_EPOCH (0 without one) and its unique id derives
 * from opts->seed.
 */
int jeos_format_write(const struct jeos_ctx *ctx, const struct jeos_format_ops *f, const char *raw,
                      const char *out_path, const struct jeos_format_opts *opts,
                      struct jeos_err *err);

/*
 * Converts the raw disk `raw` into each format named in `names` (as in recipes:
 * "raw", "qcow2", "vmdk", "vhd", "ova", "gce"), writing DIR/BASE<suffix> for each,
 * atomically. A "raw" whose output would be `raw` itself is left as it is. Unknown
 * names are refused before anything is written. The conversions run concurrently,
 * one thread each; every one is attempted, a failed one leaves nothing, and every
 * failure's message is reported. With both vmdk and ova asked for, the OVA waits
 * for the VMDK and reuses it (same bytes as converting again, one compression pass
 * fewer).
 */
int jeos_formats_write(const struct jeos_ctx *ctx, const char *raw, const char *dir,
                       const char *base, const char *const *names, size_t n,
                       const struct jeos_format_opts *opts, struct jeos_err *err);

/* The OVF 1.0 descriptor for a disk of `capacity` bytes stored as `vmdk_name` (`vmdk_size`
   bytes in the OVA). Returned string is the caller's to free. */
char *jeos_ovf_descriptor(const struct jeos_format_opts *opts, const char *vmdk_name,
                          uint64_t vmdk_size, uint64_t capacity);

#endif
