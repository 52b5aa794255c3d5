/* format_gce.c — gce: the raw disk as disk.raw in a gzip-compressed old-GNU tar, as Google Compute
 * Engine imports it. */
#include <stdlib.h>
#include <string.h>

#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "images/format.h"
#include "images/tarball.h"

static int conv_gce(const struct jeos_ctx *ctx, const char *raw, const char *dir, const char *base,
                    const struct jeos_format_opts *o, struct jeos_err *err)
{
    (void)o;
    char *out = xasprintf("%s/%s.tar.gz", dir, base);
    struct jeos_tar t = {0};
    int rc = jeos_tar_open(&t, out, JEOS_TAR_GNU_GZIP, ctx->have_epoch ? ctx->epoch : 0, err);
    if (!rc)
        rc = jeos_tar_add_file(&t, "disk.raw", 0, raw, NULL, err);
    rc = jeos_tar_close(&t, rc, err);
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
