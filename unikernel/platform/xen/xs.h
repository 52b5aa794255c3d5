/*
 * unikernel/platform/xen/xs.h — a xenstore client over the shared ring (the domain's page at
 * HVM_PARAM_STORE_PFN, xen/include/public/io/xs_wire.h), polled: a request is written, the
 * backend notified, and its answer awaited a bounded time. Everything the backend writes (ring
 * indexes, header, length, request id) is checked before it is used. Plain C with no kernel
 * dependency: tests/unikernel/xen_xs_test.c runs it on the host against a fake xenstored.
 */
#ifndef UK_XEN_XS_H
#define UK_XEN_XS_H

#include <stddef.h>
#include <stdint.h>

#define XS_RING_SIZE   1024
#define XS_PAYLOAD_MAX 4096

struct xenstore_domain_interface {
    char req[XS_RING_SIZE];
    char rsp[XS_RING_SIZE];
    uint32_t req_cons, req_prod;
    uint32_t rsp_cons, rsp_prod;
    uint32_t server_features, connection, error;
};

struct xsd_sockmsg {
    uint32_t type, req_id, tx_id, len;
};

enum {
    XS_DIRECTORY = 1,
    XS_READ = 2,
    XS_WATCH = 4,
    XS_UNWATCH = 5,
    XS_TRANSACTION_START = 6,
    XS_TRANSACTION_END = 7,
    XS_WRITE = 11,
    XS_RM = 13,
    XS_WATCH_EVENT = 15,
    XS_ERROR = 16,
};

#define XS_EVENT_PATH 128 /* a watch event's path kept (longer ones are cut) */
#define XS_EVENTS     4   /* watch events kept while a request waits for its answer */

struct xs_client {
    volatile struct xenstore_domain_interface *r;
    void (*notify)(void *arg); /* tells the backend there is something to read */
    /* Called while waiting, with how many times it was called for this request: returns 0 to
       wait on, or a negative value when the time allowed is up. */
    int (*wait)(void *arg, uint32_t round);
    void *arg;
    uint32_t req_id;
    uint32_t tx;   /* the transaction requests belong to (xs_transaction_start), or 0 */
    char why[160]; /* what went wrong last, for the caller's message */
    /* watch events read while waiting for an answer, for xs_watch_next */
    char events[XS_EVENTS][XS_EVENT_PATH];
    unsigned nevents;
    uint64_t events_lost; /* past XS_EVENTS */
};

/*
 * xs_read: the value at `path` (relative paths are under the domain's home,
 * /local/domain/DOMID) into buf, NUL-terminated; returns its length, or a negative errno with
 * c->why set: -2 (ENOENT) and the like for xenstored's own errors, -5 (EIO) for a ring or an
 * answer that breaks the protocol, -110 (ETIMEDOUT) when no answer came, -90 (EMSGSIZE) when
 * the value does not fit in cap - 1 bytes.
 */
int xs_read(struct xs_client *c, const char *path, char *buf, size_t cap);

/* xs_write: sets `path` to `value`; 0 or a negative errno as xs_read. */
int xs_write(struct xs_client *c, const char *path, const char *value);

/* xs_directory: the names under `path` into buf, each NUL-terminated, one after the other;
 * returns the bytes used (0: none), or a negative errno as xs_read. */
int xs_directory(struct xs_client *c, const char *path, char *buf, size_t cap);

/*
 * xs_transaction_start: the requests that follow (c->tx) belong to a new transaction; 0 or a
 * negative errno. xs_transaction_end: commits it (or aborts it when abort is set) and leaves it;
 * -11 (EAGAIN) when xenstored refused the commit because another change came between: start over.
 */
int xs_transaction_start(struct xs_client *c);
int xs_transaction_end(struct xs_client *c, int abort);

/*
 * xs_watch: asks for an event whenever `path` or something under it changes (xenstored sends one
 * at once too); token tells the watches apart. xs_unwatch ends it. 0 or a negative errno.
 */
int xs_watch(struct xs_client *c, const char *path, const char *token);
int xs_unwatch(struct xs_client *c, const char *path, const char *token);

/*
 * xs_watch_next: the path of the next watch event (kept from earlier, else awaited through the
 * wait hook) into buf; its length, -110 (ETIMEDOUT) when none came, -5 (EIO) for a broken ring.
 */
int xs_watch_next(struct xs_client *c, char *buf, size_t cap);

#endif
