/*
 * tests/unikernel/guests/net.c — a frame-level responder on eth0 for the network tests: answers
 * ARP for its address, ICMP echo, and echoes UDP datagrams (replies sent in batches, UDP checksum
 * through the offload path) until a datagram says "quit". Arguments: ip=A.B.C.D (default
 * 10.0.0.2), secs=N (give up after N seconds, default 20), reset (re-probe the PCI NIC first, as
 * a kernel finding it left running would), blast=N (instead: sends N 60-byte broadcast frames in
 * batches of 64 as fast as the device takes them, prints the time and ends; benchmarks).
 */
/* General registers only: under an emulating /dev/kvm (jeos-hv's test here) SSE is not available.
 */
#pragma GCC target("general-regs-only")

#include "drivers/netdev.h"
#include "drivers/pci.h"
#include "drivers/virtio/virtio.h"
#include "guest.h"
#include "uk.h"

#define BATCH 64

static uint8_t my_ip[4] = {10, 0, 0, 2};
static struct netdev *nd;
static uint8_t out[BATCH][NETDEV_FRAME_MAX];
static struct netdev_seg segs[BATCH];
static struct netdev_frame frames[BATCH];
static unsigned nout;
static int quit;
static uint64_t arp_replies, icmp_replies, udp_echoes, bad_csum, batches, max_batch, waits;

