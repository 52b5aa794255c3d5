/*
 * unikernel/drivers/virtio/blk.c — virtio-blk as a blkdev: capacity, logical block size, segment
 * limits, read-only and discard limits from the configuration; one request queue holding many
 * requests at once (header, data pieces, status byte each, sent in batches behind one notify);
 * flush when the device has a write cache (VIRTIO_BLK_F_FLUSH), discard when offered. The status
 * byte the device writes is checked: a request it completes without a known status fails it.
 */
#include "console/console.h"
#include "drivers/blkdev.h"
#include "drivers/virtio/virtio.h"
#include "lib/string.h"
#include "memory/memory.h"
#include "time/time.h"

#define BLK_F_SIZE_MAX 1
#define BLK_F_SEG_MAX  2
#define BLK_F_RO       5
#define BLK_F_BLK_SIZE 6
#define BLK_F_FLUSH    9
#define BLK_F_DISCARD  13

#define CFG_CAPACITY     0 /* u64, 512-byte sectors */
#define CFG_SIZE_MAX     8
#define CFG_SEG_MAX      12
#define CFG_BLK_SIZE     20
#define CFG_MAX_DISCARD  36 /* u32, 512-byte sectors */
#define CFG_DISCARD_SEGS 40

#define T_IN      0
#define T_OUT     1
#define T_FLUSH   4
#define T_GET_ID  8
#define T_DISCARD 11

#define S_OK     0
#define S_IOERR  1
#define S_UNSUPP 2
#define S_UNSET  0xff /* what we put there: a device that does not write it is caught */

#define RING       128          /* queue entries we ask for */
#define SEGS       16           /* data pieces per request at most */
#define REQ_BYTES  (256u << 10) /* data per read or write request at most */
#define ERR_PRINTS 8            /* device errors printed (then only counted) */
#define ID_WAIT_NS 1000000000u  /* how long the serial may take to come back */

struct blk_hdr {
    uint32_t type, reserved;
    uint64_t sector; /* 512-byte units, whatever the block size */
};

struct blk_discard {
    uint64_t sector;
    uint32_t num_sectors, flags;
};

/* What a request in flight needs besides its data, by the head of its chain. */
struct blk_slot {
    struct blk_hdr hdr;
    struct blk_discard discard;
    struct blkdev_req *req;
    volatile uint8_t status;
};

struct vblk {
    struct blkdev bd; /* first: a struct blkdev * is a struct vblk * */
    struct virtio_dev *v;
    struct virtq q;
    struct blk_slot *slots; /* q.size of them */
    uint32_t seg_bytes;     /* one data piece at most */
    unsigned segs;          /* pieces per request at most */
    unsigned shift;         /* sector_size / 512 = 1 << shift */
    unsigned inflight;
    unsigned printed;
    char id[20]; /* GET_ID's answer */
};

static int failed(struct vblk *vb)
{
    vb->bd.failed = vb->v->failed;
    return -5;
}

/* Every request still held completes with -EIO (the device failed: nothing more comes back). */
static void fail_all(struct vblk *vb)
{
    for (unsigned i = 0; i < vb->q.size; i++)
        if (vb->slots[i].req) {
            struct blkdev_req *r = vb->slots[i].req;
            vb->slots[i].req = NULL;
            blkdev_complete(&vb->bd, r, -5);
        }
    vb->inflight = 0;
}

static const char *op_name(unsigned op)
{
    static const char *const names[] = {"read", "write", "flush", "discard"};
    return op < 4 ? names[op] : "?";
}

/* The pieces of r's data, each at most seg_bytes. */
static unsigned data_pieces(const struct vblk *vb, const struct blkdev_req *r)
{
    uint64_t bytes = (uint64_t)r->count * vb->bd.sector_size;
    return (unsigned)((bytes + vb->seg_bytes - 1) / vb->seg_bytes);
}

