/* initconf_fuzz.c — libFuzzer target: any bytes as /etc/jeos/init.conf through runtime/init's
 * parser; it must fail with a message or give a well-formed configuration. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "runtime/init/conf.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct init_conf c;
    char msg[256] = "";
    int rc = init_conf_parse((const char *)data, size, &c, msg, sizeof(msg));
    if (rc != 0) {
        if (strncmp(msg, "init.conf:", 10) != 0)
            __builtin_trap(); /* a failure always says where */
        return 0;
    }
    if (c.argc < 0 || c.argc > INIT_MAX_ARGS || c.argv[c.argc] != NULL ||
        (c.argc && c.argv[0][0] != '/') || c.nenv > INIT_MAX_ENV || c.ndns > INIT_MAX_DNS ||
        (c.service[0] && !c.argc))
        __builtin_trap();
    for (int i = 0; i < c.nenv; i++)
        if (!strchr(c.env[i], '='))
            __builtin_trap();
    init_conf_free(&c);
    return 0;
}