/* The kernel's memcpy and memcmp (unikernel/lib/string.c). */
#define copy(d, s, n) __builtin_memcpy(d, s, n)
#define same(a, b, n) (__builtin_memcmp(a, b, n) == 0)

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint32_t sum(const uint8_t *p, unsigned n, uint32_t s)
{
    for (; n >= 2; p += 2, n -= 2)
        s += get16(p);
    if (n)
        s += (uint32_t)p[0] << 8;
    return s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

/* A reply slot, or NULL when the batch is full (the caller flushes first). */
static uint8_t *slot(void)
{
    return nout < BATCH ? out[nout] : NULL;
}

static void queue(uint32_t len, uint16_t csum_start, uint16_t csum_offset)
{
    segs[nout] = (struct netdev_seg){out[nout], len};
    frames[nout] = (struct netdev_frame){&segs[nout], 1, csum_start, csum_offset};
    nout++;
}

static void flush(void)
{
    unsigned done = 0;
    while (done < nout) {
        int r = nd->ops->send(nd, frames + done, nout - done);
        if (r < 0) {
            uk_printf("net: send failed: %s\n", nd->failed ? nd->failed : "?");
            uk_exit(3);
        }
        done += (unsigned)r;
        if (done < nout)
            netdev_wait(uk_monotonic_ns() + 100000000); /* the ring is full: wait for room */
    }
    if (nout) {
        batches++;
        if (nout > max_batch)
            max_batch = nout;
    }
    nout = 0;
}

static void arp(const uint8_t *f, uint32_t len)
{
    if (len < 42 || get16(f + 14) != 1 || get16(f + 16) != 0x0800 || f[21] != 1 ||
        !same(f + 38, my_ip, 4))
        return;
    uint8_t *r = slot();
    if (!r)
        return;
    copy(r, f + 6, 6);
    copy(r + 6, nd->mac, 6);
    copy(r + 12, f + 12, 9); /* type, htype, ptype, hlen, plen, op high byte */
    r[21] = 2;
    copy(r + 22, nd->mac, 6);
    copy(r + 28, my_ip, 4);
    copy(r + 32, f + 22, 10); /* the asker's MAC and IP */
    for (int i = 42; i < 60; i++)
        r[i] = 0;
    queue(60, 0, 0);
    arp_replies++;
}

/* IPv4 to us: ICMP echo requests answered, UDP echoed with the checksum left to the offload. */
static void ipv4(const uint8_t *f, uint32_t len, unsigned flags)
{
    const uint8_t *ip = f + 14;
    if (len < 34 || (ip[0] >> 4) != 4 || !same(ip + 16, my_ip, 4))
        return;
    unsigned ihl = (ip[0] & 15) * 4u, tot = get16(ip + 2);
    if (ihl < 20 || tot < ihl || 14 + tot > len || fold(sum(ip, ihl, 0)) != 0xffff)
        return;
    const uint8_t *l4 = ip + ihl;
    unsigned l4len = tot - ihl;
    uint8_t *r = slot();
    if (!r)
        return;
    copy(r, f + 6, 6);
    copy(r + 6, nd->mac, 6);
    copy(r + 12, f + 12, 2);
    uint8_t *rip = r + 14;
    copy(rip, ip, ihl);
    copy(rip + 12, my_ip, 4);
    copy(rip + 16, ip + 12, 4);
    put16(rip + 10, 0);
    put16(rip + 10, (uint16_t)~fold(sum(rip, ihl, 0)));
    uint8_t *rl4 = rip + ihl;
    if (ip[9] == 1 && l4len >= 8 && l4[0] == 8) { /* echo request */
        copy(rl4, l4, l4len);
        rl4[0] = 0;
        put16(rl4 + 2, 0);
        put16(rl4 + 2, (uint16_t)~fold(sum(rl4, l4len, 0)));
        queue(14 + tot, 0, 0);
        icmp_replies++;
    } else if (ip[9] == 17 && l4len >= 8 && get16(l4 + 4) == l4len) {
        uint32_t pseudo = sum(ip + 12, 8, 0) + 17 + l4len;
        if (!(flags & NETDEV_RX_CSUM_OK) && get16(l4 + 6) &&
            fold(sum(l4, l4len, pseudo)) != 0xffff) {
            bad_csum++;
            return;
        }
        copy(rl4, l4 + 2, 2); /* ports swapped */
        copy(rl4 + 2, l4, 2);
        copy(rl4 + 4, l4 + 4, l4len - 4);
        put16(rl4 + 6, fold(pseudo)); /* the pseudo-header sum: the offload folds in the rest */
        if (l4len == 12 && same(l4 + 8, (const uint8_t *)"quit", 4)) {
            copy(rl4 + 8, (const uint8_t *)"bye!", 4);
            quit = 1;
        }
        queue(14 + tot, (uint16_t)(14 + ihl), 6);
        udp_echoes++;
    }
}

static void on_frame(void *arg, const void *frame, uint32_t len, unsigned flags)
{
    (void)arg;
    const uint8_t *f = frame;
    if (!slot())
        flush();
    if (get16(f + 12) == 0x0806)
        arp(f, len);
    else if (get16(f + 12) == 0x0800)
        ipv4(f, len, flags);
}

static unsigned parse_ip(const char *s, uint8_t ip[4])
{
    for (int i = 0; i < 4; i++) {
        unsigned v = 0;
        while (*s >= '0' && *s <= '9')
            v = v * 10 + (unsigned)(*s++ - '0');
        ip[i] = (uint8_t)v;
        if (*s == '.')
            s++;
    }
    return 0;
}

/* The PCI function behind a netdev ("pci BB:SS.F ..."), or NULL. */
static struct pci_dev *pci_of(const struct netdev *nd)
{
    for (int i = 0; i < pci_count(); i++) {
        struct pci_dev *d = pci_get(i);
        char where[16];
        uk_snprintf(where, sizeof(where), "pci %02x:%02x.%x ", d->bus, d->slot, d->fn);
        unsigned n = 0;
        while (where[n] && where[n] == nd->bus[n])
            n++;
        if (!where[n])
            return d;
    }
    return NULL;
}

static void describe(struct netdev *d)
{
    char feats[160] = "";
    virtio_net_features(d, feats, sizeof(feats));
    uk_printf("netdev %s %s %s mac %02x:%02x:%02x:%02x:%02x:%02x mtu %u link %s%s%s\n", d->name,
              d->driver, d->bus, d->mac[0], d->mac[1], d->mac[2], d->mac[3], d->mac[4], d->mac[5],
              d->mtu, d->ops->link(d) ? "up" : "down", feats[0] ? " features " : "", feats);
    struct pci_dev *p = pci_of(d);
    if (p)
        pci_print(p);
}

/*
 * The device behind eth0 probed again, as a kernel started by a loader (or kexec) that used the
 * NIC finds it: running, rings posted, features negotiated. The driver must reset it before
 * giving it new rings and another feature set; the old netdev must then see nothing more.
 */
static struct netdev *reprobe(struct netdev *old)
{
    /* the other kernel's feature set differs: without a reset the device would keep its own */
    virtio_net_refuse = 1ull << VIRTIO_F_EVENT_IDX | 1ull << 15 /* MRG_RXBUF */ | 1u << 0 | 1u << 1;
    int r = -19;
    if (old->bus[0] == 'm') { /* "mmio 0xBASE gsi N": from the command line, edge-triggered */
        r = virtio_mmio_probe(hex_after(old->bus, "mmio "), 512,
                              (unsigned)hex_after(old->bus, "gsi "), 1, 0);
    } else {
        struct pci_dev *d = pci_of(old);
        if (d)
            r = virtio_pci_probe(d);
    }
    if (r < 0 || netdev_count() < 2) {
        uk_printf("reset: probe again failed (%d)\n", r);
        uk_exit(4);
    }
    return netdev_get(netdev_count() - 1);
}

/* blast=N: N frames of 60 bytes (broadcast, local experimental EtherType 0x88b5) in batches of
 * BATCH, until the device has taken them all; prints the time. */
static int blast(uint64_t n)
{
    for (unsigned i = 0; i < BATCH; i++) {
        uint8_t *f = out[i];
        for (int k = 0; k < 6; k++) {
            f[k] = 0xff;
            f[6 + k] = nd->mac[k];
        }
        put16(f + 12, 0x88b5);
        __builtin_memset(f + 14, (int)i, 46);
        segs[i] = (struct netdev_seg){.data = f, .len = 60};
        frames[i] = (struct netdev_frame){.seg = &segs[i], .nseg = 1};
    }
    uint64_t t0 = uk_monotonic_ns(), sent = 0;
    while (sent < n) {
        unsigned want = n - sent < BATCH ? (unsigned)(n - sent) : BATCH;
        int r = nd->ops->send(nd, frames, want);
        if (r < 0) {
            uk_printf("net: send failed: %s\n", nd->failed ? nd->failed : "?");
            return 3;
        }
        sent += (uint64_t)r;
        batches++;
        if ((unsigned)r < want)
            netdev_wait(uk_monotonic_ns() + 100000000); /* the ring is full: wait for room */
    }
    if (netdev_drain(nd, uk_monotonic_ns() + 5000000000u) < 0) {
        uk_printf("net: blast: the frames did not all go out\n");
        return 3;
    }
    uint64_t us = (uk_monotonic_ns() - t0) / 1000;
    uk_printf("net: blast %lu frames us %lu sends %lu tx_errors %lu notifies %lu\n", sent, us,
              batches, nd->stats.tx_errors, nd->stats.notifies);
    return nd->stats.tx_errors ? 3 : 0;
}

int main(int argc, char **argv)
{
    uint64_t secs = 20, nblast = 0;
    int reset = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == 'i' && a[1] == 'p' && a[2] == '=')
            parse_ip(a + 3, my_ip);
        else if (a[0] == 's' && a[1] == 'e' && a[2] == 'c' && a[3] == 's' && a[4] == '=')
            for (secs = 0, a += 5; *a >= '0' && *a <= '9'; a++)
                secs = secs * 10 + (uint64_t)(*a - '0');
        else if (a[0] == 'r' && a[1] == 'e' && a[2] == 's')
            reset = 1;
        else if (a[0] == 'b' && a[1] == 'l' && a[2] == 'a' && a[3] == 's' && a[4] == 't' &&
                 a[5] == '=')
            for (a += 6; *a >= '0' && *a <= '9'; a++)
                nblast = nblast * 10 + (uint64_t)(*a - '0');
    }
    uk_printf("net: args");
    for (int i = 1; i < argc; i++)
        uk_printf(" %s", argv[i]);
    uk_printf("\n");
    for (unsigned i = 0; i < netdev_count(); i++)
        describe(netdev_get(i));
    nd = netdev_get(0);
    if (!nd) {
        uk_printf("net: no network device\n");
        return 2;
    }
    if (nblast)
        return blast(nblast);
    struct netdev *old = NULL;
    if (reset) {
        old = nd;
        while (old->ops->poll(old, on_frame, 0, BATCH) > 0) /* what came before the reset */
            nout = 0;
        nd = reprobe(old);
        uk_printf("reset: ");
        describe(nd);
    }
    uk_printf("net: listening on %s as %u.%u.%u.%u\n", nd->name, my_ip[0], my_ip[1], my_ip[2],
              my_ip[3]);
    uint64_t deadline = uk_monotonic_ns() + secs * 1000000000u;
    struct uk_info before;
    uk_get_info(&before);
    while (!quit && uk_monotonic_ns() < deadline) {
        int n = nd->ops->poll(nd, on_frame, 0, BATCH);
        if (n < 0) {
            uk_printf("net: receive failed: %s\n", nd->failed ? nd->failed : "?");
            return 3;
        }
        flush();
        if (n == 0) {
            netdev_wait(deadline);
            waits++;
        }
    }
    if (netdev_drain(nd, uk_monotonic_ns() + 2000000000u) < 0)
        uk_printf("net: the last replies did not go out\n");
    struct uk_info after;
    uk_get_info(&after);
    const struct netdev_stats *s = &nd->stats;
    uk_printf("net: arp %lu icmp %lu udp %lu bad_csum %lu\n", arp_replies, icmp_replies, udp_echoes,
              bad_csum);
    uk_printf("net: rx %lu tx %lu rx_errors %lu tx_errors %lu irqs %lu batches %lu max_batch %lu "
              "notifies %lu suppressed %lu waits %lu halts %lu\n",
              s->rx_frames, s->tx_frames, s->rx_errors + s->rx_dropped, s->tx_errors, s->irqs,
              batches, max_batch, s->notifies, s->notifies_suppressed, waits,
              after.idle_halts - before.idle_halts);
    if (old) {
        int stale = old->ops->poll(old, on_frame, 0, BATCH);
        uk_printf("reset: old rings got %d frames after the reset\n", stale);
    }
    if (!quit) {
        uk_printf("net: no quit datagram within %lu s\n", secs);
        return 1;
    }
    return 0;
}
