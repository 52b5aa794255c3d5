/*
 * nvme_fuzz.c — libFuzzer: the unikernel's NVMe driver's I/O path (drivers/nvme.c: submit, the
 * completion queue, poll, arm) and the block layer against a controller that lies. The input is a
 * script: the queue size and the namespace's geometry, then operations — batches of requests
 * (any op, sector, count, buffer offset), completions the controller posts (the command id of
 * a request in flight or any other, any status, the phase bit right or wrong), polls and arms. What
 * the driver puts in the submission queue is checked as the controller reads it at the doorbell:
 * the command id
 * names the request, the opcode matches its op, and the PRP entries cover exactly its buffer's
 * pages (PRP2 a list when more than two pages). Each request completes exactly once with 0 or a
 * known errno, nothing stays pending once the driver gave up, and a driver that gives up says why.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/nvme.c"
#include "tests/fuzz/virtio_fake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ARENA (256u << 10)

static uint8_t *arena;
static struct nvme *c; /* heap_alloc'd, as the driver's own (the discard range lies in it) */
static uint32_t regs[0x1100 / 4]; /* BAR0: the registers and the four doorbells */
static unsigned dev_head;         /* the controller's submission queue head */
static uint16_t dev_tail, dev_phase;

/* The controller reads the entries up to the doorbell, as a device would (at once: each names a
   request still in flight). */
static void device_fetch(void)
{
    unsigned tail = *c->io.sq_db;
    if (tail >= c->io.size)
        abort(); /* a doorbell past the queue */
    for (; dev_head != tail; dev_head = (dev_head + 1) % c->io.size) {
        struct sqe e = c->io.sq[dev_head];
        unsigned cid = e.cdw0 >> 16, op = e.cdw0 & 0xff;
        if (cid >= IO_DEPTH || !c->slots[cid].req)
            abort(); /* an entry for no request */
        struct blkdev_req *r = c->slots[cid].req;
        static const unsigned ops[] = {N_READ, N_WRITE, N_FLUSH, N_DSM};
        if (r->op > 3 || op != ops[r->op] || e.nsid != c->nsid)
            abort();
        if (r->op == BLKDEV_READ || r->op == BLKDEV_WRITE) {
            uint64_t addr = (uint64_t)(uintptr_t)r->buf, len = (uint64_t)r->count << c->shift;
            uint64_t first = PAGE_SIZE - (addr & (PAGE_SIZE - 1));
            if (e.prp1 != addr || e.cdw10 != (uint32_t)r->sector || e.cdw12 != r->count - 1 ||
                !inside(r->buf, len))
                abort();
            if (len > first) { /* the rest, page by page: PRP2, or the list PRP2 points at */
                uint64_t rest = len - first, pages = (rest + PAGE_SIZE - 1) / PAGE_SIZE;
                const uint64_t *list = pages > 1 ? (const uint64_t *)(uintptr_t)e.prp2 : &e.prp2;
                if (pages > 1 && !inside(list, pages * 8))
                    abort();
                for (uint64_t k = 0; k < pages; k++)
                    if (list[k] != ((addr + first) & ~(uint64_t)(PAGE_SIZE - 1)) + k * PAGE_SIZE)
                        abort();
            }
        } else if (r->op == BLKDEV_DISCARD) {
            const uint64_t *range = (const uint64_t *)(uintptr_t)e.prp1;
            if (!inside(range, 16) || range[1] != r->sector || range[0] >> 32 != r->count)
                abort();
        }
    }
}

/* The controller posts a completion: for a fetched command or any id, any status and phase. */
static void device_complete(void)
{
    uint32_t ctl = take(1);
    uint16_t cid = (uint16_t)take(2);
    if (ctl & 1) { /* a command in flight */
        unsigned k = cid % IO_DEPTH;
        for (unsigned i = 0; i < IO_DEPTH && !c->slots[(k + i) % IO_DEPTH].req; i++)
            cid = (uint16_t)((k + i + 1) % IO_DEPTH);
    }
    uint16_t status = ctl & 2 ? (uint16_t)(take(2) & ~1u) : 0;
    uint16_t phase = ctl & 4 ? (uint16_t)!dev_phase : dev_phase;
    volatile struct cqe *q = &c->io.cq[dev_tail];
    q->cid = cid;
    q->sq_head = (uint16_t)dev_head;
    q->status = (uint16_t)(status | phase);
    if (++dev_tail == c->io.size) {
        dev_tail = 0;
        dev_phase ^= 1;
    }
}

static void driver_submit(struct blkdev *bd)
{
    fake_submit(bd, arena, ARENA);
    if (!bd->failed)
        device_fetch(); /* the controller reads the new entries at the doorbell */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fake_reset(data, size, 0);
    c = heap_alloc(sizeof(*c));
    memset(c, 0, sizeof(*c));
    memset(regs, 0, sizeof(regs));
    memset(fake_reqs, 0, sizeof(fake_reqs));
    memset(fake_completions, 0, sizeof(fake_completions));
    dev_head = dev_tail = 0;
    dev_phase = 1;
    unsigned qsize = take(1) % (IO_DEPTH - 1) + 2;
    if (queue_alloc(&c->io, qsize) < 0)
        abort();
    uint8_t *prp = page_alloc(qsize);
    for (unsigned i = 0; i < qsize; i++)
        c->slots[i].prp = (uint64_t *)(prp + (size_t)i * PAGE_SIZE);
    c->regs = (volatile uint8_t *)regs;
    c->io.sq_db = &regs[R_DB / 4 + 2];
    c->io.cq_db = &regs[R_DB / 4 + 3];
    c->nsid = 1;
    c->intx = take(1) & 1;
    snprintf(c->where, sizeof(c->where), "fuzz");
    struct blkdev *bd = &c->bd;
    bd->ops = &nvme_ops;
    c->shift = 9 + take(1) % 4;
    bd->sector_size = 1u << c->shift;
    bd->sectors = take(4) + 1;
    bd->read_only = take(1) & 1;
    bd->caps = take(1) & (BLKDEV_CAP_FLUSH | BLKDEV_CAP_DISCARD);
    bd->max_sectors = (uint32_t)((REQ_BYTES >> c->shift) >> (take(1) % 4));
    bd->max_discard = bd->caps & BLKDEV_CAP_DISCARD ? MAX_DISCARD : 0;
    bd->queue_depth = qsize - 1;
    arena = page_alloc(ARENA / PAGE_SIZE);

    for (int steps = 0; in_left && steps < 400; steps++) {
        switch (take(1) % 4) {
        case 0: driver_submit(bd); break;
        case 1: device_complete(); break;
        default: fake_poll_or_arm(bd); break;
        }
        if (bd->failed && c->inflight)
            abort(); /* gave up with requests still held */
    }
    fake_check_end(c->inflight, bd->failed != NULL);
    fake_free_all();
    return 0;
}
