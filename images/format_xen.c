/* format_xen.c — xen: an appliance as a Xen guest, for xl(1): NAME-xen.cfg boots its kernel and
 * initramfs directly as a PVH domU (copied beside it), NAME-xen-hvm.cfg boots NAME.raw as HVM. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/core/alloc.h"
#include "builder/core/err.h"
#include "builder/core/util.h"
#include "images/format.h"

/* The first line of both files, which the probe looks for. */
#define XEN_CFG_MAGIC "# xl.cfg(5), written by jeos: "

/* An xl.cfg string holds no quote, backslash or control character. */
static int cfg_string_ok(const char *what, const char *s, struct jeos_err *err)
{
    for (const char *p = s; *p; p++)
        if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
            return jeos_errf(err, -EINVAL,
                             "format xen: %s: character 0x%02x cannot be written in xl.cfg "
                             "(got \"%s\")",
                             what, (unsigned char)*p, s);
    return 0;
}

/* DIR/BASE-SUFFIX: a copy of `src` (never a link: the kernel is the cache's own file). */
static int put_copy(const char *src, const char *dir, const char *base, const char *suffix,
                    struct jeos_err *err)
{
    char *to = xasprintf("%s/%s%s", dir, base, suffix);
    char *data = NULL;
    size_t len = 0;
    int rc = jeos_read_file(src, &data, &len, err);
    if (rc == 0)
        rc = jeos_write_file_atomic(to, data, len, 0644, err);
    free(data), free(to);
    return rc;
}

/* What both files say about the guest: its name, memory, CPUs and the end of its life. */
static void cfg_common(struct sbuf *b, const char *base, const struct jeos_format_opts *o)
{
    unsigned long long mem = (unsigned long long)((o->memory ? o->memory : 512ull << 20) >> 20);
    sbuf_printf(b, "name = \"%s\"\n", base);
    sbuf_printf(b, "memory = %llu\n", mem);
    sbuf_printf(b, "vcpus = %d\n", o->cpus > 0 ? o->cpus : 1);
    sbuf_puts(b, "on_poweroff = \"destroy\"\n"
                 "on_reboot = \"restart\"\n"
                 "on_crash = \"destroy\"\n");
}

static int write_cfg(const char *dir, const char *base, const char *suffix, const struct sbuf *b,
                     struct jeos_err *err)
{
    char *p = xasprintf("%s/%s%s", dir, base, suffix);
    int rc = jeos_write_file_atomic(p, b->s, b->len, 0644, err);
    free(p);
    return rc;
}

int jeos_xen_pvh_cfg_write(const char *dir, const char *base, const struct jeos_xen_pvh *g,
                           const struct jeos_format_opts *o, struct jeos_err *err)
{
    int rc;
    if ((rc = cfg_string_ok("name", base, err)) ||
        (g->cmdline && (rc = cfg_string_ok("cmdline", g->cmdline, err))))
        return rc;
    struct sbuf b = {0};
    sbuf_printf(&b, XEN_CFG_MAGIC "%s as a PVH guest, its kernel booted directly\n", base);
    sbuf_printf(&b, "# xl create %s-xen.cfg (in this folder); xl console %s\n", base, base);
    sbuf_puts(&b, "type = \"pvh\"\n");
    cfg_common(&b, base, o);
    sbuf_printf(&b, "kernel = \"%s\"\n", g->kernel);
    if (g->ramdisk)
        sbuf_printf(&b, "ramdisk = \"%s\"\n", g->ramdisk);
    if (g->cmdline)
        sbuf_printf(&b, "cmdline = \"%s\"\n", g->cmdline);
    if (g->ndisks > 26) {
        sbuf_free(&b);
        return jeos_errf(err, -EINVAL, "%s-xen.cfg: %zu disks, more than the 26 of xvda..xvdz",
                         base, g->ndisks);
    }
    for (size_t i = 0; i < g->ndisks; i++) {
        if ((rc = cfg_string_ok("disk", g->disks[i], err))) {
            sbuf_free(&b);
            return rc;
        }
        sbuf_printf(&b, "%s\"format=raw, vdev=xvd%c, access=rw, target=%s\"%s",
                    i ? ", " : "disk = [ ", 'a' + (int)i, g->disks[i],
                    i + 1 < g->ndisks ? "" : " ]\n");
    }
    if (g->vif)
        sbuf_puts(&b, "vif = [ \"bridge=xenbr0\" ]\n");
    rc = write_cfg(dir, base, "-xen.cfg", &b, err);
    sbuf_free(&b);
    return rc;
}

