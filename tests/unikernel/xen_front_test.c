/* xen_front_test.c — the xen platform's event channels, grant table, xenbus, netfront and blkfront
 * (unikernel/platform/xen/) against a fake xenstored and fake backends run from the frontends'
 * hooks: the connection handshake, frames and block requests through the rings and grants; and
 * hostile backends — entries missing, a backend that never connects or closes, ring indexes past
 * the requests made, response ids out of range or not posted, sizes past a page, responses of
 * another operation, grant references reserved or still mapped — each ending with a message
 * naming what was wrong, never a hang or a write outside the rings and buffers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tests/harness.h"
#include "unikernel/drivers/blkdev.c"
#define devs  netdev_list /* blkdev.c has its own */
#define ndevs netdev_n
#define named netdev_named
#include "unikernel/drivers/netdev.c"
#undef devs
#undef ndevs
#undef named
#include "unikernel/platform/xen/blkfront.c"
#include "unikernel/platform/xen/evtchn.c"
#include "unikernel/platform/xen/gnttab.c"
#include "unikernel/platform/xen/netfront.c"
#include "unikernel/platform/xen/xenbus.c"
#include "unikernel/platform/xen/xs.c"
#include "tests/unikernel/xen_kernel_stubs.h"

/* Xen, for evtchn.c: EVTCHNOP_unmask clears the mask bit (and would raise a pending event). */
static unsigned unmasks;
static volatile struct xen_shared_info *shared;
long xen_hypercall(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3)
{
    (void)a3;
    if (nr == XEN_HC_EVENT_CHANNEL_OP && a1 == XEN_EVTCHNOP_UNMASK) {
        uint32_t port = ((struct xen_evtchn_send *)(uintptr_t)a2)->port;
        shared->evtchn_mask[port / 64] &= ~(1ull << (port % 64));
        unmasks++;
    }
    return 0;
}

/* Pages below 4 GiB (MAP_32BIT), so a frame number fits grant entries' 32 bits as in the guest. */
static uint8_t *pool;
static size_t pool_used;
#define POOL_PAGES 2048
static void *pages(unsigned n)
{
    if (pool_used + n > POOL_PAGES)
        return NULL;
    void *p = pool + pool_used * 4096;
    pool_used += n;
    memset(p, 0, n * 4096);
    return p;
}

/* ---- the fake xenstored ---- */
static struct xenstore_domain_interface xsr;
static struct {
    char k[64][96], v[64][96];
    int n;
} store;
enum be_mode { BE_CONNECTS, BE_NEVER, BE_CLOSES };
static enum be_mode be_mode;
static const char *be_path;

static char *kv_get(const char *k)
{
    for (int i = 0; i < store.n; i++)
        if (!strcmp(store.k[i], k))
            return store.v[i];
    return NULL;
}
static void kv_set(const char *k, const char *v)
{
    char *p = kv_get(k);
    if (!p) {
        snprintf(store.k[store.n], sizeof(store.k[0]), "%s", k);
        p = store.v[store.n++];
    }
    snprintf(p, sizeof(store.v[0]), "%s", v);
}
static void del(const char *k)
{
    kv_set(k, ""); /* read as ENOENT */
}

static void rsp(uint32_t type, uint32_t id, const char *body, uint32_t len)
{
    struct xsd_sockmsg h = {.type = type, .req_id = id, .len = len};
    for (uint32_t i = 0; i < sizeof(h) + len; i++)
        xsr.rsp[(xsr.rsp_prod + i) & (XS_RING_SIZE - 1)] =
            i < sizeof(h) ? ((char *)&h)[i] : body[i - sizeof(h)];
    xsr.rsp_prod += (uint32_t)sizeof(h) + len;
}

/* The backend's reaction to the frontend's state (the fake's xenbus backend). */
static void backend_react(const char *front)
{
    char k[128], bk[128];
    snprintf(k, sizeof(k), "%s/state", front);
    snprintf(bk, sizeof(bk), "%s/state", be_path);
    const char *s = kv_get(k);
    if (!s)
        return;
    if (be_mode == BE_CLOSES && s[0] >= '3')
        kv_set(bk, "6");
    else if (be_mode == BE_CONNECTS && (s[0] == '3' || s[0] == '4'))
        kv_set(bk, "4");
    rsp(XS_WATCH_EVENT, 0, bk, (uint32_t)strlen(bk) + 1);
}