static int vblk_submit(struct blkdev *bd, struct blkdev_req *const *reqs, unsigned n)
{
    struct vblk *vb = (struct vblk *)bd;
    if (vb->v->failed)
        return failed(vb);
    unsigned i, added = 0;
    for (i = 0; i < n; i++) {
        struct blkdev_req *r = reqs[i];
        int bad = blkdev_check(bd, r);
        if (bad < 0) {
            blkdev_complete(bd, r, bad);
            continue;
        }
        unsigned pieces = r->op == BLKDEV_READ || r->op == BLKDEV_WRITE ? data_pieces(vb, r)
                          : r->op == BLKDEV_DISCARD                     ? 1
                                                                        : 0;
        int head = virtq_peek_free(&vb->q);
        if (head < 0 || vb->q.num_free < pieces + 2) {
            bd->stats.full++;
            break;
        }
        struct blk_slot *s = &vb->slots[head];
        struct virtq_seg seg[SEGS + 2];
        unsigned k = 0;
        s->hdr = (struct blk_hdr){.sector = r->sector << vb->shift};
        s->status = S_UNSET;
        seg[k++] = (struct virtq_seg){(uint64_t)(uintptr_t)&s->hdr, sizeof(s->hdr), 0};
        switch (r->op) {
        case BLKDEV_READ:
        case BLKDEV_WRITE: {
            s->hdr.type = r->op == BLKDEV_READ ? T_IN : T_OUT;
            uint64_t addr = (uint64_t)(uintptr_t)r->buf;
            uint64_t left = (uint64_t)r->count * bd->sector_size;
            for (; left; k++) {
                uint32_t len = left < vb->seg_bytes ? (uint32_t)left : vb->seg_bytes;
                seg[k] = (struct virtq_seg){addr, len, r->op == BLKDEV_READ};
                addr += len;
                left -= len;
            }
            break;
        }
        case BLKDEV_DISCARD:
            s->hdr.type = T_DISCARD;
            s->hdr.sector = 0;
            s->discard = (struct blk_discard){r->sector << vb->shift, r->count << vb->shift, 0};
            seg[k++] = (struct virtq_seg){(uint64_t)(uintptr_t)&s->discard, sizeof(s->discard), 0};
            break;
        default: s->hdr.type = T_FLUSH; break;
        }
        seg[k++] = (struct virtq_seg){(uint64_t)(uintptr_t)&s->status, 1, 1};
        s->req = r;
        r->status = BLKDEV_PENDING;
        virtq_add(&vb->q, seg, k, s); /* cannot fail: room was checked */
        vb->inflight++;
        added++;
    }
    if (vb->inflight > bd->stats.max_inflight)
        bd->stats.max_inflight = vb->inflight;
    if (added) {
        uint64_t before = vb->q.notifies;
        virtq_kick(&vb->q);
        bd->stats.notifies += vb->q.notifies - before;
    }
    return (int)i;
}

/* The device's status byte for a request: 0 or a negative errno; unknown values fail it. */
static int device_status(struct vblk *vb, const struct blkdev_req *r, uint8_t st)
{
    if (st == S_OK)
        return 0;
    if (st != S_IOERR && st != S_UNSUPP) {
        virtio_fail(vb->v, "%s of %u sectors at %lu: status byte 0x%x%s", op_name(r->op), r->count,
                    (unsigned long)r->sector, st,
                    st == S_UNSET ? " (the device did not write it)" : " (not a status)");
        return -5;
    }
    if (vb->printed < ERR_PRINTS) {
        vb->printed++;
        printk("virtio %s: %s of %u sectors at %lu: device says %s\n", vb->v->where, op_name(r->op),
               r->count, (unsigned long)r->sector,
               st == S_IOERR ? "I/O error (VIRTIO_BLK_S_IOERR)"
                             : "unsupported (VIRTIO_BLK_S_UNSUPP)");
    }
    return st == S_IOERR ? -5 : -95;
}

static int vblk_poll(struct blkdev *bd)
{
    struct vblk *vb = (struct vblk *)bd;
    int done = 0;
    for (;;) {
        void *ck;
        uint32_t len;
        int head, r = virtq_get(&vb->q, &ck, &len, &head);
        if (r == 0)
            break;
        if (r < 0) {
            fail_all(vb);
            return failed(vb);
        }
        struct blk_slot *s = ck;
        struct blkdev_req *req = s->req;
        if (!req) /* a late answer to GET_ID (read_serial) */
            continue;
        s->req = NULL;
        vb->inflight--;
        uint8_t st = s->status; /* read once */
        int status = device_status(vb, req, st);
        blkdev_complete(bd, req, status);
        done++;
        if (vb->v->failed) {
            fail_all(vb);
            return failed(vb);
        }
    }
    return done;
}

static int vblk_arm(struct blkdev *bd)
{
    struct vblk *vb = (struct vblk *)bd;
    if (vb->v->failed)
        return failed(vb);
    return virtq_irq_on(&vb->q);
}

