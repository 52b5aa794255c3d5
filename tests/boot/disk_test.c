/* disk_test.c — jeos_disk_write: the table, the boot FAT's files, the BIOS embedding fields,
 * atomicity; the unikernel (multiboot2) disk. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/boot.h"
#include "boot/disk.h"
#include "boot/grub.h"
#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/spawn.h"
#include "builder/core/util.h"
#include "builder/output/output.h"
#include "builder/recipe/recipe.h"
#include "tests/harness.h"

static char *tmp;

#define BIOS jeos_boot_find("bios")
#define UEFI jeos_boot_find("uefi")

static void put_file(const char *name, size_t size, char fill)
{
    char *p = xasprintf("%s/%s", tmp, name);
    char *buf = xmalloc(size);
    memset(buf, fill, size);
    struct jeos_err err = {0};
    T_EQ_INT(jeos_write_file_atomic(p, buf, size, 0644, &err), 0);
    jeos_err_free(&err);
    free(buf);
    free(p);
}

static int tools_missing(void)
{
    const char *need[] = {"/usr/bin/grub-mkimage",
                          "/usr/sbin/mkfs.fat",
                          "/usr/bin/mcopy",
                          "/usr/lib/grub/i386-pc/boot.img",
                          "/usr/lib/grub/x86_64-efi/fat.mod",
                          "/usr/sbin/sfdisk"};
    for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
        if (access(need[i], R_OK) != 0) {
            T_SKIP(need[i]);
            return 1;
        }
    return 0;
}

static char *run(char **argv)
{
    struct sbuf out = {0};
    struct jeos_err err = {0};
    if (jeos_spawn(argv, &out, &err) != 0)
        T_FAILF("%s: %s", argv[0], err.n ? err.msgs[0] : "?");
    jeos_err_free(&err);
    return out.s ? sbuf_take(&out) : xstrdup("");
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void hybrid_gpt(void)
{
    if (tools_missing())
        return;
    struct jeos_ctx ctx;
    struct jeos_err err = {0};
    T_EQ_INT(jeos_ctx_init(&ctx, &err), 0);
    free(ctx.tmpdir);
    ctx.tmpdir = xstrdup(tmp);
    put_file("vmlinuz", 3 << 20, 'k');
    put_file("initrd", 1 << 20, 'i');
    put_file("root.img", 5 << 20, 'r');
    char *k = xasprintf("%s/vmlinuz", tmp), *i = xasprintf("%s/initrd", tmp),
         *r = xasprintf("%s/root.img", tmp), *out = xasprintf("%s/disk.raw", tmp);
    struct jeos_disk_spec spec = {.kernel = k,
                                  .initramfs = i,
                                  .rootfs = r,
                                  .rootfstype = "ext4",
                                  .ptable = jeos_ptable_find("gpt"),
                                  .boot = {BIOS, UEFI},
                                  .seed = "disk-test",
                                  .title = "test"};
    struct jeos_disk_info info;
    int rc = jeos_disk_write(&ctx, &spec, out, &info, &err);
    T_EQ_INT(rc, 0);
    if (rc) {
        jeos_err_print(&err, stdout, "  ");
        goto done;
    }
    char *v[] = {"sfdisk", "--verify", out, NULL};
    char *s = run(v);
    T_CHECK(strstr(s, "No errors detected") != NULL);
    free(s);

    /* The boot FAT holds what grub.cfg names, with the right sizes. */
    const struct jeos_part *ep = &info.layout.parts[jeos_layout_find(&info.layout, JEOS_PART_ESP)];
    char *at = xasprintf("%s@@%llu", out, (unsigned long long)ep->start);
    char *dir[] = {"mdir", "-i", at, "-/", "-b", "::", NULL};
    s = run(dir);
    T_CHECK(strstr(s, "::/boot/vmlinuz") != NULL);
    T_CHECK(strstr(s, "::/boot/initrd.img") != NULL);
    T_CHECK(strstr(s, "::/boot/grub/grub.cfg") != NULL);
    T_CHECK(strstr(s, "::/EFI/BOOT/BOOTX64.EFI") != NULL);
    free(s);
    char *vol[] = {"mdir", "-i", at, "::", NULL};
    s = run(vol);
    char serial[64];
    snprintf(serial, sizeof(serial), "Volume Serial Number is %04X-%04X", info.esp_volid >> 16,
             info.esp_volid & 0xffff);
    if (!strstr(s, serial))
        T_FAILF("no \"%s\" in: %s", serial, s);
    free(s);
    char *cfgp = xasprintf("%s/got.cfg", tmp);
    char *cp[] = {"mcopy", "-i", at, "::/boot/grub/grub.cfg", cfgp, NULL};
    free(run(cp));
    char *cfg = NULL;
    size_t len;
    T_EQ_INT(jeos_read_file(cfgp, &cfg, &len, &err), 0);
    /* The BIOS GRUB boots with linux16, the UEFI one with linux; one command line. */
    char want[512];
    snprintf(want, sizeof(want),
             "    if [ \"$grub_platform\" = pc ]; then\n"
             "        linux16 /boot/vmlinuz root=PARTUUID=%s rootfstype=ext4 ro "
             "no_timer_check console=ttyS0,115200 console=tty0\n"
             "        initrd16 /boot/initrd.img\n"
             "    else\n"
             "        linux /boot/vmlinuz root=PARTUUID=%s rootfstype=ext4 ro "
             "no_timer_check console=ttyS0,115200 console=tty0\n"
             "        initrd /boot/initrd.img\n"
             "    fi\n",
             info.root_partuuid, info.root_partuuid);
    if (!cfg || !strstr(cfg, want))
        T_FAILF("grub.cfg lacks\n%s\ngot:\n%s", want, cfg ? cfg : "(none)");
    T_CHECK(cfg && strstr(cfg, "set timeout=0\n") != NULL);
    free(cfg);
    free(cfgp);
    free(at);

    /* BIOS embedding: boot.img points at the BIOS boot partition, whose first sector's
       block list points at the sectors right after it, to be loaded at 0x8200. */
    int fd = open(out, O_RDONLY);
    uint8_t mbr[512], core0[512], rootbuf[16];
    T_EQ_INT(pread(fd, mbr, 512, 0), 512);
    const struct jeos_part *bb = &info.layout.parts[0];
    T_EQ_INT(bb->role, JEOS_PART_BIOS_BOOT);
    T_EQ_INT(get64(mbr + 0x5c), bb->start / 512);
    T_EQ_INT(mbr[0x64], 0xff);
    T_EQ_INT(mbr[0x66], 0x90);
    T_EQ_INT(mbr[0x1c2], 0xee); /* the protective MBR entry survived */
    T_EQ_INT(mbr[0x1fe], 0x55);
    T_EQ_INT(pread(fd, core0, 512, (off_t)bb->start), 512);
    T_EQ_INT(get64(core0 + 0x1f4), bb->start / 512 + 1);
    T_CHECK(core0[0x1f4 + 8] | core0[0x1f4 + 9]);
    T_EQ_INT(core0[0x1fe] | core0[0x1ff] << 8, 0x820);
    const struct jeos_part *rp = &info.layout.parts[jeos_layout_find(&info.layout, JEOS_PART_ROOT)];
    T_EQ_INT(pread(fd, rootbuf, 16, (off_t)rp->start + (5 << 20) - 16), 16);
    T_CHECK(memcmp(rootbuf, "rrrrrrrrrrrrrrrr", 16) == 0);
    close(fd);

