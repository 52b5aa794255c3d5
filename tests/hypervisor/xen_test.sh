#!/bin/bash
# xen_test.sh — the Xen tests, under real Xen: Debian's Xen 4.17 booted under qemu-system-x86_64
# -accel tcg -cpu qemu64,+svm,+npt with a PV dom0 built by jeos (tests/hypervisor/xen/dom0.yaml,
# its kernel booted with its own NAME-xen.cfg command line) that runs, over a 9p share,
# tests/hypervisor/xen/unikernel.sh (hello and seven, NAME-xen.elf from their NAME-xen.cfg as PVH
# domUs: console ring and exit status) and tests/hypervisor/xen/appliance.sh (the nginx appliance
# built with format xen, created from its NAME-xen.cfg as a PVH domU, its page fetched over its
# vif) and tests/hypervisor/xen/pv.sh (the PV devices: the httpd unikernel answering dom0 through
# netfront, the blk guest writing through blkfront, checked here in the backing files dom0 copies
# back, and tests/runtime/volhv.yaml's ext4 volume on blkfront from the volhv-xen.cfg jeos build
# wrote, checked here with e2fsck and debugfs). One boot; verdicts on the console. Before it, with no toolstack, hello-xen.elf and
# seven-xen.elf boot as Xen's PVH dom0 (console_io, SCHEDOP_shutdown seen by Xen).
set -u
: "${JEOS_SRC:?}" "${T_TMP:?}"
. "$JEOS_SRC/tests/hypervisor/xen/lib.sh"
W=$T_TMP
why=$(xen_check)
if [ -n "$why" ]; then
    echo "SKIP xen: $why"
    exit 0
fi
S=$W/share
xen_share "$S" unikernel.sh pv.sh appliance.sh
export JEOS_INIT=$XEN_OUT/jeos-init

# hello and seven (hello returning 7) for the xen platform
mkdir -p "$W/uk/hello"
cp "$JEOS_SRC/recipes/hello.yaml" "$W/uk/"
cp "$JEOS_SRC/recipes/hello/hello.c" "$W/uk/hello/"
sed 's/return 0;/return 7;/' "$JEOS_SRC/recipes/hello/hello.c" >"$W/uk/hello/seven.c"
sed 's/^name: hello/name: seven/; s|hello/hello.c|hello/seven.c|' "$JEOS_SRC/recipes/hello.yaml" >"$W/uk/seven.yaml"
for r in hello seven; do
    if ! (cd "$W/uk" && SOURCE_DATE_EPOCH=1700000000 "$JEOS" -q build -o "$S/uk" $r.yaml) >"$W/uk.log" 2>&1; then
        echo "FAIL xen-uk-build: jeos build $r.yaml: $(tail -n 5 "$W/uk.log" | tr '\n' ' ')"
        exit 0
    fi
done

# an ext4 volume on blkfront: tests/runtime/volhv.yaml, its volume written into the build folder
mkdir -p "$W/uk/src"
cp "$JEOS_SRC/tests/runtime/volhv.yaml" "$W/uk/"
cp "$JEOS_SRC/tests/runtime/src/volhv.c" "$W/uk/src/"
if ! (cd "$W/uk" && SOURCE_DATE_EPOCH=1700000000 "$JEOS" -q build -o "$S/uk" volhv.yaml) >"$W/uk.log" 2>&1; then
    echo "FAIL xen-uk-build: jeos build volhv.yaml: $(tail -n 5 "$W/uk.log" | tr '\n' ' ')"
    exit 0
fi

# the httpd unikernel and the nginx appliance with their addresses on the dom0's bridge
if ! xen_web_guests "$S" "$W"; then
    [ "$XEN_SKIP" = 1 ] && echo "SKIP xen: $XEN_WHY" || echo "FAIL xen-guest-build: $XEN_WHY"
    exit 0
fi
mkdir -p "$S/blk"
# the blk test guest for the xen platform, and its disk with the host's pattern (16 MiB)
blk_elf=$XEN_OUT/unikernel/guests-xen/blk.elf
blk_check=$JEOS_SRC/tests/unikernel/blk_check.py
cp "$blk_elf" "$S/blk/blk-xen.elf" && python3 "$blk_check" make "$S/blk/blk.img" 16777216 || {
    echo "FAIL xen-blkfront: no $blk_elf (make) or blk_check.py make failed"
    exit 0
}

