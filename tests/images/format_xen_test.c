/* format_xen_test.c — format xen: the two xl.cfg files exactly as written, the kernel and initramfs
 * copied beside them, and the messages for what it cannot write. */
#include <stdlib.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/util.h"
#include "images/format.h"
#include "tests/harness.h"

static char *tmp;

static char *slurp(const char *path)
{
    char *d = NULL;
    size_t n;
    struct jeos_err err = {0};
    if (jeos_read_file(path, &d, &n, &err) != 0)
        d = NULL;
    jeos_err_free(&err);
    return d;
}

/* A raw disk, a kernel and an initramfs to convert from. */
static void inputs(char **raw, char **kern, char **initrd)
{
    struct jeos_err err = {0};
    *raw = xasprintf("%s/x.raw", tmp), *kern = xasprintf("%s/vmlinuz", tmp);
    *initrd = xasprintf("%s/initrd", tmp);
    T_EQ_INT(jeos_write_file_atomic(*raw, "disk", 4, 0644, &err), 0);
    T_EQ_INT(jeos_write_file_atomic(*kern, "the kernel", 10, 0644, &err), 0);
    T_EQ_INT(jeos_write_file_atomic(*initrd, "the initramfs", 13, 0644, &err), 0);
    jeos_err_free(&err);
}

static void cfg_files(void)
{
    struct jeos_ctx ctx;
    struct jeos_err err = {0};
    T_EQ_INT(jeos_ctx_init(&ctx, &err), 0);
    char *raw, *kern, *initrd;
    inputs(&raw, &kern, &initrd);
    struct jeos_format_opts o = {.name = "web",
                                 .cpus = 2,
                                 .memory = 256ull << 20,
                                 .kernel = kern,
                                 .initramfs = initrd,
                                 .cmdline = "root=PARTUUID=p rootfstype=squashfs ro console=hvc0"};
    const struct jeos_format_ops *f = jeos_format_find("xen");
    T_CHECK(f != NULL);
    if (!f)
        return;
    T_EQ_INT(jeos_format_write(&ctx, f, raw, tmp, "web", &o, &err), 0);
    char *p = xasprintf("%s/web-xen.cfg", tmp);
    char *got = slurp(p);
    T_EQ_STR(got, "# xl.cfg(5), written by jeos: web as a PVH guest, its kernel booted directly\n"
                  "# xl create web-xen.cfg (in this folder); xl console web\n"
                  "type = \"pvh\"\n"
                  "name = \"web\"\n"
                  "memory = 256\n"
                  "vcpus = 2\n"
                  "on_poweroff = \"destroy\"\n"
                  "on_reboot = \"restart\"\n"
                  "on_crash = \"destroy\"\n"
                  "kernel = \"web-vmlinuz\"\n"
                  "ramdisk = \"web-initrd.img\"\n"
                  "cmdline = \"root=PARTUUID=p rootfstype=squashfs ro console=hvc0\"\n"
                  "disk = [ \"format=raw, vdev=xvda, access=rw, target=web.raw\" ]\n"
                  "vif = [ \"bridge=xenbr0\" ]\n");
    free(got), free(p);
    p = xasprintf("%s/web-xen-hvm.cfg", tmp);
    got = slurp(p);
    T_EQ_STR(got, "# xl.cfg(5), written by jeos: web as an HVM guest, booted from its disk\n"
                  "# xl create web-xen-hvm.cfg (in this folder); xl console web\n"
                  "type = \"hvm\"\n"
                  "name = \"web\"\n"
                  "memory = 256\n"
                  "vcpus = 2\n"
                  "on_poweroff = \"destroy\"\n"
                  "on_reboot = \"restart\"\n"
                  "on_crash = \"destroy\"\n"
                  "disk = [ \"format=raw, vdev=xvda, access=rw, target=web.raw\" ]\n"
                  "boot = \"c\"\n"
                  "serial = \"pty\"\n"
                  "vnc = 0\n"
                  "vif = [ \"bridge=xenbr0\" ]\n");
    free(got), free(p);
    p = xasprintf("%s/web-vmlinuz", tmp);
    got = slurp(p);
    T_EQ_STR(got, "the kernel");
    free(got), free(p);
    p = xasprintf("%s/web-initrd.img", tmp);
    got = slurp(p);
    T_EQ_STR(got, "the initramfs");
    free(got), free(p);
    free(raw), free(kern), free(initrd);
    jeos_err_free(&err);
    jeos_ctx_free(&ctx);
}

