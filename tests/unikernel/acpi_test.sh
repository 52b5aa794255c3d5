#!/bin/bash
# tests/unikernel/acpi_test.sh — with no isa-debug-exit device the guest powers off through ACPI S5
# (FADT PM1a control, \_S5 from the DSDT): QEMU must end by itself, status 0, after the hello line.
set -u
UK_TEST=acpi
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
for machine in pc q35; do
    log=$T_TMP/$machine.log
    timeout 30 qemu-system-x86_64 -accel tcg -M $machine -m 128 -display none -monitor none \
        -serial stdio -kernel "$UK_GUESTS/hello.elf" </dev/null >"$log" 2>&1
    rc=$?
    # no -no-reboot: a triple fault would reboot and print hello again instead of ending QEMU
    hellos=$(grep -c '^Hello from the jeos unikernel' "$log")
    if [ "$hellos" -ne 1 ]; then
        echo "FAIL acpi-poweroff-$machine: $hellos hello lines (QEMU status $rc), expected 1"
    elif [ "$rc" -ne 0 ]; then
        echo "FAIL acpi-poweroff-$machine: QEMU status $rc (124 = still running: no power-off)"
    else
        echo "PASS acpi-poweroff-$machine"
    fi
done
