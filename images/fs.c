/* fs.c — the table of filesystem writers. */
#include "images/fs.h"

#include <string.h>

const struct fs_ops *const fs_table[] = {&fs_ext4_ops, &fs_squashfs_ops, NULL};

const struct fs_ops *fs_find(const char *name)
{
    for (size_t i = 0; fs_table[i]; i++)
        if (strcmp(fs_table[i]->name, name) == 0)
            return fs_table[i];
    return NULL;
}