done:
    free(k), free(i), free(r), free(out);
    jeos_err_free(&err);
    jeos_ctx_free(&ctx);
}

/* Whether `file` on the FAT at `at` ("IMG@@OFF") contains `needle`. */
static int fat_file_has(const char *at, const char *file, const char *needle)
{
    char *dst = xasprintf("%s/fat-file.bin", tmp);
    char *cp[] = {"mcopy", "-o", "-i", (char *)at, (char *)file, dst, NULL};
    free(run(cp));
    char *data = NULL;
    size_t len = 0;
    struct jeos_err err = {0};
    int found = jeos_read_file(dst, &data, &len, &err) == 0 &&
                memmem(data, len, needle, strlen(needle)) != NULL;
    jeos_err_free(&err);
    unlink(dst);
    free(data);
    free(dst);
    return found;
}

/* A unikernel disk: GPT with BIOS boot + ESP only, the ELF at /boot/NAME, a multiboot2 entry,
   the multiboot2 loader in both core images (and not in an appliance's). */
static void multiboot2_disk(void)
{
    if (tools_missing())
        return;
    struct jeos_ctx ctx;
    struct jeos_err err = {0};
    T_EQ_INT(jeos_ctx_init(&ctx, &err), 0);
    free(ctx.tmpdir);
    ctx.tmpdir = xstrdup(tmp);
    put_file("app.elf", 300000, 'u');
    char *k = xasprintf("%s/app.elf", tmp), *out = xasprintf("%s/uk.raw", tmp);
    struct jeos_disk_spec spec = {.kind = JEOS_DISK_MULTIBOOT2,
                                  .kernel = k,
                                  .kernel_name = "app.elf",
                                  .ptable = jeos_ptable_find("gpt"),
                                  .boot = {BIOS, UEFI},
                                  .seed = "uk-test",
                                  .title = "app",
                                  .cmdline = "-v 8080"};
    struct jeos_disk_info info;
    int rc = jeos_disk_write(&ctx, &spec, out, &info, &err);
    T_EQ_INT(rc, 0);
    if (rc) {
        jeos_err_print(&err, stdout, "  ");
        goto done;
    }
    T_EQ_INT(info.layout.nparts, 2);
    T_EQ_INT(info.layout.parts[0].role, JEOS_PART_BIOS_BOOT);
    T_EQ_INT(info.layout.parts[1].role, JEOS_PART_ESP);
    T_EQ_STR(info.root_partuuid, "");
    /* 1 MiB gap + 1 MiB BIOS boot + the 8 MiB minimum ESP + the backup GPT's MiB */
    T_EQ_INT(info.layout.disk_size, 11 << 20);
    char *v[] = {"sfdisk", "--verify", out, NULL};
    char *s = run(v);
    T_CHECK(strstr(s, "No errors detected") != NULL);
    free(s);

    char *at = xasprintf("%s@@%llu", out, (unsigned long long)info.layout.parts[1].start);
    char *dir[] = {"mdir", "-i", at, "-/", "-b", "::", NULL};
    s = run(dir);
    T_CHECK(strstr(s, "::/boot/app.elf") != NULL);
    T_CHECK(strstr(s, "::/boot/grub/grub.cfg") != NULL);
    T_CHECK(strstr(s, "::/EFI/BOOT/BOOTX64.EFI") != NULL);
    T_CHECK(strstr(s, "vmlinuz") == NULL && strstr(s, "initrd") == NULL);
    free(s);
    T_CHECK(fat_file_has(at, "::/boot/app.elf", "uuuuuuuu"));
    T_CHECK(fat_file_has(at, "::/EFI/BOOT/BOOTX64.EFI", "multiboot2"));
    char *cfgp = xasprintf("%s/uk.cfg", tmp);
    char *cp[] = {"mcopy", "-o", "-i", at, "::/boot/grub/grub.cfg", cfgp, NULL};
    free(run(cp));
    char *cfg = NULL;
    size_t len;
    T_EQ_INT(jeos_read_file(cfgp, &cfg, &len, &err), 0);
    T_EQ_STR(cfg, "# grub.cfg — written by jeos; read by both the BIOS and the UEFI GRUB.\n"
                  "serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1\n"
                  "terminal_input serial console\n"
                  "terminal_output serial console\n"
                  "set timeout=0\n"
                  "set default=0\n"
                  "menuentry \"app\" {\n"
                  "    multiboot2 /boot/app.elf -v 8080\n"
                  "}\n");
    free(cfg);
    free(cfgp);

    /* The BIOS embedding as for an appliance disk. */
    int fd = open(out, O_RDONLY);
    uint8_t mbr[512], core0[512];
    T_EQ_INT(pread(fd, mbr, 512, 0), 512);
    T_EQ_INT(get64(mbr + 0x5c), info.layout.parts[0].start / 512);
    T_EQ_INT(mbr[0x1c2], 0xee);
    T_EQ_INT(pread(fd, core0, 512, (off_t)info.layout.parts[0].start), 512);
    T_EQ_INT(get64(core0 + 0x1f4), info.layout.parts[0].start / 512 + 1);
    close(fd);
    free(at);

    /* An appliance's UEFI GRUB carries linux, not multiboot2. */
    put_file("avmlinuz", 1000, 'k');
    put_file("ainitrd", 1000, 'i');
    put_file("aroot", 1000, 'r');
    char *ak = xasprintf("%s/avmlinuz", tmp), *ai = xasprintf("%s/ainitrd", tmp),
         *ar = xasprintf("%s/aroot", tmp), *aout = xasprintf("%s/app.raw", tmp);
    struct jeos_disk_spec as = {.kernel = ak,
                                .initramfs = ai,
                                .rootfs = ar,
                                .rootfstype = "ext4",
                                .ptable = jeos_ptable_find("gpt"),
                                .boot = {UEFI},
                                .seed = "a"};
    T_EQ_INT(jeos_disk_write(&ctx, &as, aout, &info, &err), 0);
    at = xasprintf("%s@@%llu", aout, (unsigned long long)info.layout.parts[1].start);
    T_CHECK(!fat_file_has(at, "::/EFI/BOOT/BOOTX64.EFI", "multiboot2"));
    free(at);
    free(ak), free(ai), free(ar), free(aout);
done:
    free(k), free(out);
    jeos_err_free(&err);
    jeos_ctx_free(&ctx);
}

