/* cloud_fuzz.c — libFuzzer target: any bytes through runtime/init's metadata readers: as a NoCloud
 * seed volume (FAT and ISO 9660 directory records), as a config drive's meta_data.json, as a
 * metadata server's HTTP answer, EC2 key listing or GCE ssh-keys; each file read is within its
 * size, every refusal says why, host names and keys stay within their bounds. */
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
    free(meta), free(user);

    /* ISO 9660: the same bytes as a volume (padded to where its descriptors are when short) */
    (void)cloud_volume_kind(data, size);
    static unsigned char iso[ISO_VD_AT + 8 * ISO_BLOCK];
    const unsigned char *img = data;
    size_t ilen = size;
    if (size <= sizeof(iso) - ISO_VD_AT) {
        memset(iso, 0, sizeof(iso));
        memcpy(iso + ISO_VD_AT, data, size);
        iso[ISO_VD_AT] = 1, memcpy(iso + ISO_VD_AT + 1, "CD001", 5);
        img = iso, ilen = ISO_VD_AT + size;
    }
    const char *paths[] = {"meta-data", "openstack/latest/meta_data.json"};
    for (int i = 0; i < 2; i++) {
        char *f = NULL;
        why[0] = 0;
        int ri = cloud_iso_read(img, ilen, paths[i], &f, &n, why, sizeof(why));
        if ((ri == 0 && (!f || n > FILE_MAX || f[n])) || (ri == -2 && !why[0]) || (ri != 0 && f))
            __builtin_trap();
        free(f);
    }

    /* the text parsers */
    struct cloud_meta o = {0};
    int ro = cloud_parse_openstack(text, strlen(text), &o);
    if ((ro < 0 && !o.why[0]) || strlen(o.hostname) > 63 || o.nkeys > CLOUD_MAX_KEYS)
        __builtin_trap();
    cloud_parse_gce_keys(text, "svc", &o);
    struct cloud_meta h = {0};
    cloud_parse_hostname(text, strlen(text), "hostname", &h);
    if (o.nkeys > CLOUD_MAX_KEYS || strlen(h.hostname) > 63 || strchr(h.hostname, '.'))
        __builtin_trap();
    for (int i = 0; i < o.nkeys; i++)
        if (strchr(o.keys[i], '\n'))
            __builtin_trap();
    cloud_meta_free(&o);
    int idx[CLOUD_MAX_KEYS];
    int nk = cloud_ec2_key_indexes(text, idx, CLOUD_MAX_KEYS);
    if (nk < 0 || nk > CLOUD_MAX_KEYS)
        __builtin_trap();
    for (int i = 0; i < nk; i++)
        if (idx[i] < 0 || idx[i] >= 1000)
            __builtin_trap();
    int st = 0;
    const char *body = NULL;
    size_t blen = 0;
    why[0] = 0;
    size_t tl = strlen(text);
    if (cloud_http_parse(text, tl, &st, &body, &blen, why, sizeof(why)) == 0) {
        if (st < 100 || st > 599 || body < text || body + blen > text + tl)
            __builtin_trap();
    } else if (!why[0]) {
        __builtin_trap();
    }
    (void)cloud_http_header(text, "Metadata-Flavor", "Google");
    free(text);
    return 0;
}
