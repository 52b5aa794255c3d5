/*
 * unikernel/drivers/nvme.c — NVMe over PCI as a blkdev: controller reset and enable, admin
 * queue pair (polled), Identify controller and namespace, one I/O queue pair (completions on
 * MSI-X entry 0, else INTx masked through INTMS until a waiter arms), PRP lists per request,
 * read, write, flush (volatile write cache) and deallocate; completions checked (command id,
 * phase) and errors printed with the NVMe status code type and code.
 */
#include "drivers/nvme.h"

#include "console/console.h"
#include "drivers/blkdev.h"
#include "interrupts/irq.h"
#include "lib/string.h"
#include "memory/memory.h"
#include "time/time.h"

#define E_IO        5
#define E_NOMEM     12
#define E_NODEV     19
#define E_INVAL     22
#define E_OPNOTSUPP 95

/* Controller registers (BAR0). */
#define R_CAP   0x00 /* u64 */
#define R_VS    0x08
#define R_INTMS 0x0c
#define R_INTMC 0x10
#define R_CC    0x14
#define R_CSTS  0x1c
#define R_AQA   0x24
#define R_ASQ   0x28 /* u64 */
#define R_ACQ   0x30 /* u64 */
#define R_DB    0x1000

#define CC_EN     1u
#define CC_IOSQES (6u << 16) /* 64-byte submission entries */
#define CC_IOCQES (4u << 20) /* 16-byte completion entries */
#define CSTS_RDY  1u
#define CSTS_CFS  2u

/* Admin and NVM opcodes. */
#define A_CREATE_SQ 0x01
#define A_CREATE_CQ 0x05
#define A_IDENTIFY  0x06
#define N_FLUSH     0x00
#define N_WRITE     0x01
#define N_READ      0x02
#define N_DSM       0x09

#define ADMIN_DEPTH 8
#define IO_DEPTH    64           /* I/O queue entries we ask for (MQES may cut it) */
#define REQ_BYTES   (256u << 10) /* data per request at most (MDTS may cut it) */
#define MAX_DISCARD 65536u       /* sectors per deallocate range */
#define ADMIN_NS    2000000000u  /* an admin command answers within 2 s */
#define ERR_PRINTS  8

