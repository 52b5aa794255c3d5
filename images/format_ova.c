/* format_ova.c — ova: an OVF 1.0 descriptor, the disk as a streamOptimized VMDK and a SHA256
 * manifest, in a ustar archive (what vSphere/ESXi and VirtualBox import). */
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "images/format.h"
#include "images/format_qemu.h"
#include "images/tarball.h"

static const char *xml_safe(const char *s)
{
    return s && !strpbrk(s, "<>&\"'") ? s : "jeos";
}

/* The disk's controller: VMware's paravirtual SCSI for BIOS (the cloud kernel has no LSI Logic
   driver; SeaBIOS and ESXi's BIOS boot from pvscsi), SATA AHCI for UEFI (what ESXi's and
   VirtualBox's EFI boot from everywhere). CIM ResourceType 6 is a parallel SCSI HBA, 20 another
   storage device. */
static void ovf_controller(struct sbuf *b, bool uefi)
{
    sbuf_printf(b,
                "      <Item>\n"
                "        <rasd:Address>0</rasd:Address>\n"
                "        <rasd:ElementName>%s</rasd:ElementName>\n"
                "        <rasd:InstanceID>3</rasd:InstanceID>\n"
                "        <rasd:ResourceSubType>%s</rasd:ResourceSubType>\n"
                "        <rasd:ResourceType>%d</rasd:ResourceType>\n"
                "      </Item>\n",
                uefi ? "SATA controller 0" : "SCSI controller 0",
                uefi ? "vmware.sata.ahci" : "VirtualSCSI", uefi ? 20 : 6);
}

/* The OVF 1.0 descriptor (DSP0243): the References, Disk and Network sections, then one
   VirtualSystem; the rasd and vssd elements in the order the CIM schemas' sequences give
   (alphabetical). Hardware version vmx-13 (ESXi 6.5 and later), guest "Other 3.x or later Linux
   (64-bit)" (CIM 101, Linux 64-Bit). */
static char *ovf_descriptor(const struct jeos_format_opts *o, const char *vmdk_name,
                            uint64_t vmdk_size, uint64_t capacity, uint64_t populated)
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
        "vmdk.html#streamOptimized\" ovf:populatedSize=\"%llu\"/>\n"
        "  </DiskSection>\n"
        "  <NetworkSection>\n"
        "    <Info>Logical networks</Info>\n"
        "    <Network ovf:name=\"VM Network\"><Description>The network</Description></Network>\n"
        "  </NetworkSection>\n"
        "  <VirtualSystem ovf:id=\"%s\">\n"
        "    <Info>A jeos appliance</Info>\n"
        "    <Name>%s</Name>\n"
        "    <OperatingSystemSection ovf:id=\"101\" vmw:osType=\"other3xLinux64Guest\">\n"
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
        "      </Item>\n",
        vmdk_name, (unsigned long long)vmdk_size, (unsigned long long)capacity,
        (unsigned long long)populated, name, name, name, cpus, cpus, mem, mem);
    ovf_controller(&b, o->uefi);
    sbuf_printf(&b,
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
                "%s"
                "    </VirtualHardwareSection>\n"
                "  </VirtualSystem>\n"
                "</Envelope>\n",
                o->uefi ? "      <vmw:Config ovf:required=\"false\" vmw:key=\"firmware\" "
                          "vmw:value=\"efi\"/>\n"
                        : "");
    return sbuf_take(&b);
}

/* NAME.ovf first (as OVF requires), then the streamOptimized disk, then a SHA256 manifest.
   The disk hangs off pvscsi (BIOS) or SATA (UEFI), the NIC is a vmxnet3. The populated size
   counts the raw disk's non-zero 64 KiB grains (the VMDK's grain size). With o->from
   (the build's VMDK) that VMDK is reused: copied with its extent renamed, not converted. */
static int conv_ova(const struct jeos_ctx *ctx, const char *raw, const char *dir, const char *base,
                    const struct jeos_format_opts *o, struct jeos_err *err)
{
    const char *name = xml_safe(o->name);
    char *out = xasprintf("%s/%s.ova", dir, base), *vmdk = xasprintf("%s/disk.vmdk", dir);
    char *vname = xasprintf("%s-disk1.vmdk", name), *oname = xasprintf("%s.ovf", name);
    char *mname = xasprintf("%s.mf", name), *ovf = NULL;
    struct jeos_tar t = {0};
    struct sbuf mf = {0};
    struct stat rs, vs;
    int rc = jeos_vmdk_write(raw, o->from, vmdk, vname, err);
    if (rc)
        goto out;
    if (stat(raw, &rs) != 0 || stat(vmdk, &vs) != 0) {
        rc = jeos_errf(err, -errno, "%s: %s", out, strerror(errno));
        goto out;
    }
    uint64_t populated;
    if ((rc = jeos_nonzero_bytes(raw, 64 << 10, &populated, err)))
        goto out;
    ovf = ovf_descriptor(o, vname, (uint64_t)vs.st_size, (uint64_t)rs.st_size, populated);
    if ((rc = jeos_tar_open(&t, out, JEOS_TAR_USTAR, ctx->have_epoch ? ctx->epoch : 0, err)) ||
        (rc = jeos_tar_add_buf(&t, oname, 0, ovf, strlen(ovf), err)))
        goto out;
    char hex[65];
    if ((rc = jeos_tar_add_file(&t, vname, 0, vmdk, hex, err)))
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
    rc = jeos_tar_add_buf(&t, mname, 0, mf.s, mf.len, err);
out:
    rc = jeos_tar_close(&t, rc, err);
    unlink(vmdk);
    free(out), free(vmdk), free(vname), free(oname), free(mname), free(ovf);
    sbuf_free(&mf);
    return rc;
}

/* An OVA is a tar whose first member is the .ovf descriptor. */
static const char *probe_ova(const struct jeos_choice *self, int fd, uint64_t size)
{
    (void)self;
    unsigned char h[512];
    (void)size;
    if (jeos_format_read(fd, 0, h, sizeof(h)) != sizeof(h) || memcmp(h + 257, "ustar", 5) != 0)
        return "not a tar archive";
    size_t n = strnlen((const char *)h, 100);
    if (n < 5 || memcmp(h + n - 4, ".ovf", 4) != 0)
        return "its first member is not an .ovf descriptor";
    return NULL;
}

static const char *const ova_outputs[] = {".ova", NULL};
const struct jeos_format_ops jeos_format_ova = {.c = {.name = "ova",
                                                      .kinds = JEOS_FOR_BOTH,
                                                      .suffix = ".ova",
                                                      .probe = probe_ova,
                                                      .title = "OVA"},
                                                .outputs = ova_outputs,
                                                .from = "vmdk",
                                                .convert = conv_ova};
