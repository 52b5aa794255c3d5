/* format_qemu.h — qemu-img and the VMDK writer, shared by the formats that hold a VMDK (OVA). */
#ifndef JEOS_FORMAT_QEMU_H
#define JEOS_FORMAT_QEMU_H

struct jeos_err;

/* qemu-img convert -f raw -O FMT [-o OPTS] RAW OUT. Returns 0 or a negative errno. */
int jeos_qemu_img(const char *raw, const char *out, const char *fmt, const char *opts,
                  struct jeos_err *err);

/*
 * Writes a streamOptimized VMDK of `raw` to `out` whose descriptor names `extent` as its file
 * and whose CID is the start of the raw disk's sha256 (qemu-img would make both up). `reuse`:
 * a VMDK already written from the same raw disk, copied (keeping its CID) instead of converting
 * again. Returns 0 or a negative errno.
 */
int jeos_vmdk_write(const char *raw, const char *reuse, const char *out, const char *extent,
                    struct jeos_err *err);

#endif
