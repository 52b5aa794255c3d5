/*
 * unikernel/platform/xen/blkfront.h — Xen's PV block frontend (xen/include/public/io/blkif.h) as a
 * blkdev: one ring of 32 requests, 16 of them in flight, each with 8 pages of its own granted once
 * and reused (the data is copied through them: any buffer alignment works); read, write, and
 * flush through BLKIF_OP_FLUSH_DISKCACHE or BLKIF_OP_WRITE_BARRIER as the backend offers; sector
 * size, capacity and read-only from xenstore. Everything the backend writes is checked; a backend
 * that breaks the protocol stops the device with bd.failed naming what it did.
 */
#ifndef UK_XEN_BLKFRONT_H
#define UK_XEN_BLKFRONT_H

#include "drivers/blkdev.h"
#include "front.h"

#define BF_RING  32 /* entries in the ring's page */
#define BF_SLOTS 16 /* requests in flight */
#define BF_SEGS  8  /* pages per request (of the 11 blkif allows) */

#define BLKIF_OP_READ            0
#define BLKIF_OP_WRITE           1
#define BLKIF_OP_WRITE_BARRIER   2
#define BLKIF_OP_FLUSH_DISKCACHE 3
#define BLKIF_RSP_EOPNOTSUPP     (-2)
#define BLKIF_RSP_ERROR          (-1)
#define BLKIF_RSP_OKAY           0
#define VDISK_READONLY           4u

struct blkif_segment {
    uint32_t gref;
    uint8_t first_sect, last_sect;
    uint16_t pad;
};
struct blkif_request {
    uint8_t operation, nr_segments;
    uint16_t handle;
    uint64_t id, sector_number;
    struct blkif_segment seg[11];
};
struct blkif_response {
    uint64_t id;
    uint8_t operation;
    int16_t status;
};
_Static_assert(sizeof(struct blkif_request) == 112, "blkif_request is 112 bytes on x86-64");
_Static_assert(sizeof(struct blkif_response) == 16, "blkif_response is 16 bytes on x86-64");

struct bf_sring {
    struct xen_sring h;
    union {
        struct blkif_request req;
        struct blkif_response rsp;
    } ring[BF_RING];
};
_Static_assert(sizeof(struct bf_sring) <= 4096, "the ring fits its page");

struct blkfront {
    struct blkdev bd;
    struct xenbus_dev xb;
    const struct xen_env *env;
    volatile struct bf_sring *ring;
    uint32_t port, prod, cons;
    unsigned flush_op; /* BLKIF_OP_FLUSH_DISKCACHE or _WRITE_BARRIER (with BLKDEV_CAP_FLUSH) */
    uint32_t shift;    /* sector_size = 512 << shift */
    struct {
        struct blkdev_req *req; /* NULL: free */
        uint8_t op;
        uint8_t *data; /* BF_SEGS pages */
        uint32_t gref[BF_SEGS];
    } slot[BF_SLOTS];
    unsigned inflight;
    char failed[160];
};

/*
 * blkfront_open: the vbd at front ("device/vbd/768"): the ring, its pages and grants, the ring
 * written in a xenstore transaction, Initialised; once the backend is Connected its sectors,
 * sector-size, info and features are read, and the frontend goes Connected. Fills bf->bd (not
 * registered). 0, or a negative errno with a message in bf->failed.
 */
int blkfront_open(struct blkfront *bf, const struct xen_env *env, const char *front);

void blkfront_event(uint32_t port, void *arg);

#endif
