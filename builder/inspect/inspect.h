/* inspect.h — what a disk image holds, read without mounting it: its format, partition table,
 * boot loaders and firmware, kernel and command line, root filesystem, packages, largest files;
 * for jeos inspect and jeos diff. */
#ifndef JEOS_INSPECT_H
#define JEOS_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "builder/output/sbom.h"
#include "images/fsread.h"
#include "images/ptread.h"

struct jeos_ctx;
struct jeos_err;

struct jeos_inspect {
    char *path;
    const char *format; /* "raw", "qcow2", "vmdk", "vhd", "ova", "gce", "oci", "elf"
                           (jeos_formats[] names) */
    uint64_t file_size; /* bytes of the file given (an OCI layout folder: of its files) */
    uint64_t disk_size; /* bytes of the disk it holds */
    char *raw;          /* the raw disk read: `path`, or a conversion in `scratch` */
    char *scratch;      /* a temporary folder, removed by jeos_inspect_free */
    struct jeos_ptread pt;
    struct jeos_fsinfo fs[JEOS_PTREAD_MAX]; /* per partition of pt */
    struct jeos_fsinfo whole;               /* the disk as one filesystem, without a table */
    /* firmware and boot loaders */
    const char *bios;  /* "GRUB (i386-pc boot.img) ..." or NULL: no BIOS boot */
    char *uefi;        /* "shim (signed) -> GRUB (signed)", "GRUB (unsigned)", or NULL */
    char *secure_boot; /* what a Secure Boot firmware would make of it */
    /* the kernel */
    char *grub_cfg; /* where the configuration was read ("esp:/boot/grub/grub.cfg") */
    char *loader, *kernel, *cmdline, *initrd;
    char *kernel_version; /* from the bzImage, or a description (a multiboot2 ELF) */
    /* the root filesystem */
    int root; /* index into pt.parts, -1 none; -2 the whole disk */
    uint64_t root_off, root_size;
    const char *root_kind;
    struct jeos_fslist files; /* the root's listing (sha256 too when asked) */
    /* packages */
    char *pkgs_from; /* "/usr/share/jeos/sbom.spdx.json in the root", "/var/lib/dpkg/status" */
    struct jeos_sbom_entry *pkgs;
    size_t npkgs;
    /* what could not be told, one line each */
    char **notes;
    size_t nnotes;
};

/*
 * Reads the image at `path`: its format by content (the formats' probes; raw last), converted
 * to a raw disk with qemu-img in a temporary folder when it is not raw (an OVA's VMDK taken out
 * with libarchive first), then everything above. With `hashes`, the root listing carries each
 * file's sha256 (jeos diff). What cannot be told (no partition table, an unknown filesystem,
 * no package list) is a note, not an error; an image that cannot be read as what it claims
 * (a GPT whose CRC fails, a qcow2 qemu-img refuses, a root filesystem that ends early) is an
 * error naming the part and why, with what was read up to there kept in `out`. Returns 0 or a
 * negative errno; free `out` with jeos_inspect_free either way.
 */
int jeos_inspect_image(const struct jeos_ctx *ctx, const char *path, bool hashes,
                       struct jeos_inspect *out, struct jeos_err *err);
void jeos_inspect_free(struct jeos_inspect *in);

#endif
