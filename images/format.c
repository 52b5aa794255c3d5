/* format.c — raw, qcow2, vmdk (streamOptimized), vhd (fixed), ova (OVF + VMDK in tar), gce
 * (disk.raw in tar.gz). */
#include "images/format.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/cache.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/spawn.h"
#include "builder/core/util.h"
#include "images/ptable.h"

static int qemu_img(const char *raw, const char *out, const char *fmt, const char *opts,
                    struct jeos_err *err)
{
    char *argv[12];
    int n = 0;
    argv[n++] = "qemu-img";
    argv[n++] = "convert";
    argv[n++] = "-q";
    argv[n++] = "-f";
    argv[n++] = "raw";
    argv[n++] = "-O";
    argv[n++] = (char *)fmt;
    if (opts) {
        argv[n++] = "-o";
        argv[n++] = (char *)opts;
    }
    argv[n++] = (char *)raw;
    argv[n++] = (char *)out;
    argv[n] = NULL;
    return jeos_spawn(argv, NULL, err);
}

static int64_t epoch(const struct jeos_ctx *ctx)
{
    return ctx->have_epoch ? ctx->epoch : 0;
}

static int conv_raw(const struct jeos_ctx *ctx, const char *raw, const char *out,
                    const struct jeos_format_opts *o, struct jeos_err *err)
{
    (void)ctx, (void)o;
    return qemu_img(raw, out, "raw", NULL, err); /* keeps holes */
}

static int conv_qcow2(const struct jeos_ctx *ctx, const char *raw, const char *out,
                      const struct jeos_format_opts *o, struct jeos_err *err)
{
    (void)ctx, (void)o;
    return qemu_img(raw, out, "qcow2", NULL, err);
}

static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

/* qemu-img gives a VMDK a random CID and names its temporary file as the extent. Rewrites the
   embedded descriptor (its place and size are in the sparse header: descriptorOffset at byte
   28, descriptorSize at 36, in sectors) with `extent` as the extent's name and, when `raw` is
   given, a CID taken from the sha256 of that raw disk (the content the VMDK holds); without
   `raw` the CID stays (a copy of a VMDK already fixed). The text keeps its place, padded with
   NULs. */
static int vmdk_fix(const char *path, const char *extent, const char *raw, struct jeos_err *err)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return jeos_errf(err, -errno, "%s: %s", path, strerror(errno));
    unsigned char h[512];
    char *desc = NULL;
    struct sbuf nd = {0};
    int rc = 0;
    if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h, "KDMV", 4) != 0) {
        rc = jeos_errf(err, -EINVAL, "%s: not a sparse VMDK (no KDMV header)", path);
        goto out;
    }
    uint64_t doff = get_le64(h + 28), dsize = get_le64(h + 36);
    if (doff == 0 || dsize == 0 || dsize > 2048 || doff > 2048) {
        rc = jeos_errf(err, -EINVAL, "%s: no embedded descriptor (offset %llu, %llu sectors)", path,
                       (unsigned long long)doff, (unsigned long long)dsize);
        goto out;
    }
    size_t dlen = (size_t)dsize * 512;
    desc = xmalloc(dlen + 1);
    if (pread(fd, desc, dlen, (off_t)doff * 512) != (ssize_t)dlen) {
        rc = jeos_errf(err, -EIO, "%s: cannot read the descriptor", path);
        goto out;
    }
    desc[dlen] = 0;
    char hex[65] = "";
    uint64_t rawsize;
    if (raw && (rc = cache_sha256_file(raw, hex, &rawsize, err)))
        goto out;
    int cid = 0, ext = 0;
    for (char *line = desc, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        char *q;
        if (strncmp(line, "CID=", 4) == 0) {
            if (raw)
                sbuf_printf(&nd, "CID=%.8s\n", hex);
            else
                sbuf_printf(&nd, "%s\n", line);
            cid++;
        } else if ((strncmp(line, "RW ", 3) == 0 || strncmp(line, "RDONLY ", 7) == 0) &&
                   (q = strchr(line, '"')) != NULL) {
            sbuf_printf(&nd, "%.*s\"%s\"\n", (int)(q - line), line, extent);
            ext++;
        } else {
            sbuf_printf(&nd, "%s\n", line);
        }
    }
    if (cid != 1 || ext != 1 || nd.len > dlen) {
        rc = jeos_errf(err, -EINVAL,
                       "%s: unexpected descriptor (%d CID lines, %d extents, %zu of %zu bytes)",
                       path, cid, ext, nd.len, dlen);
        goto out;
    }
    memset(desc, 0, dlen);
    memcpy(desc, nd.s, nd.len);
    if (pwrite(fd, desc, dlen, (off_t)doff * 512) != (ssize_t)dlen)
        rc = jeos_errf(err, -errno, "%s: write: %s", path, strerror(errno));
