/* uksbom.h — a unikernel's SBOM (NAME.spdx.json): what is linked into its ELF. */
#ifndef JEOS_UKSBOM_H
#define JEOS_UKSBOM_H

#include <stdbool.h>
#include <stddef.h>

struct jeos_ctx;
struct jeos_err;
struct recipe;

/* What the build linked besides the recipe's sources and the jeos kernel and runtime. */
struct uk_sbom_parts {
    const char *kit;  /* the unikernel kit: KIT/lwip/ describes the network stack's lwIP */
    bool net;         /* the network stack (lib/uk-net.o: lwIP and the sockets) was linked */
    const char *tree; /* source: {debian: ...}: the unpacked source package
                         (CACHE/source/<sha256 of its .dsc>), else NULL */
    char *const
        *srcs; /* the recipe's sources: with their globs expanded (relative to its folder) */
    size_t nsrcs;
};

/*
 * Writes DIR/NAME.spdx.json (output/sbom.h) for unikernel recipe r: the application (the
 * image's own package) and the parts linked into it as packages — musl's libc.a from Debian's
 * musl-dev (version, maintainer and DEP-5 license read from the host's dpkg database and
 * copyright file, as the build links the host's), the jeos kernel and runtime (this jeos's
 * version), with parts->net lwIP (the Debian source package the kit's stack was compiled from,
 * as make recorded it in KIT/lwip: debian/changelog, control and copyright, dsc.sha256), with
 * parts->tree the recipe's Debian source package (the same files of the unpacked tree) — and
 * the recipe's sources as files with their checksums. Created at the build's epoch
 * (SOURCE_DATE_EPOCH, else 0, as the unikernel's file archive). Returns 0 or a negative errno
 * (a missing or malformed KIT/lwip or tree file is named).
 */
int uk_sbom_write(const struct jeos_ctx *ctx, const struct recipe *r,
                  const struct uk_sbom_parts *parts, const char *dir, struct jeos_err *err);

#endif
