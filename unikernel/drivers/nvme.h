/*
 * unikernel/drivers/nvme.h — NVMe controllers (PCI class 01/08/02) as blkdevs: the controller
 * reset from whatever state the firmware left, admin queues, Identify, one I/O queue pair on
 * MSI-X or INTx, the first active namespace.
 */
#ifndef UK_DRIVERS_NVME_H
#define UK_DRIVERS_NVME_H

#include "drivers/pci.h"

/* nvme_is: d is an NVMe controller (class 01, subclass 08, programming interface 02). */
int nvme_is(const struct pci_dev *d);

/*
 * nvme_probe: resets the controller (CC.EN=0, CSTS.RDY=0 awaited), brings it up and registers
 * its first active namespace as a blkdev. 0, or a negative errno after printing why (-EIO: the
 * controller failed or did not answer; -ENODEV: no usable namespace; -ENOMEM).
 */
int nvme_probe(struct pci_dev *d);

/* nvme_probe_all: nvme_probe on every unclaimed NVMe function; how many were found. */
int nvme_probe_all(void);

#endif
