/* format_gce.c — gce: the raw disk as disk.raw in a gzip-compressed old-GNU tar, sparse, its size
 * a whole number of GiB (a GPT's backup moved to the new end), as Google Compute Engine imports
 * it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "images/format.h"
#include "images/format_qemu.h"
#include "images/ptable.h"
#include "images/tarball.h"

static int conv_gce(const struct jeos_ctx *ctx, const char *raw, const char *dir, const char *base,
                    const struct jeos_format_opts *o, struct jeos_err *err)
{
    (void)o;
    struct stat st;
    if (stat(raw, &st) != 0)
        return jeos_errf(err, -errno, "%s: %s", raw, strerror(errno));
    /* GCE refuses a disk.raw whose size is not a whole number of GiB: a sparse copy of the
       disk, made longer (a hole), its GPT backup moved to the new end */
    uint64_t gib = 1ull << 30, size = ((uint64_t)st.st_size + gib - 1) / gib * gib;
    if (!size)
        size = gib;
    char *out = xasprintf("%s/%s.tar.gz", dir, base), *tmp = xasprintf("%s/disk.raw", dir);
    int rc = jeos_qemu_img(raw, tmp, "raw", NULL, err); /* keeps holes */
    if (!rc && truncate(tmp, (off_t)size) != 0)
        rc = jeos_errf(err, -errno, "%s: %s", tmp, strerror(errno));
    if (!rc) {
        int fd = open(tmp, O_RDWR | O_CLOEXEC);
        rc = fd < 0 ? jeos_errf(err, -errno, "%s: %s", tmp, strerror(errno))
                    : jeos_gpt_grow(fd, (uint64_t)st.st_size, size, err);
        if (fd >= 0 && close(fd) != 0 && !rc)
            rc = jeos_errf(err, -errno, "%s: close: %s", tmp, strerror(errno));
    }
    if (!rc)
        rc = jeos_tar_gnu_sparse(out, "disk.raw", tmp, size, ctx->have_epoch ? ctx->epoch : 0, err);
    unlink(tmp);
    free(tmp);
    free(out);
    return rc;
}

static const char *probe_gce(const struct jeos_choice *self, int fd, uint64_t size)
{
    (void)self;
    unsigned char h[2];
    (void)size;
    if (jeos_format_read(fd, 0, h, 2) != 2 || h[0] != 0x1f || h[1] != 0x8b)
        return "not gzip-compressed";
    return NULL;
}

static const char *const gce_outputs[] = {".tar.gz", NULL};
const struct jeos_format_ops jeos_format_gce = {.c = {.name = "gce",
                                                      .kinds = JEOS_FOR_BOTH,
                                                      .suffix = ".tar.gz",
                                                      .probe = probe_gce,
                                                      .title = "GCE image archive"},
                                                .outputs = gce_outputs,
                                                .convert = conv_gce};
