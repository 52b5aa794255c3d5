/* unikernel/drivers/pci.c — PCI configuration access, enumeration, BAR sizing, MSI-X and INTx. */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/paging.h"
#include "console/console.h"
#include "drivers/pci.h"
#include "exit/acpi.h"
#include "interrupts/irq.h"
#include "lib/string.h"

#define CFG_ADDR 0xcf8
#define CFG_DATA 0xcfc

#define PCI_COMMAND        0x04
#define PCI_CMD_IO         (1u << 0)
#define PCI_CMD_MEM        (1u << 1)
#define PCI_CMD_MASTER     (1u << 2)
#define PCI_CMD_INTX_OFF   (1u << 10)
#define PCI_STATUS         0x06
#define PCI_STATUS_CAPS    (1u << 4)
#define PCI_MSIX_ENABLE    (1u << 15)
#define PCI_MSIX_FUNC_MASK (1u << 14)

#define MCFG_MAX      4
#define INTX_MAX      8 /* distinct interrupt inputs */
#define INTX_HANDLERS 8 /* handlers on one input */

struct ecam {
    uint64_t base;
    uint8_t bus_start, bus_end;
};

static struct ecam ecams[MCFG_MAX];
static int necam;
static struct pci_dev devs[PCI_MAX_DEVICES];
static int ndevs, done_init;
static uint8_t scanned[32]; /* a bit per bus number */

/* Config space of bus/slot/fn through ECAM when MCFG covers the bus, else NULL. */
static volatile uint8_t *ecam_at(unsigned bus, unsigned slot, unsigned fn)
{
    for (int i = 0; i < necam; i++)
        if (bus >= ecams[i].bus_start && bus <= ecams[i].bus_end)
            return (volatile uint8_t *)(uintptr_t)(ecams[i].base +
                                                   ((uint64_t)(bus - ecams[i].bus_start) << 20) +
                                                   (slot << 15) + (fn << 12));
    return NULL;
}

static uint32_t cfg_read(unsigned bus, unsigned slot, unsigned fn, unsigned off, unsigned width)
{
    volatile uint8_t *e = ecam_at(bus, slot, fn);
    if (e) {
        if (width == 1)
            return e[off];
        if (width == 2)
            return *(volatile uint16_t *)(e + off);
        return *(volatile uint32_t *)(e + off);
    }
    outl(CFG_ADDR, 0x80000000u | bus << 16 | slot << 11 | fn << 8 | (off & 0xfc));
    if (width == 1)
        return inb((uint16_t)(CFG_DATA + (off & 3)));
    if (width == 2)
        return inw((uint16_t)(CFG_DATA + (off & 2)));
    return inl(CFG_DATA);
}

static void cfg_write(unsigned bus, unsigned slot, unsigned fn, unsigned off, unsigned width,
                      uint32_t v)
{
    volatile uint8_t *e = ecam_at(bus, slot, fn);
    if (e) {
        if (width == 1)
            e[off] = (uint8_t)v;
        else if (width == 2)
            *(volatile uint16_t *)(e + off) = (uint16_t)v;
        else
            *(volatile uint32_t *)(e + off) = v;
        return;
    }
    outl(CFG_ADDR, 0x80000000u | bus << 16 | slot << 11 | fn << 8 | (off & 0xfc));
    if (width == 1)
        outb((uint16_t)(CFG_DATA + (off & 3)), (uint8_t)v);
    else if (width == 2)
        outw((uint16_t)(CFG_DATA + (off & 2)), (uint16_t)v);
    else
        outl(CFG_DATA, v);
}

uint32_t pci_read(const struct pci_dev *d, unsigned off, unsigned width)
{
    return cfg_read(d->bus, d->slot, d->fn, off, width);
}

void pci_write(const struct pci_dev *d, unsigned off, unsigned width, uint32_t v)
{
    cfg_write(d->bus, d->slot, d->fn, off, width, v);
}

