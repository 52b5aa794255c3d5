/* ptable.c — the partition-table kinds, layout planning and seed-derived identifiers (see
 * ptable.h). */
#include "images/ptable.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/core/err.h"

/*
 * The kinds, in the order messages list them. Each NAME is a `const struct jeos_ptable_ops
 * jeos_ptable_NAME` defined in images/NAME.c: adding a kind is its file and its name here.
 */
#define JEOS_PTABLE_LIST(X) X(gpt) X(mbr)

#define DECLARE(name) extern const struct jeos_ptable_ops jeos_ptable_##name;
JEOS_PTABLE_LIST(DECLARE)
#define ROW(name) &jeos_ptable_##name,
const struct jeos_ptable_ops *const jeos_ptables[] = {JEOS_PTABLE_LIST(ROW) NULL};

static const struct jeos_choice *ptable_choice(size_t i)
{
    return i < sizeof(jeos_ptables) / sizeof(jeos_ptables[0]) - 1 ? &jeos_ptables[i]->c : NULL;
}

const struct jeos_axis jeos_axis_ptable = {.key = "partition_table",
                                           .what = "partition table",
                                           .def = {"gpt", "gpt"},
                                           .choice = ptable_choice};

const struct jeos_ptable_ops *jeos_ptable_find(const char *name)
{
    for (size_t i = 0; jeos_ptables[i]; i++)
        if (strcmp(jeos_ptables[i]->c.name, name) == 0)
            return jeos_ptables[i];
    return NULL;
}

void jeos_uuid_derive(const char *seed, const char *label, uint8_t out[16])
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c) {
        fprintf(stderr, "jeos: out of memory (EVP_MD_CTX_new)\n");
        abort();
    }
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    EVP_DigestUpdate(c, seed, strlen(seed) + 1); /* the NUL separates seed from label */
    EVP_DigestUpdate(c, label, strlen(label));
    EVP_DigestFinal_ex(c, md, &mdlen);
    EVP_MD_CTX_free(c);
    memcpy(out, md, 16);
    out[6] = (uint8_t)((out[6] & 0x0f) | 0x40); /* version 4 */
    out[8] = (uint8_t)((out[8] & 0x3f) | 0x80); /* variant 1 */
}

void jeos_uuid_format(const uint8_t u[16], char buf[37])
{
    snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
             u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
             u[14], u[15]);
}

uint32_t jeos_crc32(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

int jeos_pwrite_all(int fd, const void *buf, size_t len, uint64_t off, const char *what,
                    struct jeos_err *err)
{
    const char *p = buf;
    while (len) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return jeos_errf(err, -errno, "%s: write at byte %llu: %s", what,
                             (unsigned long long)off, strerror(errno));
        }
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static uint64_t round_mib(uint64_t v)
{
    return (v + JEOS_MIB - 1) / JEOS_MIB * JEOS_MIB;
}

int jeos_layout_find(const struct jeos_layout *l, enum jeos_part_role role)
{
    for (size_t i = 0; i < l->nparts; i++)
        if (l->parts[i].role == role)
            return (int)i;
    return -1;
}

static const char *role_label(enum jeos_part_role r)
{
    switch (r) {
    case JEOS_PART_BIOS_BOOT: return "bios-boot";
    case JEOS_PART_ESP: return "esp";
    case JEOS_PART_ROOT: return "root";
    case JEOS_PART_DATA: return "data";
    }
    return "?";
}

int jeos_layout_plan(const struct jeos_layout_req *req, struct jeos_layout *l, struct jeos_err *err)
{
    memset(l, 0, sizeof(*l));
    if (!req->ops)
        return jeos_errf(err, -EINVAL, "disk layout: no partition-table kind given");
    if (req->no_root && req->root_size)
        return jeos_errf(err, -EINVAL,
                         "disk layout: a root size (%llu bytes) for a layout without a root "
                         "partition",
                         (unsigned long long)req->root_size);
    if (!req->esp_size || (!req->no_root && !req->root_size))
        return jeos_errf(err, -EINVAL,
                         "disk layout: the boot and root partitions need a size (got %llu and %llu "
                         "bytes)",
                         (unsigned long long)req->esp_size, (unsigned long long)req->root_size);
    const uint64_t limit = 1ull << 50; /* 1 PiB: keeps every sum below far from overflow */
    if (req->esp_size > limit || req->root_size > limit || req->data_size > limit ||
        req->min_disk_size > limit)
        return jeos_errf(err, -EINVAL, "disk layout: a size exceeds 1 PiB");
    l->ops = req->ops;

    struct want {
        enum jeos_part_role role;
        uint64_t size;
    } want[JEOS_MAX_PARTS];
    size_t n = 0;
    if (req->ops->bios_boot_part)
        want[n++] = (struct want){JEOS_PART_BIOS_BOOT, JEOS_MIB};
    want[n++] = (struct want){JEOS_PART_ESP, round_mib(req->esp_size)};
    if (!req->no_root)
        want[n++] = (struct want){JEOS_PART_ROOT, round_mib(req->root_size)};
    if (req->data_size)
        want[n++] = (struct want){JEOS_PART_DATA, round_mib(req->data_size)};

    uint64_t off = JEOS_MIB;
    for (size_t i = 0; i < n; i++) {
        struct jeos_part *p = &l->parts[i];
        p->role = want[i].role;
        p->start = off;
        p->size = want[i].size;
        p->number = (int)i + 1;
        jeos_uuid_derive(req->seed, role_label(p->role), p->uuid);
        off += p->size;
    }
    l->nparts = n;
    uint64_t disk = round_mib(off + req->ops->tail_reserve);
    if (req->min_disk_size && round_mib(req->min_disk_size) > disk) {
        uint64_t grow = round_mib(req->min_disk_size) - disk;
        l->parts[n - 1].size += grow;
        disk += grow;
    }
    l->disk_size = disk;
    jeos_uuid_derive(req->seed, "disk", l->disk_uuid);
    uint8_t id[16];
    jeos_uuid_derive(req->seed, "mbr-id", id);
    l->mbr_id =
        (uint32_t)id[0] | (uint32_t)id[1] << 8 | (uint32_t)id[2] << 16 | (uint32_t)id[3] << 24;
    if (!l->mbr_id)
        l->mbr_id = 1; /* 0 means "no signature" to some tools */
    if (disk >= req->ops->size_limit)
        return jeos_errf(err, -EINVAL,
                         "disk layout: %llu MiB is too large for an %s partition table (at most "
                         "%llu TiB; use gpt)",
                         (unsigned long long)(disk / JEOS_MIB), req->ops->c.title,
                         (unsigned long long)(req->ops->size_limit >> 40));
    return 0;
}
