/*
 * tests/unikernel/guests/blk.c — the block-device test guest: on blk0 it checks the host's
 * pattern (byte o of the disk is host_byte(o)), writes its own pattern (guest_byte) with many
 * requests in flight, one large split write and the last sector, reads all back, flushes,
 * discards a range when the device offers it, and checks the refusals (past the end; writes on a
 * read-only disk). The host then checks the image file byte by byte (tests/unikernel/blk_check.py).
 * Arguments: reset (re-probe the device — virtio-blk, NVMe or pvscsi — with requests still in
 * flight first, as a kernel finding it left running would), eio=SECTOR (expect reading SECTOR to
 * fail with the device's I/O error), eflush (expect a flush to fail so: the host makes its flush to
 * disk fail), quick (8 scattered writes and no 1 MiB one: where every instruction is emulated,
 * jeos-hv on this host's KVM), bench=MIB (instead: writes MIB MiB sequentially from sector 0
 * through blkdev_io, flushes, reads them back, and prints the times; the disk's pattern is lost).
 */
/* General registers only: under an emulating /dev/kvm (jeos-hv's test here) SSE is not available.
 */
#pragma GCC target("general-regs-only")

#include "drivers/blkdev.h"
#include "drivers/nvme.h"
#include "drivers/pci.h"
#include "drivers/pvscsi.h"
#include "drivers/virtio/virtio.h"
#include "guest.h"
#include "uk.h"

/* The layout both sides know (in 512-byte units; see blk_check.py). */
#define SCATTER_AT    2048 /* 64 writes of 4 KiB, every 12 KiB from here */
#define SCATTER_N     64
#define SCATTER_STEP  24
#define BIG_AT        8192 /* one write of 1 MiB */
#define BIG_SECTORS   2048
#define DISCARD_AT    16384
#define DISCARD_COUNT 128
#define CHECK_SECTORS 64 /* the host pattern checked at the start */

static uint8_t host_byte(uint64_t o)
{
    return (uint8_t)(o * 7 + (o >> 9) * 13 + 0x5a);
}

static uint8_t guest_byte(uint64_t o)
{
    return (uint8_t)((o * 31 + (o >> 12)) ^ 0xa5);
}

static int fails;

static void fail(const char *what, long a, long b)
{
    uk_printf("blk: FAILED %s (%ld, %ld)\n", what, a, b);
    fails++;
}

/* Fills buf with the guest pattern for sectors [sector, sector + n) of 512 bytes. */
static void fill(uint8_t *buf, uint64_t sector, uint64_t n)
{
    for (uint64_t i = 0; i < n * 512; i++)
        buf[i] = guest_byte(sector * 512 + i);
}

/* The first byte of buf (sectors from sector) that differs from pattern, or -1. */
static long differs(const uint8_t *buf, uint64_t sector, uint64_t n, uint8_t (*pat)(uint64_t))
{
    for (uint64_t i = 0; i < n * 512; i++)
        if (buf[i] != pat(sector * 512 + i))
            return (long)i;
    return -1;
}

static uint64_t number_after(const char *s, const char *key)
{
    while (*key && *s == *key)
        s++, key++;
    if (*key)
        return (uint64_t)-1;
    uint64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (uint64_t)(*s - '0');
    return v;
}

static void describe(struct blkdev *bd)
{
    char feats[128] = "";
    virtio_blk_features(bd, feats, sizeof(feats));
    uk_printf("blk: %s %s %s sectors %lu size %u ro %d flush %d discard %d max_sectors %u depth %u "
              "features [%s] serial [%s]\n",
              bd->name, bd->driver, bd->bus, bd->sectors, bd->sector_size, bd->read_only,
              (bd->caps & BLKDEV_CAP_FLUSH) != 0, (bd->caps & BLKDEV_CAP_DISCARD) != 0,
              bd->max_sectors, bd->queue_depth, feats, bd->serial);
}

/*
 * The device probed again while the old driver still has requests in it: without the reset the
 * device would go on with the old rings. The old blkdev must see nothing come back.
 */