static const char *cur_front;
static unsigned tx_conflicts; /* commits refused with EAGAIN before one goes through */
static void xs_serve(void)
{
    struct xsd_sockmsg h;
    while (xsr.req_prod - xsr.req_cons >= sizeof(h)) {
        for (uint32_t i = 0; i < sizeof(h); i++)
            ((char *)&h)[i] = xsr.req[(xsr.req_cons + i) & (XS_RING_SIZE - 1)];
        if (xsr.req_prod - xsr.req_cons < sizeof(h) + h.len)
            return;
        char b[XS_PAYLOAD_MAX + 2] = {0};
        for (uint32_t i = 0; i < h.len; i++)
            b[i] = xsr.req[(xsr.req_cons + sizeof(h) + i) & (XS_RING_SIZE - 1)];
        xsr.req_cons += (uint32_t)sizeof(h) + h.len;
        const char *v;
        switch (h.type) {
        case XS_READ:
            if ((v = kv_get(b)) && *v)
                rsp(XS_READ, h.req_id, v, (uint32_t)strlen(v));
            else
                rsp(XS_ERROR, h.req_id, "ENOENT", 7);
            break;
        case XS_WRITE:
            kv_set(b, b + strlen(b) + 1);
            rsp(XS_WRITE, h.req_id, "OK", 3);
            if (strstr(b, "/state"))
                backend_react(cur_front);
            break;
        case XS_WATCH:
            rsp(XS_WATCH, h.req_id, "OK", 3);
            rsp(XS_WATCH_EVENT, 0, b, (uint32_t)strlen(b) + 1);
            break;
        case XS_UNWATCH: rsp(XS_UNWATCH, h.req_id, "OK", 3); break;
        case XS_TRANSACTION_START: rsp(h.type, h.req_id, "7", 2); break;
        case XS_TRANSACTION_END:
            if (tx_conflicts && b[0] == 'T') { /* another change came between: commit refused */
                tx_conflicts--;
                rsp(XS_ERROR, h.req_id, "EAGAIN", 7);
            } else {
                rsp(h.type, h.req_id, "OK", 3);
            }
            break;
        default: rsp(XS_ERROR, h.req_id, "EINVAL", 7);
        }
    }
}
static uint32_t xs_rounds;
static void xs_notify_fake(void *arg)
{
    (void)arg;
    xs_serve();
}
static int xs_wait_fake(void *arg, uint32_t round)
{
    (void)arg;
    xs_rounds++;
    xs_serve();
    return round < 20 ? 0 : -1;
}

/* ---- the environment ---- */
static struct grant_entry_v1 *gtab;
static uint32_t gnext[4 * GNTTAB_PER_PAGE];
static struct gnttab gt;
static struct xs_client xs;
static uint32_t bound_port;
static unsigned notifies;
static int alloc_port(uint16_t remote, uint32_t *port)
{
    (void)remote;
    *port = 9;
    return 0;
}
static int bind_port(uint32_t port, void (*fn)(uint32_t, void *), void *arg)
{
    (void)fn, (void)arg;
    bound_port = port;
    return 0;
}
static void notify(uint32_t port)
{
    (void)port;
    notifies++;
}
static struct xen_env env = {.xs = &xs,
                             .gt = &gt,
                             .pages = pages,
                             .port_alloc = alloc_port,
                             .port_bind = bind_port,
                             .notify = notify,
                             .rounds = 6};

/* The page a grant reference gives the backend, checked as the hypervisor would. */
static uint8_t *granted(uint32_t ref, int write)
{
    if (ref < GNTTAB_RESERVED || ref >= gt.n)
        return NULL;
    struct grant_entry_v1 e = gtab[ref];
    if (!(e.flags & GTF_permit_access) || (write && (e.flags & GTF_readonly)) || e.domid != 0)
        return NULL;
    return (uint8_t *)((uintptr_t)e.frame << 12);
}

static void reset(const char *front, const char *back, enum be_mode m)
{
    memset(&xsr, 0, sizeof(xsr));
    memset(&store, 0, sizeof(store));
    pool_used = 0;
    memset(gtab, 0, 4 * 4096);
    gnttab_init(&gt, gtab, gnext, 4 * GNTTAB_PER_PAGE);
    xs = (struct xs_client){.r = &xsr, .notify = xs_notify_fake, .wait = xs_wait_fake};
    be_mode = m, be_path = back, cur_front = front;
    xs_rounds = 0, notifies = 0, bound_port = 0;
    char k[128];
    snprintf(k, sizeof(k), "%s/backend", front);
    kv_set(k, back);
    snprintf(k, sizeof(k), "%s/backend-id", front);
    kv_set(k, "0");
    snprintf(k, sizeof(k), "%s/state", back);
    kv_set(k, "2");
}
static void bset(const char *key, const char *v)
{
    char k[128];
    snprintf(k, sizeof(k), "%s/%s", be_path, key);
    kv_set(k, v);
}
static void fset(const char *key, const char *v)
{
    char k[128];
    snprintf(k, sizeof(k), "%s/%s", cur_front, key);
    kv_set(k, v);
}

