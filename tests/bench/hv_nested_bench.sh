#!/bin/bash
# hv_nested_bench.sh — jeos-hv against QEMU microvm (PVH), both on KVM on AMD-V with nested paging
# in the nested L1 of tests/hypervisor/nested (with qemu-system-x86 added to its packages): hello
# and a threads+files program, start to exit, peak RSS, VM exits, and batched net frames; ratios.
# What runs inside: tests/hypervisor/nested/bench.sh.
set -u
cd "$(dirname "$0")/../.."
export JEOS_SRC=$PWD
: "${T_TMP:?}"
export NESTED_TIMEOUT=${NESTED_TIMEOUT:-1200} # QEMU takes ~15 s a boot in the L1
. tests/hypervisor/nested/lib.sh
why=$(nested_check)
if [ -n "$why" ]; then
    echo "SKIP hv_nested_bench: $why"
    exit 0
fi
W=$T_TMP
nested_payload "$W/l1" tests/hypervisor/nested/bench.sh
if ! nested_elfs "$W/elf" recipes/hello.yaml tests/bench/nested/tf.yaml; then
    echo "FAIL hv_nested_bench: $NESTED_WHY"
    exit 1
fi
cp "$W"/elf/hello/hello{,-hv}.elf "$W"/elf/tf/tf{,-hv}.elf "$W/l1/payload/elf/"
# the unikernel net guest for QEMU microvm (its jeos-hv build is in guests-hv)
cp "$NESTED_OUT/unikernel/guests/net.elf" "$W/l1/payload/out/unikernel/guests/"
if ! nested_image "$W/l1" l1bench qemu-system-x86; then
    echo "SKIP hv_nested_bench: $NESTED_WHY"
    exit 0
fi
nested_boot "$NESTED_IMG" "$W"
grep -v '^nested: ' "$W/results" | sed 's/^PASS nested-/PASS /; s/^FAIL nested-/FAIL /'
echo "hv_nested_bench: L1 image $([ "$NESTED_CACHED" = 1 ] && echo cached || echo built) in" \
    "${NESTED_BUILD_S} s, QEMU start to power-off ${NESTED_BOOT_S} s"
grep -q '^PASS nested-hv_nested_bench' "$W/results" || { tail -n 20 "$W/console"; exit 1; }
