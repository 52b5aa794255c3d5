/* modules.h — kernel modules by name: resolved to .ko files with their dependencies, in load order.
 */
#ifndef JEOS_MODULES_H
#define JEOS_MODULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jeos_err;

/* A resolved module list, dependencies before their users. */
struct jeos_modlist {
    size_t n;
    char **names;   /* canonical names ('-' as '_'), e.g. "virtio_blk" */
    char **paths;   /* relative to the module tree, e.g. "kernel/drivers/block/virtio_blk.ko" */
    char **deps;    /* comma-separated canonical names of its direct dependencies, or "" */
    char **aliases; /* space-separated modalias patterns it serves (.modinfo alias=), or "" */
    bool *always;   /* load whatever the hardware: asked for as required, or no device can
                       ask for it (no alias) and no other module needs it */
    size_t nbuiltin;
    char **builtin; /* asked-for names that are built into the kernel */
    size_t nmissing;
    char **missing; /* optional names that the kernel has neither as module nor built in */
};
void jeos_modlist_free(struct jeos_modlist *m);

/* How many .ko files the module tree `modroot` holds, and their bytes (for build reports). */
void jeos_modules_count(const char *modroot, uint64_t *n, uint64_t *bytes);

/*
 * Resolves `required` and `optional` (NULL-terminated name lists, either may be
 * NULL) against the module tree `modroot` (".../lib/modules/VERSION"), adding
 * every dependency. Dependencies come from modules.dep when the tree has one,
 * else from each module's own .modinfo "depends=" (a kernel package as
 * extracted, before depmod ran). modules.builtin, when present, names the
 * built-in ones. A required name that is neither a module nor built in is an
 * error naming it; an optional one is listed in `missing`.
 */
int jeos_modules_resolve(const char *modroot, const char *const *required,
                         const char *const *optional, struct jeos_modlist *out,
                         struct jeos_err *err);

/*
 * Reads the "depends=" value of a module's .modinfo section from the ELF image
 * in `data` (`len` bytes) into *deps (malloc'd; "" when it has none).
 * Returns 0, or -EINVAL with a message naming `what` for a malformed file.
 */
int jeos_modinfo_depends(const uint8_t *data, size_t len, const char *what, char **deps,
                         struct jeos_err *err);

/* The "alias=" values of a module's .modinfo, space-separated, into *aliases (malloc'd; "" when
   none). Same errors as jeos_modinfo_depends. */
int jeos_modinfo_aliases(const uint8_t *data, size_t len, const char *what, char **aliases,
                         struct jeos_err *err);

#endif
