/* unikernel/platform/xen/xs.c — the polled xenstore client (see xs.h). */
#include "xs.h"

static size_t slen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* why = a + b + d (truncated; b and d may be NULL), for messages naming a path */
static int fail3(struct xs_client *c, int rc, const char *a, const char *b, const char *d)
{
    const char *parts[3] = {a, b ? b : "", d ? d : ""};
    size_t n = 0;
    for (int k = 0; k < 3; k++)
        for (const char *p = parts[k]; *p && n < sizeof(c->why) - 1; p++)
            c->why[n++] = *p;
    c->why[n] = '\0';
    return rc;
}

static int append(struct xs_client *c, int rc, const char *s)
{
    size_t n = slen(c->why);
    for (; *s && n < sizeof(c->why) - 1; s++)
        c->why[n++] = *s;
    c->why[n] = '\0';
    return rc;
}

static int fail(struct xs_client *c, int rc, const char *a, const char *b)
{
    return fail3(c, rc, a, b, 0);
}

/* Copies n bytes into the request ring, waiting for room. */
static int put(struct xs_client *c, const char *p, size_t n)
{
    volatile struct xenstore_domain_interface *r = c->r;
    for (uint32_t round = 0; n;) {
        uint32_t cons = __atomic_load_n(&r->req_cons, __ATOMIC_ACQUIRE), prod = r->req_prod;
        if (prod - cons > XS_RING_SIZE)
            return fail(c, -5,
                        "xenstore: request ring: req_cons is more than the ring's 1024 "
                        "bytes from req_prod",
                        0);
        uint32_t room = XS_RING_SIZE - (prod - cons), k = n < room ? (uint32_t)n : room;
        for (uint32_t i = 0; i < k; i++)
            r->req[(prod + i) & (XS_RING_SIZE - 1)] = p[i];
        __atomic_store_n(&r->req_prod, prod + k, __ATOMIC_RELEASE);
        p += k, n -= k;
        c->notify(c->arg);
        if (n && c->wait(c->arg, round++) < 0)
            return fail(c, -110, "xenstore: no room in the request ring (xenstored not reading)",
                        0);
    }
    return 0;
}

/* Takes n bytes from the response ring, waiting for them; out may be NULL (discarded). */
static int get(struct xs_client *c, char *out, size_t n, uint32_t *round)
{
    volatile struct xenstore_domain_interface *r = c->r;
    while (n) {
        uint32_t prod = __atomic_load_n(&r->rsp_prod, __ATOMIC_ACQUIRE), cons = r->rsp_cons;
        if (prod - cons > XS_RING_SIZE)
            return fail(c, -5,
                        "xenstore: response ring: rsp_prod is more than the ring's 1024 "
                        "bytes from rsp_cons",
                        0);
        uint32_t k = prod - cons < n ? prod - cons : (uint32_t)n;
        for (uint32_t i = 0; i < k; i++) {
            char ch = r->rsp[(cons + i) & (XS_RING_SIZE - 1)];
            if (out)
                *out++ = ch;
        }
        __atomic_store_n(&r->rsp_cons, cons + k, __ATOMIC_RELEASE);
        n -= k;
        if (k)
            c->notify(c->arg);
        else if (c->wait(c->arg, (*round)++) < 0)
            return fail(c, -110, "xenstore: no answer from xenstored", 0);
    }
    return 0;
}

static const struct {
    const char *name;
    int err;
} errnos[] = {{"ENOENT", -2},  {"EACCES", -13}, {"EEXIST", -17}, {"EINVAL", -22},
              {"ENOSPC", -28}, {"EAGAIN", -11}, {"EBUSY", -16},  {"E2BIG", -7},
              {"EPERM", -1},   {"EISDIR", -21}, {"EROFS", -30},  {"ENOSYS", -38}};

static int same(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return b[n] == '\0';
}

/* Keeps the path of a watch event of len bytes (the header read) for xs_watch_next. */
static int keep_event(struct xs_client *c, uint32_t len, uint32_t *round)
{
    char p[XS_EVENT_PATH];
    uint32_t k = len < sizeof(p) ? len : (uint32_t)sizeof(p);
    int rc;
    if ((rc = get(c, p, k, round)) || (rc = get(c, 0, len - k, round)))
        return rc;
    if (c->nevents == XS_EVENTS) {
        c->events_lost++;
        return 0;
    }
    char *e = c->events[c->nevents++];
    uint32_t i = 0;
    for (; i < k && i < XS_EVENT_PATH - 1 && p[i]; i++)
        e[i] = p[i];
    e[i] = '\0';
    return 0;
}

/*
 * One request (type, the payload in two parts) and its answer into buf (cap bytes, NUL added):
 * the answer's length, or a negative errno. Watch events are kept for xs_watch_next; answers to
 * other ids are read past.
 */
