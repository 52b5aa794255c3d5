/*
 * tests/unikernel/guests/pci.c — lists the PCI functions the kernel found (one line each: address,
 * ids, class, interrupt, BARs, MSI-X), then, with "wait", idles until the test has asked QEMU for
 * its own list and stops it.
 */
#include "drivers/pci.h"
#include "uk.h"

int main(int argc, char **argv)
{
    int n = pci_count();
    uk_printf("pci: access %s\n", pci_access());
    for (int i = 0; i < n; i++)
        pci_print(pci_get(i));
    uk_printf("pci: %d functions\n", n);
    if (argc > 1 && argv[1][0] == 'w')
        uk_sleep_ns(20000000000ull);
    return 0;
}
