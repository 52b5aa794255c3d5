/* initramfs_test.c — module resolution (from .modinfo and from modules.dep) and the cpio written.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "boot/initramfs.h"
#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/spawn.h"
#include "builder/core/util.h"
#include "tests/harness.h"

static char *tmp;

/* Compiles a real ELF object whose .modinfo says `modinfo` (NUL-separated, as the kernel's). */
static int make_ko(const char *rel, const char *depends, const char *extra)
{
    struct jeos_err err = {0};
    char *path = xasprintf("%s/mods/%s", tmp, rel);
    char *dir = xstrdup(path);
    *strrchr(dir, '/') = 0;
    jeos_mkdir_p(dir, 0755, &err);
    char *src = xasprintf("%s/m.c", tmp);
    char *code = xasprintf("__attribute__((section(\".modinfo\"), used)) static const char "
                           "mi[] = \"license=GPL\\0depends=%s\\0%svermagic=6.1\";\n",
                           depends, extra);
    int rc = jeos_write_file_atomic(src, code, strlen(code), 0644, &err);
    char *argv[] = {"cc", "-c", "-o", path, src, NULL};
    if (!rc)
        rc = jeos_spawn(argv, NULL, &err);
    if (rc)
        T_FAILF("%s", err.n ? err.msgs[0] : "?");
    jeos_err_free(&err);
    free(path), free(dir), free(src), free(code);
    return rc;
}

static int fixtures_done;
static int fixtures(void)
{
    if (fixtures_done)
        return fixtures_done > 0 ? 0 : -1;
    fixtures_done = -1;
    if (access("/usr/bin/cc", X_OK) != 0)
        return -1;
    if (make_ko("kernel/drivers/x.ko", "dep-one,dep_two", "alias=pci:v0000ABCDd*\\0") ||
        make_ko("kernel/lib/dep-one.ko", "", "") ||
        make_ko("kernel/lib/dep_two.ko", "dep_one", "") ||
        make_ko("kernel/fs/lonely.ko", "",
                "alias=pci:v00001234d*sv*\\0alias=virtio:d00000002v*\\0") ||
        make_ko("kernel/fs/alone.ko", "", "") || make_ko("kernel/fs/broken.ko", "ghost", ""))
        return -1;
    char *b = xasprintf("%s/mods/modules.builtin", tmp);
    struct jeos_err err = {0};
    const char *text = "kernel/fs/ext4/ext4.ko\nkernel/drivers/nvme/host/nvme.ko\n";
    jeos_write_file_atomic(b, text, strlen(text), 0644, &err);
    jeos_err_free(&err);
    free(b);
    fixtures_done = 1;
    return 0;
}

static void resolve_from_modinfo(void)
{
    if (fixtures()) {
        T_SKIP("no C compiler to make module fixtures");
        return;
    }
    char *root = xasprintf("%s/mods", tmp);
    const char *req[] = {"x", "ext4", NULL},
               *opt[] = {"nothere", "lonely", "dep_one", "alone", NULL};
    struct jeos_modlist m;
    struct jeos_err err = {0};
    T_EQ_INT(jeos_modules_resolve(root, req, opt, &m, &err), 0);
    T_EQ_INT(m.n, 5);
    if (m.n == 5) {
        T_EQ_STR(m.names[0], "dep_one");
        T_EQ_STR(m.names[1], "dep_two");
        T_EQ_STR(m.names[2], "x");
        T_EQ_STR(m.names[3], "lonely");
        T_EQ_STR(m.names[4], "alone");
        T_EQ_STR(m.paths[0], "kernel/lib/dep-one.ko");
        T_EQ_STR(m.paths[2], "kernel/drivers/x.ko");
        T_EQ_STR(m.deps[2], "dep_one,dep_two");
        T_EQ_STR(m.aliases[2], "pci:v0000ABCDd*");
        T_EQ_STR(m.aliases[3], "pci:v00001234d*sv* virtio:d00000002v*");
        /* required: always; optional with aliases: on demand; needed by another: as a
           dependency; no alias and needed by none: always */
        T_CHECK(m.always[2] && !m.always[3] && !m.always[0] && !m.always[1] && m.always[4]);
    }
    T_EQ_INT(m.nbuiltin, 1);
    T_EQ_STR(m.nbuiltin ? m.builtin[0] : NULL, "ext4");
    T_EQ_INT(m.nmissing, 1);
    T_EQ_STR(m.nmissing ? m.missing[0] : NULL, "nothere");
    jeos_modlist_free(&m);

    /* A required module that does not exist, and a dependency that does not. */
    const char *bad[] = {"nothere", NULL};
    T_EQ_INT(jeos_modules_resolve(root, bad, NULL, &m, &err), -ENOENT);
    char want[400];
    snprintf(want, sizeof(want),
             "%s: no kernel module named nothere (neither a .ko file nor built in)", root);
    T_EQ_STR(err.n ? err.msgs[0] : NULL, want);
    jeos_err_free(&err);
    const char *br[] = {"broken", NULL};
    T_EQ_INT(jeos_modules_resolve(root, br, NULL, &m, &err), -ENOENT);
    snprintf(want, sizeof(want), "%s: module ghost (needed by broken) is not in the tree", root);
    T_EQ_STR(err.n ? err.msgs[0] : NULL, want);
    jeos_err_free(&err);
    free(root);
}

