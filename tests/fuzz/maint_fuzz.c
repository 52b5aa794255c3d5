/* maint_fuzz.c — libFuzzer target: any bytes as a maintainer script through the static reader
 * (maint.c) and as a systemd unit / tmpfiles line through the word splitter; they must end, never
 * crash, and hand the callback only commands whose words are all there. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "builder/appliance/maint.h"
#include "builder/appliance/sdconf.h"
#include "builder/core/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_command(void *arg, const struct maint_cmd *c, struct jeos_err *err)
{
    (void)arg;
    (void)err;
    if (!c->argc || c->argv[c->argc] != NULL)
        __builtin_trap();
    for (size_t i = 0; i < c->argc; i++)
        if (!c->argv[i])
            __builtin_trap();
    return 0;
}

static int on_test(void *arg, char op, const char *path)
{
    (void)arg;
    return path[0] == '/' && op == 'e' ? (int)(strlen(path) & 1) : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = xmalloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    struct maint_ops ops = {on_command, on_test};
    struct maint_stats st = {0, 0};
    maint_walk(text, "fuzz", size & 1 ? "preinst" : "postinst", &ops, NULL, &st, NULL);
    struct deb_strs w = {0};
    sdconf_split(text, &w);
    deb_strs_free(&w);
    free(text);
    return 0;
}
