/*
 * unikernel/drivers/vmxnet3.h — VMware's vmxnet3 NIC (PCI 15ad:07b0) as a netdev: revision 1,
 * one TX and one RX queue with their completion rings, MSI-X entry 0 or INTx.
 */
#ifndef UK_DRIVERS_VMXNET3_H
#define UK_DRIVERS_VMXNET3_H

#include "drivers/pci.h"

/* vmxnet3_is: d is a vmxnet3 function. */
int vmxnet3_is(const struct pci_dev *d);

/*
 * vmxnet3_probe: resets the device (whatever a loader left it doing), selects revision 1, hands
 * it the shared area and rings, activates it and registers a netdev. 0, or a negative errno
 * after printing why.
 */
int vmxnet3_probe(struct pci_dev *d);

/* vmxnet3_probe_all: vmxnet3_probe on every unclaimed vmxnet3 function; how many were found. */
int vmxnet3_probe_all(void);

#endif
