/* root.h — runtime/init's initramfs stage: modules, finding and mounting the root, switch_root. */
#ifndef JEOS_INIT_ROOT_H
#define JEOS_INIT_ROOT_H

#include <stddef.h>

/* Loads every module listed in `list` (paths, dependencies first); returns how many loaded. */
int root_load_modules(const char *list);

/* Finds the partition whose PARTUUID is `partuuid` (GPT GUID or MBR "SSSSSSSS-NN"),
   retrying until `timeout_ms`; writes "/dev/NAME" to dev. Returns 0 or -1. */
int root_find_partuuid(const char *partuuid, char *dev, size_t n, int timeout_ms);

/* Mounts `dev` (ext4, or squashfs under a tmpfs or `data_dev` ext4 overlay) on
   /newroot, moves /dev /proc /sys into it and makes it the root. Returns 0 or -1. */
int root_mount_and_switch(const char *dev, const char *fstype, const char *data_dev);

#endif
