/* fsread_fuzz.c — libFuzzer target: any bytes as a partition's superblock area and as
 * unsquashfs's pseudo-file listing; both readers must stay inside the input and fail cleanly. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "builder/core/err.h"
#include "images/fsread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    struct jeos_fsinfo fi;
    jeos_fs_identify(copy, size, size, &fi);
    if (strnlen(fi.detail, sizeof(fi.detail)) == sizeof(fi.detail))
        __builtin_trap();
    struct jeos_fslist l = {0};
    struct jeos_err err;
    jeos_err_init(&err);
    int rc = jeos_pseudo_parse((const char *)copy, size, "fuzz", true, &l, &err);
    if ((rc < 0) != (jeos_err_count(&err) != 0))
        __builtin_trap();
    for (size_t i = 0; i < l.n; i++)
        if (l.v[i].path[0] != '/' || l.v[i].mode > 07777)
            __builtin_trap();
    jeos_fslist_free(&l);
    jeos_err_free(&err);
    free(copy);
    return 0;
}
