/*
 * unikernel/drivers/pvscsi.c — pvscsi as blkdevs: adapter reset, one page each of request and
 * completion ring (free-running indexes in the rings-state page), the disks found by INQUIRY on
 * every target; READ(10/16), WRITE(10/16) and SYNCHRONIZE CACHE(10) on a contiguous buffer;
 * CHECK CONDITION answered from the autosense buffer, or by a REQUEST SENSE in the same slot when
 * the adapter returned none, and printed with the sense key, ASC and ASCQ; adapter errors with
 * their BTSTAT code. Completions on INTx (the status register acknowledged) and checked: a
 * context not in flight, or a producer index past the ring, fails the adapter.
 */
#include "drivers/pvscsi.h"

#include "console/console.h"
#include "drivers/blkdev.h"
#include "lib/string.h"
#include "memory/memory.h"
#include "time/time.h"

#define E_IO        5
#define E_NOMEM     12
#define E_NODEV     19
#define E_ROFS      30
#define E_OPNOTSUPP 95

#define VMW_VENDOR 0x15ad
#define PVSCSI_DEV 0x07c0

#define R_COMMAND      0x0000
#define R_COMMAND_DATA 0x0004
#define R_COMMAND_STAT 0x0008
#define R_INTR_STATUS  0x100c
#define R_INTR_MASK    0x2010
#define R_KICK_NON_RW  0x3014
#define R_KICK_RW      0x4018
#define REGS_LEN       0x5000

#define CMD_ADAPTER_RESET 1
#define CMD_SETUP_RINGS   3
#define INTR_CMPL         3u

#define F_DIR_NONE     (1u << 2)
#define F_DIR_TOHOST   (1u << 3)
#define F_DIR_TODEVICE (1u << 4)

#define REQ_ENTRIES 32  /* one page of 128-byte requests */
#define CMP_ENTRIES 128 /* one page of 32-byte completions */
#define TARGETS     16  /* targets asked at probe */
#define DISKS       8
#define REQ_BYTES   (256u << 10)
#define SENSE_LEN   96
#define SYNC_NS     2000000000u /* a probe command answers within 2 s */
#define ERR_PRINTS  8

#define SAM_GOOD            0x00
#define SAM_CHECK_CONDITION 0x02

struct req_desc {
    uint64_t context, data_addr, data_len, sense_addr;
    uint32_t sense_len, flags;
    uint8_t cdb[16];
    uint8_t cdb_len, lun[8], tag, bus, target, vcpu_hint, unused[59];
} __attribute__((packed));
_Static_assert(sizeof(struct req_desc) == 128, "request descriptor");

struct cmp_desc {
    uint64_t context, data_len;
    uint32_t sense_len;
    uint16_t host_status, scsi_status;
    uint32_t pad[2];
} __attribute__((packed));
_Static_assert(sizeof(struct cmp_desc) == 32, "completion descriptor");

struct rings_state {
    uint32_t req_prod, req_cons, req_log2;
    uint32_t cmp_prod, cmp_cons, cmp_log2;
};

struct pvs;

struct disk {
    struct blkdev bd; /* first: a struct blkdev * is a struct disk * */
    struct pvs *a;
    uint8_t target;
    unsigned printed;
};

struct slot {
    struct blkdev_req *req; /* NULL: free (or a probe command, sync_busy) */
    struct disk *disk;
    int sensing; /* a REQUEST SENSE for req's CHECK CONDITION is in flight */
    uint8_t sense[SENSE_LEN];
};

struct pvs {
    volatile uint8_t *regs;
    char where[16];
    volatile struct rings_state *rs;
    volatile struct req_desc *reqs;
    volatile struct cmp_desc *cmps;
    struct slot slots[REQ_ENTRIES];
    unsigned inflight;
    struct disk *disks[DISKS];
    unsigned ndisks;
    const char *failed;
    uint8_t sync_sense[SENSE_LEN];
};

static uint32_t rd(const struct pvs *a, unsigned off)
{
    return *(volatile uint32_t *)(a->regs + off);
}

