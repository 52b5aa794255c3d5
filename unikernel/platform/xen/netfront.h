/*
 * unikernel/platform/xen/netfront.h — Xen's PV network frontend (xen/include/public/io/netif.h)
 * as a netdev: one queue pair (TX and RX rings of 256 entries, 64 buffers each granted once and
 * reused), copy-mode receive, frames in several slots both ways (feature-sg), checksums done in
 * software (feature-no-csum-offload), one event channel. Everything the backend writes — ring
 * indexes, response ids, offsets, sizes — is checked; a backend that breaks the protocol stops
 * the device with nd.failed naming what it did.
 */
#ifndef UK_XEN_NETFRONT_H
#define UK_XEN_NETFRONT_H

#include "drivers/netdev.h"
#include "front.h"

#define NF_RING   256  /* entries per ring (a page of them, to a power of two) */
#define NF_SLOTS  64   /* buffers per direction (a power of two, at most NF_RING) */
#define NF_RX_MAX 8192 /* a received frame, whole, at most (more is dropped) */

#define NETTXF_csum_blank     1u
#define NETTXF_data_validated 2u
#define NETTXF_more_data      4u
#define NETTXF_extra_info     8u
#define NETRXF_data_validated 1u
#define NETRXF_csum_blank     2u
#define NETRXF_more_data      4u
#define NETRXF_extra_info     8u
#define NETIF_RSP_OKAY        0
#define NETIF_RSP_NULL        1

struct netif_tx_request {
    uint32_t gref;
    uint16_t offset, flags, id, size;
};
struct netif_tx_response {
    uint16_t id;
    int16_t status;
};
struct netif_rx_request {
    uint16_t id, pad;
    uint32_t gref;
};
struct netif_rx_response {
    uint16_t id, offset, flags;
    int16_t status;
};

struct nf_tx_sring {
    struct xen_sring h;
    union {
        struct netif_tx_request req;
        struct netif_tx_response rsp;
    } ring[NF_RING];
};
struct nf_rx_sring {
    struct xen_sring h;
    union {
        struct netif_rx_request req;
        struct netif_rx_response rsp;
    } ring[NF_RING];
};
_Static_assert(sizeof(struct nf_tx_sring) <= 4096, "the TX ring fits its page");
_Static_assert(sizeof(struct nf_rx_sring) <= 4096, "the RX ring fits its page");

struct netfront {
    struct netdev nd;
    struct xenbus_dev xb;
    const struct xen_env *env;
    volatile struct nf_tx_sring *tx;
    volatile struct nf_rx_sring *rx;
    uint32_t port;
    int sg; /* the backend takes frames in several slots */
    uint32_t tx_prod, tx_cons, rx_prod, rx_cons;
    uint8_t *tx_buf[NF_SLOTS], *rx_buf[NF_SLOTS];
    uint32_t tx_gref[NF_SLOTS], rx_gref[NF_SLOTS];
    uint16_t tx_free[NF_SLOTS]; /* a stack of the TX slots not in flight */
    unsigned tx_nfree;
    uint8_t tx_busy[NF_SLOTS];
    uint8_t *frame; /* NF_RX_MAX bytes: a frame received in several slots, put together */
    uint32_t frame_len;
    int frame_bad;  /* the frame being put together is dropped at its end */
    int frame_more; /* the last slot taken said more_data: the frame goes on */
    char failed[160];
};

/*
 * netfront_open: the vif at front ("device/vif/0"): reads its MAC and its backend's features,
 * makes the rings, buffers and grants, writes them with the frontend's features in one xenstore
 * transaction, goes Connected and waits for the backend to be Connected. Fills nf->nd (not
 * registered). 0, or a negative errno with a message in nf->failed.
 */
int netfront_open(struct netfront *nf, const struct xen_env *env, const char *front);

/* The event channel's handler: runs the netdev's notify hook. */
void netfront_event(uint32_t port, void *arg);

#endif
