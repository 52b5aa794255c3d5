/* root.h — runtime/init's initramfs stage: modules, finding and mounting the root, switch_root. */
#ifndef JEOS_INIT_ROOT_H
#define JEOS_INIT_ROOT_H

#include <stddef.h>

/* Reads the initramfs' module list ("NAME PATH DEPS ALIASES" lines, boot/initramfs.h). */
int root_modules_read(const char *list);
/* Adds a modalias that is not a device's, e.g. "fs-squashfs" for the root's filesystem. */
void root_modules_want(const char *alias);
/* Loads every listed module a present device (or a wanted alias) matches, with its
   dependencies, repeating while new devices appear. Returns how many were loaded. */
int root_modules_coldplug(void);

/* Finds the partition whose PARTUUID is `partuuid` (GPT GUID or MBR "SSSSSSSS-NN"),
   retrying until `timeout_ms`; writes "/dev/NAME" to dev. Returns 0 or -1. */
int root_find_partuuid(const char *partuuid, char *dev, size_t n, int timeout_ms);

/* Mounts `dev` (ext4, or squashfs under a tmpfs or `data_dev` ext4 overlay) on
   /newroot, moves /dev /proc /sys into it and makes it the root. Returns 0 or -1. */
int root_mount_and_switch(const char *dev, const char *fstype, const char *data_dev);

#endif
