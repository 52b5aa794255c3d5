/* fat.c — a FAT inside an image file, through mkfs.fat and mtools (see fat.h). */
#include "boot/fat.h"

#include <stdio.h>

#include "builder/core/alloc.h"
#include "builder/core/spawn.h"

int jeos_fat_format(const char *img, uint64_t offset, uint64_t size, uint32_t volid,
                    const char *label, struct jeos_err *err)
{
    char secarg[40], vol[16], kib[32];
    snprintf(secarg, sizeof(secarg), "--offset=%llu", (unsigned long long)(offset / 512));
    snprintf(vol, sizeof(vol), "%08X", volid);
    snprintf(kib, sizeof(kib), "%llu", (unsigned long long)(size / 1024));
    /* --invariant pins the times it would write; it also sets a fixed serial, so -i must come
       after it. */
    char *argv[] = {"mkfs.fat", "--invariant", secarg,      "-i", vol,
                    "-n",       (char *)label, (char *)img, kib,  NULL};
    return jeos_spawn(argv, NULL, err);
}

char *jeos_fat_at(const char *img, uint64_t offset)
{
    return xasprintf("%s@@%llu", img, (unsigned long long)offset);
}

int jeos_fat_mkdir(const char *at, const char *path, struct jeos_err *err)
{
    char *argv[] = {"mmd", "-i", (char *)at, (char *)path, NULL};
    return jeos_spawn(argv, NULL, err);
}

int jeos_fat_copy(const char *at, const char *src, const char *dst, struct jeos_err *err)
{
    char *argv[] = {"mcopy", "-i", (char *)at, (char *)src, (char *)dst, NULL};
    return jeos_spawn(argv, NULL, err);
}
