/* format_elf.c — elf: a unikernel's bare ELF, written by the unikernel build itself (booted by
 * qemu -kernel, Xen PVH, jeos-hv); here for its name, suffix and probe. */
#include <string.h>

#include "images/format.h"

static const char *probe_elf(const struct jeos_choice *self, int fd, uint64_t size)
{
    (void)self;
    unsigned char h[5];
    (void)size;
    if (jeos_format_read(fd, 0, h, 5) != 5 || memcmp(h, "\177ELF", 4) != 0)
        return "no ELF magic at its start";
    if (h[4] != 2)
        return "not a 64-bit ELF";
    return NULL;
}

static const char *const elf_outputs[] = {".elf", NULL};
const struct jeos_format_ops jeos_format_elf = {.c = {.name = "elf",
                                                      .kinds = JEOS_FOR_UNIKERNEL,
                                                      .suffix = ".elf",
                                                      .probe = probe_elf,
                                                      .title = "unikernel ELF"},
                                                .outputs = elf_outputs};
