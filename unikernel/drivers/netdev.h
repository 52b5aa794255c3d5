/*
 * unikernel/drivers/netdev.h — the network device interface the TCP/IP stack sits on: batched
 * send, receive by callback, MAC, MTU, link, and an interrupt (or host-wait) hook. virtio-net
 * (PCI and MMIO), vmxnet3 and jeos-hv's NIC implement it, so one netif serves every platform.
 */
#ifndef UK_DRIVERS_NETDEV_H
#define UK_DRIVERS_NETDEV_H

#include <stddef.h>
#include <stdint.h>

#define NETDEV_MAX       8
#define NETDEV_ETH_HLEN  14
#define NETDEV_FRAME_MAX 1518 /* MTU 1500 + Ethernet header + one VLAN tag, no FCS */
#define NETDEV_SEGS      8    /* pieces of one frame */

/* One piece of a frame to send. */
struct netdev_seg {
    const void *data;
    uint32_t len;
};

/*
 * A frame to send: its pieces, Ethernet header first, no FCS. csum_start != 0 asks for an
 * Internet checksum (TCP, UDP): the 16-bit field at csum_start + csum_offset holds the folded
 * pseudo-header sum, and the ones'-complement sum over [csum_start, end) is folded into it —
 * by the device when it offers the offload, else by the driver in software.
 */
struct netdev_frame {
    const struct netdev_seg *seg;
    unsigned nseg;
    uint16_t csum_start, csum_offset;
};

/* Flags of a received frame. */
#define NETDEV_RX_CSUM_OK 1u /* the device checked the TCP/UDP checksum (or filled it in) */

/* The receive callback: one frame, valid only during the call (the buffer goes back to the
 * device after it). */
typedef void (*netdev_rx_fn)(void *arg, const void *frame, uint32_t len, unsigned flags);

struct netdev;

struct netdev_ops {
    /*
     * send: queues up to n frames (copied: the caller's memory is free once it returns) and
     * tells the device once. Returns how many were taken (fewer when the ring is full; a device
     * with NETDEV_CAP_IRQ runs the notify hook when there is room again), or -EIO when the device
     * failed. A frame longer than the MTU allows, shorter than an Ethernet header or with a
     * checksum field outside it is counted in tx_errors and skipped (taken).
     */
    int (*send)(struct netdev *nd, const struct netdev_frame *frames, unsigned n);
    /* poll: calls fn for up to budget received frames; returns how many, or -EIO. */
    int (*poll)(struct netdev *nd, netdev_rx_fn fn, void *arg, unsigned budget);
    /*
     * arm: asks for the next receive interrupt (interrupts off); returns 1 when frames are
     * already waiting (poll first), 0 when armed, or -EIO.
     */
    int (*arm)(struct netdev *nd);
    /* link: 1 up, 0 down. */
    int (*link)(struct netdev *nd);
    /* tx_pending: frames sent that the device has not taken yet (0: all gone out), or -EIO. */
    int (*tx_pending)(struct netdev *nd);
    /*
     * wait (optional): for devices that cannot interrupt (jeos-hv), sleeps in the host until a
     * frame arrives for any such device or deadline_ns (monotonic) passes. Interrupts off.
     */
    int (*wait)(struct netdev *nd, uint64_t deadline_ns);
};

struct netdev_stats {
    uint64_t rx_frames, rx_bytes, rx_dropped, rx_errors;
    uint64_t tx_frames, tx_bytes, tx_errors, tx_full;
    uint64_t irqs, notifies, notifies_suppressed;
};

#define NETDEV_CAP_TX_CSUM 1u /* the device fills TCP/UDP checksums */
#define NETDEV_CAP_RX_CSUM 2u /* the device checks them */
#define NETDEV_CAP_IRQ     4u /* frames raise interrupts (else see ops->wait) */

struct netdev {
    const struct netdev_ops *ops;
    char name[12];      /* "eth0", by registration order */
    const char *driver; /* "virtio-net-pci", "virtio-net-mmio", "jeos-hv" */
    char bus[40];       /* where: "00:03.0 msix", "mmio 0xfeb00e00 gsi 12", "hv 0" */
    uint8_t mac[6];
    uint16_t mtu;
    unsigned caps; /* NETDEV_CAP_* */
    /* Set by the stack: called in interrupt context when frames arrived or send room came back. */
    void (*notify)(void *arg);
    void *notify_arg;
    struct netdev_stats stats;
    const char *failed; /* why the device stopped (it broke the ring protocol), or NULL */
};

/* netdev_register: names nd "ethN" (N counting registrations) and lists it; 0, or -ENOSPC past
 * NETDEV_MAX devices. */
int netdev_register(struct netdev *nd);

/* netdev_unregister: takes nd off the list (names already given stay). */
void netdev_unregister(struct netdev *nd);

unsigned netdev_count(void);
struct netdev *netdev_get(unsigned index); /* NULL past the last */

/* Called by drivers from their interrupt handler: counts it and runs the notify hook. */
void netdev_irq_event(struct netdev *nd);

/*
 * netdev_wait: arms every device and halts (or waits in the host) until a device interrupt or
 * deadline_ns (monotonic). Returns 1 when a device may have frames (poll them), 0 at the deadline.
 */
int netdev_wait(uint64_t deadline_ns);

/*
 * netdev_drain: waits (sleeping) until the device has taken every frame sent, e.g. before the
 * guest ends. 0, -ETIMEDOUT at deadline_ns (monotonic), or -EIO.
 */
int netdev_drain(struct netdev *nd, uint64_t deadline_ns);

/* Events seen by netdev_irq_event since boot (all devices). */
uint64_t netdev_events(void);

/*
 * netdev_csum_fill: the software checksum offload: folds the sum over [start, len) of frame into
 * the 16-bit field at start + offset (which holds the pseudo-header sum). -EINVAL when the field
 * or the range lies outside the frame.
 */
int netdev_csum_fill(uint8_t *frame, uint32_t len, uint32_t start, uint32_t offset);

/* netdev_frame_len: total length of f's pieces (0 when there are more than NETDEV_SEGS). */
uint32_t netdev_frame_len(const struct netdev_frame *f);

/* netdev_frame_copy: gathers f into dst (len bytes, from netdev_frame_len). */
void netdev_frame_copy(uint8_t *dst, const struct netdev_frame *f);

#endif
