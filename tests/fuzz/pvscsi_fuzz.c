/*
 * pvscsi_fuzz.c — libFuzzer: the unikernel's pvscsi driver's I/O path (drivers/pvscsi.c: submit,
 * the completion ring, sense data and its REQUEST SENSE, poll, arm) and the block layer against an
 * adapter that lies. The input is a script: the disk's geometry, then operations — batches of
 * requests, completions the adapter posts (the context of a request in flight or any other, any
 * adapter and SCSI status, sense bytes of the input's choosing written where the request said,
 * producer-index jumps), polls and arms. Each request descriptor is checked as the adapter reads
 * it: its context names a slot in flight, the CDB (READ/WRITE 10 or 16, SYNCHRONIZE CACHE, REQUEST
 * SENSE) says the request's op, sector and count, the data address, length and direction are
 * the request's. Each request completes exactly once with 0 or a known errno, nothing stays
 * pending once the driver gave up, and a driver that gives up says why.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/pvscsi.c"
#include "tests/fuzz/virtio_fake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ARENA (256u << 10)

static uint8_t *arena;
static struct pvs *a; /* heap_alloc'd, as the driver's own (the sense buffers lie in it) */
static struct disk *k;
static uint32_t dev_cons; /* the adapter's request consumer index */

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* The adapter reads the descriptors the driver produced, as a device would. */
static void device_fetch(void)
{
    uint32_t prod = a->rs->req_prod;
    if (prod - dev_cons > REQ_ENTRIES)
        abort(); /* more in the ring than it holds */
    for (; dev_cons != prod; dev_cons++) {
        struct req_desc d;
        memcpy(&d, (const void *)&a->reqs[dev_cons % REQ_ENTRIES], sizeof(d));
        uint64_t s = d.context - 1;
        if (d.context == 0 || s >= REQ_ENTRIES || d.target != k->target)
            abort();
        struct slot *sl = &a->slots[s];
        if (!sl->req)
            continue; /* completed already by a lying completion: stale */
        struct blkdev_req *r = sl->req;
        uint8_t op = d.cdb[0];
        if (sl->sensing) {
            if (op != 0x03 || d.data_addr != (uint64_t)(uintptr_t)sl->sense ||
                d.data_len != SENSE_LEN || d.flags != F_DIR_TOHOST)
                abort();
            continue;
        }
        if (!inside((const void *)(uintptr_t)d.sense_addr, d.sense_len))
            abort();
        if (r->op == BLKDEV_FLUSH) {
            if (op != 0x35 || d.data_len != 0 || d.flags != F_DIR_NONE)
                abort();
            continue;
        }
        uint64_t sector, count;
        if (op == 0x28 || op == 0x2a)
            sector = be(d.cdb + 2, 4), count = be(d.cdb + 7, 2);
        else if (op == 0x88 || op == 0x8a)
            sector = be(d.cdb + 2, 8), count = be(d.cdb + 10, 4);
        else
            abort();
        int rd = op == 0x28 || op == 0x88;
        if (rd != (r->op == BLKDEV_READ) || (!rd && r->op != BLKDEV_WRITE) || sector != r->sector ||
            count != r->count || d.data_addr != (uint64_t)(uintptr_t)r->buf ||
            d.data_len != (uint64_t)r->count * k->bd.sector_size ||
            d.flags != (rd ? F_DIR_TOHOST : F_DIR_TODEVICE) || !inside(r->buf, d.data_len))
            abort();
    }
}

/* The adapter posts a completion: for a slot in flight or any context, any status and sense. */
static void device_complete(void)
{
    uint32_t ctl = take(1);
    uint64_t context = take(1);
    if (ctl & 1) { /* a request in flight */
        for (unsigned i = 0; i < REQ_ENTRIES; i++)
            if (a->slots[(context + i) % REQ_ENTRIES].req) {
                context = (context + i) % REQ_ENTRIES + 1;
                break;
            }
    } else if (ctl & 2) {
        context = (uint64_t)take(4) << 32 | take(4);
    }
    struct cmp_desc c = {.context = context};
    if (ctl & 4)
        c.host_status = (uint16_t)take(1);
    if (ctl & 8)
        c.scsi_status = ctl & 16 ? SAM_CHECK_CONDITION : (uint16_t)take(1);
    c.sense_len = ctl & 32 ? take(1) : 0;
    c.data_len = take(1);
    uint64_t s = context - 1;
    if (context && s < REQ_ENTRIES && a->slots[s].req && (ctl & 64)) {
        /* honest DMA: sense bytes into the buffer the request named (its own, or REQUEST SENSE's
           data buffer, the same slot's) */
        uint8_t *sense = a->slots[s].sense;
        for (unsigned i = 0; i < SENSE_LEN; i++)
            sense[i] = (uint8_t)take(1);
    }
    uint32_t prod = a->rs->cmp_prod;
    memcpy((void *)&a->cmps[prod % CMP_ENTRIES], &c, sizeof(c));
    a->rs->cmp_prod = prod + (ctl & 128 ? take(1) : 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fake_reset(data, size, 0);
    memset(fake_reqs, 0, sizeof(fake_reqs));
    memset(fake_completions, 0, sizeof(fake_completions));
    a = heap_alloc(sizeof(*a));
    k = heap_alloc(sizeof(*k));
    memset(a, 0, sizeof(*a));
    memset(k, 0, sizeof(*k));
    a->regs = page_alloc(REGS_LEN / PAGE_SIZE);
    a->rs = page_alloc(1);
    a->reqs = page_alloc(1);
    a->cmps = page_alloc(1);
    memset((void *)a->rs, 0, PAGE_SIZE);
    snprintf(a->where, sizeof(a->where), "fuzz");
    dev_cons = 0;
    k->a = a;
    k->target = (uint8_t)(take(1) % TARGETS);
    a->disks[0] = k;
    a->ndisks = 1;
    struct blkdev *bd = &k->bd;
    bd->ops = &pvs_ops;
    bd->sector_size = 512u << take(1) % 4;
    bd->sectors = (uint64_t)take(4) << (take(1) % 12) | 1;
    bd->read_only = take(1) & 1;
    bd->caps = take(1) & BLKDEV_CAP_FLUSH;
    bd->max_sectors = REQ_BYTES / bd->sector_size;
    bd->queue_depth = REQ_ENTRIES;
    arena = page_alloc(ARENA / PAGE_SIZE);

    for (int steps = 0; in_left && steps < 400; steps++) {
        switch (take(1) % 4) {
        case 0: fake_submit(bd, arena, ARENA); break;
        case 1: device_complete(); break;
        default: fake_poll_or_arm(bd); break;
        }
        if (!a->failed)
            device_fetch(); /* what submit and poll (a REQUEST SENSE) put in the ring */
        if (a->failed && (a->inflight || !bd->failed))
            abort(); /* gave up with requests still held, or without saying so on the disk */
    }
    fake_check_end(a->inflight, a->failed != NULL);
    fake_free_all();
    return 0;
}