static const struct blkdev_ops vblk_ops = {
    .submit = vblk_submit,
    .poll = vblk_poll,
    .arm = vblk_arm,
};

static void vblk_irq(struct virtio_dev *v, unsigned causes)
{
    struct vblk *vb = v->driver;
    if (causes & VIRTIO_IRQ_QUEUE)
        virtq_irq_off(&vb->q); /* until a waiter arms again */
    blkdev_irq_event(&vb->bd);
}

/* The 64-bit capacity, read again if the configuration changed meanwhile (generation). */
static uint64_t read_capacity(struct virtio_dev *v)
{
    uint64_t cap = 0;
    for (int tries = 0; tries < 8; tries++) {
        uint32_t gen = v->tr->config_generation(v);
        cap = v->tr->config_read(v, CFG_CAPACITY, 4) |
              (uint64_t)v->tr->config_read(v, CFG_CAPACITY + 4, 4) << 32;
        if (v->tr->config_generation(v) == gen)
            break;
    }
    return cap;
}

/*
 * The device's serial (VIRTIO_BLK_T_GET_ID: 20 bytes, NUL-padded), asked once before the queue is
 * in use; the answer is polled for. A device that refuses it (UNSUPP) or says nothing in time
 * has none; one that breaks the ring protocol is failed.
 */
static void read_serial(struct vblk *vb)
{
    struct blk_slot *s = &vb->slots[virtq_peek_free(&vb->q)];
    s->hdr = (struct blk_hdr){.type = T_GET_ID};
    s->status = S_UNSET;
    s->req = NULL;
    struct virtq_seg seg[3] = {
        {(uint64_t)(uintptr_t)&s->hdr, sizeof(s->hdr), 0},
        {(uint64_t)(uintptr_t)vb->id, sizeof(vb->id), 1},
        {(uint64_t)(uintptr_t)&s->status, 1, 1},
    };
    virtq_add(&vb->q, seg, 3, s);
    virtq_kick(&vb->q);
    uint64_t until = time_monotonic_ns() + ID_WAIT_NS;
    void *ck;
    uint32_t len;
    int head, r;
    while ((r = virtq_get(&vb->q, &ck, &len, &head)) == 0 && time_monotonic_ns() < until)
        __asm__ volatile("pause");
    if (r == 0) { /* it may still answer: the slot stays its own until it does */
        printk("virtio %s: no answer to GET_ID within 1 s: no serial\n", vb->v->where);
        return;
    }
    if (r < 0 || s->status != S_OK)
        return;
    for (unsigned i = 0; i < sizeof(vb->id) && vb->id[i]; i++)
        vb->bd.serial[i] = vb->id[i] >= 0x20 && vb->id[i] < 0x7f ? vb->id[i] : '?';
}

uint64_t virtio_blk_refuse;

