/*
 * unikernel/drivers/pvscsi.h — VMware's paravirtual SCSI adapter (PCI 15ad:07c0): its disks
 * (direct-access LUN 0 of each target) as blkdevs over one request and one completion ring.
 */
#ifndef UK_DRIVERS_PVSCSI_H
#define UK_DRIVERS_PVSCSI_H

#include "drivers/pci.h"

/* pvscsi_is: d is a pvscsi adapter. */
int pvscsi_is(const struct pci_dev *d);

/*
 * pvscsi_probe: resets the adapter (a loader may have left its rings running), sets up the
 * rings, finds the disks (INQUIRY on every target, READ CAPACITY, MODE SENSE for write protect,
 * the unit serial number page) and registers each as a blkdev. The number of disks, or a negative
 * errno after printing why.
 */
int pvscsi_probe(struct pci_dev *d);

/* pvscsi_probe_all: pvscsi_probe on every unclaimed adapter; how many adapters were found. */
int pvscsi_probe_all(void);

#endif
