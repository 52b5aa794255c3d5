/* deb_fuzz.c — libFuzzer target: arbitrary bytes as a .deb extracted into a fresh tree. */
#include <stddef.h>
#include <stdint.h>

#include "builder/debian/deb.h"
#include "builder/core/err.h"
#include "builder/core/tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tree *t = tree_new(0);
    struct deb_info info;
    struct jeos_err err = {0};
    /* twice into the same tree: the second pass exercises overwrite and Replaces rules */
    if (deb_extract_buffer(t, "fuzz.deb", data, size, NULL, 0, &info, &err) == 0) {
        struct deb_info again;
        deb_extract_buffer(t, "fuzz.deb", data, size, &info, 1, &again, &err);
        deb_info_free(&again);
    }
    deb_info_free(&info);
    jeos_err_free(&err);
    tree_free(t);
    return 0;
}