int virtio_blk_probe(struct virtio_dev *v)
{
    uint64_t want = 1ull << BLK_F_SIZE_MAX | 1ull << BLK_F_SEG_MAX | 1ull << BLK_F_RO |
                    1ull << BLK_F_BLK_SIZE | 1ull << BLK_F_FLUSH | 1ull << BLK_F_DISCARD |
                    1ull << VIRTIO_F_EVENT_IDX | 1ull << VIRTIO_F_ACCESS_PLATFORM;
    want &= ~virtio_blk_refuse;
    int r = virtio_start(v, want);
    if (r < 0)
        return r;
    struct vblk *vb = heap_alloc(sizeof(*vb));
    if (!vb)
        return virtio_fail(v, "out of memory");
    memset(vb, 0, sizeof(*vb));
    vb->v = v;
    v->driver = vb;
    v->handler = vblk_irq;
    struct blkdev *bd = &vb->bd;

    bd->sector_size = 512;
    if (virtio_has(v, BLK_F_BLK_SIZE)) {
        uint32_t bs = v->tr->config_read(v, CFG_BLK_SIZE, 4);
        if (bs < 512 || bs > 65536 || (bs & (bs - 1)))
            return virtio_fail(v, "block size %u: not a power of two from 512 to 65536", bs);
        bd->sector_size = bs;
    }
    while ((512u << vb->shift) < bd->sector_size)
        vb->shift++;
    bd->sectors = read_capacity(v) >> vb->shift;
    bd->read_only = virtio_has(v, BLK_F_RO);

    vb->seg_bytes = REQ_BYTES;
    if (virtio_has(v, BLK_F_SIZE_MAX)) {
        uint32_t m = v->tr->config_read(v, CFG_SIZE_MAX, 4);
        if (m < bd->sector_size)
            return virtio_fail(v, "size_max %u below the %u-byte block", m, bd->sector_size);
        if (m < vb->seg_bytes)
            vb->seg_bytes = m & ~(bd->sector_size - 1);
    }
    vb->segs = SEGS;
    if (virtio_has(v, BLK_F_SEG_MAX)) {
        uint32_t m = v->tr->config_read(v, CFG_SEG_MAX, 4);
        if (m == 0)
            return virtio_fail(v, "seg_max 0: no request could carry data");
        if (m < vb->segs)
            vb->segs = m;
    }
    uint64_t req_bytes = (uint64_t)vb->seg_bytes * vb->segs;
    if (req_bytes > REQ_BYTES)
        req_bytes = REQ_BYTES;
    bd->max_sectors = (uint32_t)(req_bytes / bd->sector_size);

    if (virtio_has(v, BLK_F_DISCARD)) {
        uint32_t m = v->tr->config_read(v, CFG_MAX_DISCARD, 4) >> vb->shift;
        if (v->tr->config_read(v, CFG_DISCARD_SEGS, 4) == 0 || m == 0)
            return virtio_fail(v, "discard offered with max_discard_seg or max_discard_sectors 0");
        bd->max_discard = m;
        bd->caps |= BLKDEV_CAP_DISCARD;
    }
    if (virtio_has(v, BLK_F_FLUSH))
        bd->caps |= BLKDEV_CAP_FLUSH;

    if ((r = v->tr->irq_setup(v)) < 0)
        return virtio_fail(v, "no interrupt (no MSI-X, no routed INTx line: %d)", r);
    if (virtq_init(&vb->q, v, 0, RING) < 0)
        return -5;
    /* a short queue (legacy devices may offer 16 entries): fewer pieces, so a request fits */
    if (vb->segs + 2 > vb->q.size) {
        if (vb->q.size < 3)
            return virtio_fail(v, "queue of %u entries: a request needs 3", vb->q.size);
        vb->segs = vb->q.size - 2u;
        uint64_t b = (uint64_t)vb->seg_bytes * vb->segs;
        bd->max_sectors = (uint32_t)((b < REQ_BYTES ? b : REQ_BYTES) / bd->sector_size);
    }
    if (bd->max_sectors == 0)
        return virtio_fail(v, "requests of %u bytes cannot hold one %u-byte block",
                           (unsigned)req_bytes, bd->sector_size);
    size_t slot_pages = ((size_t)vb->q.size * sizeof(struct blk_slot) + PAGE_SIZE - 1) / PAGE_SIZE;
    vb->slots = page_alloc(slot_pages);
    if (!vb->slots)
        return virtio_fail(v, "out of memory for %u request slots", vb->q.size);
    memset(vb->slots, 0, slot_pages * PAGE_SIZE);
    bd->queue_depth =
        vb->q.size /
        (2u + (unsigned)((bd->max_sectors * (uint64_t)bd->sector_size + vb->seg_bytes - 1) /
                         vb->seg_bytes));
    virtio_ready(v);
    virtq_irq_off(&vb->q);
    read_serial(vb);
    if (v->failed)
        return -5;
    virtq_irq_on(&vb->q);

    bd->ops = &vblk_ops;
    bd->driver = "virtio-blk";
    uk_snprintf(bd->bus, sizeof(bd->bus), "%s", v->where);
    bd->caps |= BLKDEV_CAP_IRQ;
    if (blkdev_register(bd) < 0)
        return virtio_fail(v, "more than %d block devices", BLKDEV_MAX);
    return 0;
}

int virtio_blk_features(const struct blkdev *bd, char *buf, size_t size)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {BLK_F_SIZE_MAX, "size_max"},      {BLK_F_SEG_MAX, "seg_max"}, {BLK_F_RO, "ro"},
        {BLK_F_BLK_SIZE, "blk_size"},      {BLK_F_FLUSH, "flush"},     {BLK_F_DISCARD, "discard"},
        {VIRTIO_F_EVENT_IDX, "event_idx"},
    };
    if (!bd || bd->ops != &vblk_ops)
        return -19;
    const struct vblk *vb = (const struct vblk *)bd;
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (virtio_has(vb->v, names[i].bit) && n < size)
            n += (size_t)uk_snprintf(buf + n, size - n, "%s%s", n ? " " : "", names[i].name);
    return 0;
}
