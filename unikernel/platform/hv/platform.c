/* unikernel/platform/hv/platform.c — the jeos-hv platform: console, time, exit, boot info. */
#include "arch/x86_64/cpu.h"
#include "lib/string.h"
#include "platform/hv/hv.h"
#include "platform/platform.h"

/*
 * The JeosHv features note: this kernel runs its timer and idles on the local APIC, so it asks
 * jeos-hv for KVM's in-kernel interrupt controllers (JEOS_HV_FEATURE_APIC). It sits in .note.Xen,
 * the section the linker script already puts in the PT_NOTE segment.
 */
__asm__(".pushsection .note.Xen, \"a\"\n"
        ".balign 4\n"
        ".long 7, 4, 1\n" /* namesz ("JeosHv\\0"), descsz, JEOS_HV_NOTE_FEATURES */
        ".asciz \"JeosHv\"\n"
        ".balign 4\n"
        ".long 1\n" /* JEOS_HV_FEATURE_APIC */
        ".popsection\n");

/* The jeos-hv boot-info block, kept for the device calls (it stays reserved). */
static const struct jeos_hv_boot_info *hv_boot;

/* A hypercall: a 32-bit port write carrying the argument block's address (identity mapped). */
static inline void hypercall(unsigned nr, void *arg)
{
    __asm__ volatile("outl %0, %1"
                     :
                     : "a"((uint32_t)(uintptr_t)arg), "d"((uint16_t)(JEOS_HV_PORT_BASE + nr))
                     : "memory");
}

const char *platform_name(void)
{
    return "hv";
}

void platform_early_init(void)
{
}

void platform_init(const struct boot_info *bi)
{
    (void)bi;
}

void platform_console_write(const char *s, size_t n)
{
    struct jeos_hv_console_write a = {.data = (uintptr_t)s, .len = n};
    hypercall(JEOS_HV_CALL_CONSOLE_WRITE, &a);
}

int platform_parse_hv_bootinfo(struct boot_info *bi, uint64_t addr, const char **why)
{
    const struct jeos_hv_boot_info *hb = (const void *)(uintptr_t)addr;
    if (hb->magic != JEOS_HV_BOOT_MAGIC) {
        *why = "jeos-hv boot info: bad magic";
        return -22;
    }
    if (hb->abi_version != JEOS_HV_ABI_VERSION) {
        *why = "jeos-hv boot info: ABI version differs from the one this kernel was built for";
        return -95;
    }
    if (hb->mem_size <= JEOS_HV_LOAD_MIN || hb->ndisks > JEOS_HV_MAX_DISKS ||
        hb->nnics > JEOS_HV_MAX_NICS) {
        *why = "jeos-hv boot info: memory size or device count out of range";
        return -22;
    }
    hv_boot = hb;
    bi->info_base = addr;
    bi->info_len = sizeof(*hb);
    bi->tsc_khz = hb->tsc_khz;
    /* Below 1 MiB: the monitor's GDT, boot info, command line and page tables; kept out. */
    bi->nmem = 1;
    bi->mem[0] = (struct boot_mem){
        .base = JEOS_HV_LOAD_MIN, .len = hb->mem_size - JEOS_HV_LOAD_MIN, .type = BOOT_MEM_USABLE};
    const char *cmd = (const char *)(uintptr_t)hb->cmdline;
    size_t n = 0;
    if (hb->cmdline && hb->cmdline < hb->mem_size)
        while (n < BOOT_CMDLINE_MAX - 1 && hb->cmdline + n < hb->mem_size && cmd[n])
            n++;
    memcpy(bi->cmdline, cmd, n);
    bi->cmdline[n] = '\0';
    return 0;
}

uint64_t platform_tsc_hz(const struct boot_info *bi, const char **source)
{
    if (!bi->tsc_khz)
        return 0;
    *source = "boot info";
    return bi->tsc_khz * 1000;
}

void platform_exit(int status)
{
    cpu_irq_disable();
    struct jeos_hv_exit a = {.status = status & 0xff};
    for (;;)
        hypercall(JEOS_HV_CALL_EXIT, &a);
}

/* ---- Devices and host time (hv.h) ---------------------------------------------------------- */

uint64_t hv_wall_ns(void)
{
    struct jeos_hv_time t = {0};
    hypercall(JEOS_HV_CALL_TIME, &t);
    return t.wall_ns;
}

uint64_t hv_host_monotonic_ns(void)
{
    struct jeos_hv_time t = {0};
    hypercall(JEOS_HV_CALL_TIME, &t);
    return t.monotonic_ns;
}

int hv_poll(uint64_t timeout_ns, uint32_t wait_nics)
{
    struct jeos_hv_poll a = {.timeout_ns = timeout_ns, .wait_nics = wait_nics};
    hypercall(JEOS_HV_CALL_POLL, &a);
    return a.ret < 0 ? a.ret : (int)a.ready_nics;
}

unsigned hv_block_count(void)
{
    return hv_boot ? hv_boot->ndisks : 0;
}

int hv_block_info(unsigned dev, uint64_t *sectors, int *read_only)
{
    struct jeos_hv_block_info a = {.dev = dev};
    hypercall(JEOS_HV_CALL_BLOCK_INFO, &a);
    if (a.ret == 0) {
        *sectors = a.sectors;
        *read_only = (int)a.read_only;
    }
    return a.ret;
}

static int block_io(unsigned nr, unsigned dev, uint64_t sector, const void *buf, size_t len)
{
    struct jeos_hv_block_io a = {.dev = dev, .sector = sector, .data = (uintptr_t)buf, .len = len};
    hypercall(nr, &a);
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

unsigned hv_net_count(void)
{
    return hv_boot ? hv_boot->nnics : 0;
}

int hv_net_info(unsigned dev, uint8_t mac[6], uint16_t *mtu)
{
    struct jeos_hv_net_info a = {.dev = dev};
    hypercall(JEOS_HV_CALL_NET_INFO, &a);
    if (a.ret == 0) {
        memcpy(mac, a.mac, 6);
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
    hypercall(nr, &a);
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