static void resolve_from_modules_dep(void)
{
    struct jeos_err err = {0};
    char *root = xasprintf("%s/depmod", tmp);
    jeos_mkdir_p(root, 0755, &err);
    char *dep = xasprintf("%s/modules.dep", root);
    const char *text = "kernel/a/top.ko: kernel/b/mid.ko kernel/c/low.ko\n"
                       "kernel/b/mid.ko: kernel/c/low.ko\n"
                       "kernel/c/low.ko:\n";
    T_EQ_INT(jeos_write_file_atomic(dep, text, strlen(text), 0644, &err), 0);
    const char *req[] = {"top", NULL};
    struct jeos_modlist m;
    T_EQ_INT(jeos_modules_resolve(root, req, NULL, &m, &err), 0);
    T_EQ_INT(m.n, 3);
    if (m.n == 3) {
        T_EQ_STR(m.names[0], "low");
        T_EQ_STR(m.names[1], "mid");
        T_EQ_STR(m.paths[2], "kernel/a/top.ko");
    }
    jeos_modlist_free(&m);
    text = "no colon here\n";
    T_EQ_INT(jeos_write_file_atomic(dep, text, strlen(text), 0644, &err), 0);
    T_EQ_INT(jeos_modules_resolve(root, req, NULL, &m, &err), -EINVAL);
    char want[400];
    snprintf(want, sizeof(want), "%s:1: expected \"module.ko: dependencies\"", dep);
    T_EQ_STR(err.n ? err.msgs[0] : NULL, want);
    jeos_err_free(&err);
    free(dep), free(root);
}

static void modinfo_malformed(void)
{
    struct jeos_err err = {0};
    char *deps = NULL;
    T_EQ_INT(jeos_modinfo_depends((const uint8_t *)"hello", 5, "x.ko", &deps, &err), -EINVAL);
    T_EQ_STR(err.n ? err.msgs[0] : NULL, "x.ko: not a 64-bit little-endian ELF file");
    jeos_err_free(&err);
    uint8_t elf[64] = {0x7f, 'E', 'L', 'F', 2, 1};
    elf[0x28] = 0xff, elf[0x29] = 0xff; /* section headers far beyond the end */
    elf[0x3a] = 64, elf[0x3c] = 3, elf[0x3e] = 1;
    T_EQ_INT(jeos_modinfo_depends(elf, sizeof(elf), "y.ko", &deps, &err), -EINVAL);
    T_EQ_STR(err.n ? err.msgs[0] : NULL, "y.ko: section headers out of bounds");
    jeos_err_free(&err);
    T_CHECK(deps == NULL);
}