struct sqe {
    uint32_t cdw0, nsid, cdw2, cdw3;
    uint64_t mptr, prp1, prp2;
    uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct cqe {
    uint32_t result, reserved;
    uint16_t sq_head, sq_id;
    uint16_t cid;
    uint16_t status; /* bit 0 phase, then SC (8 bits), SCT (3), CRD (2), M, DNR */
};

struct queue {
    volatile struct sqe *sq;
    volatile struct cqe *cq;
    volatile uint32_t *sq_db, *cq_db;
    unsigned size, sq_tail, cq_head;
    uint16_t phase;
};

struct slot {
    struct blkdev_req *req;
    uint64_t *prp;     /* this slot's PRP list page */
    uint64_t range[2]; /* a deallocate range: attributes + length, starting LBA */
};

struct nvme {
    struct blkdev bd; /* first: a struct blkdev * is a struct nvme * */
    struct pci_dev *pci;
    volatile uint8_t *regs;
    char where[32];
    uint32_t nsid;
    unsigned shift; /* sector_size = 1 << shift */
    struct queue admin, io;
    struct slot slots[IO_DEPTH];
    unsigned inflight, printed;
    int intx;
};

static uint32_t rd32(const struct nvme *n, unsigned off)
{
    return *(volatile uint32_t *)(n->regs + off);
}

static void wr32(struct nvme *n, unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(n->regs + off) = v;
}

static uint64_t rd64(const struct nvme *n, unsigned off)
{
    return rd32(n, off) | (uint64_t)rd32(n, off + 4) << 32;
}

static void wr64(struct nvme *n, unsigned off, uint64_t v)
{
    wr32(n, off, (uint32_t)v);
    wr32(n, off + 4, (uint32_t)(v >> 32));
}

/* What the NVMe specification calls a status: generic and media codes we name, else numbers. */
static const char *status_name(unsigned sct, unsigned sc)
{
    static const struct {
        uint8_t sct, sc;
        const char *name;
    } names[] = {
        {0, 0x01, "Invalid Command Opcode"},  {0, 0x02, "Invalid Field in Command"},
        {0, 0x04, "Data Transfer Error"},     {0, 0x06, "Internal Error"},
        {0, 0x07, "Command Abort Requested"}, {0, 0x0b, "Invalid Namespace or Format"},
        {0, 0x80, "LBA Out of Range"},        {0, 0x81, "Capacity Exceeded"},
        {0, 0x82, "Namespace Not Ready"},     {2, 0x80, "Write Fault"},
        {2, 0x81, "Unrecovered Read Error"},  {2, 0x86, "Access Denied"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].sct == sct && names[i].sc == sc)
            return names[i].name;
    return "unknown status";
}

static const char *op_name(unsigned op)
{
    static const char *const names[] = {"read", "write", "flush", "discard"};
    return op < 4 ? names[op] : "?";
}

static int fail(struct nvme *n, const char *why)
{
    if (!n->bd.failed) {
        n->bd.failed = why;
        printk("nvme %s: %s\n", n->where, why);
    }
    for (unsigned i = 0; i < n->io.size && i < IO_DEPTH; i++)
        if (n->slots[i].req) {
            struct blkdev_req *r = n->slots[i].req;
            n->slots[i].req = NULL;
            blkdev_complete(&n->bd, r, -E_IO);
        }
    n->inflight = 0;
    return -E_IO;
}

/* Queues an entry on q's submission queue and rings its doorbell. */
static void sq_push(struct queue *q, const struct sqe *e)
{
    q->sq[q->sq_tail] = *e;
    q->sq_tail = (q->sq_tail + 1) % q->size;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    *q->sq_db = q->sq_tail;
}

/* The next completion on q into *out (1), or 0 when none; consumed (head advanced, the doorbell not
 * yet rung). */
static int cq_pop(struct queue *q, struct cqe *out)
{
    volatile struct cqe *c = &q->cq[q->cq_head];
    uint16_t st = c->status;
    if ((st & 1) != q->phase)
        return 0;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    out->result = c->result;
    out->sq_head = c->sq_head;
    out->sq_id = c->sq_id;
    out->cid = c->cid;
    out->status = st;
    if (++q->cq_head == q->size) {
        q->cq_head = 0;
        q->phase ^= 1;
    }
    return 1;
}

/* One admin command, polled for: 0, the NVMe status (positive), or -EIO when none came. */
static int admin(struct nvme *n, struct sqe *e)
{
    static uint16_t cid;
    e->cdw0 |= (uint32_t)++cid << 16;
    sq_push(&n->admin, e);
    uint64_t until = time_monotonic_ns() + ADMIN_NS;
    struct cqe c;
    while (!cq_pop(&n->admin, &c)) {
        if (time_monotonic_ns() > until) {
            printk("nvme %s: admin command 0x%x: no completion within 2 s\n", n->where,
                   e->cdw0 & 0xff);
            return -E_IO;
        }
        __asm__ volatile("pause");
    }
    *n->admin.cq_db = n->admin.cq_head;
    if (c.cid != cid) {
        printk("nvme %s: admin command 0x%x: completion for command id %u, not %u\n", n->where,
               e->cdw0 & 0xff, c.cid, cid);
        return -E_IO;
    }
    unsigned st = c.status >> 1 & 0x7ff;
    if (st)
        printk("nvme %s: admin command 0x%x: %s (SCT %u SC 0x%02x)\n", n->where, e->cdw0 & 0xff,
               status_name(st >> 8 & 7, st & 0xff), st >> 8 & 7, st & 0xff);
    return (int)st;
}

/* The status of a request's completion: 0 or a negative errno, the first few printed. */
static int io_status(struct nvme *n, const struct blkdev_req *r, uint16_t status)
{
    unsigned sc = status >> 1 & 0xff, sct = status >> 9 & 7;
    if (!sc && !sct)
        return 0;
    if (n->printed < ERR_PRINTS) {
        n->printed++;
        printk("nvme %s: %s of %u sectors at %lu: device says %s (SCT %u SC 0x%02x)\n", n->where,
               op_name(r->op), r->count, (unsigned long)r->sector, status_name(sct, sc), sct, sc);
    }
    return sct == 0 && sc == 0x01 ? -E_OPNOTSUPP : -E_IO;
}

static int nvme_poll(struct blkdev *bd)
{
    struct nvme *n = (struct nvme *)bd;
    if (bd->failed)
        return -E_IO;
    int done = 0;
    struct cqe c;
    while (cq_pop(&n->io, &c)) {
        if (c.cid >= IO_DEPTH || c.cid >= n->io.size || !n->slots[c.cid].req) {
            static char why[80];
            uk_snprintf(why, sizeof(why),
                        "I/O completion for command id %u, which is not in flight", c.cid);
            *n->io.cq_db = n->io.cq_head;
            return fail(n, why);
        }
        struct blkdev_req *r = n->slots[c.cid].req;
        n->slots[c.cid].req = NULL;
        n->inflight--;
        blkdev_complete(bd, r, io_status(n, r, c.status));
        done++;
    }
    if (done)
        *n->io.cq_db = n->io.cq_head;
    return done;
}

static int nvme_submit(struct blkdev *bd, struct blkdev_req *const *reqs, unsigned cnt)
{
    struct nvme *n = (struct nvme *)bd;
    if (bd->failed)
        return -E_IO;
    unsigned i, added = 0;
    for (i = 0; i < cnt; i++) {
        struct blkdev_req *r = reqs[i];
        int bad = blkdev_check(bd, r);
        if (bad == 0 && (r->op == BLKDEV_READ || r->op == BLKDEV_WRITE) && ((uintptr_t)r->buf & 3))
            bad = -E_INVAL; /* NVMe data pointers are dword-aligned */
        if (bad < 0) {
            blkdev_complete(bd, r, bad);
            continue;
        }
        if (n->inflight + 1 >= n->io.size) {
            bd->stats.full++;
            break;
        }
        unsigned cid = 0;
        while (n->slots[cid].req)
            cid++;
        struct slot *s = &n->slots[cid];
        struct sqe e = {.nsid = n->nsid};
        uint32_t nlb = r->count ? r->count - 1 : 0;
        switch (r->op) {
        case BLKDEV_READ:
        case BLKDEV_WRITE: {
            uint64_t addr = (uint64_t)(uintptr_t)r->buf;
            uint64_t end = addr + ((uint64_t)r->count << n->shift);
            uint64_t page = (addr & ~(uint64_t)(PAGE_SIZE - 1)) + PAGE_SIZE;
            e.cdw0 = r->op == BLKDEV_READ ? N_READ : N_WRITE;
            e.prp1 = addr;
            if (end > page + PAGE_SIZE) { /* more than two pages: a list of the rest */
                unsigned k = 0;
                for (uint64_t p = page; p < end; p += PAGE_SIZE)
                    s->prp[k++] = p;
                e.prp2 = (uint64_t)(uintptr_t)s->prp;
            } else if (end > page) {
                e.prp2 = page;
            }
            e.cdw10 = (uint32_t)r->sector;
            e.cdw11 = (uint32_t)(r->sector >> 32);
            e.cdw12 = nlb;
            break;
        }
        case BLKDEV_DISCARD:
            e.cdw0 = N_DSM;
            s->range[0] = (uint64_t)r->count << 32; /* context attributes 0, length in LBAs */
            s->range[1] = r->sector;
            e.prp1 = (uint64_t)(uintptr_t)s->range;
            e.cdw10 = 0;       /* one range */
            e.cdw11 = 1u << 2; /* deallocate */
            break;
        default: e.cdw0 = N_FLUSH; break;
        }
        e.cdw0 |= cid << 16;
        s->req = r;
        r->status = BLKDEV_PENDING;
        n->inflight++;
        n->io.sq[n->io.sq_tail] = e;
        n->io.sq_tail = (n->io.sq_tail + 1) % n->io.size;
        added++;
    }
    if (n->inflight > bd->stats.max_inflight)
        bd->stats.max_inflight = n->inflight;
    if (added) { /* one doorbell write for the batch */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        *n->io.sq_db = n->io.sq_tail;
        bd->stats.notifies++;
    }
    return (int)i;
}

static int nvme_arm(struct blkdev *bd)
{
    struct nvme *n = (struct nvme *)bd;
    if (bd->failed)
        return -E_IO;
    if ((n->io.cq[n->io.cq_head].status & 1) == n->io.phase)
        return 1;
    if (n->intx)
        wr32(n, R_INTMC, 1); /* vector 0 unmasked: the line rises for the next completion */
    return 0;
}

static const struct blkdev_ops nvme_ops = {
    .submit = nvme_submit,
    .poll = nvme_poll,
    .arm = nvme_arm,
};

static void irq_msix(void *arg)
{
    blkdev_irq_event(arg);
}

static void irq_intx(void *arg)
{
    struct nvme *n = arg;
    /* The level stays up until the queues are emptied: masked until a waiter arms (harmless when
     * the line is shared and another function raised it: every waiter arms before it halts). */
    wr32(n, R_INTMS, 1);
    if ((n->io.cq[n->io.cq_head].status & 1) == n->io.phase)
        blkdev_irq_event(&n->bd);
}

/* Waits up to timeout_ns for CSTS.RDY to become want; 0, or -EIO. */
static int wait_ready(struct nvme *n, uint32_t want, uint64_t timeout_ns)
{
    uint64_t until = time_monotonic_ns() + timeout_ns;
    for (;;) {
        uint32_t csts = rd32(n, R_CSTS);
        if (csts == 0xffffffffu)
            return -E_IO; /* the function is gone */
        if ((csts & CSTS_RDY) == want)
            return 0;
        if (want && (csts & CSTS_CFS))
            return -E_IO;
        if (time_monotonic_ns() > until)
            return -E_IO;
        __asm__ volatile("pause");
    }
}

static int queue_alloc(struct queue *q, unsigned size)
{
    size_t sq_pages = (size * sizeof(struct sqe) + PAGE_SIZE - 1) / PAGE_SIZE;
    size_t cq_pages = (size * sizeof(struct cqe) + PAGE_SIZE - 1) / PAGE_SIZE;
    void *sq = page_alloc(sq_pages), *cq = page_alloc(cq_pages);
    if (!sq || !cq)
        return -E_NOMEM;
    memset(sq, 0, sq_pages * PAGE_SIZE);
    memset(cq, 0, cq_pages * PAGE_SIZE);
    q->sq = sq;
    q->cq = cq;
    q->size = size;
    q->sq_tail = q->cq_head = 0;
    q->phase = 1;
    return 0;
}

/* Identify (cns, nsid) into a fresh page: the page, or NULL after printing why. */
static uint8_t *identify(struct nvme *n, unsigned cns, uint32_t nsid)
{
    uint8_t *page = page_alloc(1);
    if (!page)
        return NULL;
    memset(page, 0, PAGE_SIZE);
    struct sqe e = {
        .cdw0 = A_IDENTIFY, .nsid = nsid, .prp1 = (uint64_t)(uintptr_t)page, .cdw10 = cns};
    if (admin(n, &e) != 0) {
        page_free(page, 1);
        return NULL;
    }
    return page;
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int probe_fail(struct nvme *n, const char *why, int err)
{
    printk("nvme %s: %s\n", n->where, why);
    return err;
}

int nvme_is(const struct pci_dev *d)
{
    return d->header_type == 0 && d->class_code == 0x01 && d->subclass == 0x08 &&
           d->prog_if == 0x02;
}

int nvme_probe(struct pci_dev *d)
{
    if (!nvme_is(d))
        return -E_NODEV;
    struct nvme *n = heap_alloc(sizeof(*n));
    if (!n)
        return -E_NOMEM;
    memset(n, 0, sizeof(*n));
    n->pci = d;
    uk_snprintf(n->where, sizeof(n->where), "%02x:%02x.%x", d->bus, d->slot, d->fn);
    d->claimed = 1;
    pci_enable(d);
    n->regs = (volatile uint8_t *)(uintptr_t)pci_bar_map(d, 0, 0, 0x1000);
    if (!n->regs)
        return probe_fail(n, "BAR0 is not a mapped memory BAR", -E_IO);
    uint64_t cap = rd64(n, R_CAP);
    unsigned mqes = (unsigned)(cap & 0xffff) + 1, dstrd = (unsigned)(cap >> 32 & 0xf);
    uint64_t to_ns = ((cap >> 24 & 0xff) + 1) * 500000000ull;
    if (!(cap >> 37 & 1))
        return probe_fail(n, "CAP.CSS: no NVM command set", -E_IO);
    if ((cap >> 48 & 0xf) != 0)
        return probe_fail(n, "CAP.MPSMIN above 4 KiB pages", -E_IO);
    unsigned stride = 4u << dstrd;
    volatile uint8_t *db =
        (volatile uint8_t *)(uintptr_t)pci_bar_map(d, 0, R_DB, 4 * (uint64_t)stride);
    if (!db)
        return probe_fail(n, "doorbells outside BAR0", -E_IO);

    /* Reset: whatever the firmware left (SeaBIOS runs its own queues), disabled and awaited. */
    uint32_t cc = rd32(n, R_CC);
    if (cc & CC_EN) {
        printk("nvme %s: left enabled (CC 0x%x CSTS 0x%x): reset\n", n->where, cc, rd32(n, R_CSTS));
        wr32(n, R_CC, cc & ~CC_EN);
    }
    if (wait_ready(n, 0, to_ns) < 0)
        return probe_fail(n, "CSTS.RDY stayed 1 after CC.EN=0 (controller reset)", -E_IO);

    if (queue_alloc(&n->admin, ADMIN_DEPTH) < 0 ||
        queue_alloc(&n->io, mqes < IO_DEPTH ? mqes : IO_DEPTH) < 0)
        return probe_fail(n, "out of memory for the queues", -E_NOMEM);
    n->admin.sq_db = (volatile uint32_t *)db;
    n->admin.cq_db = (volatile uint32_t *)(db + stride);
    n->io.sq_db = (volatile uint32_t *)(db + 2 * stride);
    n->io.cq_db = (volatile uint32_t *)(db + 3 * stride);
    wr32(n, R_AQA, (ADMIN_DEPTH - 1) << 16 | (ADMIN_DEPTH - 1));
    wr64(n, R_ASQ, (uint64_t)(uintptr_t)n->admin.sq);
    wr64(n, R_ACQ, (uint64_t)(uintptr_t)n->admin.cq);
    wr32(n, R_CC, CC_IOSQES | CC_IOCQES | CC_EN); /* NVM command set, 4 KiB pages */
    if (wait_ready(n, 1, to_ns) < 0)
        return probe_fail(n,
                          rd32(n, R_CSTS) & CSTS_CFS ? "controller fatal status after enable"
                                                     : "CSTS.RDY not 1 after CC.EN=1",
                          -E_IO);

    uint8_t *ctrl = identify(n, 1, 0);
    if (!ctrl)
        return probe_fail(n, "Identify controller failed", -E_IO);
    struct blkdev *bd = &n->bd;
    for (unsigned i = 0; i < 20; i++)
        bd->serial[i] = ctrl[4 + i] >= 0x20 && ctrl[4 + i] < 0x7f ? (char)ctrl[4 + i] : '?';
    for (int i = 19; i >= 0 && bd->serial[i] == ' '; i--)
        bd->serial[i] = '\0';
    unsigned mdts = ctrl[77];
    uint32_t nn = le32(ctrl + 516);
    unsigned oncs = ctrl[520] | (unsigned)ctrl[521] << 8, vwc = ctrl[525] & 1;
    page_free(ctrl, 1);

    /* The first active namespace (the list needs NVMe 1.1), else namespace 1. */
    uint8_t *list = rd32(n, R_VS) >= 0x10100 ? identify(n, 2, 0) : NULL;
    n->nsid = list && le32(list) ? le32(list) : 1;
    if (list)
        page_free(list, 1);
    if (nn == 0 || n->nsid > nn)
        return probe_fail(n, "no namespace", -E_NODEV);
    uint8_t *ns = identify(n, 0, n->nsid);
    if (!ns)
        return probe_fail(n, "Identify namespace failed", -E_NODEV);
    uint64_t nsze = le64(ns);
    uint32_t lbaf = le32(ns + 128 + 4 * (ns[26] & 0xf));
    page_free(ns, 1);
    n->shift = lbaf >> 16 & 0xff;
    if (nsze == 0)
        return probe_fail(n, "namespace inactive (size 0)", -E_NODEV);
    if (n->shift < 9 || n->shift > 12 || (lbaf & 0xffff))
        return probe_fail(n, "LBA format not 512 B to 4 KiB without metadata", -E_NODEV);
    bd->sector_size = 1u << n->shift;
    bd->sectors = nsze;
    uint64_t bytes = REQ_BYTES;
    if (mdts && mdts < 20 && (4096ull << mdts) < bytes)
        bytes = 4096ull << mdts;
    bd->max_sectors = (uint32_t)(bytes >> n->shift);
    if (vwc)
        bd->caps |= BLKDEV_CAP_FLUSH;
    if (oncs & 4) {
        bd->caps |= BLKDEV_CAP_DISCARD;
        bd->max_discard = MAX_DISCARD;
    }

    /* The I/O queue pair's interrupt: MSI-X entry 0, else INTx (masked by INTMS when it fires). */
    const char *how = "msix";
    char gsi_text[16] = "";
    if (pci_msix_enable(d) >= 1) {
        int v = irq_claim(irq_msix, bd);
        if (v < 0 || pci_msix_set(d, 0, v) < 0)
            return probe_fail(n, "no vector for MSI-X", -E_IO);
    } else {
        wr32(n, R_INTMS, 1); /* admin completions below must not hold the line up */
        int gsi = pci_intx_attach(d, irq_intx, n);
        if (gsi < 0)
            return probe_fail(n, "no interrupt (no MSI-X, no routed INTx line)", -E_IO);
        n->intx = 1;
        how = "intx gsi";
        uk_snprintf(gsi_text, sizeof(gsi_text), " %d", gsi);
    }
    size_t prp_pages = n->io.size;
    uint8_t *prp = page_alloc(prp_pages);
    if (!prp)
        return probe_fail(n, "out of memory for PRP lists", -E_NOMEM);
    for (unsigned i = 0; i < n->io.size; i++)
        n->slots[i].prp = (uint64_t *)(prp + (size_t)i * PAGE_SIZE);
    struct sqe e = {.cdw0 = A_CREATE_CQ,
                    .prp1 = (uint64_t)(uintptr_t)n->io.cq,
                    .cdw10 = (n->io.size - 1) << 16 | 1,
                    .cdw11 = 1u << 1 | 1u}; /* IV 0, IEN, PC */
    if (admin(n, &e) != 0)
        return probe_fail(n, "Create I/O Completion Queue failed", -E_IO);
    e = (struct sqe){.cdw0 = A_CREATE_SQ,
                     .prp1 = (uint64_t)(uintptr_t)n->io.sq,
                     .cdw10 = (n->io.size - 1) << 16 | 1,
                     .cdw11 = 1u << 16 | 1u}; /* CQ 1, PC */
    if (admin(n, &e) != 0)
        return probe_fail(n, "Create I/O Submission Queue failed", -E_IO);

    bd->ops = &nvme_ops;
    bd->driver = "nvme";
    bd->queue_depth = n->io.size - 1;
    bd->caps |= BLKDEV_CAP_IRQ;
    uk_snprintf(bd->bus, sizeof(bd->bus), "pci %s %s%s ns %u", n->where, how, gsi_text, n->nsid);
    if (blkdev_register(bd) < 0)
        return probe_fail(n, "more than BLKDEV_MAX block devices", -E_NODEV);
    return 0;
}

int nvme_probe_all(void)
{
    int found = 0;
    for (int i = 0; i < pci_count(); i++) {
        struct pci_dev *d = pci_get(i);
        if (nvme_is(d) && !d->claimed) {
            nvme_probe(d);
            found++;
        }
    }
    return found;
}
