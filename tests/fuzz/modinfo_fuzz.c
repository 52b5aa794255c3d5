/* modinfo_fuzz.c — libFuzzer target: any bytes as a kernel module's ELF; .modinfo parsing must fail
 * cleanly or return a dependency list. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/modules.h"
#include "builder/core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jeos_err err;
    jeos_err_init(&err);
    char *deps = NULL;
    /* a copy of exactly `size` bytes, so reading one past the end is caught */
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    int rc = jeos_modinfo_depends(copy, size, "fuzz.ko", &deps, &err);
    if (rc == 0 && (!deps || jeos_err_count(&err)))
        __builtin_trap();
    if (rc != 0 && (deps || !jeos_err_count(&err)))
        __builtin_trap();
    free(deps);
    char *aliases = NULL;
    jeos_err_free(&err);
    jeos_err_init(&err);
    rc = jeos_modinfo_aliases(copy, size, "fuzz.ko", &aliases, &err);
    if ((rc == 0) != (aliases != NULL) || (rc != 0) != (jeos_err_count(&err) != 0))
        __builtin_trap();
    if (aliases && strchr(aliases, '\n'))
        __builtin_trap(); /* one line in /etc/jeos/modules */
    free(aliases);
    free(copy);
    jeos_err_free(&err);
    return 0;
}