#define VIF  "device/vif/0"
#define VIFB "/local/domain/0/backend/vif/1/0"
#define VBD  "device/vbd/768"
#define VBDB "/local/domain/0/backend/vbd/1/768"

static struct netfront nf;
static void vif(enum be_mode m)
{
    reset(VIF, VIFB, m);
    fset("mac", "00:16:3e:01:02:03");
    bset("feature-rx-copy", "1");
    bset("feature-sg", "1");
}

/* ---- event channels: the upcall's scan over shared_info ---- */
static unsigned fired[200];
static void on_event(uint32_t port, void *arg)
{
    (void)arg;
    fired[port]++;
}

static void event_channels(void)
{
    static struct xen_shared_info si;
    shared = &si;
    evtchn_init(&si);
    T_EQ_INT(si.evtchn_mask[0], ~0ull); /* everything masked until bound */
    T_EQ_INT(evtchn_bind(3, on_event, 0), 0);
    T_EQ_INT(evtchn_bind(130, on_event, 0), 0);
    T_EQ_INT(evtchn_bind(EVTCHN_PORTS, on_event, 0), -22);
    T_EQ_INT(unmasks, 2);
    /* pending: 3 and 130 (bound), 5 (not bound, masked), 70 (unmasked but no handler) */
    si.evtchn_pending[0] = 1ull << 3 | 1ull << 5;
    si.evtchn_pending[1] = 1ull << 6;
    si.evtchn_pending[2] = 1ull << 2;
    si.evtchn_mask[1] &= ~(1ull << 6);
    si.vcpu_info[0].evtchn_pending_sel = 7;
    si.vcpu_info[0].evtchn_upcall_pending = 1;
    T_EQ_INT(evtchn_upcall(), 2);
    T_EQ_INT(fired[3], 1);
    T_EQ_INT(fired[130], 1);
    T_EQ_INT(fired[5], 0);
    T_EQ_INT(si.evtchn_pending[0], 1ull << 5); /* a masked port stays pending */
    T_EQ_INT(si.evtchn_pending[2], 0);
    T_EQ_INT(si.vcpu_info[0].evtchn_upcall_pending, 0);
    T_EQ_INT(si.vcpu_info[0].evtchn_pending_sel, 0);
    T_CHECK(si.evtchn_mask[1] & (1ull << 6)); /* the port without a handler got masked */
    T_EQ_INT(evtchn_upcall(), 0);             /* nothing more: no handler runs twice */
    evtchn_mask(3);
    si.evtchn_pending[0] |= 1ull << 3;
    si.vcpu_info[0].evtchn_pending_sel = 1;
    si.vcpu_info[0].evtchn_upcall_pending = 1;
    T_EQ_INT(evtchn_upcall(), 0);
    T_EQ_INT(fired[3], 1);
}

/* ---- grant table ---- */
static void grants(void)
{
    reset(VIF, VIFB, BE_CONNECTS);
    uint32_t before = gt.nfree;
    int r = gnttab_grant(&gt, 0, 0x1234, 1);
    T_CHECK(r >= GNTTAB_RESERVED);
    T_EQ_INT(gtab[r].frame, 0x1234);
    T_EQ_INT(gtab[r].flags, GTF_permit_access | GTF_readonly);
    T_EQ_INT(gt.nfree, before - 1);
    gtab[r].flags |= GTF_reading; /* the backend has it mapped: the grant stays */
    T_EQ_INT(gnttab_end(&gt, (uint32_t)r), -16);
    T_EQ_INT(gtab[r].flags, GTF_permit_access | GTF_readonly | GTF_reading);
    gtab[r].flags &= (uint16_t)~GTF_reading;
    T_EQ_INT(gnttab_end(&gt, (uint32_t)r), 0);
    T_EQ_INT(gtab[r].flags, 0);
    T_EQ_INT(gt.nfree, before);
    T_EQ_INT(gnttab_end(&gt, (uint32_t)r), -22); /* not granted any more */
    T_EQ_INT(gnttab_end(&gt, 3), -22);           /* reserved */
    T_EQ_INT(gnttab_end(&gt, gt.n), -22);        /* past the table */
    /* every reference handed out once, then ENOSPC; the refs freed come back */
    int n = 0;
    while (gnttab_grant(&gt, 0, 1, 0) >= 0)
        n++;
    T_EQ_INT(n, (int)(gt.n - GNTTAB_RESERVED));
    T_EQ_INT(gnttab_grant(&gt, 0, 1, 0), -28);
    T_EQ_INT(gnttab_end(&gt, 100), 0);
    T_EQ_INT(gnttab_grant(&gt, 0, 1, 0), 100);
}

