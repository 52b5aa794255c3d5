/* format_gce.c — gce: the raw disk as disk.raw in a gzip-compressed old-GNU tar, sparse, its size
 * a whole number of GiB, as Google Compute Engine imports it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "images/format.h"
#include "images/tarball.h"

static int conv_gce(const struct jeos_ctx *ctx, const char *raw, const char *dir, const char *base,
                    const struct jeos_format_opts *o, struct jeos_err *err)
{
    (void)o;
    struct stat st;
    if (stat(raw, &st) != 0)
        return jeos_errf(err, -errno, "%s: %s", raw, strerror(errno));
    /* GCE refuses a disk.raw whose size is not a whole number of GiB: the tail is zeros (a
       hole). A GPT's backup header then sits before the end, as after any disk resize (the
       kernel uses the primary one; growpart moves it). */
    uint64_t gib = 1ull << 30, size = ((uint64_t)st.st_size + gib - 1) / gib * gib;
    char *out = xasprintf("%s/%s.tar.gz", dir, base);
    int rc = jeos_tar_gnu_sparse(out, "disk.raw", raw, size ? size : gib,
                                 ctx->have_epoch ? ctx->epoch : 0, err);
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
