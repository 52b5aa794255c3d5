/*
 * virtio_fake.h — the host-side harness the virtio fuzz targets share (virtio_fake.c): tracked
 * allocations, the input stream, and a fake device whose used rings the target writes.
 */
#ifndef TESTS_FUZZ_VIRTIO_FAKE_H
#define TESTS_FUZZ_VIRTIO_FAKE_H

#include <stddef.h>
#include <stdint.h>

#include "drivers/blkdev.h"
#include "drivers/pci.h"
#include "interrupts/irq.h"
#include "drivers/virtio/virtio.h"

#define FAKE_QUEUES 2

struct fake_queue {
    unsigned size;
    struct virtq_desc *desc;
    volatile uint16_t *avail, *used;
    uint16_t last_avail, used_idx;
};

struct fake_dev {
    struct virtio_dev v;
    uint8_t status;
    uint64_t offered, features;
    uint8_t config[64]; /* the device-specific configuration */
    unsigned qmax[FAKE_QUEUES];
    struct fake_queue q[FAKE_QUEUES];
    unsigned notifies;
};

extern struct fake_dev dev;
extern const struct virtio_transport fake;
extern char last_message[256]; /* the last printk */
extern const uint8_t *in;
extern size_t in_left;

/* The next `bytes` input bytes, big-endian (zeros once the input ends). */
uint32_t take(unsigned bytes);
/* Whether [p, p + len) lies inside one allocation the driver made. */
int inside(const void *p, size_t len);
/* The next head the driver made available on f, or -1 (read as a device would). */
int next_avail(struct fake_queue *f);
/* The device writes a used entry (id, len) and, with jump, moves the index by any amount. */
void push_used(struct fake_queue *f, uint32_t id, uint32_t len, int jump);
/* A fresh device of device_id reading its script from data. */
void fake_reset(const uint8_t *data, size_t size, unsigned device_id);
/* The block targets' requests (virtio_blk_fuzz, nvme_fuzz) and how often each completed. */
#define FAKE_NREQ 48
extern struct blkdev_req fake_reqs[FAKE_NREQ];
extern unsigned fake_completions[FAKE_NREQ];
/* Their done hook: aborts on a request still pending or a status no caller knows; counts. */
void fake_req_done(struct blkdev_req *r);
/* A batch of fake_reqs not in flight (any op, sector, count; buffers in arena) submitted to bd. */
void fake_submit(struct blkdev *bd, uint8_t *arena, uint32_t arena_len);
/* A poll or an arm of bd (the input chooses): aborts on an error no caller knows. */
void fake_poll_or_arm(struct blkdev *bd);
/* At the end of an input: no request completed twice, the pending ones are the driver's
   `inflight`, and none when it gave up (`failed`). */
void fake_check_end(unsigned inflight, int failed);
/* Frees what the driver allocated (after each input). */
void fake_free_all(void);

#endif