/* What a multiboot2 disk refuses, before anything is written. */
static void multiboot2_errors(void)
{
    struct jeos_ctx ctx;
    struct jeos_err err = {0};
    T_EQ_INT(jeos_ctx_init(&ctx, &err), 0);
    free(ctx.tmpdir);
    ctx.tmpdir = xstrdup(tmp);
    put_file("e.elf", 1000, 'u');
    char *k = xasprintf("%s/e.elf", tmp), *out = xasprintf("%s/e.raw", tmp);
    char want[400];
    struct jeos_disk_spec spec = {.kind = JEOS_DISK_MULTIBOOT2,
                                  .kernel = k,
                                  .initramfs = k,
                                  .ptable = jeos_ptable_find("gpt"),
                                  .boot = {BIOS},
                                  .seed = "e"};
    T_EQ_INT(jeos_disk_write(&ctx, &spec, out, NULL, &err), -EINVAL);
    snprintf(want, sizeof(want),
             "%s: disk: a multiboot2 disk has no initramfs, root or data partition", out);
    T_EQ_STR(err.n ? err.msgs[0] : NULL, want);
    jeos_err_free(&err);
    spec.initramfs = NULL;
    spec.kernel_name = "../x.elf";
    T_EQ_INT(jeos_disk_write(&ctx, &spec, out, NULL, &err), -EINVAL);
    snprintf(want, sizeof(want),
             "%s: disk: kernel file name \"../x.elf\" (expected letters, digits, '.', '_' or "
             "'-', not starting with '.')",
             out);
    T_EQ_STR(err.n ? err.msgs[0] : NULL, want);
    jeos_err_free(&err);
    spec.kernel_name = NULL;
    spec.cmdline = "a;b";
    T_EQ_INT(jeos_disk_write(&ctx, &spec, out, NULL, &err), -EINVAL);
    T_EQ_STR(err.n ? err.msgs[err.n - 1] : NULL,
             "grub.cfg: cmdline: character 0x3b is not allowed (got \"a;b\")");
    jeos_err_free(&err);
    T_CHECK(access(out, F_OK) != 0);
    free(k), free(out);
    jeos_ctx_free(&ctx);
}

