/* unikernel/interrupts/irq.c — vector table, 8259 masking, local APIC and IOAPIC programming. */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/paging.h"
#include "exit/acpi.h"
#include "interrupts/irq.h"
#include "lib/string.h"

#define VEC_FIRST_CLAIM 0x30
#define VEC_LAST_CLAIM  0xef
#define VEC_SPURIOUS    0xff
#define PIC_VEC_BASE    0x20

#define LAPIC_ID         0x20
#define LAPIC_EOI        0xb0
#define LAPIC_SVR        0xf0
#define LAPIC_LINT0      0x350
#define LAPIC_LINT1      0x360
#define LAPIC_LVT_MASKED (1u << 16)

#define IOAPIC_DEFAULT_BASE 0xfec00000u

struct vec_entry {
    irq_handler_fn fn;
    void *arg;
    int save_fpu; /* the handler is application code and may use SSE/AVX registers */
};

/* FPU/SSE/AVX state of the interrupted code while an application handler runs (no nesting). */
static uint8_t fpu_area[4096] __attribute__((aligned(64)));

static struct vec_entry vectors[256];
static volatile uint32_t *lapic_mmio;
static int x2apic;
#define IOAPIC_MAX 4

struct ioapic {
    volatile uint32_t *mmio;
    unsigned gsi_base, count;
};

static struct ioapic ioapics[IOAPIC_MAX];
static unsigned nioapic;
static uint64_t irqs;
static uint32_t isa_gsi[16];   /* ISA IRQ -> GSI (MADT interrupt source overrides) */
static uint16_t isa_flags[16]; /* MPS INTI flags of the override, 0 = bus default */

uint32_t lapic_read(uint32_t reg)
{
    if (x2apic)
        return (uint32_t)rdmsr(0x800 + (reg >> 4));
    return lapic_mmio[reg / 4];
}

void lapic_write(uint32_t reg, uint32_t v)
{
    if (x2apic)
        wrmsr(0x800 + (reg >> 4), v);
    else
        lapic_mmio[reg / 4] = v;
}

int lapic_is_x2apic(void)
{
    return x2apic;
}

static uint32_t ioapic_read(const struct ioapic *io, uint32_t reg)
{
    io->mmio[0] = reg;
    return io->mmio[4];
}

static void ioapic_write(const struct ioapic *io, uint32_t reg, uint32_t v)
{
    io->mmio[0] = reg;
    io->mmio[4] = v;
}

static void add_ioapic(uint64_t base, unsigned gsi_base)
{
    if (nioapic == IOAPIC_MAX || paging_map_mmio(base, 4096) < 0)
        return;
    struct ioapic *io = &ioapics[nioapic++];
    io->mmio = (volatile uint32_t *)base;
    io->gsi_base = gsi_base;
    io->count = ((ioapic_read(io, 1) >> 16) & 0xff) + 1;
}

/* The IOAPIC serving gsi, or NULL; its input number in *pin. */
static const struct ioapic *ioapic_of(unsigned gsi, unsigned *pin)
{
    for (unsigned i = 0; i < nioapic; i++)
        if (gsi >= ioapics[i].gsi_base && gsi < ioapics[i].gsi_base + ioapics[i].count) {
            *pin = gsi - ioapics[i].gsi_base;
            return &ioapics[i];
        }
    return NULL;
}

/* The IOAPICs from the ACPI MADT (else the PC default address) and the ISA overrides. */
static void find_ioapic(void)
{
    uint64_t madt = acpi_find_table("APIC");
    for (unsigned i = 0; i < 16; i++)
        isa_gsi[i] = i;
    if (madt) {
        uint32_t len = *(const uint32_t *)(madt + 4);
        for (uint64_t p = madt + 44; p + 2 <= madt + len;) {
            const uint8_t *e = (const uint8_t *)p;
            if (e[1] < 2)
                break;
            if (e[0] == 1 && e[1] >= 12) {
                uint32_t a, gsi;
                memcpy(&a, e + 4, 4);
                memcpy(&gsi, e + 8, 4);
                add_ioapic(a, gsi);
            } else if (e[0] == 2 && e[1] >= 10 && e[2] == 0 && e[3] < 16) {
                uint32_t gsi; /* interrupt source override on the ISA bus */
                uint16_t flags;
                memcpy(&gsi, e + 4, 4);
                memcpy(&flags, e + 8, 2);
                isa_gsi[e[3]] = gsi;
                isa_flags[e[3]] = flags;
            }
            p += e[1];
        }
    }
    if (!nioapic)
        add_ioapic(IOAPIC_DEFAULT_BASE, 0);
}

