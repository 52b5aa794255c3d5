/*
 * unikernel/platform/hv/hv.h — the jeos-hv platform's device calls (block, net, poll, time), the
 * guest side of hypervisor/abi.h. Only linked in builds with UK_PLATFORM=hv.
 */
#ifndef UK_PLATFORM_HV_H
#define UK_PLATFORM_HV_H

#include <stddef.h>
#include <stdint.h>

#include "../../../hypervisor/abi.h"

/* A hypercall: a 32-bit port write carrying the argument block's address (identity mapped). */
static inline void hv_hypercall(unsigned nr, void *arg)
{
    __asm__ volatile("outl %0, %1"
                     :
                     : "a"((uint32_t)(uintptr_t)arg), "d"((uint16_t)(JEOS_HV_PORT_BASE + nr))
                     : "memory");
}

/* Keeps the boot-info block for the device counts; platform_parse_hv_bootinfo calls it. */
void hv_devices_init(const struct jeos_hv_boot_info *bi);

/* Results are 0 or a negative JEOS_HV_E* code (hypervisor/abi.h). */

/* Host clocks in nanoseconds (CLOCK_REALTIME, CLOCK_MONOTONIC). */
uint64_t hv_wall_ns(void);
uint64_t hv_host_monotonic_ns(void);

/*
 * Sleeps in the host until a NIC of `wait_nics` (bit i = NIC i) has a frame or `timeout_ns`
 * passes; returns the ready NICs (>= 0) or a negative code. The host CPU idles meanwhile.
 */
int hv_poll(uint64_t timeout_ns, uint32_t wait_nics);

/* Disks: geometry, and transfers of whole 512-byte sectors (len <= JEOS_HV_BLOCK_MAX). */
unsigned hv_block_count(void);
int hv_block_info(unsigned dev, uint64_t *sectors, int *read_only);
int hv_block_read(unsigned dev, uint64_t sector, void *buf, size_t len);
int hv_block_write(unsigned dev, uint64_t sector, const void *buf, size_t len);
/* Makes earlier writes durable on the host (fdatasync of the disk file). */
int hv_block_flush(unsigned dev);

/* NICs: MAC and MTU; batched frames (up to JEOS_HV_NET_BATCH per call, one VM exit). */
struct hv_frame {
    void *data;
    uint32_t len; /* send: frame length; receive: buffer size in, frame length out */
};
unsigned hv_net_count(void);
int hv_net_info(unsigned dev, uint8_t mac[6], uint16_t *mtu);
/* Send n frames; returns how many went out (>= 0) or a negative code. */
int hv_net_send(unsigned dev, const struct hv_frame *frames, unsigned n);
/* Receive up to n frames; returns how many arrived (0 when none was pending) or a negative code. */
int hv_net_recv(unsigned dev, struct hv_frame *frames, unsigned n);

/* Registers a netdev for each NIC of the boot info (platform/hv/net.c). */
void hv_net_init(void);
/* Registers a blkdev for each disk of the boot info (platform/hv/blk.c). */
void hv_blk_init(void);

#endif
