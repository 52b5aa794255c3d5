/* unikernel/interrupts/irq.h — local APIC (x2APIC when present), IOAPIC, and vectors drivers claim.
 */
#ifndef UK_INTERRUPTS_IRQ_H
#define UK_INTERRUPTS_IRQ_H

#include <stdint.h>

typedef void (*irq_handler_fn)(void *arg);

/*
 * irq_init: masks the legacy 8259 PICs (remapped out of the exception range first), enables the
 * local APIC (x2APIC mode when the CPU has it) and masks every IOAPIC input.
 */
void irq_init(void);

/*
 * irq_claim: reserves a free vector for fn(arg), which runs on the interrupt IST stack with
 * interrupts off; the end-of-interrupt is sent after it returns. Returns the vector or -EBUSY.
 */
int irq_claim(irq_handler_fn fn, void *arg);

/* irq_claim_app: irq_claim for application handlers: the FPU/SSE/AVX state is saved around them. */
int irq_claim_app(irq_handler_fn fn, void *arg);

/*
 * irq_route_gsi: routes IOAPIC input gsi to vector on this CPU; level/active-low for PCI-style
 * lines, edge/active-high for ISA. Returns 0 or -EINVAL when no IOAPIC serves gsi.
 */
int irq_route_gsi(unsigned gsi, int vector, int level_low);

/* irq_route_gsi_mode: the same with trigger (level or edge) and polarity (low or high) apart. */
int irq_route_gsi_mode(unsigned gsi, int vector, int level, int active_low);

/*
 * irq_pci_line: the GSI, trigger and polarity of a PCI interrupt line as the firmware routed it
 * (the 8259 IRQ number in config register 0x3c) through the MADT overrides (QEMU's pc and q35:
 * level, active high), else PCI's default (level, active low). Returns 0 or -EINVAL (line >= 16).
 */
int irq_pci_line(unsigned line, unsigned *gsi, int *level, int *low);

/*
 * irq_msi_message: the MSI/MSI-X address and data that deliver vector to this CPU (fixed
 * delivery, edge).
 */
void irq_msi_message(int vector, uint64_t *addr, uint32_t *data);

/*
 * irq_route_isa: routes ISA interrupt isa_irq (0..15) to vector through the MADT's interrupt
 * source overrides (on PCs, IRQ 0 is GSI 2). Returns 0 or -EINVAL. irq_isa_gsi: the GSI it uses.
 */
int irq_route_isa(unsigned isa_irq, int vector);
unsigned irq_isa_gsi(unsigned isa_irq);

/* irq_mask_gsi: masks IOAPIC input gsi again. Returns 0 or -EINVAL. */
int irq_mask_gsi(unsigned gsi);

/* Called by trap_dispatch for vectors 32..255. */
void irq_dispatch(unsigned vector);

/* Interrupts taken since boot (all vectors). */
uint64_t irq_count(void);

/* Local APIC registers by xAPIC offset (0x20 id, 0x320 LVT timer, ...), in either mode. */
uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t v);
int lapic_is_x2apic(void);

#endif