/* ---- xenstore transactions and watches, xenbus ---- */
static void xenbus(void)
{
    reset(VIF, VIFB, BE_NEVER);
    T_EQ_INT(xs_transaction_start(&xs), 0);
    T_EQ_INT(xs.tx, 7);
    T_EQ_INT(xs_transaction_end(&xs, 0), 0);
    T_EQ_INT(xs.tx, 0);
    T_EQ_INT(xs_watch(&xs, "a/b", "tok"), 0);
    char ev[64];
    T_EQ_INT(xs_watch_next(&xs, ev, sizeof(ev)), 3);
    T_EQ_STR(ev, "a/b");
    T_EQ_INT(xs_watch_next(&xs, ev, sizeof(ev)), -110); /* nothing more: bounded */
    T_EQ_STR(xs.why, "xenstore: no watch event came");

    struct xenbus_dev d;
    T_EQ_INT(xenbus_open(&d, &xs, VIF), 0);
    T_EQ_STR(d.back, VIFB);
    T_EQ_STR(kv_get(VIF "/state"), "1");
    T_EQ_INT(xenbus_wait(&d, XB_INITWAIT, 3), XB_INITWAIT);
    xs_rounds = 0;
    T_EQ_INT(xenbus_wait(&d, XB_CONNECTED, 3), -110);
    T_EQ_STR(d.why, "xenbus: device/vif/0: the backend stayed InitWait (waiting for Connected)");
    T_CHECK(xs_rounds < 100);
    kv_set(VIFB "/state", "6");
    T_EQ_INT(xenbus_wait(&d, XB_CONNECTED, 3), -107);
    T_EQ_STR(d.why, "xenbus: device/vif/0: the backend went Closed");
    kv_set(VIFB "/state", "x");
    T_EQ_INT(xenbus_wait(&d, XB_CONNECTED, 3), -22);
    T_EQ_STR(d.why, "xenbus: device/vif/0: not a number in the backend's state");

    /* entries missing or wrong */
    reset(VIF, VIFB, BE_CONNECTS);
    del(VIF "/backend");
    T_EQ_INT(xenbus_open(&d, &xs, VIF), -2);
    T_EQ_STR(d.why, "xenbus: device/vif/0: xenstore: device/vif/0/backend: ENOENT");
    reset(VIF, "backend/vif", BE_CONNECTS);
    T_EQ_INT(xenbus_open(&d, &xs, VIF), -22);
    T_EQ_STR(d.why, "xenbus: device/vif/0: backend is not an absolute path: backend/vif");
    reset(VIF, VIFB, BE_CONNECTS);
    kv_set(VIF "/backend-id", "zero");
    T_EQ_INT(xenbus_open(&d, &xs, VIF), -22);
    T_EQ_STR(d.why, "xenbus: device/vif/0: not a number in backend-id");
}

/* ---- netfront against a fake netback ---- */
static uint32_t btx, brx; /* the fake backend's request consumers */
static uint8_t seen[8192];
static uint32_t seen_len;

static int nf_up(void)
{
    vif(BE_CONNECTS);
    btx = brx = 0;
    return netfront_open(&nf, &env, VIF);
}

/* The fake netback takes one frame's TX requests (a chain: the first says the whole size) into
   seen, checking each grant as Xen would; responds to each. */
