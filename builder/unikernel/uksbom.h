/* uksbom.h — a unikernel's SBOM (NAME.spdx.json): what is linked into its ELF. */
#ifndef JEOS_UKSBOM_H
#define JEOS_UKSBOM_H

struct jeos_ctx;
struct jeos_err;
struct recipe;

/*
 * Writes DIR/NAME.spdx.json (output/sbom.h) for unikernel recipe r: the application (the
 * image's own package) and the parts linked into it as packages — musl's libc.a from Debian's
 * musl-dev (version, maintainer and DEP-5 license read from the host's dpkg database and
 * copyright file, as the build links the host's), the jeos kernel and runtime (this jeos's
 * version) — and the recipe's sources as files with their checksums. Created at the build's
 * epoch (SOURCE_DATE_EPOCH, else 0, as the unikernel's file archive). Returns 0 or a negative
 * errno.
 */
int uk_sbom_write(const struct jeos_ctx *ctx, const struct recipe *r, const char *dir,
                  struct jeos_err *err);

#endif
