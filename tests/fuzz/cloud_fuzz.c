/* cloud_fuzz.c — libFuzzer target: any bytes as a NoCloud seed volume through runtime/init's FAT
 * reader and metadata parser; each file read is within its size, every refusal says why. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "runtime/init/cloud.c"

void init_log(const char *fmt, ...)
{
    (void)fmt;
}

long long init_now_ms(void)
{
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)cloud_is_seed(data, size);
    char *meta = NULL, *user = NULL, why[160] = "";
    size_t n = 0;
    int rm = cloud_fat_read(data, size, "meta-data", &meta, &n, why, sizeof(why));
    if ((rm == 0 && (!meta || n > FILE_MAX || meta[n])) || (rm == -2 && !why[0]) ||
        (rm != 0 && meta))
        __builtin_trap();
    why[0] = 0;
    int ru = cloud_fat_read(data, size, "user-data", &user, &n, why, sizeof(why));
    if ((ru == 0 && (!user || user[n])) || (ru == -2 && !why[0]))
        __builtin_trap();
    struct cloud_meta m = {0};
    cloud_parse(meta, user, &m);
    /* and the same parser on the raw bytes as text */
    char *text = strndup((const char *)data, size);
    struct cloud_meta t = {0};
    cloud_parse(text, text, &t);
    if (strlen(m.hostname) > 63 || m.nkeys > CLOUD_MAX_KEYS || t.nkeys > CLOUD_MAX_KEYS)
        __builtin_trap();
    for (int i = 0; i < t.nkeys; i++)
        if (strchr(t.keys[i], '\n'))
            __builtin_trap();
    cloud_meta_free(&m);
    cloud_meta_free(&t);
    free(text), free(meta), free(user);
    return 0;
}
