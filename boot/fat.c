/* fat.c — a FAT inside an image file, through mkfs.fat and mtools (see fat.h). */
#include "boot/fat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Copies the data of `src` (holes skipped) to `dst` at byte `offset`. */
static int copy_data(const char *src, const char *dst, uint64_t offset, struct jeos_err *err)
{
    int in = open(src, O_RDONLY | O_CLOEXEC), out = open(dst, O_WRONLY | O_CLOEXEC);
    int rc = 0;
    if (in < 0 || out < 0) {
        rc = jeos_errf(err, -errno, "%s: %s", in < 0 ? src : dst, strerror(errno));
        goto done;
    }
    unsigned char buf[65536];
    off_t end = lseek(in, 0, SEEK_END);
    for (off_t pos = lseek(in, 0, SEEK_DATA); pos >= 0 && pos < end && rc == 0;) {
        off_t hole = lseek(in, pos, SEEK_HOLE);
        if (hole < 0)
            hole = end;
        while (pos < hole && rc == 0) {
            size_t want = (size_t)(hole - pos) < sizeof(buf) ? (size_t)(hole - pos) : sizeof(buf);
            ssize_t n = pread(in, buf, want, pos), w = 0;
            if (n > 0)
                w = pwrite(out, buf, (size_t)n, (off_t)offset + pos);
            if (n <= 0 || w != n) {
                int e = (n < 0 || w < 0) ? errno : EIO;
                rc = jeos_errf(err, -e, "%s: copying the FAT into %s: %s", src, dst,
                               e == EIO && n >= 0 && w >= 0 ? "short read or write" : strerror(e));
            }
            pos += n > 0 ? n : 0;
        }
        pos = lseek(in, hole, SEEK_DATA);
    }
done:
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    return rc;
}

int jeos_fat_format(const char *img, uint64_t offset, uint64_t size, uint32_t volid,
                    const char *label, struct jeos_err *err)
{
    /* mkfs.fat chooses the FAT type and geometry from the size of the file it is given, not the
       count of blocks it is told to use: on a disk of 512 MiB or more it would pick FAT32 for
       an ESP of a few MiB, and fail. So the FAT is made in a file of exactly its size beside the
       image, and its data copied into place. */
    char *tmp = xasprintf("%s.fat", img);
    char vol[16];
    snprintf(vol, sizeof(vol), "%08X", volid);
    int rc = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
        rc = jeos_errf(err, -errno, "%s: %s", tmp, strerror(errno));
    if (fd >= 0)
        close(fd);
    /* --invariant pins the times it would write; it also sets a fixed serial, so -i must come
       after it. */
    char *argv[] = {"mkfs.fat", "--invariant", "-i", vol, "-n", (char *)label, tmp, NULL};
    if (rc == 0)
        rc = jeos_spawn(argv, NULL, err);
    if (rc == 0)
        rc = copy_data(tmp, img, offset, err);
    unlink(tmp);
    free(tmp);
    return rc;
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