static void wr(struct pvs *a, unsigned off, uint32_t v)
{
    *(volatile uint32_t *)(a->regs + off) = v;
}

static const char *op_name(unsigned op)
{
    static const char *const names[] = {"read", "write", "flush", "discard"};
    return op < 4 ? names[op] : "?";
}

static const char *sense_key_name(unsigned key)
{
    static const char *const names[16] = {
        "NO SENSE",       "RECOVERED ERROR", "NOT READY",      "MEDIUM ERROR",
        "HARDWARE ERROR", "ILLEGAL REQUEST", "UNIT ATTENTION", "DATA PROTECT",
        "BLANK CHECK",    "VENDOR SPECIFIC", "COPY ABORTED",   "ABORTED COMMAND",
        "(reserved)",     "VOLUME OVERFLOW", "MISCOMPARE",     "COMPLETED",
    };
    return names[key & 15];
}

/* Sense key, ASC and ASCQ from fixed (0x70/0x71) or descriptor (0x72/0x73) sense data; -1 when
 * the bytes are not sense data. */
static int parse_sense(const uint8_t *s, uint32_t len, unsigned *key, unsigned *asc, unsigned *ascq)
{
    unsigned code = s[0] & 0x7f;
    if ((code == 0x70 || code == 0x71) && len >= 14) {
        *key = s[2] & 15;
        *asc = s[12];
        *ascq = s[13];
        return 0;
    }
    if ((code == 0x72 || code == 0x73) && len >= 4) {
        *key = s[1] & 15;
        *asc = s[2];
        *ascq = s[3];
        return 0;
    }
    return -1;
}

static void fail_all(struct pvs *a, const char *why)
{
    if (!a->failed) {
        a->failed = why;
        printk("pvscsi %s: %s\n", a->where, why);
    }
    for (unsigned i = 0; i < a->ndisks; i++)
        a->disks[i]->bd.failed = why;
    for (unsigned i = 0; i < REQ_ENTRIES; i++)
        if (a->slots[i].req) {
            struct blkdev_req *r = a->slots[i].req;
            a->slots[i].req = NULL;
            blkdev_complete(&a->slots[i].disk->bd, r, -E_IO);
        }
    a->inflight = 0;
}

/* Puts one request in the ring (room checked by the caller); the kick is the caller's. */
static void ring_put(struct pvs *a, unsigned slot, uint8_t target, const uint8_t *cdb,
                     unsigned cdb_len, void *buf, uint64_t len, uint32_t dir, uint8_t *sense)
{
    uint32_t prod = a->rs->req_prod;
    volatile struct req_desc *d = &a->reqs[prod % REQ_ENTRIES];
    struct req_desc e = {
        .context = slot + 1u, /* never 0, upper half 0 */
        .data_addr = (uint64_t)(uintptr_t)buf,
        .data_len = len,
        .sense_addr = (uint64_t)(uintptr_t)sense,
        .sense_len = SENSE_LEN,
        .flags = dir,
        .cdb_len = (uint8_t)cdb_len,
        .target = target,
    };
    memcpy(e.cdb, cdb, cdb_len);
    memcpy((void *)d, &e, sizeof(e));
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    a->rs->req_prod = prod + 1;
}

/* The CDB for r on a disk of 2^shift-byte blocks: its length. */
static unsigned build_cdb(const struct blkdev_req *r, uint8_t *cdb)
{
    memset(cdb, 0, 16);
    if (r->op == BLKDEV_FLUSH) {
        cdb[0] = 0x35; /* SYNCHRONIZE CACHE(10): the whole disk */
        return 10;
    }
    int rd10 = r->sector + r->count <= 0xffffffffull && r->count <= 0xffff;
    uint8_t op = r->op == BLKDEV_READ ? (rd10 ? 0x28 : 0x88) : (rd10 ? 0x2a : 0x8a);
    cdb[0] = op;
    if (rd10) {
        for (int i = 0; i < 4; i++)
            cdb[2 + i] = (uint8_t)(r->sector >> (24 - 8 * i));
        cdb[7] = (uint8_t)(r->count >> 8);
        cdb[8] = (uint8_t)r->count;
        return 10;
    }
    for (int i = 0; i < 8; i++)
        cdb[2 + i] = (uint8_t)(r->sector >> (56 - 8 * i));
    for (int i = 0; i < 4; i++)
        cdb[10 + i] = (uint8_t)(r->count >> (24 - 8 * i));
    return 16;
}

