/* format.h — output formats of a raw disk (elf, raw, qcow2, vmdk, vhd, ova, gce, oci, xen) as
 * ops, listed in one table (format.c); each format's code in images/format_*.c. */
#ifndef JEOS_FORMAT_H
#define JEOS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "builder/recipe/axis.h"

struct jeos_ctx;
struct jeos_err;

/* What some formats describe besides the disk (the OVF descriptor of an OVA, an OCI config). */
struct jeos_format_opts {
    const char *name; /* appliance name: OVF VirtualSystem id, file names inside archives */
    int cpus;         /* 0 = 1 */
    uint64_t memory;  /* bytes; 0 = 512 MiB */
    bool uefi;        /* boots by UEFI only (image.boot: [uefi]): the OVF asks for EFI firmware
                         and a SATA disk, the OpenStack properties hw_firmware_type uefi */
    const char *seed; /* the VHD's unique id derives from it (NULL: ""), as the disk's GUIDs do */
    /* xen: the appliance's kernel and initramfs, copied beside the xl.cfg, and the Linux
       command line for booting them directly (root=PARTUUID=... console=hvc0); NULL else */
    const char *kernel, *initramfs, *cmdline;
    const char *from; /* set by jeos_formats_write: the output of the format this one is made
                         from (ops->from), already written from the same raw disk; NULL: make
                         it from the raw disk here */
};

/*
 * One output format. Every one is listed in jeos_formats[] (format.c).
 *   c:        name (image.formats), kinds, c.suffix (the first of `outputs`), the QEMU driver
 *             (-drive format=) and a probe recognising a file of the format
 *   outputs:  suffixes of the files it writes after the image's base name, NULL-terminated
 *             ({".qcow2", NULL}; an output may be a folder)
 *   from:     the name of another format whose output this one reuses when the same build
 *             makes it (an OVA holds the VMDK), or NULL
 *   convert:  writes DIR/BASE<output> for each of `outputs` from the raw disk `raw`; DIR is a
 *             fresh folder of its own, which the caller empties into place. NULL: the build
 *             itself writes the output (elf). Returns 0 or a negative errno with a message.
 */
struct jeos_format_ops {
    struct jeos_choice c;
    const char *const *outputs;
    const char *from;
    int (*convert)(const struct jeos_ctx *ctx, const char *raw, const char *dir, const char *base,
                   const struct jeos_format_opts *opts, struct jeos_err *err);
};

extern const struct jeos_format_ops *const jeos_formats[]; /* NULL-terminated */

/* Looks a format up by name; NULL when unknown. */
const struct jeos_format_ops *jeos_format_find(const char *name);

/*
 * Converts the raw disk `raw` to format `f`, writing DIR/BASE<output> for each of its outputs.
 * The format writes into a temporary folder beside them (DIR/.BASE.FORMAT.XXXXXX), whose
 * outputs are renamed into place only when all are written; on failure nothing is left.
 * Every format is reproducible: what a tool makes up (a VMDK's CID, a VHD's time and id) is
 * replaced by values from the raw disk's bytes, SOURCE_DATE_EPOCH (0 without one) and
 * opts->seed. `opts` may be NULL.
 */
int jeos_format_write(const struct jeos_ctx *ctx, const struct jeos_format_ops *f, const char *raw,
                      const char *dir, const char *base, const struct jeos_format_opts *opts,
                      struct jeos_err *err);

/*
 * Converts the raw disk `raw` into each format named in `names`, writing into DIR as
 * jeos_format_write does. Formats without a converter (elf), and a "raw" whose output would be
 * `raw` itself, are left alone. Unknown names are refused before anything is written. The
 * conversions run concurrently, one thread each; a format made from another (ops->from) asked
 * for in the same call waits for it and reuses its output (same bytes as converting again, one
 * pass fewer). Every one is attempted, a failed one leaves nothing, and every failure's message
 * is reported.
 */
int jeos_formats_write(const struct jeos_ctx *ctx, const char *raw, const char *dir,
                       const char *base, const char *const *names, size_t n,
                       const struct jeos_format_opts *opts, struct jeos_err *err);

/* What a PVH guest's xl.cfg names: file names relative to its folder; NULL: none. */
struct jeos_xen_pvh {
    const char *kernel;       /* the kernel (an appliance's vmlinuz, a unikernel's NAME-xen.elf) */
    const char *ramdisk;      /* its initramfs */
    const char *cmdline;      /* its command line */
    const char *const *disks; /* raw disks as xvda, xvdb, ... (at most 26), read-write */
    size_t ndisks;
    bool vif; /* one NIC on the bridge xenbr0 */
};

/*
 * Writes DIR/BASE-xen.cfg, an xl.cfg(5) booting `g` directly as a PVH domU named BASE, with
 * o->memory (0: 512 MiB) and o->cpus (0: 1). Format xen writes the appliance's with it, the
 * unikernel build its NAME-xen.elf's. Returns 0, or -EINVAL when a value holds a quote, a
 * backslash or a control character (xl.cfg strings cannot), or the write's error.
 */
int jeos_xen_pvh_cfg_write(const char *dir, const char *base, const struct jeos_xen_pvh *g,
                           const struct jeos_format_opts *o, struct jeos_err *err);

/* Reads up to `n` bytes at `off` of `fd`; how many were read (0 on error). For probes. */
size_t jeos_format_read(int fd, uint64_t off, void *buf, size_t n);

#endif
