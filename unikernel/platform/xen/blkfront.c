/* unikernel/platform/xen/blkfront.c — the PV block frontend as a blkdev (see blkfront.h). */
#include "blkfront.h"

#include "console/console.h"
#include "lib/string.h"

static const char *op_name(unsigned op)
{
    return op == BLKIF_OP_READ ? "read" : op == BLKIF_OP_WRITE ? "write" : "flush";
}

/* The device stops: the backend broke the protocol; every request in flight fails. */
static int bf_fail(struct blkfront *bf, const char *what, unsigned a, unsigned b)
{
    if (!bf->bd.failed) {
        uk_snprintf(bf->failed, sizeof(bf->failed), "blkfront %s: %s (%u, %u)", bf->xb.front, what,
                    a, b);
        bf->bd.failed = bf->failed;
    }
    for (unsigned i = 0; i < BF_SLOTS; i++)
        if (bf->slot[i].req) {
            struct blkdev_req *r = bf->slot[i].req;
            bf->slot[i].req = NULL;
            blkdev_complete(&bf->bd, r, -5);
        }
    bf->inflight = 0;
    return -5;
}

static int bf_submit(struct blkdev *bd, struct blkdev_req *const *reqs, unsigned n)
{
    struct blkfront *bf = (struct blkfront *)bd;
    if (bd->failed)
        return -5;
    unsigned i, added = 0;
    for (i = 0; i < n; i++) {
        struct blkdev_req *r = reqs[i];
        int bad = blkdev_check(bd, r);
        if (bad < 0) {
            blkdev_complete(bd, r, bad);
            continue;
        }
        if (r->op == BLKDEV_FLUSH && !(bd->caps & BLKDEV_CAP_FLUSH)) {
            blkdev_complete(bd, r, 0); /* no write cache to empty */
            continue;
        }
        unsigned s = 0;
        while (s < BF_SLOTS && bf->slot[s].req)
            s++;
        if (s == BF_SLOTS || bf->prod - bf->cons >= BF_RING) {
            bd->stats.full++;
            break;
        }
        volatile struct blkif_request *q = &bf->ring->ring[bf->prod & (BF_RING - 1)].req;
        uint8_t op = r->op == BLKDEV_READ    ? BLKIF_OP_READ
                     : r->op == BLKDEV_WRITE ? BLKIF_OP_WRITE
                                             : (uint8_t)bf->flush_op;
        uint32_t bytes = op <= BLKIF_OP_WRITE ? r->count * bd->sector_size : 0;
        if (op == BLKIF_OP_WRITE)
            memcpy(bf->slot[s].data, r->buf, bytes);
        unsigned nseg = (bytes + 4095) / 4096;
        q->operation = op;
        q->nr_segments = (uint8_t)nseg;
        q->handle = 0;
        q->id = s;
        q->sector_number = op <= BLKIF_OP_WRITE ? r->sector << bf->shift : 0;
        for (unsigned k = 0; k < nseg; k++) {
            uint32_t len = bytes - k * 4096 < 4096 ? bytes - k * 4096 : 4096;
            q->seg[k].gref = bf->slot[s].gref[k];
            q->seg[k].first_sect = 0;
            q->seg[k].last_sect = (uint8_t)(len / 512 - 1);
        }
        bf->prod++;
        bf->slot[s].req = r;
        bf->slot[s].op = op;
        r->status = BLKDEV_PENDING;
        bf->inflight++;
        added++;
    }
    if (bf->inflight > bd->stats.max_inflight)
        bd->stats.max_inflight = bf->inflight;
    if (added && xen_ring_push(&bf->ring->h, bf->prod)) {
        bf->env->notify(bf->port);
        bd->stats.notifies++;
    }
    return (int)i;
}

