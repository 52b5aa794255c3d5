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
    if (c.nsvc < 0 || c.nsvc > INIT_MAX_SERVICES || c.ndns > INIT_MAX_DNS ||
        c.ndirs > INIT_MAX_DIRS || c.nboot > INIT_MAX_BOOT)
        __builtin_trap();
    for (int k = 0; k < c.nsvc; k++) {
        const struct init_svc *s = &c.svc[k];
        if (s->start.argc < 1 || s->start.argc > INIT_MAX_ARGS || s->start.argv[s->start.argc] ||
            s->start.argv[0][0] != '/' || s->nenv > INIT_MAX_ENV || s->npre > INIT_MAX_PRE ||
            s->npost > INIT_MAX_PRE || s->ndirs > INIT_MAX_DIRS || !s->name[0])
            __builtin_trap();
        for (int i = 0; i < s->nenv; i++)
            if (!strchr(s->env[i], '='))
                __builtin_trap();
        for (int i = 0; i < s->ndirs; i++)
            if (s->dirs[i].path[0] != '/')
                __builtin_trap();
    }
    init_conf_free(&c);
    return 0;
}