static int conv_xen(const struct jeos_ctx *ctx, const char *raw, const char *dir, const char *base,
                    const struct jeos_format_opts *o, struct jeos_err *err)
{
    (void)ctx;
    if (!o->kernel || !o->initramfs || !o->cmdline)
        return jeos_errf(err, -EINVAL,
                         "%s: format xen needs the appliance's kernel, initramfs "
                         "and command line",
                         raw);
    int rc;
    if ((rc = cfg_string_ok("name", base, err)) || (rc = cfg_string_ok("cmdline", o->cmdline, err)))
        return rc;
    if ((rc = put_copy(o->kernel, dir, base, "-vmlinuz", err)) ||
        (rc = put_copy(o->initramfs, dir, base, "-initrd.img", err)))
        return rc;

    /* PVH, direct kernel boot: no firmware, no GRUB; the disk's root through xen-blkfront. The
       paths are relative: xl create runs in this folder (recipes/README.md). */
    char *kname = xasprintf("%s-vmlinuz", base), *rname = xasprintf("%s-initrd.img", base);
    char *disk = xasprintf("%s.raw", base);
    const char *disks[] = {disk};
    struct jeos_xen_pvh g = {.kernel = kname,
                             .ramdisk = rname,
                             .cmdline = o->cmdline,
                             .disks = disks,
                             .ndisks = 1,
                             .vif = true};
    rc = jeos_xen_pvh_cfg_write(dir, base, &g, o, err);
    free(kname), free(rname), free(disk);
    struct sbuf b = {0};

    /* HVM: the whole disk through SeaBIOS and GRUB, as on any other hypervisor (QEMU in dom0
       is the device model). */
    if (rc == 0) {
        sbuf_printf(&b, XEN_CFG_MAGIC "%s as an HVM guest, booted from its disk\n", base);
        sbuf_printf(&b, "# xl create %s-xen-hvm.cfg (in this folder); xl console %s\n", base, base);
        sbuf_puts(&b, "type = \"hvm\"\n");
        cfg_common(&b, base, o);
        sbuf_printf(&b, "disk = [ \"format=raw, vdev=xvda, access=rw, target=%s.raw\" ]\n", base);
        sbuf_puts(&b, "boot = \"c\"\n"
                      "serial = \"pty\"\n"
                      "vnc = 0\n"
                      "vif = [ \"bridge=xenbr0\" ]\n");
        rc = write_cfg(dir, base, "-xen-hvm.cfg", &b, err);
        sbuf_free(&b);
    }
    return rc;
}

static const char *probe_xen(const struct jeos_choice *self, int fd, uint64_t size)
{
    (void)self, (void)size;
    char h[sizeof(XEN_CFG_MAGIC) - 1];
    if (jeos_format_read(fd, 0, h, sizeof(h)) != sizeof(h) || memcmp(h, XEN_CFG_MAGIC, sizeof(h)))
        return "no jeos xl.cfg header line";
    return NULL;
}

static const char *const xen_outputs[] = {"-xen.cfg", "-xen-hvm.cfg", "-vmlinuz", "-initrd.img",
                                          NULL};
const struct jeos_format_ops jeos_format_xen = {.c = {.name = "xen",
                                                      .kinds = JEOS_FOR_APPLIANCE,
                                                      .suffix = "-xen.cfg",
                                                      .probe = probe_xen,
                                                      .title = "Xen guest configuration"},
                                                .outputs = xen_outputs,
                                                .convert = conv_xen};
