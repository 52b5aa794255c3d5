#!/bin/bash
# tests/unikernel/pci_test.sh — PCI enumeration against QEMU's own list (QMP query-pci) under TCG:
# i440fx through the config ports with a PCI bridge and a device behind it; q35 through ECAM (MCFG)
# with a PCIe root port and 64-bit BARs above 4 GiB. Ids, class, interrupt pin and line, every BAR's kind, address and size.
set -u
UK_TEST=pci
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
elf=$UK_GUESTS/pci.elf
check=$JEOS_SRC/tests/unikernel/pci_check.py

# pc: config ports; a bridge (bus 1 behind it), an e1000 there, virtio-net and a virtio-rng (a
# virtio type without a driver: the kernel says so and goes on)
PCI_ACCESS=ports PCI_EXPECT='^virtio pci 00:04\.0: device type 4 has no driver here$' \
    python3 "$check" pci-ports "$elf" -M pc \
    -netdev user,id=n0 -device virtio-net-pci,netdev=n0,addr=0x3 \
    -device virtio-rng-pci,addr=0x4 \
    -device pci-bridge,id=br1,chassis_nr=1,addr=0x6 \
    -netdev user,id=n1 -device e1000,bus=br1,addr=0x2,netdev=n1

# q35: ECAM from the MCFG table; a root port with a modern-only virtio-net behind it; a 2 GiB
# ivshmem BAR that sends the 64-bit BARs above 4 GiB
PCI_ACCESS=ecam PCI_EXPECT='^pci 00:02\.0 1af4:1000 .* bar4 mem64,pref 0x[1-9][0-9a-f]{8}\+0x4000' \
    python3 "$check" pci-ecam "$elf" -M q35 \
    -netdev user,id=n0 -device virtio-net-pci,netdev=n0,addr=0x2 \
    -object memory-backend-memfd,id=shm,size=2G,share=on -device ivshmem-plain,memdev=shm,addr=0x3 \
    -device pcie-root-port,id=rp1,chassis=1,addr=0x5 \
    -netdev user,id=n1 -device virtio-net-pci,bus=rp1,netdev=n1
