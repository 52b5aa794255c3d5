#!/bin/bash
# run_args_test.sh — jeos run refuses bad arguments with a message naming what was expected
# (the boots themselves are in tests/boot/qemu_boot_test.sh).
set -u
: "${JEOS:?}" "${T_TMP:?}"
# Empty files serve the argument checks: those come before the image is read.
touch "$T_TMP/disk.raw" "$T_TMP/disk.iso" "$T_TMP/empty.qcow2" "$T_TMP/empty.vhd"
echo hello >"$T_TMP/text.raw"
head -c 1048576 /dev/zero >"$T_TMP/zero.raw"
printf 'KDMV' >"$T_TMP/short.vmdk"
check() { # name expected-exit expected-stderr args...
    local name=$1 want_rc=$2 want=$3; shift 3
    local out rc
    out=$("$JEOS" run "$@" 2>&1 >/dev/null </dev/null); rc=$?
    if [ "$rc" = "$want_rc" ] && [ "$out" = "$want" ]; then echo "PASS run_args_$name"
    else echo "FAIL run_args_$name: exit $rc, said \"$out\" (expected $want_rc, \"$want\")"; fi
}
check port 2 'jeos run: --port: expected HOST:GUEST port numbers (got "8080")' --port 8080 "$T_TMP/disk.raw"
check port_range 2 'jeos run: --port: expected HOST:GUEST port numbers (got "1:70000")' --port 1:70000 "$T_TMP/disk.raw"
check accel 2 'jeos run: --accel: expected auto, kvm or tcg (got "hvf")' --accel hvf "$T_TMP/disk.raw"
check memory 2 'jeos run: --memory: expected a size of 64M or more (got "1M")' --memory 1M "$T_TMP/disk.raw"
check cpus 2 'jeos run: --cpus: expected 1-64 (got "0")' --cpus 0 "$T_TMP/disk.raw"
check missing 1 "$T_TMP/none.raw: No such file or directory" "$T_TMP/none.raw"
check type 1 "$T_TMP/disk.iso: unknown image type (expected .raw, .qcow2, .vmdk or .vhd)" "$T_TMP/disk.iso"
# A file that is not what its name says is refused before QEMU starts (the firmware would
# otherwise print "No bootable device" and wait forever).
check not_disk 1 "$T_TMP/text.raw: not a bootable disk (shorter than one sector; expected a disk made by jeos build)" "$T_TMP/text.raw"
check no_signature 1 "$T_TMP/zero.raw: not a bootable disk (no boot signature 55 AA at byte 510; expected a disk made by jeos build)" "$T_TMP/zero.raw"
check not_qcow2 1 "$T_TMP/empty.qcow2: not a qcow2 image (no QFI magic at its start)" "$T_TMP/empty.qcow2"
check not_vmdk 1 "$T_TMP/short.vmdk: not a VMDK (neither a sparse header nor a descriptor at its start)" "$T_TMP/short.vmdk"
check not_vhd 1 "$T_TMP/empty.vhd: not a VHD (no \"conectix\" footer)" "$T_TMP/empty.vhd"
