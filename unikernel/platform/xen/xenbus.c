/* unikernel/platform/xen/xenbus.c — the frontend's xenbus states (see xenbus.h). */
#include "xenbus.h"

static const char *const names[] = {"Unknown",     "Initialising",  "InitWait",
                                    "Initialised", "Connected",     "Closing",
                                    "Closed",      "Reconfiguring", "Reconfigured"};

const char *xenbus_state_name(int state)
{
    return state >= 0 && state < (int)(sizeof(names) / sizeof(names[0])) ? names[state] : "?";
}

/* d->why = the parts, joined (cut at its size) */
static int why(struct xenbus_dev *d, int rc, const char *a, const char *b, const char *c,
               const char *e)
{
    const char *parts[4] = {a, b ? b : "", c ? c : "", e ? e : ""};
    size_t n = 0;
    for (int k = 0; k < 4; k++)
        for (const char *p = parts[k]; *p && n < sizeof(d->why) - 1; p++)
            d->why[n++] = *p;
    d->why[n] = '\0';
    return rc;
}

/* dst = a "/" b, 0; or -36 (ENAMETOOLONG) */
static int join(char *dst, size_t cap, const char *a, const char *b)
{
    size_t n = 0;
    for (; *a; a++)
        if (n + 1 < cap)
            dst[n++] = *a;
        else
            return -36;
    if (n + 1 >= cap)
        return -36;
    dst[n++] = '/';
    for (; *b; b++)
        if (n + 1 < cap)
            dst[n++] = *b;
        else
            return -36;
    dst[n] = '\0';
    return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
    uint64_t x = 0;
    if (!*s)
        return -22;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || x > (UINT64_MAX - 9) / 10)
            return -22;
        x = x * 10 + (uint64_t)(*s - '0');
    }
    *v = x;
    return 0;
}

int xenbus_read(struct xenbus_dev *d, int back, const char *key, char *buf, size_t cap)
{
    char path[160];
    if (join(path, sizeof(path), back ? d->back : d->front, key) < 0)
        return why(d, -36, "xenbus: ", d->front, ": path too long: ", key);
    int rc = xs_read(d->xs, path, buf, cap);
    if (rc < 0)
        return why(d, rc, "xenbus: ", d->front, ": ", d->xs->why);
    return rc;
}

int xenbus_read_u64(struct xenbus_dev *d, int back, const char *key, uint64_t *v)
{
    char buf[24];
    int rc = xenbus_read(d, back, key, buf, sizeof(buf));
    if (rc < 0)
        return rc;
    if (parse_u64(buf, v) < 0)
        return why(d, -22, "xenbus: ", d->front,
                   back ? ": not a number in the backend's " : ": not a number in ", key);
    return 0;
}

int xenbus_write(struct xenbus_dev *d, const char *key, const char *value)
{
    char path[160];
    if (join(path, sizeof(path), d->front, key) < 0)
        return why(d, -36, "xenbus: ", d->front, ": path too long: ", key);
    int rc = xs_write(d->xs, path, value);
    if (rc < 0)
        return why(d, rc, "xenbus: ", d->front, ": ", d->xs->why);
    return 0;
}

int xenbus_publish(struct xenbus_dev *d, const char *const *keys, const char *const *values,
                   unsigned n)
{
    for (int tries = 0;; tries++) {
        int rc = xs_transaction_start(d->xs);
        if (rc < 0)
            return why(d, rc, "xenbus: ", d->front, ": ", d->xs->why);
        for (unsigned k = 0; k < n && rc == 0; k++)
            rc = xenbus_write(d, keys[k], values[k]);
        if (rc < 0) {
            xs_transaction_end(d->xs, 1);
            return rc;
        }
        if ((rc = xs_transaction_end(d->xs, 0)) == 0)
            return 0;
        if (rc != -11 || tries == 4)
            return why(d, rc, "xenbus: ", d->front, ": ", d->xs->why);
    }
}

