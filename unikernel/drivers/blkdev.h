/*
 * unikernel/drivers/blkdev.h — the block device interface filesystems sit on: geometry (sector
 * size, capacity, read-only), batches of requests in flight (read, write, flush, discard) completed
 * by polling, and an interrupt hook. virtio-blk (PCI and MMIO), NVMe, pvscsi and jeos-hv's
 * hypercall disk implement it; Xen blkfront would too.
 */
#ifndef UK_DRIVERS_BLKDEV_H
#define UK_DRIVERS_BLKDEV_H

#include <stddef.h>
#include <stdint.h>

#define BLKDEV_MAX 8

enum blkdev_op {
    BLKDEV_READ,    /* count sectors from sector into buf */
    BLKDEV_WRITE,   /* count sectors from buf to sector */
    BLKDEV_FLUSH,   /* what completed writes wrote is durable once this completes */
    BLKDEV_DISCARD, /* count sectors from sector are not needed (they may read back as anything) */
};

#define BLKDEV_PENDING 1 /* req->status while the device holds the request */

/*
 * One request. sector and count are in units of the device's sector_size; buf (READ, WRITE) holds
 * count * sector_size bytes of identity-mapped memory (the device reaches it directly) and must
 * not be touched while the request is pending. Requests complete in any order: a flush covers the
 * writes that had completed when it was submitted, so wait for writes before flushing them.
 */
struct blkdev_req {
    unsigned op; /* enum blkdev_op */
    uint64_t sector;
    uint32_t count;
    void *buf;
    /* Set by the driver: BLKDEV_PENDING once taken, then 0 or a negative errno (-EIO: the device
     * reported an error; -EROFS, -EINVAL, -EOPNOTSUPP: refused before it reached the device). */
    int status;
    void (*done)(struct blkdev_req *r); /* optional: called from poll once status is final */
    void *arg;
};

struct blkdev;

struct blkdev_ops {
    /*
     * submit: hands up to n requests to the device and tells it once. Returns how many were taken
     * (fewer when its queue is full: poll, then submit the rest), or -EIO when the device failed.
     * A request the device must not see — a write or discard on a read-only device (-EROFS), a
     * range past the end or longer than max_sectors / max_discard (-EINVAL), a discard the device
     * does not offer (-EOPNOTSUPP) — is taken and completed at once with that status.
     */
    int (*submit)(struct blkdev *bd, struct blkdev_req *const *reqs, unsigned n);
    /* poll: completes what the device finished (status, done); returns how many, or -EIO. */
    int (*poll)(struct blkdev *bd);
    /* arm: asks for the next completion interrupt (interrupts off); 1 when completions already
     * wait (poll first), 0 when armed, or -EIO. */
    int (*arm)(struct blkdev *bd);
};

struct blkdev_stats {
    uint64_t reads, writes, flushes, discards; /* requests completed */
    uint64_t sectors_read, sectors_written;
    uint64_t errors; /* requests completed with an error */
    uint64_t full;   /* submits that found the queue full */
    uint64_t irqs, notifies, max_inflight;
};

#define BLKDEV_CAP_FLUSH   1u /* the device has a write cache that BLKDEV_FLUSH empties */
#define BLKDEV_CAP_DISCARD 2u
#define BLKDEV_CAP_IRQ     4u /* completions raise interrupts (else they are there at once) */

struct blkdev {
    const struct blkdev_ops *ops;
    char name[12];      /* "blk0", by registration order */
    const char *driver; /* "virtio-blk", "jeos-hv" */
    char bus[40];       /* where: "00:04.0 msix", "mmio 0xfeb00e00 gsi 12", "hv 0" */
    char serial[21];    /* the device's serial (virtio-blk GET_ID: jeos run's volume name), or "" */
    uint32_t sector_size;
    uint64_t sectors; /* capacity, in sector_size units */
    int read_only;
    unsigned caps;             /* BLKDEV_CAP_* */
    uint32_t max_sectors;      /* per read or write request */
    uint32_t max_discard;      /* per discard request (0: no discard) */
    unsigned queue_depth;      /* requests the device can hold at once */
    void (*notify)(void *arg); /* optional: called in interrupt context on a completion */
    void *notify_arg;
    struct blkdev_stats stats;
    const char *failed; /* why the device stopped (it broke the ring protocol), or NULL */
};

/* blkdev_register: names bd "blkN" and lists it; 0, or -ENOSPC past BLKDEV_MAX devices. */
int blkdev_register(struct blkdev *bd);
void blkdev_unregister(struct blkdev *bd);
unsigned blkdev_count(void);
struct blkdev *blkdev_get(unsigned index); /* NULL past the last */
struct blkdev *blkdev_find(const char *name);

/* Called by drivers from their interrupt handler: counts it and runs the notify hook. */
void blkdev_irq_event(struct blkdev *bd);

/* blkdev_check: the status a request gets before it reaches the device (0 when it may go):
 * -EROFS, -EINVAL or -EOPNOTSUPP as submit describes. Drivers call it. */
int blkdev_check(const struct blkdev *bd, const struct blkdev_req *r);

/* blkdev_complete: sets r's final status, counts it, calls r->done. Drivers call it. */
void blkdev_complete(struct blkdev *bd, struct blkdev_req *r, int status);

/*
 * blkdev_run: submits the n requests (as room allows) and waits — halting until the device's
 * interrupt — until every one has completed. Returns 0, the first request's error in array order,
 * or -EIO when the device failed (bd->failed says why).
 */
int blkdev_run(struct blkdev *bd, struct blkdev_req *const *reqs, unsigned n);

/*
 * blkdev_io: a read or write of count sectors at sector, split into requests of max_sectors that
 * are in flight together (up to 32 at once). 0 or a negative errno.
 */
int blkdev_io(struct blkdev *bd, unsigned op, uint64_t sector, void *buf, uint64_t count);

/* blkdev_flush: makes completed writes durable (0 at once on a device without a write cache). */
int blkdev_flush(struct blkdev *bd);

/* blkdev_discard: discards count sectors at sector, split by max_discard. -EOPNOTSUPP without
 * discard. */
int blkdev_discard(struct blkdev *bd, uint64_t sector, uint64_t count);

#endif
