/* initramfs.h — the appliance's initramfs: runtime/init plus only the kernel modules it needs, as
 * compressed newc cpio. */
#ifndef JEOS_INITRAMFS_H
#define JEOS_INITRAMFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/modules.h"

struct jeos_ctx;
struct jeos_err;

/*
 * The modules every appliance initramfs carries (missing or built-in ones are
 * skipped; init loads only those a present device asks for): disks and NICs of
 * KVM/QEMU and Firecracker (virtio pci/mmio), Xen (front ends), VMware (pvscsi,
 * vmxnet3), Hyper-V/Azure (storvsc, netvsc), AWS (NVMe, ENA), GCE (gVNIC), IDE/SCSI
 * disks, the root filesystems (squashfs, overlay, ext4) and the ACPI power button
 * (button, evdev).
 */
extern const char *const jeos_initramfs_default_modules[];

enum jeos_initramfs_compress { JEOS_INITRAMFS_ZSTD, JEOS_INITRAMFS_GZIP, JEOS_INITRAMFS_NONE };

struct jeos_initramfs_spec {
    const char *init;           /* host path of the jeos-init binary, stored as /init */
    const char *modroot;        /* module tree, ".../lib/modules/VERSION"; NULL = no modules */
    const char *const *modules; /* required extra names (recipe modules:): NULL-terminated, */
    size_t nmodules;            /* or, when nmodules > 0, exactly that many (recipe_strlist) */
    bool default_modules;       /* also the optional jeos_initramfs_default_modules */
    enum jeos_initramfs_compress compress;
};

/*
 * Writes the initramfs to `out_path` atomically: /init, /dev/console, the
 * resolved modules under /lib/modules/VERSION/ and /etc/jeos/modules listing
 * them in load order (which tells init it runs from an initramfs), one a line:
 * "NAME /lib/modules/VERSION/PATH DEPS ALIASES" — DEPS comma-separated names or
 * "-"; ALIASES the modalias patterns of the devices it drives, "*" to load it
 * always, "-" to load it only as a dependency. init loads a module when a
 * device's modalias matches one of its patterns (as udev would), deps first. Every entry
 * is root-owned, timed at SOURCE_DATE_EPOCH (0 without one) and written in a
 * fixed order, so the output is reproducible. `mods` (may be NULL) receives
 * the resolution for the build report; free it with jeos_modlist_free.
 */
int jeos_initramfs_write(const struct jeos_ctx *ctx, const struct jeos_initramfs_spec *spec,
                         const char *out_path, struct jeos_modlist *mods, struct jeos_err *err);

#endif
