#!/bin/bash
# xen_bench.sh — under Xen 4.17 (QEMU TCG with emulated AMD-V, the jeos PV dom0 of
# tests/hypervisor/xen): the time from `xl create` to the first HTTP answer in dom0, the httpd
# unikernel (the xen platform, netfront; the mean of 3) beside the nginx appliance (format xen, a
# PVH domU booting Debian's kernel), each from the NAME-xen.cfg jeos wrote. What runs in dom0:
# tests/hypervisor/xen/bench.sh. One QEMU run of about 4 minutes.
set -u
cd "$(dirname "$0")/../.."
export JEOS_SRC=$PWD
: "${T_TMP:?}"
. tests/bench/lib.sh
. tests/hypervisor/xen/lib.sh
why=$(xen_check)
if [ -n "$why" ]; then
    echo "SKIP xen_bench: $why"
    exit 0
fi
W=$T_TMP
S=$W/share
export JEOS_INIT=$XEN_OUT/jeos-init
xen_share "$S" bench.sh
if ! xen_web_guests "$S" "$W" || ! xen_dom0 "$W/dom0"; then
    echo "xen bench: $XEN_WHY"
    [ "$XEN_SKIP" = 1 ] && exit 0
    exit 1
fi
xen_boot "$S" "$W"
grep -A14 '^xen-bench: ' "$W/console" | grep -E '^(xen-bench: |    )' 
mean() { awk -v n="$1" '$1 == "xen-bench:" && $2 == n && $3 ~ /^[0-9.]+$/ { s += $3; k++ } END { if (k) printf "%.2f", s / k }' "$W/console"; }
uk=$(mean httpd) app=$(mean nginx)
if [ -z "$uk" ] || [ -z "$app" ]; then
    echo "xen bench: no figure for the unikernel or the appliance (QEMU status $XEN_RC); console tail:"
    tail -n 15 "$W/console" | sed 's/^/    /'
    exit 1
fi
bench_report "xl create to the first HTTP answer under Xen (TCG), httpd unikernel vs nginx appliance" "$uk" nginx-appliance "$app" s
