/*
 * unikernel/platform/hv/blk.c — jeos-hv's disks as blkdevs: each request is one or more
 * block_read / block_write hypercalls (at most JEOS_HV_BLOCK_MAX bytes each), done before submit
 * returns, so requests never wait; flush is the block_flush call (the host's fdatasync).
 */
#include "console/console.h"
#include "drivers/blkdev.h"
#include "lib/string.h"
#include "memory/memory.h"
#include "platform/hv/hv.h"

struct hvblk {
    struct blkdev bd;
    unsigned dev;
};

/* A jeos-hv result as a negative errno. */
static int hv_errno(int r)
{
    switch (r) {
    case 0: return 0;
    case JEOS_HV_EROFS: return -30;
    case JEOS_HV_EINVAL: return -22;
    case JEOS_HV_ENODEV: return -19;
    default: return -5;
    }
}

static int hvblk_do(struct hvblk *h, struct blkdev_req *r)
{
    switch (r->op) {
    case BLKDEV_FLUSH: return hv_errno(hv_block_flush(h->dev));
    case BLKDEV_READ:
    case BLKDEV_WRITE: {
        uint8_t *p = r->buf;
        uint64_t sector = r->sector, left = (uint64_t)r->count * JEOS_HV_SECTOR_SIZE;
        while (left) {
            size_t n = left < JEOS_HV_BLOCK_MAX ? (size_t)left : JEOS_HV_BLOCK_MAX;
            int e = r->op == BLKDEV_READ ? hv_block_read(h->dev, sector, p, n)
                                         : hv_block_write(h->dev, sector, p, n);
            if (e < 0)
                return hv_errno(e);
            p += n;
            sector += n / JEOS_HV_SECTOR_SIZE;
            left -= n;
        }
        return 0;
    }
    default: return -95; /* discard: blkdev_check refuses it first (no BLKDEV_CAP_DISCARD) */
    }
}

static int hvblk_submit(struct blkdev *bd, struct blkdev_req *const *reqs, unsigned n)
{
    struct hvblk *h = (struct hvblk *)bd;
    for (unsigned i = 0; i < n; i++) {
        int st = blkdev_check(bd, reqs[i]);
        if (st == 0) {
            st = hvblk_do(h, reqs[i]);
            bd->stats.notifies++;
        }
        blkdev_complete(bd, reqs[i], st);
    }
    if (n)
        bd->stats.max_inflight = 1; /* one at a time, synchronously */
    return (int)n;
}

static int hvblk_poll(struct blkdev *bd)
{
    (void)bd;
    return 0; /* everything completed in submit */
}

static int hvblk_arm(struct blkdev *bd)
{
    (void)bd;
    return 0;
}

static const struct blkdev_ops hvblk_ops = {
    .submit = hvblk_submit,
    .poll = hvblk_poll,
    .arm = hvblk_arm,
};

void hv_blk_init(void)
{
    for (unsigned i = 0; i < hv_block_count(); i++) {
        struct hvblk *h = heap_alloc(sizeof(*h));
        if (!h) {
            printk("hv disk %u: out of memory\n", i);
            return;
        }
        memset(h, 0, sizeof(*h));
        h->dev = i;
        if (hv_block_info(i, &h->bd.sectors, &h->bd.read_only) < 0) {
            printk("hv disk %u: block_info failed\n", i);
            continue;
        }
        h->bd.ops = &hvblk_ops;
        h->bd.driver = "jeos-hv";
        h->bd.sector_size = JEOS_HV_SECTOR_SIZE;
        h->bd.max_sectors = 1u << 16; /* 32 MiB: split into 1 MiB calls */
        h->bd.queue_depth = 1;
        h->bd.caps = BLKDEV_CAP_FLUSH; /* pwrite leaves data in the host's page cache */
        uk_snprintf(h->bd.bus, sizeof(h->bd.bus), "hv %u", i);
        if (blkdev_register(&h->bd) < 0)
            printk("hv disk %u: more than %d block devices\n", i, BLKDEV_MAX);
    }
}