/* ECAM windows of segment 0 from the MCFG table, mapped uncached. */
static void find_ecam(void)
{
    uint64_t mcfg = acpi_find_table("MCFG");
    if (!mcfg)
        return;
    uint32_t len;
    memcpy(&len, (const void *)(mcfg + 4), 4);
    for (uint64_t p = mcfg + 44; p + 16 <= mcfg + len && necam < MCFG_MAX; p += 16) {
        struct ecam e;
        uint16_t segment;
        memcpy(&e.base, (const void *)p, 8);
        memcpy(&segment, (const void *)(p + 8), 2);
        e.bus_start = *(const uint8_t *)(p + 10);
        e.bus_end = *(const uint8_t *)(p + 11);
        if (segment != 0 || e.bus_end < e.bus_start)
            continue;
        if (paging_map_mmio(e.base, (uint64_t)(e.bus_end - e.bus_start + 1) << 20) < 0) {
            printk("pci: ECAM window at 0x%lx cannot be mapped; using the config ports\n",
                   (unsigned long)e.base);
            continue;
        }
        ecams[necam++] = e;
    }
}

const char *pci_access(void)
{
    return necam ? "ecam" : "ports";
}

void pci_size_bars(struct pci_dev *d)
{
    if (d->sized)
        return;
    d->sized = 1;
    int nbars = d->header_type == 0 ? 6 : d->header_type == 1 ? 2 : 0;
    uint32_t cmd = pci_read(d, PCI_COMMAND, 2);
    pci_write(d, PCI_COMMAND, 2, cmd & ~(PCI_CMD_IO | PCI_CMD_MEM));
    for (int i = 0; i < nbars; i++) {
        unsigned off = 0x10 + 4 * (unsigned)i;
        uint32_t lo = pci_read(d, off, 4);
        pci_write(d, off, 4, 0xffffffffu);
        uint32_t mask = pci_read(d, off, 4);
        pci_write(d, off, 4, lo);
        struct pci_bar *b = &d->bar[i];
        if (lo & 1) { /* I/O: 16 or 32 address bits implemented */
            mask &= ~3u;
            if (mask && !(mask >> 16))
                mask |= 0xffff0000u;
            b->io = 1;
            b->addr = lo & ~3u;
            b->size = mask ? (uint32_t)(~mask + 1) : 0;
            continue;
        }
        uint64_t addr = lo & ~0xfu, m = mask & ~0xfu ? (mask & ~0xfu) | 0xffffffff00000000ull : 0;
        b->prefetch = (lo >> 3) & 1;
        if (((lo >> 1) & 3) == 2 && i + 1 < nbars) { /* 64-bit: the next BAR is the high half */
            uint32_t hi = pci_read(d, off + 4, 4);
            pci_write(d, off + 4, 4, 0xffffffffu);
            uint32_t mhi = pci_read(d, off + 4, 4);
            pci_write(d, off + 4, 4, hi);
            addr |= (uint64_t)hi << 32;
            m = (uint64_t)mhi << 32 | (mask & ~0xfu);
            b->mem64 = 1;
            i++;
        }
        b->addr = addr;
        b->size = m ? ~m + 1 : 0;
    }
    pci_write(d, PCI_COMMAND, 2, cmd);
}

unsigned pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned from)
{
    if (!(pci_read(d, PCI_STATUS, 2) & PCI_STATUS_CAPS))
        return 0;
    unsigned p = from ? pci_read(d, from + 1, 1) : pci_read(d, 0x34, 1);
    for (int hops = 0; p >= 0x40 && p < 0x100 && hops < 48; hops++) { /* a loop ends too */
        p &= ~3u;
        if (pci_read(d, p, 1) == id)
            return p;
        p = pci_read(d, p + 1, 1);
    }
    return 0;
}

static void scan_bus(unsigned bus);