int xenbus_switch(struct xenbus_dev *d, enum xenbus_state s)
{
    char v[2] = {(char)('0' + s), 0};
    return xenbus_write(d, "state", v);
}

int xenbus_open(struct xenbus_dev *d, struct xs_client *xs, const char *front)
{
    d->xs = xs;
    d->why[0] = '\0';
    d->back[0] = '\0';
    size_t n = 0;
    for (; front[n] && n < sizeof(d->front) - 1; n++)
        d->front[n] = front[n];
    d->front[n] = '\0';
    if (front[n])
        return why(d, -36, "xenbus: frontend path too long: ", front, 0, 0);
    uint64_t id;
    int rc = xenbus_read(d, 0, "backend", d->back, sizeof(d->back));
    if (rc < 0)
        return rc;
    if (d->back[0] != '/')
        return why(d, -22, "xenbus: ", d->front, ": backend is not an absolute path: ", d->back);
    if ((rc = xenbus_read_u64(d, 0, "backend-id", &id)) < 0)
        return rc;
    if (id >= 0x7ff0)
        return why(d, -22, "xenbus: ", d->front, ": backend-id is no domain id", 0);
    d->back_id = (uint16_t)id;
    return xenbus_switch(d, XB_INITIALISING);
}

int xenbus_backend_state(struct xenbus_dev *d)
{
    uint64_t s;
    int rc = xenbus_read_u64(d, 1, "state", &s);
    if (rc < 0)
        return rc;
    if (s > XB_RECONFIGURED)
        return why(d, -22, "xenbus: ", d->front, ": the backend's state is no xenbus state", 0);
    return (int)s;
}

static int wait_state(struct xenbus_dev *d, enum xenbus_state want, unsigned rounds)
{
    char path[160], ev[XS_EVENT_PATH];
    int rc, s = XB_UNKNOWN;
    if (join(path, sizeof(path), d->back, "state") < 0)
        return why(d, -36, "xenbus: ", d->front, ": backend path too long", 0);
    if ((rc = xs_watch(d->xs, path, d->front)) < 0)
        return why(d, rc, "xenbus: ", d->front, ": ", d->xs->why);
    for (unsigned r = 0;; r++) {
        if ((s = xenbus_backend_state(d)) < 0 && s != -2) {
            rc = s;
            break;
        }
        if (s >= XB_CLOSING && want < XB_CLOSING) {
            rc = why(d, -107, "xenbus: ", d->front, ": the backend went ", xenbus_state_name(s));
            break;
        }
        if (s >= (int)want) {
            rc = s;
            break;
        }
        if (r == rounds) {
            why(d, -110, "xenbus: ", d->front, ": the backend stayed ",
                s < 0 ? "without a state" : xenbus_state_name(s));
            rc = why(d, -110, d->why, " (waiting for ", xenbus_state_name(want), ")");
            break;
        }
        int e = xs_watch_next(d->xs, ev, sizeof(ev));
        if (e < 0 && e != -110) {
            rc = why(d, e, "xenbus: ", d->front, ": ", d->xs->why);
            break;
        }
    }
    xs_unwatch(d->xs, path, d->front); /* best effort: the answer to this wait is in rc */
    return rc;
}

int xenbus_wait(struct xenbus_dev *d, enum xenbus_state want, unsigned rounds)
{
    return wait_state(d, want, rounds);
}

void xenbus_close(struct xenbus_dev *d)
{
    char keep[sizeof(d->why)];
    for (size_t i = 0; i < sizeof(keep); i++)
        keep[i] = d->why[i];
    if (xenbus_switch(d, XB_CLOSING) == 0 && wait_state(d, XB_CLOSING, 1) >= 0)
        xenbus_switch(d, XB_CLOSED);
    for (size_t i = 0; i < sizeof(keep); i++)
        d->why[i] = keep[i];
}
