/* boot.c — the table of boot methods (see boot.h). */
#include "boot/boot.h"

#include <string.h>

/*
 * The methods, in the order messages list them and a disk installs them. Each NAME is a
 * `const struct jeos_boot_ops jeos_boot_NAME` defined in boot/grub_NAME.c: adding a method is
 * its file and its name here.
 */
#define JEOS_BOOT_LIST(X) X(bios) X(uefi)

#define DECLARE(name) extern const struct jeos_boot_ops jeos_boot_##name;
JEOS_BOOT_LIST(DECLARE)
#define ROW(name) &jeos_boot_##name,
const struct jeos_boot_ops *const jeos_bootloaders[] = {JEOS_BOOT_LIST(ROW) NULL};

static const struct jeos_choice *boot_choice(size_t i)
{
    return i < sizeof(jeos_bootloaders) / sizeof(jeos_bootloaders[0]) - 1 ? &jeos_bootloaders[i]->c
                                                                          : NULL;
}

const struct jeos_axis jeos_axis_boot = {.key = "boot",
                                         .what = "boot method",
                                         .list = true,
                                         .def = {"bios uefi", "bios uefi"},
                                         .choice = boot_choice};

const struct jeos_boot_ops *jeos_boot_find(const char *name)
{
    for (size_t i = 0; jeos_bootloaders[i]; i++)
        if (strcmp(jeos_bootloaders[i]->c.name, name) == 0)
            return jeos_bootloaders[i];
    return NULL;
}

const char *jeos_boot_needs_ptable(const struct jeos_boot_ops *b)
{
    return b->c.needs[0] && strcmp(b->c.needs[0], jeos_axis_ptable.key) == 0 ? b->c.needs[1] : NULL;
}
