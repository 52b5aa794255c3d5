/*
 * virtio_blk_fuzz.c — libFuzzer: the unikernel's virtio-blk driver, the block layer and split
 * virtqueues against a device that lies. The input is a script: what the device offers (features,
 * queue size, capacity, block size, segment and discard limits), then operations — batches of
 * requests submitted (any op, sector, count), completions (used entries with ids, lengths and
 * status bytes of the input's choosing, used-index jumps, the status byte left unwritten), raw
 * used-ring writes, interrupts, polls. The device's DMA is honest (it writes only into
 * device-writable pieces the driver posted); what it reports is not. Checks: every descriptor the
 * driver posts lies inside its own memory with the right direction (header and write data read
 * by the device, read data and the status byte written by it), each request completes exactly once
 * with 0 or a known errno, nothing stays pending once the driver gave up, and a driver that gives
 * up says why (bd->failed).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/blkdev.h"
#include "memory/memory.h"
#include "tests/fuzz/virtio_fake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ARENA (256u << 10)

static uint8_t *arena;

/* The driver submits a batch of requests that are not in flight. */
static int driver_submit(struct blkdev *bd)
{
    struct blkdev_req *list[FAKE_NREQ];
    unsigned n = 0, want = take(1) % 40 + 1;
    for (unsigned i = 0; i < FAKE_NREQ && n < want; i++) {
        if (fake_reqs[i].status == BLKDEV_PENDING)
            continue;
        if (take(1) & 1)
            continue;
        uint32_t ctl = take(1);
        uint64_t sector = ctl & 1 ? (uint64_t)take(4) << 16 | take(2) : take(2);
        uint32_t count = ctl & 2 ? take(4) : take(2) % 600;
        uint64_t bytes = (uint64_t)count * bd->sector_size;
        if (bytes > ARENA)
            count = ARENA / bd->sector_size;
        uint32_t off = take(3) % (ARENA - count * bd->sector_size + 1);
        fake_reqs[i] = (struct blkdev_req){.op = (ctl >> 2) % 5,
                                           .sector = sector,
                                           .count = count,
                                           .buf = ctl & 0x20 ? NULL : arena + off,
                                           .done = fake_req_done};
        if (fake_completions[i] > 1)
            abort();
        fake_completions[i] = 0;
        list[n++] = &fake_reqs[i];
    }
    int r = bd->ops->submit(bd, list, n);
    if (r >= 0)
        for (unsigned k = 0; k < (unsigned)r; k++) /* taken: pending, or completed once */
            if (list[k]->status != BLKDEV_PENDING && fake_completions[list[k] - fake_reqs] != 1)
                abort();
    return r;
}

/* The device completes up to k chains: status byte, data into writable pieces, lying at will. */
static void device_complete(void)
{
    struct fake_queue *f = &dev.q[0];
    for (unsigned k = take(1) % 8; k; k--) {
        int head = next_avail(f);
        uint32_t ctl = take(1), written = 0;
        if (head >= 0) {
            unsigned id = (unsigned)head % f->size, pieces = 0;
            const struct virtq_desc *d = NULL;
            for (;;) {
                d = &f->desc[id];
                if (!inside((void *)(uintptr_t)d->addr, d->len))
                    abort(); /* the driver posted memory it does not own */
                if (pieces == 0 && ((d->flags & 2) || d->len != 16))
                    abort();                          /* the header: 16 bytes the device reads */
                if ((d->flags & 2) && (ctl & 0x10)) { /* honest DMA into a writable piece */
                    memset((void *)(uintptr_t)d->addr, (int)take(1), d->len);
                    written += d->len;
                }
                pieces++;
                if (!(d->flags & 1) || pieces > f->size)
                    break;
                id = d->next % f->size;
            }
            if (!(d->flags & 2) || d->len != 1)
                abort();       /* the status byte: one byte the device writes */
            if (!(ctl & 0x20)) /* else the device "forgets" the status */
                *(volatile uint8_t *)(uintptr_t)d->addr = (uint8_t)(ctl & 0x40 ? take(1) : 0);
        }
        uint32_t id = (ctl & 1) || head < 0 ? take(2) : (uint32_t)head;
        push_used(f, id, ctl & 2 ? take(4) : written, (ctl & 4) != 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fake_reset(data, size, VIRTIO_ID_BLOCK);
    uint32_t lo = take(4), hi = take(4);
    dev.offered = (uint64_t)hi << 32 | lo;
    uint32_t mode = take(1);
    if (!(mode & 1))
        dev.offered |= 1ull << VIRTIO_F_VERSION_1;
    dev.v.legacy = (mode & 6) == 6;
    dev.qmax[0] = take(2) % 1100;
    for (unsigned i = 0; i < sizeof(dev.config); i++)
        dev.config[i] = (uint8_t)take(1);
    memset(fake_reqs, 0, sizeof(fake_reqs));
    memset(fake_completions, 0, sizeof(fake_completions));
    arena = heap_alloc(ARENA);
    if (!arena)
        abort();

    struct blkdev *bd = NULL;
    unsigned before = blkdev_count();
    int r = virtio_blk_probe(&dev.v);
    if (blkdev_count() > before)
        bd = blkdev_get(blkdev_count() - 1);
    if (r < 0 && (!dev.v.failed || !dev.v.failed[0]))
        abort(); /* a refusal without a message */
    for (int ops = 0; bd && in_left && ops < 512; ops++) {
        switch (take(1) % 6) {
        case 0: r = driver_submit(bd); break;
        case 1: device_complete(); break;
        case 2: r = bd->ops->poll(bd); break;
        case 3: /* the device scribbles on a used ring entry and the index */
            push_used(&dev.q[0], take(4), take(4), 1);
            r = 0;
            break;
        case 4: dev.v.handler(&dev.v, take(1) & 3); break;
        default: r = bd->ops->arm(bd); break;
        }
        if (r < 0) {
            if (!bd->failed || !bd->failed[0] || !dev.v.failed)
                abort(); /* the driver gave up without saying why */
            for (unsigned i = 0; i < FAKE_NREQ; i++)
                if (fake_reqs[i].status == BLKDEV_PENDING)
                    abort(); /* a request left waiting forever */
        }
        for (unsigned i = 0; i < FAKE_NREQ; i++)
            if (fake_completions[i] > 1)
                abort(); /* completed twice */
    }
    if (bd)
        blkdev_unregister(bd);
    fake_free_all();
    return 0;
}