static void failure_leaves_nothing(void)
{
    if (tools_missing())
        return;
    struct jeos_ctx ctx;
    struct jeos_err err = {0};
    T_EQ_INT(jeos_ctx_init(&ctx, &err), 0);
    free(ctx.tmpdir);
    ctx.tmpdir = xstrdup(tmp);
    put_file("k2", 1000, 'k');
    put_file("i2", 1000, 'i');
    char *k = xasprintf("%s/k2", tmp), *i = xasprintf("%s/i2", tmp),
         *r = xasprintf("%s/missing.img", tmp), *out = xasprintf("%s/fail.raw", tmp);
    struct jeos_disk_spec spec = {.kernel = k,
                                  .initramfs = i,
                                  .rootfs = r,
                                  .rootfstype = "ext4",
                                  .ptable = jeos_ptable_find("gpt"),
                                  .boot = {BIOS},
                                  .seed = "x"};
    T_EQ_INT(jeos_disk_write(&ctx, &spec, out, NULL, &err), -ENOENT);
    char want[300];
    snprintf(want, sizeof(want), "%s: root filesystem image: No such file or directory", r);
    T_EQ_STR(err.n ? err.msgs[0] : NULL, want);
    T_CHECK(access(out, F_OK) != 0);
    jeos_err_free(&err);

    /* UEFI on an MBR table is refused before anything is written. */
    spec.rootfs = k;
    spec.ptable = jeos_ptable_find("mbr");
    spec.boot[0] = UEFI;
    T_EQ_INT(jeos_disk_write(&ctx, &spec, out, NULL, &err), -EINVAL);
    snprintf(want, sizeof(want), "%s: disk: UEFI boot needs a gpt partition table (got mbr)", out);
    T_EQ_STR(err.n ? err.msgs[0] : NULL, want);
    T_CHECK(access(out, F_OK) != 0);
    free(k), free(i), free(r), free(out);
    jeos_err_free(&err);
    jeos_ctx_free(&ctx);
}

