/*
 * unikernel/drivers/virtio/virtio.h — virtio 1.x: the transports (modern PCI, MMIO version 2) as
 * one ops table, device start-up and feature negotiation, split virtqueues that check what the
 * device writes, and the drivers' probe functions.
 */
#ifndef UK_DRIVERS_VIRTIO_H
#define UK_DRIVERS_VIRTIO_H

#include <stddef.h>
#include <stdint.h>

#define VIRTIO_ID_NET   1
#define VIRTIO_ID_BLOCK 2

#define VIRTIO_STATUS_ACK         1
#define VIRTIO_STATUS_DRIVER      2
#define VIRTIO_STATUS_DRIVER_OK   4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED      128

#define VIRTIO_F_ANY_LAYOUT      27 /* legacy devices: headers may share a descriptor */
#define VIRTIO_F_INDIRECT_DESC   28
#define VIRTIO_F_EVENT_IDX       29
#define VIRTIO_F_VERSION_1       32
#define VIRTIO_F_ACCESS_PLATFORM 33

#define VIRTIO_IRQ_QUEUE  1u /* a used ring moved */
#define VIRTIO_IRQ_CONFIG 2u /* device configuration changed */

#define VIRTQ_MAX_SIZE 256 /* entries we use per queue (the device may offer more) */

struct virtio_dev;

/* A transport: how the driver reaches the device's registers. */
struct virtio_transport {
    const char *name; /* "pci", "mmio" */
    uint8_t (*get_status)(struct virtio_dev *v);
    void (*set_status)(struct virtio_dev *v, uint8_t status);
    uint64_t (*get_features)(struct virtio_dev *v);
    void (*set_features)(struct virtio_dev *v, uint64_t features);
    /* The device-specific configuration at off (width 1, 2 or 4); 0 past its end. */
    uint32_t (*config_read)(struct virtio_dev *v, unsigned off, unsigned width);
    uint32_t (*config_generation)(struct virtio_dev *v);
    /* Largest size of queue q (0: no such queue). */
    unsigned (*queue_max)(struct virtio_dev *v, unsigned q);
    /* Gives queue q its rings and enables it; 0 or a negative errno. */
    int (*queue_enable)(struct virtio_dev *v, unsigned q, unsigned size, uint64_t desc,
                        uint64_t avail, uint64_t used);
    void (*queue_notify)(struct virtio_dev *v, unsigned q);
    /* Sets up the interrupt (MSI-X, INTx, the MMIO line) that calls v->handler; 0 or -errno. */
    int (*irq_setup)(struct virtio_dev *v);
};

struct virtio_dev {
    const struct virtio_transport *tr;
    void *tr_priv;
    unsigned device_id;
    int legacy;        /* a legacy (virtio 0.9.5) interface: virtio-mmio version 1 */
    char where[40];    /* "00:03.0 msix", "mmio 0xfeb00e00 gsi 12" */
    uint64_t offered;  /* what the device offered */
    uint64_t features; /* what was negotiated */
    /* Called in interrupt context with VIRTIO_IRQ_* causes. */
    void (*handler)(struct virtio_dev *v, unsigned causes);
    void *driver;
    const char *failed; /* set (with a message printed) once the device broke the protocol */
    char why[128];      /* what failed points at */
};

static inline int virtio_has(const struct virtio_dev *v, unsigned bit)
{
    return (int)((v->features >> bit) & 1);
}