static int pvs_submit(struct blkdev *bd, struct blkdev_req *const *reqs, unsigned n)
{
    struct disk *k = (struct disk *)bd;
    struct pvs *a = k->a;
    if (a->failed)
        return -E_IO;
    unsigned i, added = 0, rw = 0;
    for (i = 0; i < n; i++) {
        struct blkdev_req *r = reqs[i];
        int bad = blkdev_check(bd, r);
        if (bad < 0) {
            blkdev_complete(bd, r, bad);
            continue;
        }
        if (a->inflight == REQ_ENTRIES) {
            bd->stats.full++;
            break;
        }
        unsigned s = 0;
        while (a->slots[s].req)
            s++;
        struct slot *sl = &a->slots[s];
        uint8_t cdb[16];
        unsigned cdb_len = build_cdb(r, cdb);
        uint64_t len = r->op == BLKDEV_FLUSH ? 0 : (uint64_t)r->count * bd->sector_size;
        uint32_t dir = r->op == BLKDEV_READ    ? F_DIR_TOHOST
                       : r->op == BLKDEV_WRITE ? F_DIR_TODEVICE
                                               : F_DIR_NONE;
        sl->req = r;
        sl->disk = k;
        sl->sensing = 0;
        r->status = BLKDEV_PENDING;
        ring_put(a, s, k->target, cdb, cdb_len, r->buf, len, dir, sl->sense);
        a->inflight++;
        added++;
        rw |= r->op != BLKDEV_FLUSH;
    }
    if (a->inflight > bd->stats.max_inflight)
        bd->stats.max_inflight = a->inflight;
    if (added) {
        wr(a, rw ? R_KICK_RW : R_KICK_NON_RW, 0);
        bd->stats.notifies++;
    }
    return (int)i;
}

/* What a finished command means for r: 0 or a negative errno, printed (the first few); 1 when a
 * REQUEST SENSE was queued in its slot instead. */
static int outcome(struct pvs *a, unsigned s, const struct cmp_desc *c)
{
    struct slot *sl = &a->slots[s];
    struct disk *k = sl->disk;
    struct blkdev_req *r = sl->req;
    char what[96];
    int err = -E_IO;
    if (c->host_status != 0) {
        uk_snprintf(what, sizeof(what), "adapter status BTSTAT 0x%02x", c->host_status);
    } else if (sl->sensing || c->scsi_status == SAM_CHECK_CONDITION) {
        unsigned key, asc, ascq;
        uint32_t slen = sl->sensing ? (uint32_t)(c->data_len < SENSE_LEN ? c->data_len : SENSE_LEN)
                                    : (c->sense_len < SENSE_LEN ? c->sense_len : SENSE_LEN);
        if (sl->sensing && c->scsi_status != SAM_GOOD) {
            uk_snprintf(what, sizeof(what), "CHECK CONDITION; REQUEST SENSE status 0x%02x",
                        c->scsi_status);
        } else if (parse_sense(sl->sense, slen, &key, &asc, &ascq) == 0) {
            uk_snprintf(what, sizeof(what),
                        "CHECK CONDITION, sense key 0x%x (%s) ASC 0x%02x ASCQ 0x%02x", key,
                        sense_key_name(key), asc, ascq);
            if (key == 7)
                err = -E_ROFS;
            else if (key == 5 && asc == 0x20)
                err = -E_OPNOTSUPP;
        } else if (!sl->sensing) { /* no autosense: ask for it in the same slot */
            static const uint8_t cdb[6] = {0x03, 0, 0, 0, SENSE_LEN, 0};
            sl->sensing = 1;
            ring_put(a, s, k->target, cdb, 6, sl->sense, SENSE_LEN, F_DIR_TOHOST, a->sync_sense);
            wr(a, R_KICK_NON_RW, 0);
            return 1;
        } else {
            uk_snprintf(what, sizeof(what),
                        "CHECK CONDITION; REQUEST SENSE returned no sense data");
        }
    } else if (c->scsi_status != SAM_GOOD) {
        uk_snprintf(what, sizeof(what), "SCSI status 0x%02x", c->scsi_status);
    } else {
        return 0;
    }
    if (k->printed < ERR_PRINTS) {
        k->printed++;
        printk("pvscsi %s target %u: %s of %u sectors at %lu: %s\n", a->where, k->target,
               op_name(r->op), r->count, (unsigned long)r->sector, what);
    }
    return err;
}

