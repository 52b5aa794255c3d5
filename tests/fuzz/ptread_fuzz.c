/* ptread_fuzz.c — libFuzzer target: any bytes as the head of a disk; the GPT/MBR reader must fail
 * with a message or give partitions that lie inside the disk. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "builder/core/err.h"
#include "images/ptread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the disk is the input itself, then a disk twice as long whose head it is */
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    struct jeos_ptread *t = malloc(sizeof(*t));
    for (int round = 0; round < 2; round++) {
        uint64_t disk = round ? (uint64_t)size * 2 : size;
        struct jeos_err err;
        jeos_err_init(&err);
        int rc = jeos_ptable_read(copy, size, disk, t, &err);
        if ((rc < 0) != (jeos_err_count(&err) != 0))
            __builtin_trap();
        if (rc == 0 && t->nparts > JEOS_PTREAD_MAX)
            __builtin_trap();
        for (size_t i = 0; rc == 0 && i < t->nparts; i++)
            if (!strcmp(t->table, "gpt") &&
                (t->parts[i].start + t->parts[i].size > disk || !t->parts[i].size))
                __builtin_trap();
        jeos_err_free(&err);
    }
    free(t);
    free(copy);
    return 0;
}
