/*
 * unikernel/platform/xen/xenbus.h — the frontend half of xenbus (xen/include/public/io/xenbus.h):
 * a device's frontend directory (device/vif/0), its backend's path and domain read from it, the
 * frontend's state written, the backend's awaited through a xenstore watch, and Closing/Closed
 * handled. Plain C over the xenstore client (xs.h): tests run it against a fake xenstored.
 */
#ifndef UK_XEN_XENBUS_H
#define UK_XEN_XENBUS_H

#include "xs.h"

enum xenbus_state {
    XB_UNKNOWN = 0,
    XB_INITIALISING = 1,
    XB_INITWAIT = 2,
    XB_INITIALISED = 3,
    XB_CONNECTED = 4,
    XB_CLOSING = 5,
    XB_CLOSED = 6,
    XB_RECONFIGURING = 7,
    XB_RECONFIGURED = 8,
};

struct xenbus_dev {
    struct xs_client *xs;
    char front[48];   /* "device/vif/0" */
    char back[96];    /* "/local/domain/0/backend/vif/5/0" */
    uint16_t back_id; /* the backend's domain */
    char why[200];    /* what went wrong, naming the device */
};

/* The name of a state ("InitWait"), or "?" for a number past them. */
const char *xenbus_state_name(int state);

/*
 * xenbus_open: the device at front (e.g. "device/vbd/768"): reads its backend and backend-id
 * and switches the frontend to Initialising. 0, or a negative errno with d->why naming the entry
 * missing or wrong.
 */
int xenbus_open(struct xenbus_dev *d, struct xs_client *xs, const char *front);

/* xenbus_read / xenbus_read_u64: the frontend's (back = 0) or backend's key into buf / *v. */
int xenbus_read(struct xenbus_dev *d, int back, const char *key, char *buf, size_t cap);
int xenbus_read_u64(struct xenbus_dev *d, int back, const char *key, uint64_t *v);

/* xenbus_write: the frontend's key (inside the xenstore transaction, if one is open). */
int xenbus_write(struct xenbus_dev *d, const char *key, const char *value);

/*
 * xenbus_publish: writes the frontend's keys[i] = values[i] (i < n) in one xenstore transaction,
 * started again (5 times at most) while xenstored refuses the commit for a change between
 * (EAGAIN). 0, or a negative errno with d->why.
 */
int xenbus_publish(struct xenbus_dev *d, const char *const *keys, const char *const *values,
                   unsigned n);

/* xenbus_switch: writes the frontend's state. */
int xenbus_switch(struct xenbus_dev *d, enum xenbus_state s);

/* The backend's state now, or a negative errno (d->why). */
int xenbus_backend_state(struct xenbus_dev *d);

/*
 * xenbus_wait: waits (watching the backend's state; each wait the xenstore client's hook allows,
 * up to `rounds` of them) until the backend is in state `want` or past it; returns that state.
 * A backend going Closing or Closed first (when want is below it) is -107 (ENOTCONN); one that
 * stays below is -110 (ETIMEDOUT); d->why says which state it was in.
 */
int xenbus_wait(struct xenbus_dev *d, enum xenbus_state want, unsigned rounds);

/* xenbus_close: the frontend goes Closing, then Closed once the backend is Closing or Closed
 * (or after the wait); best effort for a device given up. */
void xenbus_close(struct xenbus_dev *d);

#endif
