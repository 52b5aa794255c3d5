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

enum { XS_DIRECTORY = 1, XS_READ = 2, XS_WRITE = 11, XS_WATCH_EVENT = 15, XS_ERROR = 16 };

struct xs_client {
    volatile struct xenstore_domain_interface *r;
    void (*notify)(void *arg); /* tells the backend there is something to read */
    /* Called while waiting, with how many times it was called for this request: returns 0 to
       wait on, or a negative value when the time allowed is up. */
    int (*wait)(void *arg, uint32_t round);
    void *arg;
    uint32_t req_id;
    char why[160]; /* what went wrong last, for the caller's message */
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

#endif
