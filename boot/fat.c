/* fat.c — a FAT inside an image file, through mkfs.fat and mtools (see fat.h). */
#include "boot/fat.h"

#include <stdio.h>
#include <stdlib.h>

#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/spawn.h"

void jeos_fat_open(struct jeos_fat *f, const struct jeos_ctx *ctx, const char *img, uint64_t offset)
{
    f->at = xasprintf("%s@@%llu", img, (unsigned long long)offset);
    /* mtools stamps its files with SOURCE_DATE_EPOCH when it is set, else the clock */
    f->vars[0] = xasprintf("SOURCE_DATE_EPOCH=%lld",
                           (long long)(ctx->have_epoch ? ctx->epoch : JEOS_FAT_EPOCH));
    f->vars[1] = NULL;
}

void jeos_fat_close(struct jeos_fat *f)
{
    free(f->at);
    free(f->vars[0]);
    f->at = f->vars[0] = NULL;
}

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

int jeos_fat_mkdir(const struct jeos_fat *f, const char *path, struct jeos_err *err)
{
    char *argv[] = {"mmd", "-i", f->at, (char *)path, NULL};
    struct jeos_tool_env t = {.vars = f->vars};
    return jeos_spawn_env(&t, argv, NULL, err);
}

int jeos_fat_copy(const struct jeos_fat *f, const char *src, const char *dst, struct jeos_err *err)
{
    char *argv[] = {"mcopy", "-i", f->at, (char *)src, (char *)dst, NULL};
    struct jeos_tool_env t = {.vars = f->vars};
    return jeos_spawn_env(&t, argv, NULL, err);
}