static void back_tx(void)
{
    struct netif_tx_request q[NETDEV_SEGS + 1];
    unsigned n = 0;
    while (btx != nf.tx->h.req_prod && n < NETDEV_SEGS + 1) {
        q[n] = nf.tx->ring[btx++ & 255].req;
        nf.tx->ring[nf.tx->h.rsp_prod & 255].rsp = (struct netif_tx_response){q[n].id, 0};
        nf.tx->h.rsp_prod++;
        if (!(q[n++].flags & NETTXF_more_data))
            break;
    }
    uint32_t rest = 0;
    for (unsigned k = 1; k < n; k++)
        rest += q[k].size;
    seen_len = 0;
    for (unsigned k = 0; k < n; k++) {
        uint8_t *pg = granted(q[k].gref, 0);
        T_CHECK(pg != NULL);
        T_CHECK(granted(q[k].gref, 1) == NULL); /* TX buffers are granted read-only */
        uint32_t len = k ? q[k].size : q[0].size - rest;
        if (pg)
            memcpy(seen + seen_len, pg + q[k].offset, len);
        seen_len += len;
    }
}

/* The fake netback fills the next RX buffer with len bytes of d at offset off. */
static void back_rx(const uint8_t *d, uint32_t len, uint16_t off, uint16_t flags)
{
    struct netif_rx_request q = nf.rx->ring[brx++ & 255].req;
    uint8_t *pg = granted(q.gref, 1);
    T_CHECK(pg != NULL);
    memcpy(pg + off, d, len);
    nf.rx->ring[nf.rx->h.rsp_prod & 255].rsp =
        (struct netif_rx_response){q.id, off, flags, (int16_t)len};
    nf.rx->h.rsp_prod++;
}

static uint8_t got[8192];
static uint32_t got_len, got_n;
static void rx_fn(void *arg, const void *frame, uint32_t len, unsigned flags)
{
    (void)arg, (void)flags;
    memcpy(got, frame, len);
    got_len = len;
    got_n++;
}

static void netfront(void)
{
    T_EQ_INT(nf_up(), 0);
    T_EQ_STR(kv_get(VIF "/state"), "4");
    T_EQ_STR(kv_get(VIF "/request-rx-copy"), "1");
    T_EQ_STR(kv_get(VIF "/feature-no-csum-offload"), "1");
    T_EQ_INT(bound_port, 9);
    T_EQ_STR(kv_get(VIF "/event-channel"), "9");
    T_EQ_INT(nf.nd.mac[5], 3);
    T_EQ_INT(nf.sg, 1);
    T_EQ_INT(nf.rx->h.req_prod, NF_SLOTS); /* every receive buffer posted */

    /* a frame in two pieces: two slots, chained; the first says the whole size */
    uint8_t a[60], b[900];
    for (unsigned i = 0; i < sizeof(a); i++)
        a[i] = (uint8_t)i;
    for (unsigned i = 0; i < sizeof(b); i++)
        b[i] = (uint8_t)(i * 3);
    struct netdev_seg sg[2] = {{a, sizeof(a)}, {b, sizeof(b)}};
    struct netdev_frame f = {.seg = sg, .nseg = 2};
    T_EQ_INT(nf.nd.ops->send(&nf.nd, &f, 1), 1);
    T_EQ_INT(nf.tx->h.req_prod, 2);
    T_EQ_INT(nf.tx->ring[0].req.size, 960);
    T_EQ_INT(nf.tx->ring[0].req.flags, NETTXF_more_data);
    T_EQ_INT(nf.tx->ring[1].req.size, 900);
    T_EQ_INT(nf.nd.ops->tx_pending(&nf.nd), 2);
    back_tx();
    T_EQ_INT(seen_len, 960);
    T_CHECK(!memcmp(seen, a, 60) && !memcmp(seen + 60, b, 900));
    T_EQ_INT(nf.nd.ops->tx_pending(&nf.nd), 0);

    /* received: one slot, then one frame in two slots (more_data) put together */
    uint8_t pkt[3000];
    for (unsigned i = 0; i < sizeof(pkt); i++)
        pkt[i] = (uint8_t)(i ^ 0x5a);
    back_rx(pkt, 100, 10, NETRXF_data_validated);
    T_EQ_INT(nf.nd.ops->poll(&nf.nd, rx_fn, 0, 8), 1);
    T_EQ_INT(got_len, 100);
    T_CHECK(!memcmp(got, pkt, 100));
    back_rx(pkt, 2000, 0, NETRXF_more_data);
    back_rx(pkt + 2000, 1000, 0, 0);
    T_EQ_INT(nf.nd.ops->poll(&nf.nd, rx_fn, 0, 8), 1);
    T_EQ_INT(got_len, 3000);
    T_CHECK(!memcmp(got, pkt, 3000));
    T_EQ_INT(nf.rx->h.req_prod - nf.rx_cons, NF_SLOTS); /* reposted */
    /* a chain whose first piece is empty, polled with a budget of 1: still one whole frame */
    back_rx(pkt, 0, 0, NETRXF_more_data);
    back_rx(pkt, 1000, 0, NETRXF_more_data);
    back_rx(pkt + 1000, 500, 0, 0);
    T_EQ_INT(nf.nd.ops->poll(&nf.nd, rx_fn, 0, 1), 1);
    T_EQ_INT(got_len, 1500);
    T_CHECK(!memcmp(got, pkt, 1500));
    T_EQ_INT(nf.rx_cons, nf.rx->h.rsp_prod);
    /* the ring wraps: 300 frames, each one slot */
    got_n = 0;
    for (int i = 0; i < 300; i++) {
        back_rx(pkt, 64, 0, 0);
        T_EQ_INT(nf.nd.ops->poll(&nf.nd, rx_fn, 0, 8), 1);
    }
    T_EQ_INT(got_n, 300);
    T_CHECK(nf.nd.failed == NULL);
}

