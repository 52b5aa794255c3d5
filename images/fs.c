/* fs.c — the table of root filesystem writers (see fs.h). */
#include "images/fs.h"

#include <string.h>

/*
 * The writers, in the order messages list them. Each NAME is a `const struct fs_ops
 * jeos_fs_NAME` defined in images/NAME.c: adding a filesystem is its file and its name here.
 */
#define JEOS_FS_LIST(X) X(squashfs) X(ext4)

#define DECLARE(name) extern const struct fs_ops jeos_fs_##name;
JEOS_FS_LIST(DECLARE)
#define ROW(name) &jeos_fs_##name,
const struct fs_ops *const jeos_filesystems[] = {JEOS_FS_LIST(ROW) NULL};

static const struct jeos_choice *fs_choice(size_t i)
{
    return i < sizeof(jeos_filesystems) / sizeof(jeos_filesystems[0]) - 1 ? &jeos_filesystems[i]->c
                                                                          : NULL;
}

const struct jeos_axis jeos_axis_fs = {
    .key = "root", .what = "root filesystem", .def = {"squashfs", NULL}, .choice = fs_choice};

const struct fs_ops *jeos_fs_find(const char *name)
{
    for (size_t i = 0; jeos_filesystems[i]; i++)
        if (strcmp(jeos_filesystems[i]->c.name, name) == 0)
            return jeos_filesystems[i];
    return NULL;
}
