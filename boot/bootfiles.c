/* bootfiles.c — grub.cfg's first entry, a bzImage's version, an EFI program's kind and signature
 * (see bootfiles.h); every offset checked against the length. */
#include "boot/bootfiles.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "builder/core/alloc.h"
#include "images/bytes.h"

static const char *skip_blank(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

static size_t word_len(const char *p, const char *end)
{
    size_t n = 0;
    while (p + n < end && p[n] != ' ' && p[n] != '\t')
        n++;
    return n;
}

bool jeos_grub_cfg_parse(const char *text, size_t len, struct jeos_grub_entry *out)
{
    static const char *const loaders[] = {"linux",      "linux16",   "linuxefi",
                                          "multiboot2", "multiboot", "chainloader"};
    memset(out, 0, sizeof(*out));
    const char *end = text + len;
    for (const char *l = text; l < end;) {
        const char *nl = memchr(l, '\n', (size_t)(end - l));
        const char *le = nl ? nl : end;
        while (le > l && (le[-1] == '\r' || le[-1] == ' '))
            le--;
        const char *p = skip_blank(l, le);
        size_t w = word_len(p, le);
        if (w == 9 && strncmp(p, "menuentry", 9) == 0)
            out->entries++;
        bool initrd = (w == 6 && strncmp(p, "initrd", 6) == 0) ||
                      (w == 8 && strncmp(p, "initrd16", 8) == 0) ||
                      (w == 9 && strncmp(p, "initrdefi", 9) == 0);
        if (out->loader && initrd && !out->initrd) {
            const char *a = skip_blank(p + w, le);
            out->initrd = xstrndup(a, word_len(a, le));
        }
        for (size_t i = 0; i < sizeof(loaders) / sizeof(loaders[0]) && !out->loader; i++) {
            if (strlen(loaders[i]) != w || strncmp(p, loaders[i], w) != 0)
                continue;
            const char *a = skip_blank(p + w, le);
            size_t kl = word_len(a, le);
            if (!kl)
                continue;
            out->loader = xstrndup(p, w);
            out->kernel = xstrndup(a, kl);
            const char *c = skip_blank(a + kl, le);
            out->cmdline = xstrndup(c, (size_t)(le - c));
        }
        l = nl ? nl + 1 : end;
    }
    return out->loader != NULL;
}

void jeos_grub_entry_free(struct jeos_grub_entry *e)
{
    free(e->loader), free(e->kernel), free(e->cmdline), free(e->initrd);
    memset(e, 0, sizeof(*e));
}

bool jeos_bzimage_version(const unsigned char *buf, size_t len, char *out, size_t cap)
{
    /* the x86 boot protocol: "HdrS" at 0x202; kernel_version (2 bytes at 0x20e) is an offset
       from 0x200 to a NUL-terminated string */
    if (cap == 0 || len < 0x210 || memcmp(buf + 0x202, "HdrS", 4) != 0)
        return false;
    size_t off = 0x200 + (size_t)(buf[0x20e] | buf[0x20f] << 8);
    if (buf[0x20e] == 0 && buf[0x20f] == 0)
        return false;
    size_t k = 0;
    for (; off + k < len && buf[off + k] && k + 1 < cap; k++)
        out[k] = buf[off + k] >= 0x20 && buf[off + k] < 0x7f ? (char)buf[off + k] : '?';
    out[k] = 0;
    return k > 0;
}

void jeos_efi_identify(const unsigned char *buf, size_t len, struct jeos_efi_info *out)
{
    memset(out, 0, sizeof(*out));
    out->who = "other";
    if (len < 0x40 || buf[0] != 'M' || buf[1] != 'Z')
        return;
    uint32_t pe = jeos_le32(buf + 0x3c);
    if (pe > len || len - pe < 24 + 112 || memcmp(buf + pe, "PE\0\0", 4) != 0)
        return;
    const unsigned char *opt = buf + pe + 24;
    unsigned magic = opt[0] | opt[1] << 8;
    /* the data directories: at 96 (PE32) or 112 (PE32+); the certificate table is entry 4 */
    size_t dirs = magic == 0x20b ? 112 : magic == 0x10b ? 96 : 0;
    if (!dirs)
        return;
    out->pe = true;
    uint32_t ndirs = jeos_le32(opt + dirs - 4);
    size_t cert = pe + 24 + dirs + 4 * 8;
    if (ndirs > 4 && cert + 8 <= len)
        out->signed_ = jeos_le32(buf + cert + 4) != 0;
    if (memmem(buf, len, "shim,", 5) || memmem(buf, len, "UEFI SHIM", 9))
        out->who = "shim";
    else if (memmem(buf, len, "grub,", 5) || memmem(buf, len, "GNU GRUB", 8) ||
             memmem(buf, len, "grub_", 5))
        out->who = "GRUB";
    else if (memmem(buf, len, "HdrS", 4))
        out->who = "Linux EFI stub";
}
