/* unikernel/platform/qemu-kvm/platform.c — QEMU/KVM/libvirt: COM1 console, kvmclock,
 * isa-debug-exit, ACPI. */
#include "arch/x86_64/cpu.h"
#include "console/console.h"
#include "drivers/pci.h"
#include "drivers/virtio/virtio.h"
#include "exit/acpi.h"
#include "lib/string.h"
#include "platform/platform.h"
#include "time/rtc.h"

#define ISA_DEBUG_EXIT_PORT 0xf4

#define MSR_KVM_SYSTEM_TIME_NEW  0x4b564d01
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)

/* kvmclock (pvclock) per-vCPU time info, written by the hypervisor. */
struct pvclock_vcpu_time_info {
    uint32_t version, pad0;
    uint64_t tsc_timestamp, system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags, pad[2];
} __attribute__((packed, aligned(32)));

static struct pvclock_vcpu_time_info kvmclock;

const char *platform_name(void)
{
    return "qemu-kvm";
}

void platform_early_init(void)
{
    serial_init();
}

void platform_init(const struct boot_info *bi)
{
    acpi_init(bi);
}

/* The optional drivers: linked only into a program that needs them (uk-link.sh --drivers: blk for
   one with volumes, net for one with a network); weak, so NULL when they are not. */
extern int nvme_probe_all(void) __attribute__((weak));
extern int pvscsi_probe_all(void) __attribute__((weak));
extern int vmxnet3_probe_all(void) __attribute__((weak));

void platform_devices_init(const struct boot_info *bi)
{
    pci_init();
    virtio_pci_probe_all();
    virtio_mmio_probe_all(bi->cmdline);
    if (nvme_probe_all)
        nvme_probe_all();
    if (vmxnet3_probe_all)
        vmxnet3_probe_all();
    if (pvscsi_probe_all)
        pvscsi_probe_all();
}

void platform_console_write(const char *s, size_t n)
{
    serial_write(s, n);
}

int platform_parse_hv_bootinfo(struct boot_info *bi, uint64_t addr, const char **why)
{
    (void)bi;
    (void)addr;
    *why = "booted through the jeos-hv entry, but this build links the qemu-kvm platform";
    return -95;
}

static int on_kvm(void)
{
    struct cpuid_regs r = cpuid(0x40000000, 0);
    char sig[13];
    memcpy(sig, &r.ebx, 4);
    memcpy(sig + 4, &r.ecx, 4);
    memcpy(sig + 8, &r.edx, 4);
    sig[12] = '\0';
    if (strcmp(sig, "KVMKVMKVM") != 0 || r.eax < 0x40000001)
        return 0;
    return (cpuid(0x40000001, 0).eax & KVM_FEATURE_CLOCKSOURCE2) != 0;
}

uint64_t platform_tsc_hz(const struct boot_info *bi, const char **source)
{
    if (bi->tsc_khz) {
        *source = "boot info";
        return bi->tsc_khz * 1000;
    }
    if (!on_kvm())
        return 0;
    wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint64_t)&kvmclock | 1);
    uint32_t version;
    uint32_t mul;
    int8_t shift;
    do {
        version = __atomic_load_n(&kvmclock.version, __ATOMIC_ACQUIRE);
        mul = kvmclock.tsc_to_system_mul;
        shift = kvmclock.tsc_shift;
    } while ((version & 1) || version != __atomic_load_n(&kvmclock.version, __ATOMIC_ACQUIRE));
    if (mul == 0)
        return 0;
    /* ns = ((tsc << shift) * mul) >> 32, so hz = 1e9 * 2^32 / mul, undone by the shift */
    uint64_t hz = (uint64_t)(((unsigned __int128)1000000000u << 32) / mul);
    if (shift > 0)
        hz >>= shift;
    else
        hz <<= -shift;
    *source = "kvmclock";
    return hz;
}

uint64_t platform_wall_ns(void)
{
    return rtc_read_ns();
}

void platform_exit(int status)
{
    cpu_irq_disable();
    serial_status(status);
    /* QEMU isa-debug-exit (iobase 0xf4): the host sees (value << 1) | 1 */
    outl(ISA_DEBUG_EXIT_PORT, (uint32_t)status & 0x7f);
    /* no such device: ACPI S5 power-off (the status is lost) */
    acpi_poweroff();
    for (;;)
        __asm__ volatile("cli; hlt");
}
