/* unikernel/exit/acpi.h — ACPI tables: the S5 (soft-off) sleep type and power-off, table and
 * device lookups. */
#ifndef UK_EXIT_ACPI_H
#define UK_EXIT_ACPI_H

#include "arch/x86_64/bootinfo.h"

/* acpi_init: locates RSDP (boot info, else the BIOS areas), the FADT and \_S5 in the DSDT. */
void acpi_init(const struct boot_info *bi);

/* Whether acpi_init found what acpi_poweroff needs. */
int acpi_can_poweroff(void);

/* acpi_poweroff: enters S5; returns only if that failed. */
void acpi_poweroff(void);

/* Physical address of an ACPI table by signature ("APIC", "HPET", ...), or 0. */
uint64_t acpi_find_table(const char *sig);

/* A device the DSDT describes: its first fixed memory range and first interrupt. */
struct acpi_device {
    uint64_t mem_base, mem_len;
    uint32_t irq;          /* GSI */
    int irq_edge, irq_low; /* trigger and polarity from the descriptor */
};

/*
 * acpi_find_devices: the devices with _HID hid (a string _HID such as "LNRO0005") whose _CRS is
 * a resource template with a Memory32Fixed range and an Extended Interrupt, in DSDT order; up to
 * max into out. A byte scan over the DSDT (no AML interpreter): methods are not evaluated, so a
 * computed _CRS is not found. Returns how many were found.
 */
int acpi_find_devices(const char *hid, struct acpi_device *out, int max);

#endif