/* Same inputs, same seed, SOURCE_DATE_EPOCH set: the same bytes, a second later too. */
static void reproducible(void)
{
    if (tools_missing())
        return;
    setenv("SOURCE_DATE_EPOCH", "1700000000", 1); /* mtools reads it from the environment */
    struct jeos_ctx ctx;
    struct jeos_err err = {0};
    T_EQ_INT(jeos_ctx_init(&ctx, &err), 0);
    free(ctx.tmpdir);
    ctx.tmpdir = xstrdup(tmp);
    put_file("rk", 100000, 'k');
    put_file("ri", 100000, 'i');
    put_file("rr", 1 << 20, 'r');
    char *k = xasprintf("%s/rk", tmp), *i = xasprintf("%s/ri", tmp), *r = xasprintf("%s/rr", tmp);
    char *out[2] = {xasprintf("%s/rep1.raw", tmp), xasprintf("%s/rep2.raw", tmp)};
    struct jeos_disk_spec spec = {.kernel = k,
                                  .initramfs = i,
                                  .rootfs = r,
                                  .rootfstype = "squashfs",
                                  .ptable = jeos_ptable_find("gpt"),
                                  .boot = {BIOS, UEFI},
                                  .data_size = 4 << 20,
                                  .seed = "rep"};
    char *data[2] = {NULL, NULL};
    size_t len[2] = {0, 0};
    for (int n = 0; n < 2; n++) {
        if (n)
            usleep(1100 * 1000);
        T_EQ_INT(jeos_disk_write(&ctx, &spec, out[n], NULL, &err), 0);
        jeos_read_file(out[n], &data[n], &len[n], &err);
    }
    if (err.n)
        T_FAILF("%s", err.msgs[0]);
    T_CHECK(len[0] > 0 && len[0] == len[1]);
    T_CHECK(data[0] && data[1] && memcmp(data[0], data[1], len[0]) == 0);
    for (int n = 0; n < 2; n++)
        free(data[n]), free(out[n]);
    free(k), free(i), free(r);
    jeos_err_free(&err);
    jeos_ctx_free(&ctx);
    unsetenv("SOURCE_DATE_EPOCH");
}