void irq_init(void)
{
    /* 8259: remap to 0x20..0x2f (away from exceptions), then mask every line */
    outb(0x20, 0x11);
    outb(0xa0, 0x11);
    outb(0x21, PIC_VEC_BASE);
    outb(0xa1, PIC_VEC_BASE + 8);
    outb(0x21, 4);
    outb(0xa1, 2);
    outb(0x21, 1);
    outb(0xa1, 1);
    outb(0x21, 0xff);
    outb(0xa1, 0xff);

    uint64_t base = rdmsr(MSR_APIC_BASE);
    base |= 1u << 11; /* global enable */
    if (cpu_features.x2apic) {
        base |= 1u << 10;
        x2apic = 1;
    }
    wrmsr(MSR_APIC_BASE, base);
    lapic_mmio = (volatile uint32_t *)(base & 0xfffff000u);
    if (!x2apic)
        paging_map_mmio(base & 0xfffff000u, 4096);
    lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
    lapic_write(LAPIC_LINT0, LAPIC_LVT_MASKED);
    lapic_write(LAPIC_LINT1, 0x400); /* NMI */

    find_ioapic();
    for (unsigned k = 0; k < nioapic; k++)
        for (unsigned i = 0; i < ioapics[k].count; i++) {
            ioapic_write(&ioapics[k], 0x10 + 2 * i, 1u << 16); /* masked */
            ioapic_write(&ioapics[k], 0x11 + 2 * i, 0);
        }
}

static int claim(irq_handler_fn fn, void *arg, int save_fpu)
{
    for (int v = VEC_FIRST_CLAIM; v <= VEC_LAST_CLAIM; v++)
        if (!vectors[v].fn) {
            vectors[v] = (struct vec_entry){fn, arg, save_fpu};
            return v;
        }
    return -16;
}

int irq_claim(irq_handler_fn fn, void *arg)
{
    return claim(fn, arg, 0);
}

int irq_claim_app(irq_handler_fn fn, void *arg)
{
    return claim(fn, arg, 1);
}

static void fpu_save(void)
{
    if (cpu_features.xsave)
        __asm__ volatile("xsave64 %0" : "=m"(fpu_area) : "a"(~0u), "d"(~0u) : "memory");
    else
        __asm__ volatile("fxsave64 %0" : "=m"(fpu_area) : : "memory");
}

static void fpu_restore(void)
{
    if (cpu_features.xsave)
        __asm__ volatile("xrstor64 %0" : : "m"(fpu_area), "a"(~0u), "d"(~0u) : "memory");
    else
        __asm__ volatile("fxrstor64 %0" : : "m"(fpu_area) : "memory");
}

static uint32_t apic_id(void)
{
    uint32_t id = lapic_read(LAPIC_ID);
    return x2apic ? id : id >> 24;
}

int irq_route_gsi_mode(unsigned gsi, int vector, int level, int active_low)
{
    unsigned pin;
    const struct ioapic *io = ioapic_of(gsi, &pin);
    if (!io || vector < 32 || vector > 255)
        return -22;
    uint32_t lo = (uint32_t)vector | (level ? 1u << 15 : 0) | (active_low ? 1u << 13 : 0);
    ioapic_write(io, 0x11 + 2 * pin, apic_id() << 24);
    ioapic_write(io, 0x10 + 2 * pin, lo);
    return 0;
}

int irq_route_gsi(unsigned gsi, int vector, int level_low)
{
    return irq_route_gsi_mode(gsi, vector, level_low, level_low);
}

/* MPS INTI flags: polarity in bits 0-1, trigger in bits 2-3 (0 = the bus's default, 3 = the
 * non-default one: active low, level). */
static void inti_mode(uint16_t flags, int default_level_low, int *level, int *low)
{
    unsigned pol = flags & 3, trig = (flags >> 2) & 3;
    *low = pol == 0 ? default_level_low : pol == 3;
    *level = trig == 0 ? default_level_low : trig == 3;
}

int irq_route_isa(unsigned isa_irq, int vector)
{
    if (isa_irq >= 16)
        return -22;
    int level, low;
    inti_mode(isa_flags[isa_irq], 0, &level, &low); /* ISA: edge, active high */
    return irq_route_gsi_mode(isa_gsi[isa_irq], vector, level, low);
}

int irq_pci_line(unsigned line, unsigned *gsi, int *level, int *low)
{
    if (line >= 16)
        return -22;
    *gsi = isa_gsi[line];
    inti_mode(isa_flags[line], 1, level, low); /* PCI: level, active low */
    return 0;
}

unsigned irq_isa_gsi(unsigned isa_irq)
{
    return isa_irq < 16 ? isa_gsi[isa_irq] : isa_irq;
}

int irq_mask_gsi(unsigned gsi)
{
    unsigned pin;
    const struct ioapic *io = ioapic_of(gsi, &pin);
    if (!io)
        return -22;
    ioapic_write(io, 0x10 + 2 * pin, ioapic_read(io, 0x10 + 2 * pin) | (1u << 16));
    return 0;
}

void irq_msi_message(int vector, uint64_t *addr, uint32_t *data)
{
    *addr = 0xfee00000u | (uint64_t)(apic_id() & 0xff) << 12; /* fixed, physical destination */
    *data = (uint32_t)vector;                                 /* edge, fixed delivery */
}

void irq_dispatch(unsigned vector)
{
    irqs++;
    if (vector == VEC_SPURIOUS || (vector >= PIC_VEC_BASE && vector < PIC_VEC_BASE + 16))
        return; /* spurious: no end-of-interrupt */
    const struct vec_entry *e = &vectors[vector < 256 ? vector : 0];
    if (e->fn && e->save_fpu) {
        fpu_save();
        e->fn(e->arg);
        fpu_restore();
    } else if (e->fn) {
        e->fn(e->arg);
    }
    lapic_write(LAPIC_EOI, 0);
}

uint64_t irq_count(void)
{
    return irqs;
}
