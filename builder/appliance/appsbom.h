/* appsbom.h — an appliance's SBOM: the lock's packages with what their .debs and copyright files
 * say, the files jeos added, kept in the root and beside the image. */
#ifndef JEOS_APPSBOM_H
#define JEOS_APPSBOM_H

#include <stdbool.h>

#include "builder/debian/copyright.h"
#include "builder/debian/repo_resolve.h"
#include "builder/output/sbom.h"

struct jeos_ctx;
struct jeos_err;
struct recipe;
struct rootfs;

/* What the build gathers for its SBOM, per package of the resolution (by index). */
struct app_sbom {
    const struct jeos_resolution *res;
    size_t n;                  /* res->n, kept for app_sbom_free (the build may free res first) */
    const bool *in_kernel;     /* the build's: the package is in the kernel request's subtree */
    bool secure_boot;          /* the signed shim and GRUB are on the disk */
    struct jeos_copyright *cr; /* from /usr/share/doc/NAME/copyright; .why set when absent */
    bool *have_cr;
    char **maintainer, **source, **homepage; /* the .deb's control fields, or NULL */
};

/*
 * Reads, from the root tree before it is trimmed (the copyright files go with /usr/share/doc),
 * each installed package's copyright file and control fields (rf->pkgs); the kernel packages'
 * from the extracted kernel folder `kdir` and their .debs (dpkg-deb -f); with image.secure_boot,
 * the signed shim's and GRUB's from `sbdir`, where the build extracted them (NULL: no Secure
 * Boot). Never fails: what is missing becomes NOASSERTION with the reason. A second call
 * replaces what the first collected.
 */
void app_sbom_collect(const struct jeos_ctx *ctx, struct app_sbom *a,
                      const struct jeos_resolution *res, const struct rootfs *rf, const char *kdir,
                      const char *sbdir, const bool *in_kernel);

/*
 * Writes the document: every package of the resolution (those in the image — in_root, and the
 * kernel images — CONTAINed), the files of the final tree no package installed, and `init`
 * (the initramfs's /init). It goes into the tree at JEOS_SBOM_ROOT_PATH and to `out_path`
 * (STAGE/NAME.spdx.json), the same bytes. Returns 0 or a negative errno.
 */
int app_sbom_finish(const struct jeos_ctx *ctx, struct app_sbom *a, struct rootfs *rf,
                    const struct recipe *r, const bool *in_root, const char *init,
                    const char *out_path, struct jeos_err *err);

void app_sbom_free(struct app_sbom *a);

#endif
