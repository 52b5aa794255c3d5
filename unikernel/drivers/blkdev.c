/* unikernel/drivers/blkdev.c — the list of block devices, request checks and completion, and
 * synchronous helpers (batches in flight, waiting by halting until the device interrupts). */
#include "drivers/blkdev.h"

#include "arch/x86_64/cpu.h"
#include "console/console.h"
#include "lib/string.h"
#include "time/time.h"

#define E_IO        5
#define E_NOSPC     28
#define E_ROFS      30
#define E_INVAL     22
#define E_OPNOTSUPP 95
#define IO_BATCH    32         /* requests blkdev_io keeps in flight */
#define WAIT_SLICE  100000000u /* a halt lasts at most 100 ms: a lost interrupt costs no more */

static struct blkdev *devs[BLKDEV_MAX];
static unsigned ndevs, named;

int blkdev_register(struct blkdev *bd)
{
    if (ndevs == BLKDEV_MAX)
        return -E_NOSPC;
    uk_snprintf(bd->name, sizeof(bd->name), "blk%u", named++);
    devs[ndevs++] = bd;
    return 0;
}

void blkdev_unregister(struct blkdev *bd)
{
    for (unsigned i = 0; i < ndevs; i++)
        if (devs[i] == bd) {
            for (unsigned j = i + 1; j < ndevs; j++)
                devs[j - 1] = devs[j];
            ndevs--;
            return;
        }
}

unsigned blkdev_count(void)
{
    return ndevs;
}

struct blkdev *blkdev_get(unsigned index)
{
    return index < ndevs ? devs[index] : NULL;
}

struct blkdev *blkdev_find(const char *name)
{
    for (unsigned i = 0; i < ndevs; i++)
        if (strcmp(devs[i]->name, name) == 0)
            return devs[i];
    return NULL;
}

void blkdev_irq_event(struct blkdev *bd)
{
    bd->stats.irqs++;
    if (bd->notify)
        bd->notify(bd->notify_arg);
}

int blkdev_check(const struct blkdev *bd, const struct blkdev_req *r)
{
    switch (r->op) {
    case BLKDEV_FLUSH: return 0;
    case BLKDEV_READ:
    case BLKDEV_WRITE:
        if (r->count == 0 || r->count > bd->max_sectors || !r->buf)
            return -E_INVAL;
        if (r->op == BLKDEV_WRITE && bd->read_only)
            return -E_ROFS;
        break;
    case BLKDEV_DISCARD:
        if (bd->read_only)
            return -E_ROFS;
        if (!(bd->caps & BLKDEV_CAP_DISCARD))
            return -E_OPNOTSUPP;
        if (r->count == 0 || r->count > bd->max_discard)
            return -E_INVAL;
        break;
    default: return -E_INVAL;
    }
    if (r->sector > bd->sectors || r->count > bd->sectors - r->sector)
        return -E_INVAL;
    return 0;
}

void blkdev_complete(struct blkdev *bd, struct blkdev_req *r, int status)
{
    r->status = status;
    if (status < 0) {
        bd->stats.errors++;
    } else {
        switch (r->op) {
        case BLKDEV_READ:
            bd->stats.reads++;
            bd->stats.sectors_read += r->count;
            break;
        case BLKDEV_WRITE:
            bd->stats.writes++;
            bd->stats.sectors_written += r->count;
            break;
        case BLKDEV_FLUSH: bd->stats.flushes++; break;
        default: bd->stats.discards++; break;
        }
    }
    if (r->done)
        r->done(r);
}

/* Halts until the device may have completions (its interrupt, or a slice of time). */
static int wait_device(struct blkdev *bd)
{
    cpu_irq_disable();
    int r = bd->ops->arm(bd);
    if (r != 0) {
        cpu_irq_enable();
        return r < 0 ? r : 0;
    }
    time_halt_until(time_monotonic_ns() + WAIT_SLICE); /* enables interrupts */
    return 0;
}

int blkdev_run(struct blkdev *bd, struct blkdev_req *const *reqs, unsigned n)
{
    unsigned sent = 0;
    for (;;) {
        if (sent < n) {
            int r = bd->ops->submit(bd, reqs + sent, n - sent);
            if (r < 0)
                return r;
            sent += (unsigned)r;
        }
        if (bd->ops->poll(bd) < 0)
            return -E_IO;
        int pending = sent < n;
        for (unsigned i = 0; i < sent && !pending; i++)
            pending = reqs[i]->status == BLKDEV_PENDING;
        if (!pending)
            break;
        if ((bd->caps & BLKDEV_CAP_IRQ) && wait_device(bd) < 0)
            return -E_IO;
    }
    for (unsigned i = 0; i < n; i++)
        if (reqs[i]->status < 0)
            return reqs[i]->status;
    return 0;
}

/* Runs requests of op over [sector, sector + count) in batches of IO_BATCH, each at most max. */
static int run_split(struct blkdev *bd, unsigned op, uint64_t sector, uint8_t *buf, uint64_t count,
                     uint32_t max)
{
    struct blkdev_req req[IO_BATCH];
    struct blkdev_req *list[IO_BATCH];
    if (max == 0)
        return -E_INVAL;
    while (count) {
        unsigned n = 0;
        for (; n < IO_BATCH && count; n++) {
            uint32_t c = count < max ? (uint32_t)count : max;
            req[n] = (struct blkdev_req){.op = op, .sector = sector, .count = c, .buf = buf};
            list[n] = &req[n];
            sector += c;
            count -= c;
            if (buf)
                buf += (size_t)c * bd->sector_size;
        }
        int r = blkdev_run(bd, list, n);
        if (r < 0)
            return r;
    }
    return 0;
}

int blkdev_io(struct blkdev *bd, unsigned op, uint64_t sector, void *buf, uint64_t count)
{
    if (op != BLKDEV_READ && op != BLKDEV_WRITE)
        return -E_INVAL;
    return run_split(bd, op, sector, buf, count, bd->max_sectors);
}

int blkdev_flush(struct blkdev *bd)
{
    struct blkdev_req req = {.op = BLKDEV_FLUSH};
    struct blkdev_req *list[1] = {&req};
    if (!(bd->caps & BLKDEV_CAP_FLUSH))
        return bd->failed ? -E_IO : 0;
    return blkdev_run(bd, list, 1);
}

int blkdev_discard(struct blkdev *bd, uint64_t sector, uint64_t count)
{
    if (!(bd->caps & BLKDEV_CAP_DISCARD))
        return -E_OPNOTSUPP;
    return run_split(bd, BLKDEV_DISCARD, sector, NULL, count, bd->max_discard);
}
