/*
 * tests/unikernel/blkcheck_app.c — a second source for a unikernel recipe (combo_test.sh): before
 * main, on the disk whose serial is "data", it checks the host's pattern in the first 64 sectors,
 * writes its own over 128 KiB from sector 64 (requests in flight together), flushes, reads it
 * back and compares; one console line says how it went. The host checks the disk file after.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "drivers/blkdev.h"

#define HOST_SECTORS  64
#define GUEST_AT      64
#define GUEST_SECTORS 256

/* The program's image is identity-mapped, so the disk can reach these directly. */
static uint8_t buf[GUEST_SECTORS * 512] __attribute__((aligned(4096)));

static uint8_t host_byte(uint64_t o)
{
    return (uint8_t)(o * 7 + (o >> 9) * 13 + 0x5a);
}

static uint8_t guest_byte(uint64_t o)
{
    return (uint8_t)((o * 31 + (o >> 12)) ^ 0xa5);
}

static long differs(uint64_t sector, uint64_t n, uint8_t (*pat)(uint64_t))
{
    for (uint64_t i = 0; i < n * 512; i++)
        if (buf[i] != pat(sector * 512 + i))
            return (long)i;
    return -1;
}

static int check(struct blkdev *bd)
{
    long at;
    int rc = blkdev_io(bd, BLKDEV_READ, 0, buf, HOST_SECTORS);
    if (rc < 0)
        return printf("blkcheck: %s: read of the host's pattern: %d\n", bd->name, rc), -1;
    if ((at = differs(0, HOST_SECTORS, host_byte)) >= 0)
        return printf("blkcheck: %s: the host's pattern differs at byte %ld\n", bd->name, at), -1;
    for (uint64_t i = 0; i < sizeof(buf); i++)
        buf[i] = guest_byte(GUEST_AT * 512 + i);
    if ((rc = blkdev_io(bd, BLKDEV_WRITE, GUEST_AT, buf, GUEST_SECTORS)) < 0)
        return printf("blkcheck: %s: write: %d\n", bd->name, rc), -1;
    if ((rc = blkdev_flush(bd)) < 0)
        return printf("blkcheck: %s: flush: %d\n", bd->name, rc), -1;
    memset(buf, 0, sizeof(buf));
    if ((rc = blkdev_io(bd, BLKDEV_READ, GUEST_AT, buf, GUEST_SECTORS)) < 0)
        return printf("blkcheck: %s: read back: %d\n", bd->name, rc), -1;
    if ((at = differs(GUEST_AT, GUEST_SECTORS, guest_byte)) >= 0)
        return printf("blkcheck: %s: read back differs at byte %ld\n", bd->name, at), -1;
    return 0;
}

__attribute__((constructor)) static void blkcheck(void)
{
    for (unsigned i = 0; i < blkdev_count(); i++) {
        struct blkdev *bd = blkdev_get(i);
        if (strcmp(bd->serial, "data") != 0)
            continue;
        if (check(bd) == 0)
            printf(
                "blkcheck: ok %s %s %s: the host's 32 KiB read, 128 KiB written, flushed and read "
                "back\n",
                bd->name, bd->driver, bd->bus);
        fflush(stdout);
        return;
    }
    printf("blkcheck: no disk with serial data (%u disks)\n", blkdev_count());
    fflush(stdout);
}