static int bf_poll(struct blkdev *bd)
{
    struct blkfront *bf = (struct blkfront *)bd;
    if (bd->failed)
        return -5;
    uint32_t p = __atomic_load_n(&bf->ring->h.rsp_prod, __ATOMIC_ACQUIRE);
    if (p - bf->cons > bf->prod - bf->cons)
        return bf_fail(bf, "rsp_prod is past the requests made (rsp_prod, req_prod)", p, bf->prod);
    int done = 0;
    for (; bf->cons != p; bf->cons++) {
        struct blkif_response rs = bf->ring->ring[bf->cons & (BF_RING - 1)].rsp;
        if (rs.id >= BF_SLOTS || !bf->slot[rs.id].req)
            return bf_fail(bf, "a response for an id not in flight (id, index)", (unsigned)rs.id,
                           bf->cons);
        unsigned s = (unsigned)rs.id;
        if (rs.operation != bf->slot[s].op)
            return bf_fail(bf, "a response of another operation than its request (got, sent)",
                           rs.operation, bf->slot[s].op);
        struct blkdev_req *r = bf->slot[s].req;
        bf->slot[s].req = NULL;
        bf->inflight--;
        int st = rs.status == BLKIF_RSP_OKAY ? 0 : rs.status == BLKIF_RSP_EOPNOTSUPP ? -95 : -5;
        if (st == 0 && r->op == BLKDEV_READ)
            memcpy(r->buf, bf->slot[s].data, (size_t)r->count * bd->sector_size);
        if (st)
            printk("blkfront %s: %s of %u sectors at %lu: backend says %s\n", bf->xb.front,
                   op_name(rs.operation), r->count, (unsigned long)r->sector,
                   st == -95 ? "not supported" : "I/O error");
        blkdev_complete(bd, r, st);
        done++;
    }
    return done;
}

static int bf_arm(struct blkdev *bd)
{
    struct blkfront *bf = (struct blkfront *)bd;
    if (bd->failed)
        return -5;
    return xen_ring_arm(&bf->ring->h, bf->cons);
}

static const struct blkdev_ops bf_ops = {.submit = bf_submit, .poll = bf_poll, .arm = bf_arm};

void blkfront_event(uint32_t port, void *arg)
{
    (void)port;
    blkdev_irq_event(arg);
}

static int bf_open_fail(struct blkfront *bf, int rc, const char *what)
{
    uk_snprintf(bf->failed, sizeof(bf->failed), "%s", what);
    return rc;
}

/* The ring and event channel, in one xenstore transaction. */
static int bf_publish(struct blkfront *bf, uint32_t ref)
{
    char r[12], p[12];
    uk_snprintf(r, sizeof(r), "%u", ref);
    uk_snprintf(p, sizeof(p), "%u", bf->port);
    static const char *const keys[] = {"ring-ref", "event-channel", "protocol"};
    const char *const values[] = {r, p, "x86_64-abi"};
    int rc = xenbus_publish(&bf->xb, keys, values, 3);
    return rc < 0 ? bf_open_fail(bf, rc, bf->xb.why) : 0;
}

/* The backend's geometry, once it is Connected. */
static int geometry(struct blkfront *bf)
{
    uint64_t sectors, ssize = 512, info = 0, v;
    char mode[4];
    int rc = xenbus_read_u64(&bf->xb, 1, "sectors", &sectors);
    if (rc < 0)
        return bf_open_fail(bf, rc, bf->xb.why);
    if (xenbus_read_u64(&bf->xb, 1, "sector-size", &ssize) < 0)
        ssize = 512;
    if (ssize < 512 || ssize > 4096 || (ssize & (ssize - 1))) {
        uk_snprintf(bf->failed, sizeof(bf->failed),
                    "blkfront %s: sector-size %lu is no power of two from 512 to 4096",
                    bf->xb.front, (unsigned long)ssize);
        return -22;
    }
    xenbus_read_u64(&bf->xb, 1, "info", &info);
    bf->shift = (uint32_t)__builtin_ctzll(ssize / 512);
    bf->bd.sector_size = (uint32_t)ssize;
    bf->bd.sectors = sectors >> bf->shift; /* "sectors" counts 512 bytes whatever the size */
    bf->bd.read_only =
        (info & VDISK_READONLY) || (xenbus_read(&bf->xb, 1, "mode", mode, sizeof(mode)) >= 0 &&
                                    mode[0] == 'r' && mode[1] == '\0');
    if (xenbus_read_u64(&bf->xb, 1, "feature-flush-cache", &v) == 0 && v == 1)
        bf->flush_op = BLKIF_OP_FLUSH_DISKCACHE, bf->bd.caps |= BLKDEV_CAP_FLUSH;
    else if (xenbus_read_u64(&bf->xb, 1, "feature-barrier", &v) == 0 && v == 1)
        bf->flush_op = BLKIF_OP_WRITE_BARRIER, bf->bd.caps |= BLKDEV_CAP_FLUSH;
    return 0;
}

