/* cloud_seed.c — runs runtime/init/cloud.c's NoCloud reader on a volume image (for
 * cloud_test.sh): prints whether it is a seed, the host name and the keys it gives, or why not. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "runtime/init/init.h"

void init_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

long long init_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    FILE *f = fopen(argv[1], "rb");
    if (!f)
        return 2;
    static unsigned char img[80 << 20];
    size_t len = fread(img, 1, sizeof(img), f);
    fclose(f);
    printf("seed=%d\n", cloud_is_seed(img, len));
    char *meta = NULL, *user = NULL, why[160] = "";
    size_t n;
    int rm = cloud_fat_read(img, len, "meta-data", &meta, &n, why, sizeof(why));
    int ru = cloud_fat_read(img, len, "user-data", &user, &n, why, sizeof(why));
    printf("meta=%d user=%d why=%s\n", rm, ru, why);
    struct cloud_meta m = {0};
    cloud_parse(meta, user, &m);
    printf("hostname=%s ignored=%s\n", m.hostname, m.why);
    for (int i = 0; i < m.nkeys; i++)
        printf("key=%s\n", m.keys[i]);
    cloud_meta_free(&m);
    free(meta), free(user);
    return 0;
}