static int request(struct xs_client *c, uint32_t type, const char *path, const char *a, size_t alen,
                   const char *b, size_t blen, char *buf, size_t cap)
{
    if (alen + blen > XS_PAYLOAD_MAX)
        return fail(c, -90, "xenstore: request longer than 4096 bytes: ", path);
    struct xsd_sockmsg h = {
        .type = type, .req_id = ++c->req_id, .tx_id = c->tx, .len = (uint32_t)(alen + blen)};
    int rc;
    if ((rc = put(c, (const char *)&h, sizeof(h))) || (rc = put(c, a, alen)) ||
        (blen && (rc = put(c, b, blen))))
        return rc;
    for (uint32_t round = 0;;) {
        struct xsd_sockmsg in;
        if ((rc = get(c, (char *)&in, sizeof(in), &round)))
            return rc;
        if (in.len > XS_PAYLOAD_MAX)
            return fail(c, -5, "xenstore: an answer says it is longer than 4096 bytes: ", path);
        if (in.type == XS_WATCH_EVENT) {
            if ((rc = keep_event(c, in.len, &round)))
                return rc;
            continue;
        }
        if (in.req_id != h.req_id) {
            if ((rc = get(c, 0, in.len, &round)))
                return rc;
            continue;
        }
        if (in.type == XS_ERROR) {
            char e[16];
            size_t n = in.len < sizeof(e) ? in.len : sizeof(e);
            if ((rc = get(c, e, n, &round)) || (rc = get(c, 0, in.len - n, &round)))
                return rc;
            size_t m = n && e[n - 1] == '\0' ? n - 1 : n;
            for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
                if (same(e, errnos[i].name, m)) {
                    fail3(c, errnos[i].err, "xenstore: ", path, ": ");
                    return append(c, errnos[i].err, errnos[i].name);
                }
            return fail(c, -5, "xenstore: an error answer that names no errno: ", path);
        }
        if (in.type != type)
            return fail(c, -5, "xenstore: an answer of another type than the request: ", path);
        if (in.len >= cap) {
            if ((rc = get(c, 0, in.len, &round)))
                return rc;
            return fail(c, -90, "xenstore: value too long for its buffer: ", path);
        }
        if ((rc = get(c, buf, in.len, &round)))
            return rc;
        buf[in.len] = '\0';
        return (int)in.len;
    }
}

int xs_read(struct xs_client *c, const char *path, char *buf, size_t cap)
{
    return request(c, XS_READ, path, path, slen(path) + 1, 0, 0, buf, cap);
}

int xs_write(struct xs_client *c, const char *path, const char *value)
{
    char ok[4];
    int rc = request(c, XS_WRITE, path, path, slen(path) + 1, value, slen(value), ok, sizeof(ok));
    return rc < 0 ? rc : 0;
}

int xs_directory(struct xs_client *c, const char *path, char *buf, size_t cap)
{
    return request(c, XS_DIRECTORY, path, path, slen(path) + 1, 0, 0, buf, cap);
}

/* The decimal number at s (xenstored's transaction id), or 0 when it is none. */
static uint32_t number(const char *s)
{
    uint64_t v = 0;
    if (!*s)
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || (v = v * 10 + (uint64_t)(*s - '0')) > UINT32_MAX)
            return 0;
    }
    return (uint32_t)v;
}

int xs_transaction_start(struct xs_client *c)
{
    char id[16];
    c->tx = 0;
    int rc = request(c, XS_TRANSACTION_START, "(transaction)", "", 1, 0, 0, id, sizeof(id));
    if (rc < 0)
        return rc;
    if (!(c->tx = number(id)))
        return fail(c, -5, "xenstore: a transaction id that is no number: ", id);
    return 0;
}

int xs_transaction_end(struct xs_client *c, int abort)
{
    char ok[4];
    int rc =
        request(c, XS_TRANSACTION_END, "(transaction)", abort ? "F" : "T", 2, 0, 0, ok, sizeof(ok));
    c->tx = 0;
    return rc < 0 ? rc : 0;
}

static int watch_op(struct xs_client *c, uint32_t type, const char *path, const char *token)
{
    char ok[4];
    uint32_t tx = c->tx;
    c->tx = 0; /* watches are not part of transactions */
    int rc = request(c, type, path, path, slen(path) + 1, token, slen(token) + 1, ok, sizeof(ok));
    c->tx = tx;
    return rc < 0 ? rc : 0;
}

int xs_watch(struct xs_client *c, const char *path, const char *token)
{
    return watch_op(c, XS_WATCH, path, token);
}

int xs_unwatch(struct xs_client *c, const char *path, const char *token)
{
    return watch_op(c, XS_UNWATCH, path, token);
}

static int copy_event(struct xs_client *c, char *buf, size_t cap)
{
    size_t n = slen(c->events[0]);
    if (n >= cap)
        n = cap - 1;
    for (size_t i = 0; i < n; i++)
        buf[i] = c->events[0][i];
    buf[n] = '\0';
    for (unsigned k = 1; k < c->nevents; k++)
        for (size_t i = 0; i < XS_EVENT_PATH; i++)
            c->events[k - 1][i] = c->events[k][i];
    c->nevents--;
    return (int)n;
}

int xs_watch_next(struct xs_client *c, char *buf, size_t cap)
{
    uint32_t round = 0;
    while (!c->nevents) {
        struct xsd_sockmsg in;
        int rc = get(c, (char *)&in, sizeof(in), &round);
        if (rc == -110)
            return fail(c, -110, "xenstore: no watch event came", 0);
        if (rc)
            return rc;
        if (in.len > XS_PAYLOAD_MAX)
            return fail(c, -5, "xenstore: a message says it is longer than 4096 bytes", 0);
        if (in.type == XS_WATCH_EVENT)
            rc = keep_event(c, in.len, &round);
        else
            rc = get(c, 0, in.len, &round); /* a late answer to a request that gave up */
        if (rc)
            return rc;
    }
    return copy_event(c, buf, cap);
}