# as Xen's PVH dom0, no toolstack: dom0 writes through console_io, and Xen itself reports how the
# hardware domain ended
for g in hello:0:halted seven:7:crashed; do
    IFS=: read -r name status how <<<"$g"
    mkdir -p "$W/pvh-$name"
    xen_pvh_dom0 "$S/uk/$name/$name-xen.elf" "$W/pvh-$name"
    c=$W/pvh-$name/console
    if grep -qx "Hello from a jeos unikernel ($name, 0 arguments)" "$c" &&
        grep -q "^xen: exit status $status: SCHEDOP_shutdown" "$c" && grep -q "^(XEN) Hardware Dom0 $how" "$c"; then
        echo "PASS xen-uk-dom0-$name (PVH dom0: its greeting through console_io; status $status, Xen: Hardware Dom0 $how; QEMU start to there ${XEN_BOOT_S} s)"
    else
        echo "FAIL xen-uk-dom0-$name: expected the greeting, status $status and Xen's \"Hardware Dom0 $how\"; console tail:"
        tail -n 12 "$c" | sed 's/^/    /'
    fi
done

if ! xen_dom0 "$W/dom0"; then
    case $XEN_WHY in
    "the Debian mirror is unreachable"*) echo "SKIP xen: $XEN_WHY" ;;
    *) echo "FAIL xen-dom0-build: $XEN_WHY" ;;
    esac
    exit 0
fi
xen_boot "$S" "$W"
grep -E '^(PASS|FAIL|SKIP|xen:) ' "$W/console"
# blkfront: what the blk guest wrote, read back from the backing files dom0 copied to the share
for mode in rw ro; do
    l=$S/blk/blk$mode.log
    want=rw-keep ok='blk: ok' v= # no discard on blkfront: the discarded range keeps the host's pattern
    [ $mode = ro ] && want=ro ok='blk: ro ok'
    if [ ! -s "$S/blk/blk$mode-after.img" ]; then
        echo "FAIL xen-blkfront-$mode: dom0 copied no backing file back (did pv.sh run?)"
    elif grep -q "^$ok" "$l" 2>/dev/null && v=$(python3 "$blk_check" check "$S/blk/blk$mode-after.img" $want 2>&1); then
        echo "PASS xen-blkfront-$mode (the blk guest as a PVH domU: $(grep -m1 '^blk: blk0' "$l" | cut -c1-90)...; the backing file in dom0 byte for byte as expected: $v)"
    else
        echo "FAIL xen-blkfront-$mode: ${v:-}; console:"
        grep -E '^(blk|xen):' "$l" 2>/dev/null | tail -n 10 | sed 's/^/    /'
    fi
done
# the volume: what volhv wrote through blkfront, in the file dom0 copied back
vol=$S/uk/volhv/after.vol vl=$S/uk/volhv/volhv.log
if [ ! -s "$vol" ]; then
    echo "FAIL xen-blkfront-volume: dom0 copied no volume back (did pv.sh run?)"
elif ! grep -q '^jeos: volume data (blk0.*) mounted at /data' "$vl" || ! grep -q '^volhv: ok' "$vl"; then
    echo "FAIL xen-blkfront-volume: the guest did not mount and write its volume; console:"
    grep -E '^(jeos|volhv|xen):' "$vl" 2>/dev/null | tail -n 8 | sed 's/^/    /'
elif ! e2fsck -fn "$vol" >"$W/volfsck.log" 2>&1; then
    echo "FAIL xen-blkfront-volume: e2fsck -fn: $(grep -v '^Pass' "$W/volfsck.log" | head -5 | tr '\n' ' ')"
elif [ "$(debugfs -R 'cat /hv.txt' "$vol" 2>/dev/null)" != "written under jeos-hv" ]; then
    echo "FAIL xen-blkfront-volume: debugfs does not read /hv.txt as the guest wrote it"
else
    echo "PASS xen-blkfront-volume (volhv-xen.cfg as written by jeos build: $(grep -m1 '^jeos: volume data' "$vl");" \
        "written, synced, renamed; e2fsck -fn clean, debugfs reads it)"
fi
cached=built
[ "$XEN_CACHED" = 1 ] && cached="taken from the cache"
up=$(sed -n 's/^xen: dom0 up at \([0-9.]*\) s.*/\1/p' "$W/console")
if grep -q '^xen: done at ' "$W/console" && grep -q '^(XEN) Entering ACPI S5 state' "$W/console"; then
    echo "PASS xen-dom0 (Xen 4.17 booted the jeos dom0 as PV: its userspace ${up} s into its" \
        "kernel; dom0 ${cached} in ${XEN_BUILD_S} s; QEMU start to Xen's power-off ${XEN_BOOT_S} s)"
else
    echo "FAIL xen-dom0: the dom0 did not finish its tests and power off (QEMU status $XEN_RC); console tail:"
    tail -n 25 "$W/console" | sed 's/^/    /'
    tail -n 5 "$W/qemu.log" | sed 's/^/    /'
fi
exit 0