out:
    if (close(fd) != 0 && !rc)
        rc = jeos_errf(err, -errno, "%s: close: %s", path, strerror(errno));
    free(desc);
    sbuf_free(&nd);
    return rc;
}

/* Copies `from` to the new file `to` (which the caller removes on failure). */
static int copy_file(const char *from, const char *to, struct jeos_err *err)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return jeos_errf(err, -errno, "%s: %s", from, strerror(errno));
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        int e = errno;
        close(in);
        return jeos_errf(err, -e, "%s: %s", to, strerror(e));
    }
    char *buf = xmalloc(1 << 20);
    int rc = 0;
    for (;;) {
        ssize_t n = read(in, buf, 1 << 20);
        if (n < 0) {
            rc = jeos_errf(err, -errno, "%s: read: %s", from, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        if (jeos_write_all(out, buf, (size_t)n) < 0) {
            rc = jeos_errf(err, -errno, "%s: write: %s", to, strerror(errno));
            break;
        }
    }
    free(buf);
    close(in);
    if (close(out) != 0 && !rc)
        rc = jeos_errf(err, -errno, "%s: close: %s", to, strerror(errno));
    return rc;
}

/* streamOptimized VMDK; `extent` is the name the descriptor gives the file itself. `reuse`:
   a VMDK already made from the same raw disk, copied instead of converting again. */
static int write_vmdk(const char *raw, const char *reuse, const char *out, const char *extent,
                      struct jeos_err *err)
{
    int rc =
        reuse ? copy_file(reuse, out, err)
              : qemu_img(raw, out, "vmdk", "subformat=streamOptimized,adapter_type=lsilogic", err);
    return rc ? rc : vmdk_fix(out, extent, reuse ? NULL : raw, err);
}

static int conv_vmdk(const struct jeos_ctx *ctx, const char *raw, const char *out,
                     const struct jeos_format_opts *o, struct jeos_err *err)
{
    (void)ctx;
    return write_vmdk(raw, NULL, out, o->file_name ? o->file_name : "disk.vmdk", err);
}

/* Azure: a fixed VHD whose virtual size is exactly the raw size (a whole number of MiB). */
static int conv_vhd(const struct jeos_ctx *ctx, const char *raw, const char *out,
                    const struct jeos_format_opts *o, struct jeos_err *err)
{
    struct stat st;
    if (stat(raw, &st) != 0)
        return jeos_errf(err, -errno, "%s: %s", raw, strerror(errno));
    if (st.st_size % (1024 * 1024))
        return jeos_errf(err, -EINVAL,
                         "%s: %lld bytes is not a whole number of MiB (Azure needs that for VHD)",
                         raw, (long long)st.st_size);
    int rc = qemu_img(raw, out, "vpc", "subformat=fixed,force_size=on", err);
    if (rc)
        return rc;
    /* qemu-img stamps the footer (the last sector; big-endian fields) with the time and a
       random unique id: timestamp at 24 (seconds since 2000-01-01 UTC), checksum at 64 (the
       ones' complement of the byte sum of the rest), unique id at 68. */
    int fd = open(out, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return jeos_errf(err, -errno, "%s: %s", out, strerror(errno));
    unsigned char f[512];
    off_t at = lseek(fd, -512, SEEK_END);
    if (at < 0 || pread(fd, f, sizeof(f), at) != (ssize_t)sizeof(f) ||
        memcmp(f, "conectix", 8) != 0) {
        close(fd);
        return jeos_errf(err, -EINVAL, "%s: no VHD footer in its last sector", out);
    }
    int64_t t = epoch(ctx) - 946684800; /* 2000-01-01T00:00:00Z */
    put_be32(f + 24, t < 0 ? 0 : t > UINT32_MAX ? UINT32_MAX : (uint32_t)t);
    jeos_uuid_derive(o->seed ? o->seed : "", "vhd", f + 68);
    memset(f + 64, 0, 4);
    uint32_t sum = 0;
    for (size_t i = 0; i < sizeof(f); i++)
        sum += f[i];
    put_be32(f + 64, ~sum);
    if (pwrite(fd, f, sizeof(f), at) != (ssize_t)sizeof(f))
        rc = jeos_errf(err, -errno, "%s: write: %s", out, strerror(errno));
    if (close(fd) != 0 && !rc)
        rc = jeos_errf(err, -errno, "%s: close: %s", out, strerror(errno));
    return rc;
}

/* ---- archives ---- */

struct arc {
    struct archive *a;
    const char *out;
    int64_t mtime;
};

static int arc_fail(struct arc *t, struct jeos_err *err)
{
    return jeos_errf(err, -EIO, "%s: %s", t->out, archive_error_string(t->a));
}

static int arc_open(struct arc *t, const char *out, int64_t mtime, bool gnu_gzip,
                    struct jeos_err *err)
{
    t->out = out;
    t->mtime = mtime;
    t->a = archive_write_new();
    if (gnu_gzip) {
        /* GCE wants an old-GNU tar, gzip-compressed */
        archive_write_set_format_gnutar(t->a);
        archive_write_add_filter_gzip(t->a);
        archive_write_set_filter_option(t->a, "gzip", "timestamp", NULL);
    } else {
        archive_write_set_format_ustar(t->a); /* OVF 1.0 asks for ustar */
    }
    archive_write_set_bytes_in_last_block(t->a, 1);
    if (archive_write_open_filename(t->a, out) != ARCHIVE_OK)
        return arc_fail(t, err);
    return 0;
}

static int arc_header(struct arc *t, const char *name, uint64_t size, struct jeos_err *err)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)size);
    archive_entry_set_mtime(e, t->mtime, 0);
    archive_entry_set_uname(e, "root");
    archive_entry_set_gname(e, "root");
    int rc = archive_write_header(t->a, e) == ARCHIVE_OK ? 0 : arc_fail(t, err);
    archive_entry_free(e);
    return rc;
}

