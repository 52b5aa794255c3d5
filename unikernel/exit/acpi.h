/* unikernel/exit/acpi.h — ACPI tables: finding the S5 (soft-off) sleep type and powering off. */
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

#endif