static void spec_from_recipe(void)
{
    const char *y = "name: web\nversion: \"2\"\nkind: appliance\npackages: [nginx-light]\n"
                    "cmdline: quiet\n"
                    "service: {exec: [/bin/true]}\n"
                    "image: {root: ext4, boot: [bios], partition_table: mbr, size: 64M, data: 8M, "
                    "timeout: 3}\n";
    struct recipe *r = NULL;
    struct jeos_err err = {0};
    struct recipe_load_opts o = {.check_files = false};
    T_EQ_INT(recipe_load_buffer("web.yaml", y, strlen(y), &o, &r, &err), 0);
    if (!r) {
        jeos_err_print(&err, stdout, "  ");
        jeos_err_free(&err);
        return;
    }
    struct jeos_disk_spec s = {0};
    char *seed = NULL;
    T_EQ_INT(jeos_output_disk_spec(r, &s, &seed, &err), 0);
    T_EQ_STR(s.rootfstype, "ext4");
    T_CHECK(s.ptable == jeos_ptable_find("mbr"));
    T_CHECK(s.boot[0] == BIOS && s.boot[1] == NULL);
    T_EQ_INT(s.data_size, 8 << 20);
    T_EQ_INT(s.min_size, 64 << 20);
    T_EQ_INT(s.timeout, 3);
    T_EQ_STR(s.cmdline, "quiet");
    T_EQ_STR(s.seed, "web-2");
    free(seed);
    r->image.boot[r->image.nboot++] = "uefi"; /* the loader refuses it; the disk spec too */
    T_EQ_INT(jeos_output_disk_spec(r, &s, &seed, &err), -EINVAL);
    T_EQ_STR(err.n ? err.msgs[0] : NULL,
             "web.yaml: image.boot: uefi needs image.partition_table: gpt (got mbr)");
    recipe_free(r);
    jeos_err_free(&err);
}

static void kernel_find(void)
{
    struct jeos_err err = {0};
    char *root = xasprintf("%s/kpkg", tmp);
    char *mods = xasprintf("%s/lib/modules/6.1.0-9-cloud-amd64/kernel", root);
    char *boot = xasprintf("%s/boot", root);
    jeos_mkdir_p(mods, 0755, &err);
    jeos_mkdir_p(boot, 0755, &err);
    char *k = xasprintf("%s/vmlinuz-6.1.0-9-cloud-amd64", boot);
    jeos_write_file_atomic(k, "k", 1, 0644, &err);
    char *v = NULL, *m = NULL;
    T_EQ_INT(jeos_kernel_find(root, &v, &m, &err), 0);
    T_EQ_STR(v, k);
    char *want = xasprintf("%s/lib/modules/6.1.0-9-cloud-amd64", root);
    T_EQ_STR(m, want);
    free(v), free(m), free(want);
    char *k2 = xasprintf("%s/vmlinuz-6.1.0-10-cloud-amd64", boot);
    jeos_write_file_atomic(k2, "k", 1, 0644, &err);
    T_EQ_INT(jeos_kernel_find(root, &v, &m, &err), -EINVAL);
    char msg[400];
    snprintf(msg, sizeof(msg), "%s: 2 entries named vmlinuz-* (expected one kernel)", boot);
    T_EQ_STR(err.n ? err.msgs[0] : NULL, msg);
    jeos_err_free(&err);
    T_EQ_INT(jeos_kernel_find(tmp, &v, &m, &err), -ENOENT);
    snprintf(msg, sizeof(msg), "%s: no boot/vmlinuz-* (is this a kernel package?)", tmp);
    T_EQ_STR(err.n ? err.msgs[0] : NULL, msg);
    jeos_err_free(&err);
    free(root), free(mods), free(boot), free(k), free(k2);
}

static void cfg_rejects_quotes(void)
{
    struct sbuf b = {0};
    struct jeos_err err = {0};
    struct jeos_grub_cfg c = {.title = "a\"b", .partuuid = "x", .rootfstype = "ext4"};
    T_EQ_INT(jeos_grub_cfg_write(&c, &b, &err), -EINVAL);
    T_EQ_STR(err.n ? err.msgs[0] : NULL,
             "grub.cfg: title: character 0x22 is not allowed (got \"a\"b\")");
    sbuf_free(&b);
    jeos_err_free(&err);
}

int main(void)
{
    const char *t = getenv("T_TMP");
    tmp = xstrdup(t && *t ? t : "/tmp");
    T_RUN(hybrid_gpt);
    T_RUN(failure_leaves_nothing);
    T_RUN(multiboot2_disk);
    T_RUN(multiboot2_errors);
    T_RUN(reproducible);
    T_RUN(spec_from_recipe);
    T_RUN(kernel_find);
    T_RUN(cfg_rejects_quotes);
    free(tmp);
    return T_DONE();
}
