/* platform.c — drives the unikernel's jeos-hv device calls (unikernel/platform/hv/devices.c) on a
 * disk. */
#include "guest.h"
#include "unikernel/platform/hv/hv.h"

static uint8_t buf[2048], back[2048];

static int fail(const char *what)
{
    g_puts("FAIL ");
    g_puts(what);
    g_puts("\n");
    return 1;
}

int guest_main(const struct jeos_hv_boot_info *bi)
{
    hv_devices_init(bi);
    if (hv_block_count() != 1 || hv_net_count() != 0)
        return fail("device counts");
    uint64_t sectors;
    int ro;
    if (hv_block_info(0, &sectors, &ro) != 0 || sectors != bi->disks[0].sectors || ro)
        return fail("hv_block_info");
    if (hv_block_info(1, &sectors, &ro) != JEOS_HV_ENODEV)
        return fail("hv_block_info on a missing disk");
    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(0xa5 ^ i);
    uint64_t last = sectors - 4; /* the last 2 KiB of the disk */
    if (hv_block_write(0, last, buf, sizeof(buf)) != 0)
        return fail("hv_block_write");
    if (hv_block_write(0, last + 1, buf, sizeof(buf)) != JEOS_HV_EINVAL)
        return fail("hv_block_write past the end");
    if (hv_block_read(0, last, back, sizeof(back)) != 0)
        return fail("hv_block_read");
    for (unsigned i = 0; i < sizeof(buf); i++)
        if (back[i] != buf[i])
            return fail("read back differs");
    uint64_t t0 = hv_host_monotonic_ns();
    if (hv_poll(20000000, 0) != 0) /* 20 ms, no NIC */
        return fail("hv_poll");
    uint64_t dt = hv_host_monotonic_ns() - t0;
    if (dt < 20000000 || hv_wall_ns() < 1600000000ull * 1000000000ull)
        return fail("clocks");
    uint8_t mac[6];
    uint16_t mtu;
    struct hv_frame f = {.data = buf, .len = 60};
    if (hv_net_info(0, mac, &mtu) != JEOS_HV_ENODEV || hv_net_send(0, &f, 1) != JEOS_HV_ENODEV ||
        hv_net_recv(0, &f, 1) != JEOS_HV_ENODEV)
        return fail("net calls without a NIC");
    g_puts("SUCCESS\n");
    return 0;
}
