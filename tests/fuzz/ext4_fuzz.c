/* ext4_fuzz.c — libFuzzer target: any bytes as an ext4 image read through libext2fs by jeos's
 * listing (folder loops, depth, inode numbers checked by us); it must list or fail with a message.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/util.h"
#include "images/fsread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/jeos-ext4-fuzz.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    if (jeos_write_all(fd, data, size) < 0) {
        close(fd), unlink(path);
        return 0;
    }
    close(fd);
    struct jeos_ctx ctx = {.tmpdir = "/tmp"};
    struct jeos_fslist l;
    struct jeos_err err;
    jeos_err_init(&err);
    int rc = jeos_fs_list(&ctx, path, 0, "ext4", true, &l, &err);
    if ((rc < 0) != (jeos_err_count(&err) != 0))
        __builtin_trap();
    if (rc == 0)
        jeos_fslist_free(&l);
    jeos_err_free(&err);
    char *d = NULL;
    size_t len;
    jeos_err_init(&err);
    rc = jeos_fs_cat(&ctx, path, 0, "ext4", "/etc/passwd", &d, &len, &err);
    if (rc == 0 && !d)
        __builtin_trap();
    free(d);
    jeos_err_free(&err);
    unlink(path);
    return 0;
}