static int pvs_poll(struct blkdev *bd)
{
    struct pvs *a = ((struct disk *)bd)->a;
    if (a->failed)
        return -E_IO;
    int done = 0;
    uint32_t cons = a->rs->cmp_cons, prod = a->rs->cmp_prod;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (prod - cons > CMP_ENTRIES) {
        fail_all(a, "completion producer index past the ring");
        return -E_IO;
    }
    for (; cons != prod; cons++) {
        struct cmp_desc c;
        memcpy(&c, (const void *)&a->cmps[cons % CMP_ENTRIES], sizeof(c)); /* read once */
        uint64_t s = c.context - 1;
        if (c.context == 0 || s >= REQ_ENTRIES || !a->slots[s].req) {
            a->rs->cmp_cons = cons + 1;
            fail_all(a, "completion for a context not in flight");
            return -E_IO;
        }
        int st = outcome(a, (unsigned)s, &c);
        if (st == 1)
            continue; /* the slot stays busy with its REQUEST SENSE */
        struct slot *sl = &a->slots[s];
        struct blkdev_req *r = sl->req;
        sl->req = NULL;
        a->inflight--;
        blkdev_complete(&sl->disk->bd, r, st);
        done++;
    }
    a->rs->cmp_cons = cons;
    return done;
}

static int pvs_arm(struct blkdev *bd)
{
    struct pvs *a = ((struct disk *)bd)->a;
    if (a->failed)
        return -E_IO;
    return a->rs->cmp_prod != a->rs->cmp_cons;
}

static const struct blkdev_ops pvs_ops = {
    .submit = pvs_submit,
    .poll = pvs_poll,
    .arm = pvs_arm,
};

static void irq_intx(void *arg)
{
    struct pvs *a = arg;
    uint32_t st = rd(a, R_INTR_STATUS);
    if (!st)
        return;               /* another function on a shared line */
    wr(a, R_INTR_STATUS, st); /* acknowledged: the line drops */
    for (unsigned i = 0; i < a->ndisks; i++)
        blkdev_irq_event(&a->disks[i]->bd);
}

/* One command at probe time (the ring otherwise idle), polled: the SCSI status, or -EIO. */
static int sync_cmd(struct pvs *a, uint8_t target, const uint8_t *cdb, unsigned cdb_len, void *buf,
                    uint32_t len)
{
    ring_put(a, 0, target, cdb, cdb_len, buf, len, len ? F_DIR_TOHOST : F_DIR_NONE, a->sync_sense);
    wr(a, R_KICK_NON_RW, 0);
    uint64_t until = time_monotonic_ns() + SYNC_NS;
    while (a->rs->cmp_prod == a->rs->cmp_cons) {
        if (time_monotonic_ns() > until) {
            printk("pvscsi %s target %u: command 0x%02x: no completion within 2 s\n", a->where,
                   target, cdb[0]);
            return -E_IO;
        }
        __asm__ volatile("pause");
    }
    uint32_t cons = a->rs->cmp_cons;
    struct cmp_desc c;
    memcpy(&c, (const void *)&a->cmps[cons % CMP_ENTRIES], sizeof(c));
    a->rs->cmp_cons = cons + 1;
    if (c.context != 1)
        return -E_IO;
    return c.host_status ? -E_IO : c.scsi_status;
}

