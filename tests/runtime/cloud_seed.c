/* cloud_seed.c — runs runtime/init/cloud.c's readers on a volume image (for cloud_test.sh): prints
 * whether it is a seed (NoCloud FAT or ISO 9660, a config drive), the host name and the keys it
 * gives, or why not; --text runs the config drive's and the metadata servers' text parsers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static void show(struct cloud_meta *m)
{
    printf("hostname=%s ignored=%s\n", m->hostname, m->why);
    for (int i = 0; i < m->nkeys; i++)
        printf("key=%s\n", m->keys[i]);
    if (m->other_users)
        printf("other_users=%d\n", m->other_users);
    cloud_meta_free(m);
}

/* --text KIND FILE [USER]: the metadata servers' and the config drive's text parsers */
static int text(const char *kind, const char *file, const char *user)
{
    FILE *f = fopen(file, "rb");
    if (!f)
        return 2;
    static char t[1 << 20];
    size_t len = fread(t, 1, sizeof(t) - 1, f);
    fclose(f);
    t[len] = 0;
    struct cloud_meta m = {0};
    if (strcmp(kind, "openstack") == 0) {
        printf("rc=%d\n", cloud_parse_openstack(t, len, &m));
    } else if (strcmp(kind, "hostname") == 0) {
        cloud_parse_hostname(t, len, "hostname", &m);
    } else if (strcmp(kind, "gce") == 0) {
        cloud_parse_gce_keys(t, user ? user : "", &m);
    } else if (strcmp(kind, "ec2") == 0) {
        int idx[CLOUD_MAX_KEYS], n = cloud_ec2_key_indexes(t, idx, CLOUD_MAX_KEYS);
        printf("indexes=%d:", n);
        for (int i = 0; i < n; i++)
            printf(" %d", idx[i]);
        printf("\n");
    } else if (strcmp(kind, "http") == 0) {
        int st = 0;
        const char *body = NULL;
        size_t bl = 0;
        char why[160] = "";
        int rc = cloud_http_parse(t, len, &st, &body, &bl, why, sizeof(why));
        printf("rc=%d status=%d body=%.*s why=%s flavor=%d\n", rc, st, rc ? 0 : (int)bl,
               rc ? "" : body, why, cloud_http_header(t, "Metadata-Flavor", "Google"));
        return 0;
    } else {
        return 2;
    }
    show(&m);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "--text") == 0)
        return text(argv[2], argv[3], argc > 4 ? argv[4] : NULL);
    if (argc != 2)
        return 2;
    FILE *f = fopen(argv[1], "rb");
    if (!f)
        return 2;
    static unsigned char img[80 << 20];
    size_t len = fread(img, 1, sizeof(img), f);
    fclose(f);
    int kind = cloud_volume_kind(img, len);
    printf("seed=%d kind=%d\n", cloud_is_seed(img, len), kind);
    char *meta = NULL, *user = NULL, why[160] = "";
    size_t n = 0;
    struct cloud_meta m = {0};
    if (kind == CLOUD_VOL_ISO_CONFIGDRIVE) {
        int rj = cloud_iso_read(img, len, "openstack/latest/meta_data.json", &meta, &n, why,
                                sizeof(why));
        printf("json=%d why=%s\n", rj, why);
        if (rj == 0)
            printf("rc=%d\n", cloud_parse_openstack(meta, n, &m));
    } else {
        int (*rd)(const unsigned char *, size_t, const char *, char **, size_t *, char *, size_t) =
            kind == CLOUD_VOL_ISO_NOCLOUD ? cloud_iso_read : cloud_fat_read;
        int rm = rd(img, len, "meta-data", &meta, &n, why, sizeof(why));
        int ru = rd(img, len, "user-data", &user, &n, why, sizeof(why));
        printf("meta=%d user=%d why=%s\n", rm, ru, why);
        cloud_parse(meta, user, &m);
    }
    show(&m);
    free(meta), free(user);
    return 0;
}
