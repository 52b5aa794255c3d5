/*
 * unikernel/drivers/pci.h — PCI: configuration space (ECAM from the ACPI MCFG table, else ports
 * 0xcf8/0xcfc), enumeration behind bridges, BARs, capabilities, MSI-X and INTx interrupts.
 */
#ifndef UK_DRIVERS_PCI_H
#define UK_DRIVERS_PCI_H

#include <stdint.h>

#define PCI_MAX_DEVICES 64

#define PCI_CAP_MSIX   0x11
#define PCI_CAP_VENDOR 0x09

struct pci_bar {
    uint64_t addr, size; /* size 0: the BAR is not implemented */
    uint8_t io;          /* I/O space (addr is a port) */
    uint8_t mem64;       /* 64-bit memory BAR (it takes the next slot too) */
    uint8_t prefetch;
};

struct pci_dev {
    uint8_t bus, slot, fn;
    uint8_t header_type; /* 0 device, 1 PCI-PCI bridge, 2 CardBus bridge (multi-function bit off) */
    uint16_t vendor, device, subsys_vendor, subsys_id;
    uint8_t class_code, subclass, prog_if, revision;
    uint8_t irq_pin;       /* 1..4 = INTA..INTD, 0 = none */
    uint8_t irq_line;      /* the 8259 IRQ the firmware routed the pin to (0xff: none) */
    uint8_t msix_cap;      /* offset of the MSI-X capability, 0 if none */
    uint16_t msix_size;    /* MSI-X table entries */
    struct pci_bar bar[6]; /* filled by pci_size_bars */
    int sized;
    volatile uint32_t *msix_table; /* mapped by pci_msix_enable */
    int claimed;                   /* a driver took the device */
};

/*
 * pci_init: enumerates every function on bus 0 and the buses behind PCI-PCI bridges (as the
 * firmware numbered them) and finds MSI-X; config space through ECAM where the MCFG table covers
 * the bus, else the 0xcf8/0xcfc ports. Only reads: BARs are sized when a driver maps one or the
 * function is printed. Idempotent. Returns the number of functions found.
 */
int pci_init(void);

int pci_count(void);
struct pci_dev *pci_get(int index);
/* How config space is reached: "ecam" or "ports". */
const char *pci_access(void);

/* Config space of d at off (width 1, 2 or 4 bytes, naturally aligned). */
uint32_t pci_read(const struct pci_dev *d, unsigned off, unsigned width);
void pci_write(const struct pci_dev *d, unsigned off, unsigned width, uint32_t v);

/* The next capability with id after the one at offset from (0: the first); its offset, or 0. */
unsigned pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned from);

/*
 * pci_size_bars: fills d->bar (address, size, kind) by the all-ones probe, with decoding off
 * meanwhile (on QEMU each decode change rebuilds the memory map: milliseconds under TCG, so it is
 * done only for functions that need it). Once per function.
 */
void pci_size_bars(struct pci_dev *d);

/*
 * pci_bar_map: [off, off + len) of memory BAR n, mapped uncached: its address, or 0 when the BAR
 * is an I/O BAR, not implemented, unassigned, or the range does not fit in it.
 */
uint64_t pci_bar_map(struct pci_dev *d, int n, uint64_t off, uint64_t len);

/* pci_enable: memory and I/O decoding and bus mastering on. */
void pci_enable(const struct pci_dev *d);

/*
 * pci_msix_enable: maps the MSI-X table, masks every entry, turns MSI-X on (INTx off). Returns
 * the number of table entries, or a negative errno (-ENODEV: no MSI-X; -EIO: table unmappable).
 * pci_msix_set: points entry at vector on this CPU and unmasks it (0 or -EINVAL).
 * pci_msix_disable: MSI-X off again (the device falls back to INTx).
 */
int pci_msix_enable(struct pci_dev *d);
int pci_msix_set(struct pci_dev *d, unsigned entry, int vector);
void pci_msix_disable(struct pci_dev *d);

/*
 * pci_intx_attach: calls fn(arg) on the device's INTx interrupt, from the line the firmware
 * routed (config register 0x3c) through the MADT overrides to an IOAPIC input; lines are shared
 * (every handler on the input runs). INTx is enabled in the command register. Returns the GSI,
 * or a negative errno (-ENODEV: no pin or no routing; -EBUSY: out of vectors or handlers).
 */
int pci_intx_attach(struct pci_dev *d, void (*fn)(void *arg), void *arg);

/* pci_print: one line describing d (address, ids, class, interrupt, BARs, MSI-X). */
void pci_print(struct pci_dev *d);

#endif