/* What it cannot write is refused with a message, and leaves nothing. */
static void refusals(void)
{
    struct jeos_ctx ctx;
    struct jeos_err err = {0};
    T_EQ_INT(jeos_ctx_init(&ctx, &err), 0);
    char *raw, *kern, *initrd;
    inputs(&raw, &kern, &initrd);
    const struct jeos_format_ops *f = jeos_format_find("xen");
    struct jeos_format_opts o = {.kernel = kern, .initramfs = initrd, .cmdline = "a=\"b\""};
    T_EQ_INT(jeos_format_write(&ctx, f, raw, tmp, "bad", &o, &err), -22);
    T_EQ_STR(err.n ? err.msgs[0] : NULL,
             "format xen: cmdline: character 0x22 cannot be written in xl.cfg (got \"a=\"b\"\")");
    char *p = xasprintf("%s/bad-vmlinuz", tmp);
    T_CHECK(access(p, F_OK) != 0);
    free(p);
    jeos_err_free(&err);
    o.kernel = NULL;
    T_EQ_INT(jeos_format_write(&ctx, f, raw, tmp, "bad", &o, &err), -22);
    char *want =
        xasprintf("%s: format xen needs the appliance's kernel, initramfs and command line", raw);
    T_EQ_STR(err.n ? err.msgs[0] : NULL, want);
    free(want);
    free(raw), free(kern), free(initrd);
    jeos_err_free(&err);
    jeos_ctx_free(&ctx);
}

/* A unikernel's cfg: its volumes as xvda, xvdb in order; more than xvdz is refused. */
static void unikernel_disks(void)
{
    struct jeos_err err = {0};
    struct jeos_format_opts o = {.memory = 64ull << 20};
    const char *vols[27] = {"db.data.vol", "db.logs.vol"};
    for (int i = 2; i < 27; i++)
        vols[i] = "db.more.vol";
    struct jeos_xen_pvh g = {.kernel = "db-xen.elf", .disks = vols, .ndisks = 2};
    T_EQ_INT(jeos_xen_pvh_cfg_write(tmp, "db", &g, &o, &err), 0);
    char *p = xasprintf("%s/db-xen.cfg", tmp);
    char *got = slurp(p);
    T_EQ_STR(got, "# xl.cfg(5), written by jeos: db as a PVH guest, its kernel booted directly\n"
                  "# xl create db-xen.cfg (in this folder); xl console db\n"
                  "type = \"pvh\"\n"
                  "name = \"db\"\n"
                  "memory = 64\n"
                  "vcpus = 1\n"
                  "on_poweroff = \"destroy\"\n"
                  "on_reboot = \"restart\"\n"
                  "on_crash = \"destroy\"\n"
                  "kernel = \"db-xen.elf\"\n"
                  "disk = [ \"format=raw, vdev=xvda, access=rw, target=db.data.vol\", "
                  "\"format=raw, vdev=xvdb, access=rw, target=db.logs.vol\" ]\n");
    free(got);
    g.ndisks = 27;
    T_EQ_INT(jeos_xen_pvh_cfg_write(tmp, "many", &g, &o, &err), -22);
    T_EQ_STR(err.n ? err.msgs[0] : NULL, "many-xen.cfg: 27 disks, more than the 26 of xvda..xvdz");
    free(p);
    p = xasprintf("%s/many-xen.cfg", tmp);
    T_CHECK(access(p, F_OK) != 0);
    free(p);
    jeos_err_free(&err);
}

int main(void)
{
    const char *t = getenv("T_TMP");
    tmp = xstrdup(t && *t ? t : "/tmp");
    T_RUN(cfg_files);
    T_RUN(refusals);
    T_RUN(unikernel_disks);
    free(tmp);
    return T_DONE();
}
