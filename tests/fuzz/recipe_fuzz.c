/* recipe_fuzz.c — libFuzzer target: any bytes through the recipe loader; it must fail cleanly or
 * load. */
#include <stddef.h>
#include <stdint.h>

#include "builder/core/err.h"
#include "builder/recipe/recipe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jeos_err err;
    jeos_err_init(&err);
    struct recipe *r = NULL;
    struct recipe_load_opts opts = {.check_files = false};
    int rc = recipe_load_buffer("fuzz.yaml", (const char *)data, size, &opts, &r, &err);
    if (rc == 0 && (!r || jeos_err_count(&err)))
        __builtin_trap(); /* success must come with a recipe and no messages */
    if (rc != 0 && (r || !jeos_err_count(&err)))
        __builtin_trap(); /* failure must come with a message and no recipe */
    recipe_free(r);
    jeos_err_free(&err);
    return 0;
}
