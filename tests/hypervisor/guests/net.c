/*
 * net.c — net test guest: ARP-asks 10.0.0.1 (two requests in one batched write), then sends four
 * UDP datagrams to 10.0.0.1:7777 in one batch and checks the four echoes the test sends back.
 */
#include "guest.h"

#define NUDP 4

static uint8_t tx[NUDP][128];
static uint8_t rx[8][1536];
static uint8_t my_mac[6], peer_mac[6];
static const uint8_t my_ip[4] = {10, 0, 0, 2}, peer_ip[4] = {10, 0, 0, 1};

static void put_hex(uint8_t b)
{
    char s[3] = {"0123456789abcdef"[b >> 4], "0123456789abcdef"[b & 15], 0};
    g_puts(s);
}

static int same(const uint8_t *a, const uint8_t *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

static void copy(uint8_t *d, const uint8_t *s, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        d[i] = s[i];
}

/* An ARP packet (op 1 request, 2 reply) into f; 60 bytes. */
static void arp(uint8_t *f, int op, const uint8_t *dst_mac, const uint8_t *tha, const uint8_t *tpa)
{
    static const uint8_t hdr[] = {0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0};
    g_memset(f, 0, 60);
    copy(f, dst_mac, 6);
    copy(f + 6, my_mac, 6);
    copy(f + 12, hdr, sizeof(hdr));
    f[21] = (uint8_t)op;
    copy(f + 22, my_mac, 6);
    copy(f + 28, my_ip, 4);
    copy(f + 32, tha, 6);
    copy(f + 38, tpa, 4);
}

static int send(uint8_t (*frames)[128], const uint32_t *lens, unsigned n)
{
    struct jeos_hv_frame out[NUDP];
    for (unsigned i = 0; i < n; i++)
        out[i] = (struct jeos_hv_frame){.data = (uintptr_t)frames[i], .len = lens[i]};
    struct jeos_hv_net_io w = {.dev = 0, .frames = (uintptr_t)out, .count = n};
    hypercall(JEOS_HV_CALL_NET_WRITE, &w);
    return w.ret == 0 && w.done == n ? 0 : -1;
}

/* A UDP datagram to 10.0.0.1:7777 carrying "jeos-hv udp N"; returns its length. */
static uint32_t udp(uint8_t *f, unsigned n)
{
    static const char text[] = "jeos-hv udp ?";
    unsigned plen = sizeof(text) - 1, ulen = 8 + plen, iplen = 20 + ulen;
    g_memset(f, 0, 128);
    copy(f, peer_mac, 6);
    copy(f + 6, my_mac, 6);
    f[12] = 0x08;
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    ip[2] = (uint8_t)(iplen >> 8);
    ip[3] = (uint8_t)iplen;
    ip[8] = 64;
    ip[9] = 17;
    copy(ip + 12, my_ip, 4);
    copy(ip + 16, peer_ip, 4);
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)ip[i] << 8 | ip[i + 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    ip[10] = (uint8_t)(~sum >> 8);
    ip[11] = (uint8_t)~sum;
    uint8_t *u = ip + 20;
    u[0] = 0x9c; /* source port 40000 */
    u[1] = 0x40;
    u[2] = 0x1e; /* destination port 7777 */
    u[3] = 0x61;
    u[4] = (uint8_t)(ulen >> 8);
    u[5] = (uint8_t)ulen; /* checksum 0: none */
    copy(u + 8, (const uint8_t *)text, plen);
    u[8 + plen - 1] = (uint8_t)('0' + n);
    return 14 + iplen < 60 ? 60 : 14 + iplen;
}

/* Handles one received frame; returns the echo number (0..3) of a UDP echo, 10 for an ARP
 * reply from 10.0.0.1, -1 otherwise. Answers ARP requests for 10.0.0.2. */
static int handle(const uint8_t *f, uint32_t len)
{
    if (len >= 42 && f[12] == 0x08 && f[13] == 0x06 && same(f + 38, my_ip, 4)) {
        if (f[21] == 2 && same(f + 28, peer_ip, 4) && same(f, my_mac, 6)) {
            copy(peer_mac, f + 22, 6);
            return 10;
        }
        if (f[21] == 1) { /* who has 10.0.0.2? */
            uint32_t l = 60;
            arp(tx[0], 2, f + 22, f + 22, f + 28);
            send(tx, &l, 1);
        }
        return -1;
    }
    const uint8_t *ip = f + 14, *u = ip + 20;
    if (len < 14 + 20 + 8 + 13 || f[12] != 0x08 || f[13] != 0 || ip[9] != 17 ||
        !same(ip + 12, peer_ip, 4) || u[2] != 0x9c || u[3] != 0x40)
        return -1;
    if (!same(u + 8, (const uint8_t *)"jeos-hv udp ", 12) || u[20] < '0' || u[20] >= '0' + NUDP)
        return -1;
    return u[20] - '0';
}

/* Polls and receives in batches until `want` is satisfied (mask of echoes, or ARP). */
static int receive(unsigned *got, unsigned want, int rounds)
{
    for (int r = 0; r < rounds && (*got & want) != want; r++) {
        struct jeos_hv_poll p = {.timeout_ns = 100000000, .wait_nics = 1};
        hypercall(JEOS_HV_CALL_POLL, &p);
        if (p.ret != 0)
            return -1;
        if (!(p.ready_nics & 1))
            continue;
        struct jeos_hv_frame in[8];
        for (int i = 0; i < 8; i++)
            in[i] = (struct jeos_hv_frame){.data = (uintptr_t)rx[i], .len = sizeof(rx[i])};
        struct jeos_hv_net_io rd = {.dev = 0, .frames = (uintptr_t)in, .count = 8};
        hypercall(JEOS_HV_CALL_NET_READ, &rd);
        for (uint32_t i = 0; i < rd.done; i++) {
            int k = handle(rx[i], in[i].len);
            if (k >= 0)
                *got |= 1u << k;
        }
    }
    return (*got & want) == want ? 0 : -1;
}

int guest_main(const struct jeos_hv_boot_info *bi)
{
    struct jeos_hv_net_info ni = {.dev = 0};
    hypercall(JEOS_HV_CALL_NET_INFO, &ni);
    if (ni.ret != 0 || bi->nnics != 1 || ni.mtu != 1500 || !same(ni.mac, bi->nics[0].mac, 6)) {
        g_puts("FAIL net_info\n");
        return 1;
    }
    copy(my_mac, ni.mac, 6);
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, zero[6] = {0};
    unsigned got = 0;
    for (int round = 0; round < 20 && !(got & (1u << 10)); round++) {
        uint32_t lens[2] = {60, 60};
        arp(tx[0], 1, bcast, zero, peer_ip);
        arp(tx[1], 1, bcast, zero, peer_ip);
        if (send(tx, lens, 2) < 0) {
            g_puts("FAIL net_write\n");
            return 1;
        }
        receive(&got, 1u << 10, 2);
    }
    if (!(got & (1u << 10))) {
        g_puts("FAIL no ARP reply from 10.0.0.1\n");
        return 1;
    }
    g_puts("arp reply: 10.0.0.1 is at ");
    for (int k = 0; k < 6; k++) {
        put_hex(peer_mac[k]);
        g_puts(k < 5 ? ":" : "\n");
    }
    uint32_t lens[NUDP];
    for (unsigned i = 0; i < NUDP; i++)
        lens[i] = udp(tx[i], i);
    if (send(tx, lens, NUDP) < 0) { /* four datagrams, one exit */
        g_puts("FAIL udp write\n");
        return 1;
    }
    if (receive(&got, (1u << NUDP) - 1, 50) < 0) {
        g_puts("FAIL udp echoes missing\n");
        return 1;
    }
    g_puts("udp echoes: 4 of 4\nSUCCESS\n");
    return 0;
}