static void netfront_hostile(void)
{
    static uint8_t pkt[256];
    struct {
        const char *why;
    } c[] = {
        {"netfront device/vif/0: rx rsp_prod is past the buffers posted (rsp_prod, req_prod) "
         "(65, 64)"},
        {"netfront device/vif/0: rx response id is not the buffer posted there (id, expected) "
         "(5, 0)"},
        {"netfront device/vif/0: rx response past its page (offset, size) (4000, 200)"},
        {"netfront device/vif/0: tx response for an id not in flight (id, index) (200, 0)"},
        {"netfront device/vif/0: rx response with extra info, which was not asked for (flags, "
         "id) (8, 0)"},
        {"netfront device/vif/0: tx rsp_prod is past the requests made (rsp_prod, req_prod) "
         "(1, 0)"},
    };
    for (int i = 0; i < 6; i++) {
        T_EQ_INT(nf_up(), 0);
        switch (i) {
        case 0: nf.rx->h.rsp_prod = NF_SLOTS + 1; break;
        case 1:
            back_rx(pkt, 64, 0, 0);
            nf.rx->ring[0].rsp.id = 5;
            break;
        case 2: back_rx(pkt, 200, 4000 - 4000, 0), nf.rx->ring[0].rsp.offset = 4000; break;
        case 3:
            nf.tx->ring[0].rsp = (struct netif_tx_response){200, 0};
            nf.tx->h.rsp_prod = 1;
            nf.tx_prod = 1; /* as though one request were out */
            break;
        case 4: back_rx(pkt, 64, 0, NETRXF_extra_info); break;
        case 5: nf.tx->h.rsp_prod = 1; break;
        }
        uint8_t before[sizeof(struct nf_rx_sring)];
        memcpy(before, (const void *)nf.rx, sizeof(before));
        T_EQ_INT(nf.nd.ops->poll(&nf.nd, rx_fn, 0, 8), -5);
        T_EQ_STR(nf.nd.failed ? nf.nd.failed : "(none)", c[i].why);
        T_CHECK(!memcmp(before, (const void *)nf.rx, sizeof(before))); /* nothing reposted */
        T_EQ_INT(
            nf.nd.ops->send(
                &nf.nd, &(struct netdev_frame){.seg = &(struct netdev_seg){pkt, 64}, .nseg = 1}, 1),
            -5);
        T_EQ_INT(nf.nd.ops->arm(&nf.nd), -5);
    }
}

