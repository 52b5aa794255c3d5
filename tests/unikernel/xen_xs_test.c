/* xen_xs_test.c — the xen platform's xenstore client (unikernel/platform/xen/xs.c) against a fake
 * xenstored run from the client's wait hook: reads and writes across the rings' wrap, xenstored's
 * errors by name, watch events and stale answers read past; and a backend that breaks the
 * protocol (indexes out of range, an oversized answer, an answer of another type, an error
 * naming no errno, silence) ends each request with a message, never a hang. */
#include <stdlib.h>
#include <string.h>

#include "tests/harness.h"
#include "unikernel/platform/xen/xs.c"

static struct xenstore_domain_interface ring;

/* What the fake does with the next request. */
enum fake_mode {
    F_OK,          /* answers: READ the value of its table, WRITE "OK" */
    F_SILENT,      /* never answers */
    F_BAD_PROD,    /* rsp_prod jumps 2000 bytes ahead */
    F_BIG,         /* an answer whose header says 5000 bytes */
    F_OTHER_TYPE,  /* answers XS_DIRECTORY */
    F_BAD_ERROR,   /* XS_ERROR "EWHAT" */
    F_EVENT_FIRST, /* a watch event and an answer to another id before the real one */
};
static struct {
    enum fake_mode mode;
    uint32_t rounds;
    char last_path[64], last_value[64];
    int answered;
} fake;

static void rsp_put(const void *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        ring.rsp[(ring.rsp_prod + i) & (XS_RING_SIZE - 1)] = ((const char *)p)[i];
    ring.rsp_prod += n;
}

static void answer(uint32_t type, uint32_t id, const char *body, uint32_t len)
{
    struct xsd_sockmsg h = {.type = type, .req_id = id, .len = len};
    rsp_put(&h, sizeof(h));
    rsp_put(body, len);
}

static void req_get(void *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        ((char *)p)[i] = ring.req[(ring.req_cons + i) & (XS_RING_SIZE - 1)];
    ring.req_cons += n;
}

/* The fake xenstored: takes one whole request when there is one, and answers by fake.mode. */
static void fake_serve(void)
{
    struct xsd_sockmsg h;
    if (fake.answered || ring.req_prod - ring.req_cons < sizeof(h))
        return;
    uint32_t c0 = ring.req_cons;
    req_get(&h, sizeof(h));
    if (ring.req_prod - ring.req_cons < h.len) { /* not all there yet */
        ring.req_cons = c0;
        return;
    }
    char body[XS_PAYLOAD_MAX + 1] = {0};
    req_get(body, h.len);
    fake.answered = 1;
    snprintf(fake.last_path, sizeof(fake.last_path), "%s", body);
    size_t pl = strlen(body) + 1;
    snprintf(fake.last_value, sizeof(fake.last_value), "%.*s", (int)(h.len - pl), body + pl);
    switch (fake.mode) {
    case F_SILENT: return;
    case F_BAD_PROD: ring.rsp_prod += 2000; return;
    case F_BIG: {
        struct xsd_sockmsg b = {.type = h.type, .req_id = h.req_id, .len = 5000};
        rsp_put(&b, sizeof(b));
        return;
    }
    case F_OTHER_TYPE: answer(XS_DIRECTORY, h.req_id, "a\0", 2); return;
    case F_BAD_ERROR: answer(XS_ERROR, h.req_id, "EWHAT", 6); return;
    case F_EVENT_FIRST:
        answer(XS_WATCH_EVENT, 0, "x\0tok\0", 6);
        answer(h.type, h.req_id + 100, "stale", 5);
        break;
    case F_OK: break;
    }
    if (h.type == XS_WRITE)
        answer(XS_WRITE, h.req_id, "OK", 3);
    else if (!strcmp(body, "name"))
        answer(XS_READ, h.req_id, "hello", 5);
    else if (!strcmp(body, "long"))
        answer(XS_READ, h.req_id, "0123456789abcdef0123", 20);
    else
        answer(XS_ERROR, h.req_id, "ENOENT", 7);
}

static void notify(void *arg)
{
    (void)arg;
    fake_serve();
}

static int wait_hook(void *arg, uint32_t round)
{
    (void)arg;
    fake.rounds++;
    fake_serve();
    return round < 1000 ? 0 : -1;
}

static struct xs_client client(enum fake_mode m, uint32_t start)
{
    memset(&ring, 0, sizeof(ring));
    ring.req_cons = ring.req_prod = ring.rsp_cons = ring.rsp_prod = start;
    memset(&fake, 0, sizeof(fake));
    fake.mode = m;
    return (struct xs_client){.r = &ring, .notify = notify, .wait = wait_hook};
}

static void reads_and_writes(void)
{
    char buf[32];
    /* start near the rings' end and near 2^32: requests and answers wrap */
    uint32_t starts[] = {0, 1020, 0xfffffff8u};
    for (size_t i = 0; i < 3; i++) {
        struct xs_client c = client(F_OK, starts[i]);
        T_EQ_INT(xs_read(&c, "name", buf, sizeof(buf)), 5);
        T_EQ_STR(buf, "hello");
        fake.answered = 0;
        T_EQ_INT(xs_write(&c, "data/x", "42"), 0);
        T_EQ_STR(fake.last_path, "data/x");
        T_EQ_STR(fake.last_value, "42");
        fake.answered = 0;
        T_EQ_INT(xs_read(&c, "missing", buf, sizeof(buf)), -2);
        T_EQ_STR(c.why, "xenstore: missing: ENOENT");
    }
    struct xs_client c = client(F_EVENT_FIRST, 0);
    T_EQ_INT(xs_read(&c, "name", buf, sizeof(buf)), 5);
    T_EQ_STR(buf, "hello");
    T_EQ_INT(ring.rsp_cons,
             ring.rsp_prod); /* everything read, the event and the stale answer too */
    c = client(F_OK, 0);
    T_EQ_INT(xs_read(&c, "long", buf, 8), -90);
    T_EQ_STR(c.why, "xenstore: value too long for its buffer: long");
    T_EQ_INT(ring.rsp_cons, ring.rsp_prod);
}

static void broken_backends(void)
{
    char buf[32];
    struct {
        enum fake_mode m;
        int rc;
        const char *why;
    } cases[] = {
        {F_SILENT, -110, "xenstore: no answer from xenstored"},
        {F_BAD_PROD, -5,
         "xenstore: response ring: rsp_prod is more than the ring's 1024 bytes from rsp_cons"},
        {F_BIG, -5, "xenstore: an answer says it is longer than 4096 bytes: name"},
        {F_OTHER_TYPE, -5, "xenstore: an answer of another type than the request: name"},
        {F_BAD_ERROR, -5, "xenstore: an error answer that names no errno: name"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct xs_client c = client(cases[i].m, 0);
        memset(buf, 'z', sizeof(buf));
        T_EQ_INT(xs_read(&c, "name", buf, sizeof(buf)), cases[i].rc);
        T_EQ_STR(c.why, cases[i].why);
        T_CHECK(fake.rounds <= 1001); /* bounded by the wait hook, never a hang */
    }
    /* a request ring whose req_cons is past req_prod: refused before anything is written */
    struct xs_client c = client(F_OK, 0);
    ring.req_cons = 5000;
    T_EQ_INT(xs_read(&c, "name", buf, sizeof(buf)), -5);
    T_EQ_STR(c.why,
             "xenstore: request ring: req_cons is more than the ring's 1024 bytes from req_prod");
    T_EQ_INT(ring.req_prod, 0);
}

int main(void)
{
    T_RUN(reads_and_writes);
    T_RUN(broken_backends);
    return T_DONE();
}
