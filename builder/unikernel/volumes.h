/* volumes.h — a unikernel recipe's volumes: the disk files written beside its ELFs and the
 * NAME.volumes list jeos run attaches them from. */
#ifndef JEOS_BUILDER_UNIKERNEL_VOLUMES_H
#define JEOS_BUILDER_UNIKERNEL_VOLUMES_H

struct jeos_ctx;
struct jeos_err;
struct recipe;

/*
 * uk_volumes_write: for each volume of r, STAGE/NAME.VOLUME.vol (raw, sparse, its size, an
 * ext4 filesystem holding the volume's files:, else empty) — or, when FINAL/NAME.VOLUME.vol (the
 * output folder being replaced) exists with that size, that file itself, hard-linked into the
 * stage: a rebuild keeps what the application wrote (files: is not written into it again). Then
 * STAGE/NAME.volumes, one line per volume in recipe order: "VOLUME SIZE MOUNT". Nothing is
 * written for a recipe without volumes. 0 or a negative errno.
 */
int uk_volumes_write(const struct jeos_ctx *ctx, const struct recipe *r, const char *stage,
                     const char *final, struct jeos_err *err);

#endif