static int arc_add_buf(struct arc *t, const char *name, const char *data, size_t len,
                       struct jeos_err *err)
{
    int rc = arc_header(t, name, len, err);
    if (!rc && len && archive_write_data(t->a, data, len) != (la_ssize_t)len)
        rc = arc_fail(t, err);
    return rc;
}

/* Streams a host file into the archive; optionally hashes it (sha256, hex into `hex`). */
static int arc_add_file(struct arc *t, const char *name, const char *src, char hex[65],
                        struct jeos_err *err)
{
    int fd = open(src, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return jeos_errf(err, -errno, "%s: %s", src, strerror(errno));
    struct stat st;
    int rc = 0;
    char *buf = NULL;
    EVP_MD_CTX *md = hex ? EVP_MD_CTX_new() : NULL;
    if (md)
        EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    if (fstat(fd, &st) != 0) {
        rc = jeos_errf(err, -errno, "%s: %s", src, strerror(errno));
        goto out;
    }
    if ((rc = arc_header(t, name, (uint64_t)st.st_size, err)))
        goto out;
    buf = xmalloc(1 << 20);
    for (;;) {
        ssize_t n = read(fd, buf, 1 << 20);
        if (n < 0) {
            rc = jeos_errf(err, -errno, "%s: read: %s", src, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        if (md)
            EVP_DigestUpdate(md, buf, (size_t)n);
        if (archive_write_data(t->a, buf, (size_t)n) != n) {
            rc = arc_fail(t, err);
            goto out;
        }
    }
    if (md) {
        unsigned char d[32];
        unsigned dl = 0;
        EVP_DigestFinal_ex(md, d, &dl);
        for (unsigned i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", d[i]);
    }
out:
    if (md)
        EVP_MD_CTX_free(md);
    free(buf);
    close(fd);
    return rc;
}

static int arc_close(struct arc *t, int rc, struct jeos_err *err)
{
    if (!t->a)
        return rc;
    if (!rc && archive_write_close(t->a) != ARCHIVE_OK)
        rc = arc_fail(t, err);
    archive_write_free(t->a);
    t->a = NULL;
    return rc;
}

static int conv_gce(const struct jeos_ctx *ctx, const char *raw, const char *out,
                    const struct jeos_format_opts *o, struct jeos_err *err)
{
    (void)o;
    struct arc t = {0};
    int rc = arc_open(&t, out, epoch(ctx), true, err);
    if (!rc)
        rc = arc_add_file(&t, "disk.raw", raw, NULL, err);
    return arc_close(&t, rc, err);
}

static const char *xml_safe(const char *s)
{
    return s && !strpbrk(s, "<>&\"'") ? s : "jeos";
}

char *jeos_ovf_descriptor(const struct jeos_format_opts *o, const char *vmdk_name,
                          uint64_t vmdk_size, uint64_t capacity)
{
    const char *name = xml_safe(o->name);
    int cpus = o->cpus > 0 ? o->cpus : 1;
    unsigned long long mem = (unsigned long long)((o->memory ? o->memory : 512ull << 20) >> 20);
    struct sbuf b = {0};
    sbuf_printf(
        &b,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\"\n"
        "    xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\"\n"
        "    xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
        "CIM_ResourceAllocationSettingData\"\n"
        "    xmlns:vssd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
        "CIM_VirtualSystemSettingData\"\n"
        "    xmlns:vmw=\"http://www.vmware.com/schema/ovf\">\n"
        "  <References>\n"
        "    <File ovf:href=\"%s\" ovf:id=\"file1\" ovf:size=\"%llu\"/>\n"
        "  </References>\n"
        "  <DiskSection>\n"
        "    <Info>Virtual disks</Info>\n"
        "    <Disk ovf:capacity=\"%llu\" ovf:capacityAllocationUnits=\"byte\" "
        "ovf:diskId=\"vmdisk1\" ovf:fileRef=\"file1\" "
        "ovf:format=\"http://www.vmware.com/interfaces/specifications/"
        "vmdk.html#streamOptimized\"/>\n"
        "  </DiskSection>\n"
        "  <NetworkSection>\n"
        "    <Info>Logical networks</Info>\n"
        "    <Network ovf:name=\"VM Network\"><Description>The network</Description></Network>\n"
        "  </NetworkSection>\n"
        "  <VirtualSystem ovf:id=\"%s\">\n"
        "    <Info>A jeos appliance</Info>\n"
        "    <Name>%s</Name>\n"
        "    <OperatingSystemSection ovf:id=\"101\" vmw:osType=\"other5xLinux64Guest\">\n"
        "      <Info>Linux, 64-bit</Info>\n"
        "    </OperatingSystemSection>\n"
        "    <VirtualHardwareSection>\n"
        "      <Info>Virtual hardware</Info>\n"
        "      <System>\n"
        "        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>\n"
        "        <vssd:InstanceID>0</vssd:InstanceID>\n"
        "        <vssd:VirtualSystemIdentifier>%s</vssd:VirtualSystemIdentifier>\n"
        "        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>\n"
        "      </System>\n"
        "      <Item>\n"
        "        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>\n"
        "        <rasd:ElementName>%d virtual CPU(s)</rasd:ElementName>\n"
        "        <rasd:InstanceID>1</rasd:InstanceID>\n"
        "        <rasd:ResourceType>3</rasd:ResourceType>\n"
        "        <rasd:VirtualQuantity>%d</rasd:VirtualQuantity>\n"
        "      </Item>\n"
        "      <Item>\n"
        "        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>\n"
        "        <rasd:ElementName>%llu MB of memory</rasd:ElementName>\n"
        "        <rasd:InstanceID>2</rasd:InstanceID>\n"
        "        <rasd:ResourceType>4</rasd:ResourceType>\n"
        "        <rasd:VirtualQuantity>%llu</rasd:VirtualQuantity>\n"
        "      </Item>\n"
        "      <Item>\n"
        "        <rasd:Address>0</rasd:Address>\n"
        "        <rasd:ElementName>SCSI controller 0</rasd:ElementName>\n"
        "        <rasd:InstanceID>3</rasd:InstanceID>\n"
        "        <rasd:ResourceSubType>VirtualSCSI</rasd:ResourceSubType>\n"
        "        <rasd:ResourceType>6</rasd:ResourceType>\n"
        "      </Item>\n"
        "      <Item>\n"
        "        <rasd:AddressOnParent>0</rasd:AddressOnParent>\n"
        "        <rasd:ElementName>Hard disk 1</rasd:ElementName>\n"
        "        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>\n"
        "        <rasd:InstanceID>4</rasd:InstanceID>\n"
        "        <rasd:Parent>3</rasd:Parent>\n"
        "        <rasd:ResourceType>17</rasd:ResourceType>\n"
        "      </Item>\n"
        "      <Item>\n"
        "        <rasd:AddressOnParent>7</rasd:AddressOnParent>\n"
        "        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>\n"
        "        <rasd:Connection>VM Network</rasd:Connection>\n"
        "        <rasd:ElementName>Network adapter 1</rasd:ElementName>\n"
        "        <rasd:InstanceID>5</rasd:InstanceID>\n"
        "        <rasd:ResourceSubType>VmxNet3</rasd:ResourceSubType>\n"
        "        <rasd:ResourceType>10</rasd:ResourceType>\n"
        "      </Item>\n"
        "    </VirtualHardwareSection>\n"
        "  </VirtualSystem>\n"
        "</Envelope>\n",
        vmdk_name, (unsigned long long)vmdk_size, (unsigned long long)capacity, name, name, name,
        cpus, cpus, mem, mem);
    return sbuf_take(&b);
}

/* OVA: NAME.ovf first (as OVF requires), then the streamOptimized disk, then a SHA256 manifest.
   The disk hangs off VMware's paravirtual SCSI (pvscsi: the cloud kernel has no LSI Logic
   driver, and SeaBIOS and ESXi's BIOS boot from pvscsi), the NIC is a vmxnet3. */
static int conv_ova(const struct jeos_ctx *ctx, const char *raw, const char *out,
                    const struct jeos_format_opts *o, struct jeos_err *err)
{
    const char *name = xml_safe(o->name);
    char *vmdk = xasprintf("%s.vmdk.tmp", out);
    char *vname = xasprintf("%s-disk1.vmdk", name), *oname = xasprintf("%s.ovf", name);
    char *mname = xasprintf("%s.mf", name), *ovf = NULL;
    struct arc t = {0};
    struct sbuf mf = {0};
    struct stat rs, vs;
    int rc = write_vmdk(raw, o->vmdk, vmdk, vname, err);
    if (rc)
        goto out;
    if (stat(raw, &rs) != 0 || stat(vmdk, &vs) != 0) {
        rc = jeos_errf(err, -errno, "%s: %s", out, strerror(errno));
        goto out;
    }
    ovf = jeos_ovf_descriptor(o, vname, (uint64_t)vs.st_size, (uint64_t)rs.st_size);
    if ((rc = arc_open(&t, out, epoch(ctx), false, err)) ||
        (rc = arc_add_buf(&t, oname, ovf, strlen(ovf), err)))
        goto out;
    char hex[65];
    if ((rc = arc_add_file(&t, vname, vmdk, hex, err)))
        goto out;
    {
        unsigned char d[32];
        unsigned dl = 0;
        char ohex[65];
        EVP_Digest(ovf, strlen(ovf), d, &dl, EVP_sha256(), NULL);
        for (unsigned i = 0; i < 32; i++)
            snprintf(ohex + 2 * i, 3, "%02x", d[i]);
        sbuf_printf(&mf, "SHA256(%s)= %s\nSHA256(%s)= %s\n", oname, ohex, vname, hex);
    }
    rc = arc_add_buf(&t, mname, mf.s, mf.len, err);
out:
    rc = arc_close(&t, rc, err);
    unlink(vmdk);
    free(vmdk), free(vname), free(oname), free(mname), free(ovf);
    sbuf_free(&mf);
    return rc;
}

static const struct jeos_format_ops fmt_raw = {"raw", ".raw", conv_raw};
static const struct jeos_format_ops fmt_qcow2 = {"qcow2", ".qcow2", conv_qcow2};
static const struct jeos_format_ops fmt_vmdk = {"vmdk", ".vmdk", conv_vmdk};
static const struct jeos_format_ops fmt_vhd = {"vhd", ".vhd", conv_vhd};
static const struct jeos_format_ops fmt_ova = {"ova", ".ova", conv_ova};
static const struct jeos_format_ops fmt_gce = {"gce", ".tar.gz", conv_gce};

const struct jeos_format_ops *const jeos_formats[] = {&fmt_raw, &fmt_qcow2, &fmt_vmdk, &fmt_vhd,
                                                      &fmt_ova, &fmt_gce,   NULL};

const struct jeos_format_ops *jeos_format_find(const char *name)
{
    for (size_t i = 0; jeos_formats[i]; i++)
        if (strcmp(jeos_formats[i]->name, name) == 0)
            return jeos_formats[i];
    return NULL;
}

int jeos_format_write(const struct jeos_ctx *ctx, const struct jeos_format_ops *f, const char *raw,
                      const char *out_path, const struct jeos_format_opts *opts,
                      struct jeos_err *err)
{
    struct stat st;
    if (stat(raw, &st) != 0)
        return jeos_errf(err, -errno, "%s: %s", raw, strerror(errno));
    struct jeos_format_opts o = {0};
    if (opts)
        o = *opts;
    const char *slash = strrchr(out_path, '/');
    o.file_name = slash ? slash + 1 : out_path;
    struct jeos_outfile of;
    int rc = jeos_outfile_open(&of, out_path, 0644, err);
    if (rc)
        return rc;
    rc = f->convert(ctx, raw, of.tmp, &o, err);
    if (rc) {
        jeos_outfile_abort(&of);
        return rc;
    }
    return jeos_outfile_commit(&of, err);
}

/* One conversion of jeos_formats_write, run in its own thread (qemu-img's VMDK compression and
   the archives are single-threaded; build machines have more than one core). */
struct fmt_job {
    const struct jeos_ctx *ctx;
    const struct jeos_format_ops *f;
    const char *raw;
    char *out;
    struct jeos_format_opts o;
    struct jeos_err err;
    int rc;
    bool skip; /* "raw" whose output is the raw disk itself */
};

static void *fmt_thread(void *arg)
{
    struct fmt_job *j = arg;
    j->rc = jeos_format_write(j->ctx, j->f, j->raw, j->out, &j->o, &j->err);
    return NULL;
}

int jeos_formats_write(const struct jeos_ctx *ctx, const char *raw, const char *dir,
                       const char *base, const char *const *names, size_t n,
                       const struct jeos_format_opts *opts, struct jeos_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (!jeos_format_find(names[i]))
            return jeos_errf(err, -EINVAL,
                             "%s: unknown image format \"%s\" (expected raw, qcow2, vmdk, vhd, "
                             "ova or gce)",
                             raw, names[i]);
    char *rawreal = realpath(raw, NULL);
    struct fmt_job *jobs = xcalloc(n + 1, sizeof(*jobs));
    pthread_t *th = xcalloc(n + 1, sizeof(*th));
    bool *started = xcalloc(n + 1, sizeof(bool));
    ssize_t vmdk = -1, ova = -1;
    for (size_t i = 0; i < n; i++) {
        struct fmt_job *j = &jobs[i];
        j->ctx = ctx, j->raw = raw, j->f = jeos_format_find(names[i]);
        if (opts)
            j->o = *opts;
        j->out = xasprintf("%s/%s%s", dir, base, j->f->suffix);
        char *outreal = realpath(j->out, NULL);
        j->skip = rawreal && outreal && strcmp(rawreal, outreal) == 0;
        free(outreal);
        if (!strcmp(names[i], "vmdk"))
            vmdk = (ssize_t)i;
        else if (!strcmp(names[i], "ova"))
            ova = (ssize_t)i;
    }
    /* An OVA asked for with a VMDK waits for it and reuses it: one compression pass, not two. */
    bool chain = vmdk >= 0 && ova >= 0;
    for (size_t i = 0; i < n; i++) {
        if (jobs[i].skip || (chain && (ssize_t)i == ova))
            continue;
        if (pthread_create(&th[i], NULL, fmt_thread, &jobs[i]) == 0)
            started[i] = true;
        else
            fmt_thread(&jobs[i]); /* no thread: convert here */
    }
    if (chain) {
        if (started[vmdk])
            pthread_join(th[vmdk], NULL);
        started[vmdk] = false;
        jobs[ova].o.vmdk = jobs[vmdk].rc == 0 ? jobs[vmdk].out : NULL;
        fmt_thread(&jobs[ova]);
    }
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        for (size_t m = 0; m < jobs[i].err.n; m++)
            jeos_errf(err, jobs[i].rc < 0 ? jobs[i].rc : -EIO, "%s", jobs[i].err.msgs[m]);
        if (jobs[i].rc < 0 && rc == 0)
            rc = jobs[i].rc;
        jeos_err_free(&jobs[i].err);
        free(jobs[i].out);
    }
    free(jobs), free(th), free(started), free(rawreal);
    return rc;
}