/* Orders earlier stores (rings, buffers) before later ones as the device sees them. */
static inline void virtio_wmb(void)
{
    __atomic_thread_fence(__ATOMIC_RELEASE);
}
static inline void virtio_rmb(void)
{
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
}
/* Full barrier: a store (avail index) before a later load (the device's event index). */
static inline void virtio_mb(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/*
 * virtio_start: resets the device (firmware or a previous kernel may have left it running) and
 * waits for the reset, sets ACKNOWLEDGE and DRIVER, and negotiates wanted & offered plus
 * VIRTIO_F_VERSION_1 (required of modern devices) up to FEATURES_OK. A legacy interface (v->legacy)
 * negotiates 32 feature bits (VIRTIO_F_ANY_LAYOUT when offered: drivers that need it check) and
 * has no FEATURES_OK step. Returns 0
 * or a negative errno with a message printed.
 */
int virtio_start(struct virtio_dev *v, uint64_t wanted);

/* virtio_ready: sets DRIVER_OK (queues and interrupts set up). */
void virtio_ready(struct virtio_dev *v);

/*
 * virtio_fail: the device broke the protocol (or could not be set up): prints
 * "virtio DEVICE: MESSAGE" once, sets FAILED in the device status and v->failed. Returns -EIO.
 */
int virtio_fail(struct virtio_dev *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* virtio_probe: starts the driver for v->device_id (net, block); 0, -ENODEV, or an error. */
int virtio_probe(struct virtio_dev *v);

/* Drivers. */
int virtio_net_probe(struct virtio_dev *v);
/* The virtio-net features nd negotiated, by name ("csum mrg_rxbuf ..."); -ENODEV if nd is not
 * virtio-net. */
struct netdev;
int virtio_net_features(const struct netdev *nd, char *buf, size_t size);
/* Feature bits virtio_net_probe does not ask for (tests: a re-probe with another set). */
extern uint64_t virtio_net_refuse;
int virtio_blk_probe(struct virtio_dev *v);
/* The virtio-blk features bd negotiated, by name ("flush discard ..."); -ENODEV if bd is not
 * virtio-blk. */
struct blkdev;
int virtio_blk_features(const struct blkdev *bd, char *buf, size_t size);
/* Feature bits virtio_blk_probe does not ask for (tests: a re-probe with another set). */
extern uint64_t virtio_blk_refuse;

/* Discovery: modern virtio PCI functions, and virtio-mmio devices from the command line
 * (virtio_mmio.device=SIZE@BASE:IRQ, as Linux takes it) and the ACPI DSDT (LNRO0005). */
int virtio_pci_probe_all(void);
int virtio_mmio_probe_all(const char *cmdline);
/*
 * One device (a device left running is reset first): a PCI function; an MMIO window with its
 * interrupt (GSI, trigger, polarity). 0 or a negative errno.
 */
struct pci_dev;
int virtio_pci_probe(struct pci_dev *d);
int virtio_mmio_probe(uint64_t base, uint64_t size, unsigned gsi, int edge, int low);

/* A split virtqueue. The device's writes (used ring) are checked before use. */
struct virtq_seg {
    uint64_t addr;
    uint32_t len;
    int device_writes; /* the device writes this piece (receive buffers, status bytes) */
};

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

struct virtq_used_elem {
    uint32_t id, len;
};

struct virtq {
    struct virtio_dev *dev;
    unsigned index;
    uint16_t size, mask;
    struct virtq_desc *desc;
    volatile uint16_t *avail; /* flags, idx, ring[size], used_event */
    volatile uint16_t *used;  /* flags, idx, then elements; avail_event after them */
    volatile struct virtq_used_elem *used_ring;
    uint16_t avail_idx;  /* next avail slot we fill */
    uint16_t kicked_idx; /* avail index at the last notify decision */
    uint16_t last_used;  /* next used entry we read */
    uint16_t free_head, num_free;
    uint16_t published; /* chains the device may hold (published, not yet returned) */
    int event_idx;
    /* Our own copy of each chain, by head: never read back from the rings. */
    uint16_t next[VIRTQ_MAX_SIZE];
    uint16_t chain_len[VIRTQ_MAX_SIZE];
    uint32_t chain_bytes[VIRTQ_MAX_SIZE];
    uint8_t state[VIRTQ_MAX_SIZE];        /* 0 free, 1 added, 2 published */
    uint16_t avail_heads[VIRTQ_MAX_SIZE]; /* what we put in the avail ring */
    void *cookie[VIRTQ_MAX_SIZE];
    void *mem;
    size_t mem_pages;
    uint64_t notifies, notifies_suppressed;
};

/*
 * virtq_init: allocates the rings of queue index (size = min(device maximum, max_size), a power
 * of two) and hands them to the device; for a legacy interface in one block, the used ring on the
 * next page boundary (VIRTQ_LEGACY_ALIGN). Returns 0 or a negative errno (message printed).
 */
#define VIRTQ_LEGACY_ALIGN 4096
int virtq_init(struct virtq *q, struct virtio_dev *v, unsigned index, unsigned max_size);

/* virtq_add: puts a chain of n pieces in the avail ring (not yet visible: see virtq_kick).
 * Returns its head, or -ENOSPC. */
int virtq_add(struct virtq *q, const struct virtq_seg *seg, unsigned n, void *cookie);

/* The head the next virtq_add will use, or -1 when the ring is full. */
int virtq_peek_free(const struct virtq *q);

/* virtq_kick: publishes what was added and notifies the device unless it asked not to be. */
void virtq_kick(struct virtq *q);

/*
 * virtq_get: takes the next used chain: 1 (its cookie and the length the device wrote), 0 when
 * none, or -EIO when the device wrote something impossible (an id out of range or not in flight,
 * a length past the chain, the used index jumping past what it holds): the device is failed with
 * a message saying which queue and what value.
 */
int virtq_get(struct virtq *q, void **cookie, uint32_t *len, int *head);

/* virtq_pending: whether used entries wait to be taken. */
int virtq_pending(const struct virtq *q);

/* Interrupt suppression: no interrupts for this queue; back on (1: entries already wait). */
void virtq_irq_off(struct virtq *q);
int virtq_irq_on(struct virtq *q);
/* Back on only after about half of what the device holds comes back (send rings). */
void virtq_irq_on_delayed(struct virtq *q);

#endif