static void netfront_setup_fails(void)
{
    /* commits refused twice: the transaction is started again and the device comes up */
    vif(BE_CONNECTS);
    tx_conflicts = 2;
    T_EQ_INT(netfront_open(&nf, &env, VIF), 0);
    T_EQ_INT(tx_conflicts, 0);
    /* refused every time: given up after 5, named */
    vif(BE_CONNECTS);
    tx_conflicts = 100;
    T_EQ_INT(netfront_open(&nf, &env, VIF), -11);
    T_EQ_STR(nf.failed, "xenbus: device/vif/0: xenstore: (transaction): EAGAIN");
    T_EQ_INT(tx_conflicts, 95);
    tx_conflicts = 0;
    vif(BE_CONNECTS);
    del(VIF "/mac");
    T_CHECK(netfront_open(&nf, &env, VIF) < 0);
    T_EQ_STR(nf.failed, "xenbus: device/vif/0: xenstore: device/vif/0/mac: ENOENT");
    vif(BE_CONNECTS);
    fset("mac", "00:16:3e:01:02");
    T_CHECK(netfront_open(&nf, &env, VIF) < 0);
    T_EQ_STR(nf.failed, "netfront device/vif/0: mac \"00:16:3e:01:02\" is no MAC address");
    vif(BE_CONNECTS);
    del(VIFB "/feature-rx-copy");
    T_EQ_INT(netfront_open(&nf, &env, VIF), -95);
    T_EQ_STR(nf.failed, "netfront device/vif/0: the backend does not offer feature-rx-copy "
                        "(receive by copy, the only mode this frontend has)");
    vif(BE_NEVER);
    xs_rounds = 0;
    T_EQ_INT(netfront_open(&nf, &env, VIF), -110);
    T_EQ_STR(nf.failed,
             "xenbus: device/vif/0: the backend stayed InitWait (waiting for Connected)");
    T_CHECK(xs_rounds < 200);
    T_EQ_STR(kv_get(VIF "/state"), "5"); /* the frontend gave up: Closing */
    vif(BE_CLOSES);
    T_EQ_INT(netfront_open(&nf, &env, VIF), -107);
    T_EQ_STR(nf.failed, "xenbus: device/vif/0: the backend went Closed");
    T_EQ_STR(kv_get(VIF "/state"), "6");
}

/* ---- blkfront against a fake blkback over a 1 MiB disk ---- */
static struct blkfront bf;
static uint8_t disk[1 << 20];
static uint32_t bcons;
static int back_flushes;

static int bf_up(const char *ssize, const char *info)
{
    reset(VBD, VBDB, BE_CONNECTS);
    bset("sectors", "2048");
    if (ssize)
        bset("sector-size", ssize);
    if (info)
        bset("info", info);
    bset("feature-flush-cache", "1");
    bcons = 0, back_flushes = 0;
    return blkfront_open(&bf, &env, VBD);
}

/* The fake blkback: every request, through its grants, on disk. */
static void back_blk(void)
{
    for (; bcons != bf.ring->h.req_prod; bcons++) {
        struct blkif_request q = bf.ring->ring[bcons & 31].req;
        int16_t st = 0;
        uint64_t off = q.sector_number * 512;
        for (unsigned k = 0; k < q.nr_segments; k++) {
            uint8_t *pg = granted(q.seg[k].gref, q.operation == BLKIF_OP_READ);
            uint32_t n = (uint32_t)(q.seg[k].last_sect - q.seg[k].first_sect + 1) * 512;
            if (!pg || off + n > sizeof(disk)) {
                st = -1;
                break;
            }
            if (q.operation == BLKIF_OP_READ)
                memcpy(pg + q.seg[k].first_sect * 512, disk + off, n);
            else
                memcpy(disk + off, pg + q.seg[k].first_sect * 512, n);
            off += n;
        }
        if (q.operation == BLKIF_OP_FLUSH_DISKCACHE)
            back_flushes++;
        struct blkif_response r = {.id = q.id, .operation = q.operation, .status = st};
        bf.ring->ring[bf.ring->h.rsp_prod & 31].rsp = r;
        bf.ring->h.rsp_prod++;
    }
}

static int run1(struct blkdev_req *r)
{
    struct blkdev_req *l[1] = {r};
    int n = bf.bd.ops->submit(&bf.bd, l, 1);
    if (n < 0)
        return n;
    back_blk();
    bf.bd.ops->poll(&bf.bd);
    return r->status;
}

