#!/bin/bash
# unikernel.sh — in the Xen dom0: hello and seven (hello returning 7), built by jeos on the host
# for the xen platform, each created from its NAME-xen.cfg as a PVH domU with xl create -F (xl
# waits for the domain's end and reports its shutdown reason): the greeting on the console ring
# (xenconsoled's log), its name and domid read from xenstore, status 0 as poweroff (reason code
# 0), 7 as crash (reason code 3).
set -u
: "${X:?}" "${XB:?}" "${T_TMP:?}"
for g in hello:0:0 seven:7:3; do
    IFS=: read -r name status reason <<<"$g"
    log=/var/log/xen/console/guest-$name.log
    t0=$(cut -d' ' -f1 /proc/uptime)
    (cd "$X/uk/$name" && timeout 120 "$XB/xl" create -F "$name-xen.cfg") >"$T_TMP/$name" 2>&1
    t1=$(cut -d' ' -f1 /proc/uptime)
    took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    for i in $(seq 50); do # xenconsoled writes the log as it reads the ring
        grep -q '^xen: exit status' "$log" 2>/dev/null && break
        sleep 0.1
    done
    domid=$(sed -n 's/.*Domain \([0-9]*\) has shut down.*/\1/p' "$T_TMP/$name" | head -n 1)
    if grep -qx "Hello from a jeos unikernel ($name, 0 arguments)" "$log" 2>/dev/null &&
        grep -qx "xen: xenstore: domain $name (domid ${domid:-?})" "$log" &&
        grep -qx "xen: exit status $status: SCHEDOP_shutdown $([ "$status" = 0 ] && echo poweroff || echo crash)" "$log" &&
        grep -q "has shut down, reason code $reason " "$T_TMP/$name"; then
        echo "PASS xen-uk-$name (PVH domU: its greeting on the console ring, its name and domid $domid from xenstore, status $status as xl's shutdown reason code $reason; xl create -F to its end ${took} s)"
    else
        echo "FAIL xen-uk-$name: expected the greeting and status $status (xl reason code $reason); xl said:"
        sed 's/^/    /' "$T_TMP/$name" | tail -n 8
        echo "    console:"
        sed 's/^/    /' "$log" 2>/dev/null | tail -n 8
    fi
done
