/*
 * unikernel/platform/hv/devices.c — the jeos-hv device calls of hv.h (block, net, poll, host time).
 * Depends only on hypervisor/abi.h, so the jeos-hv tests link it into their guests as well.
 */
#include "hv.h"

/* The jeos-hv boot-info block, kept for the device counts (it stays reserved). */
static const struct jeos_hv_boot_info *hv_boot;

void hv_devices_init(const struct jeos_hv_boot_info *bi)
{
    hv_boot = bi;
}

uint64_t hv_wall_ns(void)
{
    struct jeos_hv_time t = {0};
    hv_hypercall(JEOS_HV_CALL_TIME, &t);
    return t.wall_ns;
}

uint64_t hv_host_monotonic_ns(void)
{
    struct jeos_hv_time t = {0};
    hv_hypercall(JEOS_HV_CALL_TIME, &t);
    return t.monotonic_ns;
}

int hv_poll(uint64_t timeout_ns, uint32_t wait_nics)
{
    struct jeos_hv_poll a = {.timeout_ns = timeout_ns, .wait_nics = wait_nics};
    hv_hypercall(JEOS_HV_CALL_POLL, &a);
    return a.ret < 0 ? a.ret : (int)a.ready_nics;
}

unsigned hv_block_count(void)
{
    return hv_boot ? hv_boot->ndisks : 0;
}

int hv_block_info(unsigned dev, uint64_t *sectors, int *read_only)
{
    struct jeos_hv_block_info a = {.dev = dev};
    hv_hypercall(JEOS_HV_CALL_BLOCK_INFO, &a);
    if (a.ret == 0) {
        *sectors = a.sectors;
        *read_only = (int)a.read_only;
    }
    return a.ret;
}

static int block_io(unsigned nr, unsigned dev, uint64_t sector, const void *buf, size_t len)
{
    struct jeos_hv_block_io a = {.dev = dev, .sector = sector, .data = (uintptr_t)buf, .len = len};
    hv_hypercall(nr, &a);
    return a.ret;
}

int hv_block_read(unsigned dev, uint64_t sector, void *buf, size_t len)
{
    return block_io(JEOS_HV_CALL_BLOCK_READ, dev, sector, buf, len);
}

int hv_block_write(unsigned dev, uint64_t sector, const void *buf, size_t len)
{
    return block_io(JEOS_HV_CALL_BLOCK_WRITE, dev, sector, buf, len);
}

int hv_block_flush(unsigned dev)
{
    struct jeos_hv_block_flush a = {.dev = dev};
    hv_hypercall(JEOS_HV_CALL_BLOCK_FLUSH, &a);
    return a.ret;
}

unsigned hv_net_count(void)
{
    return hv_boot ? hv_boot->nnics : 0;
}

int hv_net_info(unsigned dev, uint8_t mac[6], uint16_t *mtu)
{
    struct jeos_hv_net_info a = {.dev = dev};
    hv_hypercall(JEOS_HV_CALL_NET_INFO, &a);
    if (a.ret == 0) {
        for (int i = 0; i < 6; i++)
            mac[i] = a.mac[i];
        *mtu = a.mtu;
    }
    return a.ret;
}

static int net_io(unsigned nr, unsigned dev, struct hv_frame *frames, unsigned n)
{
    struct jeos_hv_frame d[JEOS_HV_NET_BATCH];
    if (n > JEOS_HV_NET_BATCH)
        n = JEOS_HV_NET_BATCH;
    for (unsigned i = 0; i < n; i++)
        d[i] = (struct jeos_hv_frame){.data = (uintptr_t)frames[i].data, .len = frames[i].len};
    struct jeos_hv_net_io a = {.dev = dev, .frames = (uintptr_t)d, .count = n};
    hv_hypercall(nr, &a);
    if (nr == JEOS_HV_CALL_NET_READ)
        for (unsigned i = 0; i < a.done; i++)
            frames[i].len = d[i].len;
    if (a.ret == JEOS_HV_EAGAIN && a.done == 0)
        return 0;
    return a.ret < 0 && a.done == 0 ? a.ret : (int)a.done;
}

int hv_net_send(unsigned dev, const struct hv_frame *frames, unsigned n)
{
    return net_io(JEOS_HV_CALL_NET_WRITE, dev, (struct hv_frame *)(uintptr_t)frames, n);
}

int hv_net_recv(unsigned dev, struct hv_frame *frames, unsigned n)
{
    return net_io(JEOS_HV_CALL_NET_READ, dev, frames, n);
}