static void blkfront(void)
{
    T_EQ_INT(bf_up(NULL, NULL), 0);
    T_EQ_STR(kv_get(VBD "/state"), "4");
    T_EQ_STR(kv_get(VBD "/protocol"), "x86_64-abi");
    T_EQ_INT(bf.bd.sector_size, 512);
    T_EQ_INT(bf.bd.sectors, 2048);
    T_EQ_INT(bf.bd.read_only, 0);
    T_CHECK(bf.bd.caps & BLKDEV_CAP_FLUSH);
    T_EQ_INT(bf.bd.max_sectors, 64);
    static uint8_t w[32768], r[32768];
    for (unsigned i = 0; i < sizeof(w); i++)
        w[i] = (uint8_t)(i * 7 + 1);
    struct blkdev_req wr = {.op = BLKDEV_WRITE, .sector = 100, .count = 64, .buf = w};
    T_EQ_INT(run1(&wr), 0);
    T_CHECK(!memcmp(disk + 100 * 512, w, sizeof(w)));
    struct blkdev_req rd = {.op = BLKDEV_READ, .sector = 100, .count = 64, .buf = r};
    T_EQ_INT(run1(&rd), 0);
    T_CHECK(!memcmp(r, w, sizeof(w)));
    struct blkdev_req fl = {.op = BLKDEV_FLUSH};
    T_EQ_INT(run1(&fl), 0);
    T_EQ_INT(back_flushes, 1);
    struct blkdev_req past = {.op = BLKDEV_READ, .sector = 2040, .count = 16, .buf = r};
    T_EQ_INT(run1(&past), -22);
    /* 4 KiB sectors: "sectors" stays in 512-byte units */
    T_EQ_INT(bf_up("4096", NULL), 0);
    T_EQ_INT(bf.bd.sectors, 256);
    T_EQ_INT(bf.bd.max_sectors, 8);
    struct blkdev_req w4 = {.op = BLKDEV_WRITE, .sector = 3, .count = 2, .buf = w};
    T_EQ_INT(run1(&w4), 0);
    T_CHECK(!memcmp(disk + 3 * 4096, w, 8192));
    /* read-only (info bit 4): a write never reaches the ring */
    T_EQ_INT(bf_up(NULL, "4"), 0);
    T_EQ_INT(bf.bd.read_only, 1);
    uint32_t prod = bf.ring->h.req_prod;
    struct blkdev_req wro = {.op = BLKDEV_WRITE, .sector = 0, .count = 1, .buf = w};
    T_EQ_INT(run1(&wro), -30);
    T_EQ_INT(bf.ring->h.req_prod, prod);
    /* setup that fails */
    reset(VBD, VBDB, BE_CONNECTS);
    T_EQ_INT(blkfront_open(&bf, &env, VBD), -2);
    T_EQ_STR(bf.failed,
             "xenbus: device/vbd/768: xenstore: /local/domain/0/backend/vbd/1/768/sectors: ENOENT");
    T_EQ_INT(bf_up("1000", NULL), -22);
    T_EQ_STR(bf.failed,
             "blkfront device/vbd/768: sector-size 1000 is no power of two from 512 to 4096");
    reset(VBD, VBDB, BE_NEVER);
    T_EQ_INT(blkfront_open(&bf, &env, VBD), -110);
    T_EQ_STR(bf.failed,
             "xenbus: device/vbd/768: the backend stayed InitWait (waiting for Connected)");
}

static void blkfront_hostile(void)
{
    static uint8_t buf[4096];
    const char *why[] = {
        "blkfront device/vbd/768: rsp_prod is past the requests made (rsp_prod, req_prod) (2, 1)",
        "blkfront device/vbd/768: a response for an id not in flight (id, index) (99, 0)",
        "blkfront device/vbd/768: a response of another operation than its request (got, sent) "
        "(1, 0)",
    };
    for (int i = 0; i < 3; i++) {
        T_EQ_INT(bf_up(NULL, NULL), 0);
        struct blkdev_req rd = {.op = BLKDEV_READ, .sector = 0, .count = 8, .buf = buf};
        struct blkdev_req *l[1] = {&rd};
        T_EQ_INT(bf.bd.ops->submit(&bf.bd, l, 1), 1);
        memset(buf, 0xee, sizeof(buf));
        if (i == 0)
            bf.ring->h.rsp_prod = 2;
        else {
            struct blkif_response r = {.id = i == 1 ? 99 : 0, .operation = (uint8_t)(i == 2)};
            bf.ring->ring[0].rsp = r;
            bf.ring->h.rsp_prod = 1;
        }
        T_EQ_INT(bf.bd.ops->poll(&bf.bd), -5);
        T_EQ_STR(bf.bd.failed ? bf.bd.failed : "(none)", why[i]);
        T_EQ_INT(rd.status, -5); /* the request in flight failed, its buffer untouched */
        T_EQ_INT(buf[0], 0xee);
        T_EQ_INT(bf.bd.ops->submit(&bf.bd, l, 1), -5);
    }
}

int main(void)
{
    pool = mmap(NULL, POOL_PAGES * 4096, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    gtab = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pool == MAP_FAILED || gtab == MAP_FAILED) {
        printf("SKIP xen_front: no memory below 4 GiB (mmap MAP_32BIT)\n");
        return 0;
    }
    T_RUN(event_channels);
    T_RUN(grants);
    T_RUN(xenbus);
    T_RUN(netfront);
    T_RUN(netfront_hostile);
    T_RUN(netfront_setup_fails);
    T_RUN(blkfront);
    T_RUN(blkfront_hostile);
    return T_DONE();
}
