/* format_openstack.c — openstack: the Glance image properties of the build's qcow2 in a sidecar
 * JSON (NAME.openstack.json), ready for `openstack image create --property ...`. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/core/alloc.h"
#include "builder/core/ctx.h"
#include "builder/core/err.h"
#include "builder/core/util.h"
#include "images/format.h"

/* The disk and the NIC are virtio (the appliance's cloud kernel and the unikernel both drive
   them); the firmware is the recipe's: UEFI when it boots by UEFI only. No guest agent runs. */
static int conv_openstack(const struct jeos_ctx *ctx, const char *raw, const char *dir,
                          const char *base, const struct jeos_format_opts *o, struct jeos_err *err)
{
    (void)ctx;
    if (!o->from)
        return jeos_errf(err, -EINVAL,
                         "openstack: the properties describe %s.qcow2: list qcow2 in "
                         "image.formats too",
                         base);
    struct stat st;
    if (stat(raw, &st) != 0)
        return jeos_errf(err, -errno, "%s: %s", raw, strerror(errno));
    uint64_t gib = 1ull << 30, min_disk = ((uint64_t)st.st_size + gib - 1) / gib;
    unsigned long long mem = (unsigned long long)((o->memory ? o->memory : 512ull << 20) >> 20);
    const char *slash = strrchr(base, '/');
    struct sbuf b = {0};
    sbuf_printf(&b,
                "{\n"
                "  \"file\": \"%s.qcow2\",\n"
                "  \"disk_format\": \"qcow2\",\n"
                "  \"container_format\": \"bare\",\n"
                "  \"min_disk\": %llu,\n"
                "  \"min_ram\": %llu,\n"
                "  \"properties\": {\n"
                "    \"hw_disk_bus\": \"virtio\",\n"
                "    \"hw_vif_model\": \"virtio\",\n"
                "    \"hw_firmware_type\": \"%s\",\n"
                "    \"os_type\": \"linux\",\n"
                "    \"hw_qemu_guest_agent\": \"no\"\n"
                "  }\n"
                "}\n",
                slash ? slash + 1 : base, (unsigned long long)min_disk, mem,
                o->uefi ? "uefi" : "bios");
    char *out = xasprintf("%s/%s.openstack.json", dir, base);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = 0;
    if (fd < 0 || jeos_write_all(fd, b.s, b.len) < 0)
        rc = jeos_errf(err, -errno, "%s: %s", out, strerror(errno));
    if (fd >= 0 && close(fd) != 0 && !rc)
        rc = jeos_errf(err, -errno, "%s: close: %s", out, strerror(errno));
    free(out);
    sbuf_free(&b);
    return rc;
}

static const char *probe_openstack(const struct jeos_choice *self, int fd, uint64_t size)
{
    (void)self;
    char h[64] = {0};
    if (size < 20 || jeos_format_read(fd, 0, h, sizeof(h) - 1) < 20 ||
        strncmp(h, "{\n  \"file\": \"", 13) != 0)
        return "not the JSON of jeos's OpenStack image properties";
    return NULL;
}

static const char *const openstack_outputs[] = {".openstack.json", NULL};
const struct jeos_format_ops jeos_format_openstack = {.c = {.name = "openstack",
                                                            .kinds = JEOS_FOR_BOTH,
                                                            .suffix = ".openstack.json",
                                                            .probe = probe_openstack,
                                                            .title = "OpenStack image properties"},
                                                      .outputs = openstack_outputs,
                                                      .from = "qcow2",
                                                      .convert = conv_openstack};
