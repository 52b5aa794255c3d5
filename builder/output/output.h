/* output.h — the output tail both build kinds share: a staging folder beside OUT/NAME, moved into
 * place whole at the end; the disk and formats a recipe asks for. */
#ifndef JEOS_OUTPUT_H
#define JEOS_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "boot/disk.h"
#include "images/format.h"

struct jeos_ctx;
struct jeos_err;
struct recipe;

/*
 * One build's output. jeos_output_begin makes the staging folder OUT/.NAME.build.XXXXXX
 * (beside OUT/NAME, so the move is a rename on one filesystem) and its owner file
 * OUT/.NAME.build.XXXXXX.owner, which holds the build's pid and an exclusive flock for as long as
 * the build runs; it first removes the staging folders of earlier builds of NAME whose owner
 * is gone (their lock is free: killed, crashed), saying so. The build writes everything into
 * the staging folder; jeos_output_commit puts the whole folder in OUT/NAME's place (an atomic
 * exchange when the filesystem has it) and removes the previous output. jeos_output_abort
 * removes the staging folder and leaves the previous output untouched. Either way `o` holds
 * nothing after. The staging folder is registered for removal on SIGINT, SIGTERM and SIGHUP
 * (builder/core/cleanup.h).
 */
struct jeos_output {
    char *dir;   /* OUT/NAME, what readers see */
    char *stage; /* OUT/.NAME.build.XXXXXX, where the build writes */
    char *owner; /* OUT/.NAME.build.XXXXXX.owner */
    int owner_fd;
    uint64_t free_bytes; /* free in OUT when the build began */
};

int jeos_output_begin(const char *out_dir, const char *name, struct jeos_output *o,
                      struct jeos_err *err);
int jeos_output_commit(struct jeos_output *o, struct jeos_err *err);
void jeos_output_abort(struct jeos_output *o);

/* The file every output folder holds, so that `jeos clean` removes jeos's folders only. */
#define JEOS_OUTPUT_MARK ".jeos-output"

/*
 * jeos clean: removes from `out_dir` the output folders (those holding JEOS_OUTPUT_MARK) named
 * in names[0..n) — every one when n is 0 — and every staging folder nobody owns (a build that
 * was killed). Prints each removed path and the bytes freed; running builds are left alone.
 * Returns 0 or a negative errno with a message.
 */
int jeos_output_clean(const char *out_dir, char *const *names, size_t n, struct jeos_err *err);

/*
 * Says once what stopped a build at `stage`: the messages added since index `from` get the
 * stage's name in front ("disk: ..."), except those that already name where in the recipe the
 * fault is (they begin with `recipe`, its path); when the output's filesystem ran full (ENOSPC
 * from us or a tool's own words) they become one line naming the stage, the file, how much
 * was free when the build began and about how much it needs (`needs` bytes; 0: not said).
 * Call before the abort.
 */
void jeos_output_failed(const struct jeos_output *o, const char *stage, const char *recipe, int rc,
                        size_t from, uint64_t needs, struct jeos_err *err);

/*
 * Fills the recipe's part of a disk spec: the partition table, the boot methods (the recipe's
 * image.boot, in table order), the root filesystem type (appliances), the data partition, the
 * minimal size, the GRUB timeout and title, the command line, and the seed "name-version"
 * (*seed, the caller frees; it may override spec->seed). The kind, kernel and image paths are
 * the caller's. Returns 0, or -EINVAL with a message naming the recipe field when a boot
 * method cannot be built on the table asked for (uefi on mbr).
 */
int jeos_output_disk_spec(const struct recipe *r, struct jeos_disk_spec *spec, char **seed,
                          struct jeos_err *err);

/* The format options of a recipe (its name, CPUs and memory; `seed` for the VHD id). */
struct jeos_format_opts jeos_output_format_opts(const struct recipe *r, const char *seed);

#endif