static char *write_one(struct jeos_ctx *ctx, const char *name)
{
    struct jeos_err err = {0};
    char *init = xasprintf("%s/fake-init", tmp);
    jeos_write_file_atomic(init, "#!init\n", 7, 0755, &err);
    char *root = xasprintf("%s/mods", tmp), *out = xasprintf("%s/%s", tmp, name);
    const char *req[] = {"x", "not-terminated"}; /* counted, as a recipe_strlist is */
    struct jeos_initramfs_spec s = {.init = init,
                                    .modroot = root,
                                    .modules = req,
                                    .nmodules = 1,
                                    .compress = JEOS_INITRAMFS_ZSTD};
    int rc = jeos_initramfs_write(ctx, &s, out, NULL, &err);
    T_EQ_INT(rc, 0);
    if (rc)
        jeos_err_print(&err, stdout, "  ");
    jeos_err_free(&err);
    free(init), free(root);
    return out;
}

static void cpio_contents(void)
{
    if (fixtures()) {
        T_SKIP("no C compiler to make module fixtures");
        return;
    }
    struct jeos_ctx ctx;
    struct jeos_err err = {0};
    jeos_ctx_init(&ctx, &err);
    ctx.have_epoch = true;
    ctx.epoch = 1700000000;
    char *a = write_one(&ctx, "a.cpio.zst"), *b = write_one(&ctx, "b.cpio.zst");
    char *da = NULL, *db = NULL;
    size_t la = 0, lb = 0;
    jeos_read_file(a, &da, &la, &err);
    jeos_read_file(b, &db, &lb, &err);
    T_CHECK(la > 0 && la == lb && memcmp(da, db, la) == 0); /* reproducible */
    T_CHECK(la > 4 && (unsigned char)da[0] == 0x28 && (unsigned char)da[1] == 0xb5); /* zstd */

    struct archive *ar = archive_read_new();
    archive_read_support_filter_all(ar);
    archive_read_support_format_cpio(ar);
    T_EQ_INT(archive_read_open_memory(ar, da, la), ARCHIVE_OK);
    struct archive_entry *e;
    struct sbuf names = {0};
    char list[512] = "";
    while (archive_read_next_header(ar, &e) == ARCHIVE_OK) {
        const char *p = archive_entry_pathname(e);
        sbuf_printf(&names, "%s ", p);
        T_EQ_INT(archive_entry_uid(e), 0);
        T_EQ_INT(archive_entry_mtime(e), 1700000000);
        if (!strcmp(p, "init"))
            T_EQ_INT(archive_entry_perm(e), 0755);
        if (!strcmp(p, "dev/console")) {
            T_EQ_INT(archive_entry_filetype(e), AE_IFCHR);
            T_EQ_INT(archive_entry_rdevmajor(e), 5);
            T_EQ_INT(archive_entry_rdevminor(e), 1);
        }
        if (!strcmp(p, "etc/jeos/modules")) {
            la_ssize_t n = archive_read_data(ar, list, sizeof(list) - 1);
            list[n > 0 ? n : 0] = 0;
        }
    }
    archive_read_free(ar);
    T_EQ_STR(list, "dep_one /lib/modules/mods/kernel/lib/dep-one.ko - -\n"
                   "dep_two /lib/modules/mods/kernel/lib/dep_two.ko dep_one -\n"
                   "x /lib/modules/mods/kernel/drivers/x.ko dep_one,dep_two *\n");
    T_CHECK(names.s && strstr(names.s, "lib/modules/mods/kernel/drivers/x.ko "));
    T_CHECK(names.s && !strstr(names.s, "lonely")); /* only what was asked for */
    sbuf_free(&names);
    free(da), free(db), free(a), free(b);
    jeos_err_free(&err);
    jeos_ctx_free(&ctx);
}

int main(void)
{
    const char *t = getenv("T_TMP");
    tmp = xstrdup(t && *t ? t : "/tmp");
    T_RUN(resolve_from_modinfo);
    T_RUN(resolve_from_modules_dep);
    T_RUN(modinfo_malformed);
    T_RUN(cpio_contents);
    free(tmp);
    return T_DONE();
}