int blkfront_open(struct blkfront *bf, const struct xen_env *env, const char *front)
{
    memset(bf, 0, sizeof(*bf));
    bf->env = env;
    int rc;
    if ((rc = xenbus_open(&bf->xb, env->xs, front)) < 0)
        return bf_open_fail(bf, rc, bf->xb.why);
    if ((rc = xenbus_wait(&bf->xb, XB_INITWAIT, env->rounds)) < 0)
        goto xb_fail;
    bf->ring = env->pages(1);
    for (unsigned s = 0; s < BF_SLOTS; s++)
        if (!(bf->slot[s].data = env->pages(BF_SEGS)))
            break;
    if (!bf->ring || !bf->slot[BF_SLOTS - 1].data) {
        uk_snprintf(bf->failed, sizeof(bf->failed), "blkfront %s: out of memory", front);
        rc = -12;
        goto close;
    }
    uint16_t be = bf->xb.back_id;
    int ref = gnttab_grant(env->gt, be, xen_frame((const void *)bf->ring), 0);
    rc = ref;
    for (unsigned s = 0; s < BF_SLOTS && rc >= 0; s++)
        for (unsigned k = 0; k < BF_SEGS && rc >= 0; k++) {
            rc = gnttab_grant(env->gt, be, xen_frame(bf->slot[s].data + k * 4096), 0);
            bf->slot[s].gref[k] = (uint32_t)rc;
        }
    if (rc < 0) {
        uk_snprintf(bf->failed, sizeof(bf->failed), "blkfront %s: the grant table is full", front);
        goto close;
    }
    if ((rc = env->port_alloc(be, &bf->port)) < 0) {
        uk_snprintf(bf->failed, sizeof(bf->failed),
                    "blkfront %s: no event channel for the backend (Xen: %d)", front, rc);
        goto close;
    }
    if ((rc = bf_publish(bf, (uint32_t)ref)) < 0)
        goto close;
    if ((rc = xenbus_switch(&bf->xb, XB_INITIALISED)) < 0 ||
        (rc = xenbus_wait(&bf->xb, XB_CONNECTED, env->rounds)) < 0)
        goto xb_fail;
    if ((rc = geometry(bf)) < 0)
        goto close;
    if ((rc = env->port_bind(bf->port, blkfront_event, &bf->bd)) < 0) {
        uk_snprintf(bf->failed, sizeof(bf->failed), "blkfront %s: event channel %u: bind: %d",
                    front, bf->port, rc);
        goto close;
    }
    if ((rc = xenbus_switch(&bf->xb, XB_CONNECTED)) < 0)
        goto xb_fail;
    bf->bd.ops = &bf_ops;
    bf->bd.driver = "xen-blkfront";
    bf->bd.caps |= BLKDEV_CAP_IRQ;
    bf->bd.max_sectors = BF_SEGS * 4096 / bf->bd.sector_size;
    bf->bd.queue_depth = BF_SLOTS;
    uk_snprintf(bf->bd.bus, sizeof(bf->bd.bus), "xen %s", front);
    return 0;
xb_fail:
    bf_open_fail(bf, rc, bf->xb.why);
close:
    xenbus_close(&bf->xb);
    return rc < 0 ? rc : -22;
}
