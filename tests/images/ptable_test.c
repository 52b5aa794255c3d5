/* ptable_test.c — GPT and MBR layouts written to a file and read back with sfdisk. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/core/spawn.h"
#include "images/ptable.h"
#include "tests/harness.h"

#define GPT jeos_ptable_find("gpt")
#define MBR jeos_ptable_find("mbr")

static char *tmpdir(void)
{
    const char *t = getenv("T_TMP");
    return xstrdup(t && *t ? t : "/tmp");
}

static int have_sfdisk(void)
{
    return access("/usr/sbin/sfdisk", X_OK) == 0 || access("/sbin/sfdisk", X_OK) == 0;
}

/* Plans and writes a layout to a fresh file; returns the file's path (caller frees). */
static char *write_disk(const struct jeos_layout_req *req, struct jeos_layout *l, const char *name)
{
    struct jeos_err err = {0};
    char *dir = tmpdir();
    char *path = xasprintf("%s/%s", dir, name);
    free(dir);
    T_EQ_INT(jeos_layout_plan(req, l, &err), 0);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    T_CHECK(fd >= 0);
    T_EQ_INT(ftruncate(fd, (off_t)l->disk_size), 0);
    T_EQ_INT(l->ops->write(l, fd, &err), 0);
    if (err.n)
        T_FAILF("%s", err.msgs[0]);
    close(fd);
    jeos_err_free(&err);
    return path;
}

static char *sfdisk(const char *opt, const char *path)
{
    struct sbuf out = {0};
    struct jeos_err err = {0};
    char *argv[] = {"sfdisk", (char *)opt, (char *)path, NULL};
    if (jeos_spawn(argv, &out, &err) != 0)
        T_FAILF("sfdisk %s: %s", opt, err.n ? err.msgs[0] : "?");
    jeos_err_free(&err);
    return out.s ? sbuf_take(&out) : xstrdup("");
}

static void expect_has(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        T_FAILF("missing \"%s\" in:\n%s", needle, hay);
}

