/* netbench.c — sends 6400 frames in batches of the size its command line names (1..64); prints the
 * time. */
#include "guest.h"

#define FRAMES 6400

static uint8_t frame[64][60];

int guest_main(const struct jeos_hv_boot_info *bi)
{
    const char *cmd = (const char *)(uintptr_t)bi->cmdline;
    unsigned batch = 0;
    for (const char *p = cmd; *p >= '0' && *p <= '9'; p++)
        batch = batch * 10 + (unsigned)(*p - '0');
    if (batch < 1 || batch > 64 || bi->nnics != 1) {
        g_puts("usage: netbench BATCH (1..64), with one NIC\n");
        return 2;
    }
    struct jeos_hv_frame d[64];
    for (unsigned i = 0; i < 64; i++) {
        g_memset(frame[i], 0xff, 6); /* broadcast, local experimental EtherType 0x88b5 */
        for (int k = 0; k < 6; k++)
            frame[i][6 + k] = bi->nics[0].mac[k];
        frame[i][12] = 0x88;
        frame[i][13] = 0xb5;
        d[i] = (struct jeos_hv_frame){.data = (uintptr_t)frame[i], .len = 60};
    }
    struct jeos_hv_time t0 = {0}, t1 = {0};
    hypercall(JEOS_HV_CALL_TIME, &t0);
    unsigned sent = 0;
    while (sent < FRAMES) {
        struct jeos_hv_net_io w = {.dev = 0, .frames = (uintptr_t)d, .count = batch};
        hypercall(JEOS_HV_CALL_NET_WRITE, &w);
        if (w.ret != 0 && w.ret != JEOS_HV_EAGAIN) {
            g_puts("FAIL net_write\n");
            return 1;
        }
        sent += w.done;
    }
    hypercall(JEOS_HV_CALL_TIME, &t1);
    g_puts("frames=");
    g_putu(sent);
    g_puts(" us=");
    g_putu((t1.monotonic_ns - t0.monotonic_ns) / 1000);
    g_puts("\n");
    return 0;
}