int pvscsi_is(const struct pci_dev *d)
{
    return d->header_type == 0 && d->vendor == VMW_VENDOR && d->device == PVSCSI_DEV;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Target t's LUN 0 as a blkdev when it is a disk: 1, 0 when it is none, <0 when it failed. */
static int add_disk(struct pvs *a, uint8_t t, uint8_t *buf, int gsi)
{
    static const uint8_t inquiry[6] = {0x12, 0, 0, 0, 36, 0};
    memset(buf, 0, 64);
    if (sync_cmd(a, t, inquiry, 6, buf, 36) != SAM_GOOD)
        return 0; /* no such target (selection timeout) */
    if ((buf[0] & 0xe0) != 0 || (buf[0] & 0x1f) != 0)
        return 0; /* not a connected direct-access device */
    static const uint8_t tur[6] = {0};
    for (int i = 0; i < 3 && sync_cmd(a, t, tur, 6, NULL, 0) != SAM_GOOD; i++)
        ; /* the first answer after a reset is a UNIT ATTENTION */
    static const uint8_t cap10[10] = {0x25};
    memset(buf, 0, 64);
    if (sync_cmd(a, t, cap10, 10, buf, 8) != SAM_GOOD) {
        printk("pvscsi %s target %u: READ CAPACITY(10) failed\n", a->where, t);
        return 0;
    }
    uint64_t last = be32(buf);
    uint32_t bs = be32(buf + 4);
    if (last == 0xffffffffu) {
        static const uint8_t cap16[16] = {0x9e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0};
        memset(buf, 0, 64);
        if (sync_cmd(a, t, cap16, 16, buf, 32) != SAM_GOOD) {
            printk("pvscsi %s target %u: READ CAPACITY(16) failed\n", a->where, t);
            return 0;
        }
        last = (uint64_t)be32(buf) << 32 | be32(buf + 4);
        bs = be32(buf + 8);
    }
    if (bs < 512 || bs > 4096 || (bs & (bs - 1))) {
        printk("pvscsi %s target %u: block size %u not 512 B to 4 KiB\n", a->where, t, bs);
        return 0;
    }
    if (a->ndisks == DISKS)
        return 0;
    struct disk *k = heap_alloc(sizeof(*k));
    if (!k)
        return -E_NOMEM;
    memset(k, 0, sizeof(*k));
    k->a = a;
    k->target = t;
    struct blkdev *bd = &k->bd;
    bd->sector_size = bs;
    bd->sectors = last + 1;
    bd->max_sectors = REQ_BYTES / bs;
    bd->queue_depth = REQ_ENTRIES;
    bd->caps = BLKDEV_CAP_FLUSH | BLKDEV_CAP_IRQ;
    static const uint8_t mode_sense[6] = {0x1a, 0, 0x3f, 0, 4, 0};
    memset(buf, 0, 64);
    if (sync_cmd(a, t, mode_sense, 6, buf, 4) == SAM_GOOD)
        bd->read_only = (buf[2] & 0x80) != 0; /* WP in the device-specific parameter */
    static const uint8_t serial[6] = {0x12, 1, 0x80, 0, 64, 0};
    memset(buf, 0, 64);
    if (sync_cmd(a, t, serial, 6, buf, 64) == SAM_GOOD && buf[1] == 0x80) {
        unsigned n = buf[3] < 60 ? buf[3] : 60, j = 0;
        for (unsigned i = 0; i < n && j < sizeof(bd->serial) - 1; i++)
            if (buf[4 + i] != ' ' || j)
                bd->serial[j++] = buf[4 + i] >= 0x20 && buf[4 + i] < 0x7f ? (char)buf[4 + i] : '?';
        while (j && bd->serial[j - 1] == ' ')
            bd->serial[--j] = '\0';
    }
    bd->ops = &pvs_ops;
    bd->driver = "pvscsi";
    uk_snprintf(bd->bus, sizeof(bd->bus), "pci %s intx gsi %d target %u", a->where, gsi, t);
    a->disks[a->ndisks++] = k;
    if (blkdev_register(bd) < 0) {
        a->ndisks--;
        return -E_NODEV;
    }
    return 1;
}

int pvscsi_probe(struct pci_dev *d)
{
    if (!pvscsi_is(d))
        return -E_NODEV;
    struct pvs *a = heap_alloc(sizeof(*a));
    if (!a)
        return -E_NOMEM;
    memset(a, 0, sizeof(*a));
    uk_snprintf(a->where, sizeof(a->where), "%02x:%02x.%x", d->bus, d->slot, d->fn);
    d->claimed = 1;
    pci_enable(d);
    a->regs = (volatile uint8_t *)(uintptr_t)pci_bar_map(d, 0, 0, REGS_LEN);
    if (!a->regs) {
        printk("pvscsi %s: BAR0 is not a mapped memory BAR\n", a->where);
        return -E_IO;
    }
    wr(a, R_INTR_MASK, 0);
    wr(a, R_COMMAND, CMD_ADAPTER_RESET); /* SeaBIOS leaves its own rings set up */
    wr(a, R_INTR_STATUS, rd(a, R_INTR_STATUS));
    uint8_t *mem = page_alloc(4); /* rings state, requests, completions, probe buffer */
    if (!mem)
        return -E_NOMEM;
    memset(mem, 0, 4 * PAGE_SIZE);
    a->rs = (volatile struct rings_state *)mem;
    a->reqs = (volatile struct req_desc *)(mem + PAGE_SIZE);
    a->cmps = (volatile struct cmp_desc *)(mem + 2 * PAGE_SIZE);
    uint8_t *buf = mem + 3 * PAGE_SIZE;
    uint32_t setup[4 + 64 + 64] = {1, 1, (uint32_t)((uintptr_t)mem >> 12),
                                   (uint32_t)((uint64_t)(uintptr_t)mem >> 44)};
    setup[4] = (uint32_t)((uintptr_t)(mem + PAGE_SIZE) >> 12);
    setup[5] = (uint32_t)((uint64_t)(uintptr_t)(mem + PAGE_SIZE) >> 44);
    setup[4 + 64] = (uint32_t)((uintptr_t)(mem + 2 * PAGE_SIZE) >> 12);
    setup[4 + 65] = (uint32_t)((uint64_t)(uintptr_t)(mem + 2 * PAGE_SIZE) >> 44);
    wr(a, R_COMMAND, CMD_SETUP_RINGS);
    for (unsigned i = 0; i < sizeof(setup) / 4; i++)
        wr(a, R_COMMAND_DATA, setup[i]);
    if (rd(a, R_COMMAND_STAT) != 0) {
        printk("pvscsi %s: SETUP_RINGS refused\n", a->where);
        return -E_IO;
    }
    if (a->rs->req_log2 != 5 || a->rs->cmp_log2 != 7) {
        printk("pvscsi %s: rings of 2^%u and 2^%u entries, not the 32 and 128 asked\n", a->where,
               a->rs->req_log2, a->rs->cmp_log2);
        return -E_IO;
    }
    int gsi = pci_intx_attach(d, irq_intx, a);
    if (gsi < 0) {
        printk("pvscsi %s: no interrupt (no routed INTx line)\n", a->where);
        return -E_IO;
    }
    int found = 0;
    for (uint8_t t = 0; t < TARGETS; t++) {
        int r = add_disk(a, t, buf, gsi);
        if (r < 0)
            return r;
        found += r;
    }
    wr(a, R_INTR_MASK, INTR_CMPL);
    if (!found)
        printk("pvscsi %s: no disk on targets 0-%u\n", a->where, TARGETS - 1);
    return found;
}

int pvscsi_probe_all(void)
{
    int found = 0;
    for (int i = 0; i < pci_count(); i++) {
        struct pci_dev *d = pci_get(i);
        if (pvscsi_is(d) && !d->claimed) {
            pvscsi_probe(d);
            found++;
        }
    }
    return found;
}