static void gpt_layout(void)
{
    if (!have_sfdisk()) {
        T_SKIP("sfdisk not installed");
        return;
    }
    struct jeos_layout l;
    struct jeos_layout_req req = {.ops = GPT,
                                  .seed = "test-seed",
                                  .esp_size = 20 * JEOS_MIB + 1,
                                  .root_size = 50 * JEOS_MIB,
                                  .data_size = 0};
    char *path = write_disk(&req, &l, "gpt.img");
    T_EQ_INT(l.nparts, 3);
    /* 1 MiB lead-in + 1 + 21 + 50 MiB + the backup GPT rounded to 1 MiB */
    T_EQ_INT(l.disk_size, 74 * JEOS_MIB);
    T_EQ_INT(l.parts[0].start, JEOS_MIB);
    T_EQ_INT(l.parts[1].start, 2 * JEOS_MIB);
    T_EQ_INT(l.parts[1].size, 21 * JEOS_MIB);
    T_EQ_INT(l.parts[2].start, 23 * JEOS_MIB);

    char *dump = sfdisk("--dump", path);
    char uuid[37], line[256];
    expect_has(dump, "label: gpt");
    jeos_uuid_format(l.disk_uuid, uuid);
    for (char *p = uuid; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
    snprintf(line, sizeof(line), "label-id: %s", uuid);
    expect_has(dump, line);
    expect_has(dump, "first-lba: 34");
    expect_has(dump, "gpt.img1 : start=        2048, size=        2048, "
                     "type=21686148-6449-6E6F-744E-656564454649");
    expect_has(dump, "gpt.img2 : start=        4096, size=       43008, "
                     "type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
    expect_has(dump, "gpt.img3 : start=       47104, size=      102400, "
                     "type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709");
    expect_has(dump, "name=\"root\"");
    l.ops->partuuid(&l, 2, uuid);
    for (char *p = uuid; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
    snprintf(line, sizeof(line), "uuid=%s", uuid);
    expect_has(dump, line);
    free(dump);

    /* sfdisk --verify checks both headers, the CRCs and overlaps */
    char *verify = sfdisk("--verify", path);
    expect_has(verify, "No errors detected");
    free(verify);
    char *json = sfdisk("--json", path);
    expect_has(json, "\"label\": \"gpt\"");
    free(json);
    free(path);
}

static void gpt_reproducible(void)
{
    struct jeos_layout a, b, c;
    struct jeos_err err = {0};
    struct jeos_layout_req req = {
        .ops = GPT, .seed = "s1", .esp_size = JEOS_MIB, .root_size = JEOS_MIB};
    T_EQ_INT(jeos_layout_plan(&req, &a, &err), 0);
    T_EQ_INT(jeos_layout_plan(&req, &b, &err), 0);
    T_CHECK(memcmp(&a, &b, sizeof(a)) == 0);
    req.seed = "s2";
    T_EQ_INT(jeos_layout_plan(&req, &c, &err), 0);
    T_CHECK(memcmp(a.disk_uuid, c.disk_uuid, 16) != 0);
    T_CHECK(memcmp(a.parts[2].uuid, c.parts[2].uuid, 16) != 0);
    T_CHECK(memcmp(a.parts[1].uuid, a.parts[2].uuid, 16) != 0);
    T_EQ_INT(a.parts[2].uuid[6] >> 4, 4); /* version 4 */
    jeos_err_free(&err);
}

static void mbr_layout(void)
{
    if (!have_sfdisk()) {
        T_SKIP("sfdisk not installed");
        return;
    }
    struct jeos_layout l;
    struct jeos_layout_req req = {.ops = MBR,
                                  .seed = "mbr-seed",
                                  .esp_size = 8 * JEOS_MIB,
                                  .root_size = 10 * JEOS_MIB,
                                  .data_size = 3 * JEOS_MIB,
                                  .min_disk_size = 64 * JEOS_MIB};
    char *path = write_disk(&req, &l, "mbr.img");
    T_EQ_INT(l.nparts, 3);
    T_EQ_INT(l.disk_size, 64 * JEOS_MIB);
    T_EQ_INT(l.parts[2].size, (64 - 1 - 8 - 10) * JEOS_MIB); /* the last one grows */
    char *dump = sfdisk("--dump", path);
    char line[128];
    expect_has(dump, "label: dos");
    snprintf(line, sizeof(line), "label-id: 0x%08x", l.mbr_id);
    expect_has(dump, line);
    expect_has(dump, "mbr.img1 : start=        2048, size=       16384, type=ef, bootable");
    expect_has(dump, "mbr.img2 : start=       18432, size=       20480, type=83");
    expect_has(dump, "mbr.img3 : start=       38912, size=       92160, type=83");
    char uuid[37];
    l.ops->partuuid(&l, 1, uuid);
    snprintf(line, sizeof(line), "%08x-02", l.mbr_id);
    T_EQ_STR(uuid, line);
    free(dump);
    free(path);
}

/* A unikernel's layout: no root partition; a minimum size grows the ESP, the last one. */
static void no_root(void)
{
    struct jeos_layout l;
    struct jeos_err err = {0};
    struct jeos_layout_req req = {
        .ops = GPT, .seed = "uk", .esp_size = 8 * JEOS_MIB, .no_root = true};
    T_EQ_INT(jeos_layout_plan(&req, &l, &err), 0);
    T_EQ_INT(l.nparts, 2);
    T_EQ_INT(l.parts[0].role, JEOS_PART_BIOS_BOOT);
    T_EQ_INT(l.parts[1].role, JEOS_PART_ESP);
    T_EQ_INT(l.parts[1].start, 2 * JEOS_MIB);
    T_EQ_INT(l.disk_size, 11 * JEOS_MIB);
    T_EQ_INT(jeos_layout_find(&l, JEOS_PART_ROOT), -1);
    req.min_disk_size = 64 * JEOS_MIB;
    T_EQ_INT(jeos_layout_plan(&req, &l, &err), 0);
    T_EQ_INT(l.disk_size, 64 * JEOS_MIB);
    T_EQ_INT(l.parts[1].size, 61 * JEOS_MIB);
    req.ops = MBR;
    req.min_disk_size = 0;
    T_EQ_INT(jeos_layout_plan(&req, &l, &err), 0);
    T_EQ_INT(l.nparts, 1);
    T_EQ_INT(l.parts[0].role, JEOS_PART_ESP);
    char *path = write_disk(&req, &l, "noroot-mbr.img");
    if (have_sfdisk()) {
        char *d = sfdisk("--dump", path);
        expect_has(d, "start=        2048, size=       16384, type=ef, bootable");
        T_CHECK(strstr(d, "img2") == NULL);
        free(d);
    }
    free(path);
    jeos_err_free(&err);
}

static void bad_sizes(void)
{
    struct jeos_layout l;
    struct jeos_err err = {0};
    struct jeos_layout_req req = {.ops = GPT, .seed = "x", .root_size = JEOS_MIB};
    T_EQ_INT(jeos_layout_plan(&req, &l, &err), -EINVAL);
    T_EQ_STR(err.msgs[0], "disk layout: the boot and root partitions need a size (got 0 and "
                          "1048576 bytes)");
    jeos_err_free(&err);
    req = (struct jeos_layout_req){
        .ops = MBR, .seed = "x", .esp_size = JEOS_MIB, .root_size = 3ull << 40};
    T_EQ_INT(jeos_layout_plan(&req, &l, &err), -EINVAL);
    T_EQ_STR(err.msgs[0], "disk layout: 3145730 MiB is too large for an MBR partition table (at "
                          "most 2 TiB; use gpt)");
    jeos_err_free(&err);
    req = (struct jeos_layout_req){
        .ops = GPT, .seed = "x", .esp_size = JEOS_MIB, .root_size = JEOS_MIB, .no_root = true};
    T_EQ_INT(jeos_layout_plan(&req, &l, &err), -EINVAL);
    T_EQ_STR(err.msgs[0], "disk layout: a root size (1048576 bytes) for a layout without a root "
                          "partition");
    jeos_err_free(&err);
    T_EQ_STR(jeos_ptable_find("gpt")->c.name, "gpt");
    T_EQ_STR(jeos_ptable_find("mbr")->c.name, "mbr");
    T_CHECK(jeos_ptable_find("apm") == NULL);
}

static void crc32_known(void)
{
    T_EQ_INT(jeos_crc32(0, "123456789", 9), 0xcbf43926u);
}

int main(void)
{
    T_RUN(crc32_known);
    T_RUN(gpt_layout);
    T_RUN(gpt_reproducible);
    T_RUN(no_root);
    T_RUN(mbr_layout);
    T_RUN(bad_sizes);
    return T_DONE();
}