static void add_function(unsigned bus, unsigned slot, unsigned fn, uint32_t id)
{
    if (ndevs == PCI_MAX_DEVICES) {
        printk("pci: more than %d functions; %02x:%02x.%x and later ones ignored\n",
               PCI_MAX_DEVICES, bus, slot, fn);
        return;
    }
    struct pci_dev *d = &devs[ndevs++];
    memset(d, 0, sizeof(*d));
    d->bus = (uint8_t)bus;
    d->slot = (uint8_t)slot;
    d->fn = (uint8_t)fn;
    d->vendor = (uint16_t)id;
    d->device = (uint16_t)(id >> 16);
    uint32_t cls = pci_read(d, 0x08, 4);
    d->revision = (uint8_t)cls;
    d->prog_if = (uint8_t)(cls >> 8);
    d->subclass = (uint8_t)(cls >> 16);
    d->class_code = (uint8_t)(cls >> 24);
    d->header_type = (uint8_t)(pci_read(d, 0x0e, 1) & 0x7f);
    if (d->header_type == 0) {
        uint32_t sub = pci_read(d, 0x2c, 4);
        d->subsys_vendor = (uint16_t)sub;
        d->subsys_id = (uint16_t)(sub >> 16);
    }
    uint32_t intr = pci_read(d, 0x3c, 2);
    d->irq_line = (uint8_t)intr;
    d->irq_pin = (uint8_t)(intr >> 8);
    if (d->irq_pin > 4)
        d->irq_pin = 0;
    unsigned msix = pci_find_cap(d, PCI_CAP_MSIX, 0);
    if (msix) {
        d->msix_cap = (uint8_t)msix;
        d->msix_size = (uint16_t)((pci_read(d, msix + 2, 2) & 0x7ff) + 1);
    }
    if (d->header_type == 1) { /* PCI-PCI bridge: the bus behind it, as the firmware numbered */
        unsigned secondary = pci_read(d, 0x19, 1);
        if (secondary > bus)
            scan_bus(secondary);
        else
            printk("pci: bridge %02x:%02x.%x has no bus number (secondary %u); not scanned\n", bus,
                   slot, fn, secondary);
    }
}

static void scan_bus(unsigned bus)
{
    if (scanned[bus / 8] & (1u << (bus % 8)))
        return;
    scanned[bus / 8] |= (uint8_t)(1u << (bus % 8));
    for (unsigned slot = 0; slot < 32; slot++) {
        uint32_t id = cfg_read(bus, slot, 0, 0, 4);
        if ((uint16_t)id == 0xffff || (uint16_t)id == 0)
            continue;
        int multi = (cfg_read(bus, slot, 0, 0x0e, 1) & 0x80) != 0;
        add_function(bus, slot, 0, id);
        for (unsigned fn = 1; multi && fn < 8; fn++) {
            id = cfg_read(bus, slot, fn, 0, 4);
            if ((uint16_t)id != 0xffff && (uint16_t)id != 0)
                add_function(bus, slot, fn, id);
        }
    }
}

int pci_init(void)
{
    if (done_init)
        return ndevs;
    done_init = 1;
    find_ecam();
    scan_bus(0);
    return ndevs;
}

int pci_count(void)
{
    return ndevs;
}

struct pci_dev *pci_get(int index)
{
    return index >= 0 && index < ndevs ? &devs[index] : NULL;
}

uint64_t pci_bar_map(struct pci_dev *d, int n, uint64_t off, uint64_t len)
{
    if (n < 0 || n > 5)
        return 0;
    pci_size_bars(d);
    const struct pci_bar *b = &d->bar[n];
    if (b->io || !b->size || !b->addr || off > b->size || len > b->size - off)
        return 0;
    if (paging_map_mmio(b->addr + off, len ? len : 1) < 0)
        return 0;
    return b->addr + off;
}

void pci_enable(const struct pci_dev *d)
{
    uint32_t cmd = pci_read(d, PCI_COMMAND, 2);
    pci_write(d, PCI_COMMAND, 2, cmd | PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER);
}

int pci_msix_enable(struct pci_dev *d)
{
    if (!d->msix_cap)
        return -19;
    uint32_t table = pci_read(d, d->msix_cap + 4, 4);
    uint64_t t = pci_bar_map(d, (int)(table & 7), table & ~7u, (uint64_t)d->msix_size * 16);
    if (!t) {
        printk("pci %02x:%02x.%x: MSI-X table (BAR %u + 0x%x, %u entries) outside its BAR\n",
               d->bus, d->slot, d->fn, table & 7, table & ~7u, d->msix_size);
        return -5;
    }
    d->msix_table = (volatile uint32_t *)(uintptr_t)t;
    uint32_t mc = pci_read(d, d->msix_cap + 2, 2);
    pci_write(d, d->msix_cap + 2, 2, mc | PCI_MSIX_ENABLE | PCI_MSIX_FUNC_MASK);
    for (unsigned i = 0; i < d->msix_size; i++)
        d->msix_table[i * 4 + 3] = 1; /* masked */
    pci_write(d, PCI_COMMAND, 2, pci_read(d, PCI_COMMAND, 2) | PCI_CMD_INTX_OFF);
    pci_write(d, d->msix_cap + 2, 2, (mc | PCI_MSIX_ENABLE) & ~PCI_MSIX_FUNC_MASK);
    return d->msix_size;
}

