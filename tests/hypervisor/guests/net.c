/* net.c — net test guest: ARP-asks 10.0.0.1 (two requests in one batched write), waits for the
 * reply. */
#include "guest.h"

static uint8_t tx[2][64];
static uint8_t rx[8][1536];

static const uint8_t my_ip[4] = {10, 0, 0, 2}, peer_ip[4] = {10, 0, 0, 1};

static void arp_request(uint8_t *f, const uint8_t *mac)
{
    static const uint8_t hdr[] = {0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1};
    g_memset(f, 0, 60);
    g_memset(f, 0xff, 6);
    for (int i = 0; i < 6; i++)
        f[6 + i] = f[22 + i] = mac[i];
    for (unsigned i = 0; i < sizeof(hdr); i++)
        f[12 + i] = hdr[i];
    for (int i = 0; i < 4; i++) {
        f[28 + i] = my_ip[i];
        f[38 + i] = peer_ip[i];
    }
}

/* An ARP reply from 10.0.0.1 to us? */
static int is_reply(const uint8_t *f, uint32_t len, const uint8_t *mac)
{
    if (len < 42 || f[12] != 0x08 || f[13] != 0x06 || f[20] != 0 || f[21] != 2)
        return 0;
    for (int i = 0; i < 6; i++)
        if (f[i] != mac[i] || f[32 + i] != mac[i])
            return 0;
    for (int i = 0; i < 4; i++)
        if (f[28 + i] != peer_ip[i] || f[38 + i] != my_ip[i])
            return 0;
    return 1;
}

static void put_hex(uint8_t b)
{
    char s[3] = {"0123456789abcdef"[b >> 4], "0123456789abcdef"[b & 15], 0};
    g_puts(s);
}

int guest_main(const struct jeos_hv_boot_info *bi)
{
    struct jeos_hv_net_info ni = {.dev = 0};
    hypercall(JEOS_HV_CALL_NET_INFO, &ni);
    if (ni.ret != 0 || bi->nnics != 1 || ni.mtu != 1500) {
        g_puts("FAIL net_info\n");
        return 1;
    }
    for (int round = 0; round < 20; round++) {
        arp_request(tx[0], ni.mac);
        arp_request(tx[1], ni.mac);
        struct jeos_hv_frame out[2] = {{.data = (uintptr_t)tx[0], .len = 60},
                                       {.data = (uintptr_t)tx[1], .len = 60}};
        struct jeos_hv_net_io w = {.dev = 0, .frames = (uintptr_t)out, .count = 2};
        hypercall(JEOS_HV_CALL_NET_WRITE, &w);
        if (w.ret != 0 || w.done != 2) {
            g_puts("FAIL net_write\n");
            return 1;
        }
        struct jeos_hv_poll p = {.timeout_ns = 200000000, .wait_nics = 1};
        hypercall(JEOS_HV_CALL_POLL, &p);
        if (p.ret != 0)
            return 1;
        if (!(p.ready_nics & 1))
            continue;
        struct jeos_hv_frame in[8];
        for (int i = 0; i < 8; i++)
            in[i] = (struct jeos_hv_frame){.data = (uintptr_t)rx[i], .len = sizeof(rx[i])};
        struct jeos_hv_net_io r = {.dev = 0, .frames = (uintptr_t)in, .count = 8};
        hypercall(JEOS_HV_CALL_NET_READ, &r);
        for (uint32_t i = 0; i < r.done; i++) {
            if (!is_reply(rx[i], in[i].len, ni.mac))
                continue;
            g_puts("SUCCESS arp reply: 10.0.0.1 is at ");
            for (int k = 0; k < 6; k++) {
                put_hex(rx[i][22 + k]);
                g_puts(k < 5 ? ":" : "\n");
            }
            return 0;
        }
    }
    g_puts("FAIL no ARP reply from 10.0.0.1\n");
    return 1;
}