static struct blkdev *reprobe(struct blkdev *old, uint8_t *buf)
{
    static struct blkdev_req held[4];
    struct blkdev_req *list[4];
    for (int i = 0; i < 4; i++) {
        held[i] = (struct blkdev_req){
            .op = BLKDEV_READ, .sector = (uint64_t)i * 8, .count = 8, .buf = buf + i * 4096};
        list[i] = &held[i];
    }
    int taken = old->ops->submit(old, list, 4);
    uk_printf("reset: %d reads left in flight\n", taken);
    virtio_blk_refuse = 1ull << VIRTIO_F_EVENT_IDX; /* the next kernel asks for another set */
    int r = -19;
    if (old->bus[0] == 'm') {
        r = virtio_mmio_probe(hex_after(old->bus, "mmio "), 512,
                              (unsigned)hex_after(old->bus, "gsi "), 1, 0);
    } else {
        for (int i = 0; i < pci_count(); i++) {
            struct pci_dev *d = pci_get(i);
            char where[16];
            uk_snprintf(where, sizeof(where), "pci %02x:%02x.%x ", d->bus, d->slot, d->fn);
            unsigned n = 0;
            while (where[n] && where[n] == old->bus[n])
                n++;
            if (where[n])
                continue;
            if (old->driver[0] == 'n') /* "nvme" */
                r = nvme_probe(d);
            else if (old->driver[0] == 'p') /* "pvscsi" */
                r = pvscsi_probe(d);
            else
                r = virtio_pci_probe(d);
        }
    }
    if (r < 0 || blkdev_count() < 2) {
        uk_printf("reset: probe again failed (%d)\n", r);
        uk_exit(4);
    }
    return blkdev_get(blkdev_count() - 1);
}