int pci_msix_set(struct pci_dev *d, unsigned entry, int vector)
{
    if (!d->msix_table || entry >= d->msix_size || vector < 32 || vector > 255)
        return -22;
    uint64_t addr;
    uint32_t data;
    irq_msi_message(vector, &addr, &data);
    volatile uint32_t *e = d->msix_table + entry * 4;
    e[3] = 1;
    e[0] = (uint32_t)addr;
    e[1] = (uint32_t)(addr >> 32);
    e[2] = data;
    e[3] = 0;
    return 0;
}

void pci_msix_disable(struct pci_dev *d)
{
    if (!d->msix_cap)
        return;
    uint32_t mc = pci_read(d, d->msix_cap + 2, 2);
    pci_write(d, d->msix_cap + 2, 2, mc & ~(PCI_MSIX_ENABLE | PCI_MSIX_FUNC_MASK));
    d->msix_table = NULL;
}

/* One IOAPIC input shared by the PCI functions routed to it. */
struct intx {
    unsigned gsi;
    int vector, n;
    struct {
        void (*fn)(void *arg);
        void *arg;
    } h[INTX_HANDLERS];
};

static struct intx intxs[INTX_MAX];
static int nintx;

static void intx_dispatch(void *arg)
{
    struct intx *x = arg;
    for (int i = 0; i < x->n; i++)
        x->h[i].fn(x->h[i].arg);
}

int pci_intx_attach(struct pci_dev *d, void (*fn)(void *arg), void *arg)
{
    unsigned gsi;
    int level, low;
    if (!d->irq_pin || d->irq_line == 0 || d->irq_line == 0xff ||
        irq_pci_line(d->irq_line, &gsi, &level, &low) < 0)
        return -19;
    struct intx *x = NULL;
    for (int i = 0; i < nintx; i++)
        if (intxs[i].gsi == gsi)
            x = &intxs[i];
    if (!x) {
        if (nintx == INTX_MAX)
            return -16;
        x = &intxs[nintx];
        *x = (struct intx){.gsi = gsi};
        x->vector = irq_claim(intx_dispatch, x);
        if (x->vector < 0)
            return -16;
        nintx++;
    }
    if (x->n == INTX_HANDLERS)
        return -16;
    x->h[x->n].fn = fn;
    x->h[x->n].arg = arg;
    x->n++;
    pci_write(d, PCI_COMMAND, 2, pci_read(d, PCI_COMMAND, 2) & ~PCI_CMD_INTX_OFF);
    if (x->n == 1 && irq_route_gsi_mode(gsi, x->vector, level, low) < 0)
        return -19;
    return (int)gsi;
}

void pci_print(struct pci_dev *d)
{
    pci_size_bars(d);
    char line[512];
    int n =
        uk_snprintf(line, sizeof(line), "pci %02x:%02x.%x %04x:%04x class %02x%02x%02x", d->bus,
                    d->slot, d->fn, d->vendor, d->device, d->class_code, d->subclass, d->prog_if);
    if (d->irq_pin)
        n += uk_snprintf(line + n, sizeof(line) - (size_t)n, " int%c line %u", 'a' + d->irq_pin - 1,
                         d->irq_line);
    for (int i = 0; i < 6; i++) {
        const struct pci_bar *b = &d->bar[i];
        if (!b->size)
            continue;
        n +=
            uk_snprintf(line + n, sizeof(line) - (size_t)n, " bar%d %s%s 0x%lx+0x%lx", i,
                        b->io      ? "io"
                        : b->mem64 ? "mem64"
                                   : "mem32",
                        b->prefetch ? ",pref" : "", (unsigned long)b->addr, (unsigned long)b->size);
    }
    if (d->msix_cap)
        n += uk_snprintf(line + n, sizeof(line) - (size_t)n, " msix %u", d->msix_size);
    printk("%s\n", line);
}
