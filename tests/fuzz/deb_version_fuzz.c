/* deb_version_fuzz.c — libFuzzer target: dpkg version comparison must be a consistent order on any
 * strings (antisymmetric, reflexive, transitive on three) and the syntax check must not crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "builder/core/alloc.h"
#include "builder/debian/deb_version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Three versions separated by '\n'. */
    char *buf = xmalloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = '\0';
    const char *v[3] = {"", "", ""};
    size_t len[3] = {0, 0, 0};
    char *p = buf;
    for (int i = 0; i < 3; i++) {
        char *nl = memchr(p, '\n', (size_t)(buf + size - p));
        v[i] = p;
        len[i] = nl ? (size_t)(nl - p) : (size_t)(buf + size - p);
        if (!nl)
            break;
        p = nl + 1;
    }
    int ab = sign(deb_ver_cmpn(v[0], len[0], v[1], len[1]));
    int ba = sign(deb_ver_cmpn(v[1], len[1], v[0], len[0]));
    int bc = sign(deb_ver_cmpn(v[1], len[1], v[2], len[2]));
    int ac = sign(deb_ver_cmpn(v[0], len[0], v[2], len[2]));
    if (ab != -ba || deb_ver_cmpn(v[0], len[0], v[0], len[0]) != 0)
        __builtin_trap();
    if (ab <= 0 && bc <= 0 && ac > 0)
        __builtin_trap();
    if (ab >= 0 && bc >= 0 && ac < 0)
        __builtin_trap();
    char *s = xstrndup(v[0], len[0]);
    deb_ver_problem(s);
    free(s);
    free(buf);
    return 0;
}