int main(int argc, char **argv)
{
    int reset = 0, eflush = 0, quick = 0;
    uint64_t bench = 0;
    uint64_t eio = (uint64_t)-1;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == 'r' && argv[i][1] == 'e' && argv[i][2] == 's')
            reset = 1;
        else if (number_after(argv[i], "eflush") == 0)
            eflush = 1;
        else if (number_after(argv[i], "quick") == 0)
            quick = 1;
        else if (number_after(argv[i], "bench=") != (uint64_t)-1)
            bench = number_after(argv[i], "bench=");
        else if (number_after(argv[i], "eio=") != (uint64_t)-1)
            eio = number_after(argv[i], "eio=");
    }
    for (unsigned i = 0; i < blkdev_count(); i++)
        describe(blkdev_get(i));
    struct blkdev *bd = blkdev_get(0);
    if (!bd) {
        uk_printf("blk: no block device\n");
        return 2;
    }
    uint8_t *big = uk_malloc(BIG_SECTORS * 512), *small = uk_malloc(SCATTER_N * 4096);
    uint8_t *one = uk_malloc(4096);
    if (!big || !small || !one) {
        uk_printf("blk: out of memory\n");
        return 2;
    }
    struct blkdev *old = NULL;
    if (reset) {
        old = bd;
        bd = reprobe(old, small);
        uk_printf("reset: ");
        describe(bd);
    }
    if (bd->sector_size != 512) {
        uk_printf("blk: this test wants 512-byte sectors, not %u\n", bd->sector_size);
        return 2;
    }
    uint64_t last = bd->sectors - 1;
    if (bench) { /* 1 MiB at a time from one buffer: the device's speed, not the pattern's */
        int r;
        uint64_t mib = bench < bd->sectors / 2048 ? bench : bd->sectors / 2048;
        uint64_t t0 = uk_monotonic_ns();
        for (uint64_t m = 0; m < mib; m++)
            if ((r = blkdev_io(bd, BLKDEV_WRITE, m * 2048, big, BIG_SECTORS)) < 0)
                fail("bench write", r, (long)m);
        if ((r = blkdev_flush(bd)) < 0)
            fail("bench flush", r, 0);
        uint64_t t1 = uk_monotonic_ns();
        for (uint64_t m = 0; m < mib; m++)
            if ((r = blkdev_io(bd, BLKDEV_READ, m * 2048, big, BIG_SECTORS)) < 0)
                fail("bench read", r, (long)m);
        uint64_t t2 = uk_monotonic_ns();
        uk_printf("blk: bench %lu MiB write+flush %lu ms read %lu ms\n", mib, (t1 - t0) / 1000000,
                  (t2 - t1) / 1000000);
        return fails ? 1 : 0;
    }

    /* the host's bytes, read in one request per 8 sectors, all in flight together */
    struct blkdev_req req[SCATTER_N];
    struct blkdev_req *list[SCATTER_N];
    for (int i = 0; i < CHECK_SECTORS / 8; i++) {
        req[i] = (struct blkdev_req){BLKDEV_READ, (uint64_t)i * 8, 8, small + i * 4096, 0};
        list[i] = &req[i];
    }
    int r = blkdev_run(bd, list, CHECK_SECTORS / 8);
    long d = differs(small, 0, CHECK_SECTORS, host_byte);
    if (r < 0 || d >= 0)
        fail("host pattern", r, d);

    if (eio != (uint64_t)-1) { /* the device's error comes back as -EIO, nothing else breaks */
        r = blkdev_io(bd, BLKDEV_READ, eio, one, 1);
        uk_printf("blk: read of sector %lu: %d\n", eio, r);
        if (r != -5)
            fail("expected -EIO", r, 0);
        r = blkdev_io(bd, BLKDEV_READ, 0, one, 1);
        if (r < 0)
            fail("read after the error", r, 0);
        uk_printf("blk: errors %lu\n", bd->stats.errors);
        return fails ? 1 : 0;
    }

    if (eflush) { /* the flush reaches the host's storage, and its failure comes back */
        fill(one, SCATTER_AT, 1); /* something to flush: QEMU skips a flush after none */
        if ((r = blkdev_io(bd, BLKDEV_WRITE, SCATTER_AT, one, 1)) < 0)
            fail("write before the flush", r, 0);
        r = blkdev_flush(bd);
        uk_printf("blk: flush: %d\n", r);
        if (r != -5)
            fail("expected the flush to fail with -EIO", r, 0);
        return fails ? 1 : 0;
    }

    if (bd->read_only) {
        fill(one, 0, 8);
        r = blkdev_io(bd, BLKDEV_WRITE, 0, one, 8);
        uk_printf("blk: write on a read-only disk: %d\n", r);
        if (r != -30)
            fail("write on read-only", r, 0);
        r = blkdev_discard(bd, 0, 8);
        if (r != -30 && r != -95)
            fail("discard on read-only", r, 0);
        uk_printf("blk: ro ok reads %lu errors %lu\n", bd->stats.reads, bd->stats.errors);
        return fails ? 1 : 0;
    }

    /* 64 scattered writes in one batch: as many in flight as the queue holds */
    int nscatter = quick ? 8 : SCATTER_N;
    for (int i = 0; i < nscatter; i++) {
        uint64_t s = SCATTER_AT + (uint64_t)i * SCATTER_STEP;
        fill(small + i * 4096, s, 8);
        req[i] = (struct blkdev_req){BLKDEV_WRITE, s, 8, small + i * 4096, 0};
        list[i] = &req[i];
    }
    if ((r = blkdev_run(bd, list, (unsigned)nscatter)) < 0)
        fail("scattered writes", r, 0);
    fill(big, BIG_AT, BIG_SECTORS);
    if (!quick && (r = blkdev_io(bd, BLKDEV_WRITE, BIG_AT, big, BIG_SECTORS)) < 0)
        fail("1 MiB write", r, 0);
    fill(one, last, 1);
    if ((r = blkdev_io(bd, BLKDEV_WRITE, last, one, 1)) < 0)
        fail("last sector", r, 0);
    if ((r = blkdev_io(bd, BLKDEV_WRITE, last, one, 2)) != -22)
        fail("write past the end", r, 0);
    if ((r = blkdev_flush(bd)) < 0)
        fail("flush", r, 0);

    /* read everything back */
    __builtin_memset(small, 0, SCATTER_N * 4096);
    for (int i = 0; i < nscatter; i++) {
        req[i] = (struct blkdev_req){BLKDEV_READ, SCATTER_AT + (uint64_t)i * SCATTER_STEP, 8,
                                     small + i * 4096, 0};
        list[i] = &req[i];
    }
    if ((r = blkdev_run(bd, list, (unsigned)nscatter)) < 0)
        fail("scattered reads", r, 0);
    for (int i = 0; i < nscatter; i++)
        if ((d = differs(small + i * 4096, SCATTER_AT + (uint64_t)i * SCATTER_STEP, 8,
                         guest_byte)) >= 0)
            fail("scattered read-back", i, d);
    __builtin_memset(big, 0, BIG_SECTORS * 512);
    if (!quick && (r = blkdev_io(bd, BLKDEV_READ, BIG_AT, big, BIG_SECTORS)) < 0)
        fail("1 MiB read", r, 0);
    if (!quick && (d = differs(big, BIG_AT, BIG_SECTORS, guest_byte)) >= 0)
        fail("1 MiB read-back", d, 0);
    if ((r = blkdev_io(bd, BLKDEV_READ, last, one, 1)) < 0 ||
        differs(one, last, 1, guest_byte) >= 0)
        fail("last sector read-back", r, 0);

    if (bd->caps & BLKDEV_CAP_DISCARD) {
        if ((r = blkdev_discard(bd, DISCARD_AT, DISCARD_COUNT)) < 0)
            fail("discard", r, 0);
    } else if ((r = blkdev_discard(bd, DISCARD_AT, DISCARD_COUNT)) != -95) {
        fail("discard without the feature", r, 0);
    }
    if ((r = blkdev_flush(bd)) < 0)
        fail("second flush", r, 0);

    const struct blkdev_stats *st = &bd->stats;
    uk_printf("blk: stats reads %lu writes %lu flushes %lu discards %lu errors %lu "
              "max_inflight %lu irqs %lu notifies %lu full %lu\n",
              st->reads, st->writes, st->flushes, st->discards, st->errors, st->max_inflight,
              st->irqs, st->notifies, st->full);
    if (old) {
        int stale = old->ops->poll(old);
        uk_printf("reset: old queue completed %d requests after the reset\n", stale);
    }
    if (fails)
        return 1;
    uk_printf("blk: ok\n");
    return 0;
}
