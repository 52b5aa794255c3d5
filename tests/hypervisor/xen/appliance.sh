#!/bin/bash
# appliance.sh — in the Xen dom0: the nginx appliance's NAME-xen.cfg (format xen: its kernel and
# initramfs booted directly as a PVH domU, its disk through xen-blkfront, a vif on xenbr0), as jeos
# wrote it, created with xl from its folder; dom0 fetches the page over the vif; then
# NAME-xen-hvm.cfg is checked by xl's dry run (HVM needs QEMU in dom0 as the device model, which
# this bench lacks).
set -u
: "${X:?}" "${XB:?}" "${T_TMP:?}"
d=$X/nginx
log=/var/log/xen/console/guest-nginx.log
cd "$d" || exit 0
t0=$(cut -d' ' -f1 /proc/uptime)
if ! "$XB/xl" create nginx-xen.cfg >"$T_TMP/create" 2>&1; then
    echo "FAIL xen-appliance-pvh: xl create nginx-xen.cfg: $(tail -c 400 "$T_TMP/create" | tr '\n' ' ')"
    exit 0
fi
tc=$(cut -d' ' -f1 /proc/uptime)
page=
# up to 240 s of the dom0's clock for jeos: ready (under a loaded TCG host the domU took 186 s)
end=$(awk -v a="$tc" 'BEGIN { printf "%d", a + 240 }')
while [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ]; do
    if grep -q '^jeos: ready' "$log" 2>/dev/null; then
        tr=$(cut -d' ' -f1 /proc/uptime)
        page=$(timeout 10 bash -c 'exec 3<>/dev/tcp/10.0.0.2/80 &&
            printf "GET / HTTP/1.0\r\nHost: x\r\n\r\n" >&3 && cat <&3' 2>&1)
        break
    fi
    "$XB/xl" list nginx >/dev/null 2>&1 || break
    sleep 0.5
done
t1=$(cut -d' ' -f1 /proc/uptime)
s() { awk -v a="$t0" -v b="$1" 'BEGIN { printf "%.1f", b - a }'; }
if grep -q '^HTTP/1.1 200 OK' <<<"$page" && grep -qi '<h1>' <<<"$page"; then
    echo "PASS xen-appliance-pvh (nginx-xen.cfg: xl create returned after $(s "$tc") s, jeos: ready after $(s "$tr") s, the page over the vif after $(s "$t1") s)"
else
    [ -n "${tr:-}" ] || page="(no jeos: ready within 240 s of xl create's return)"
    echo "FAIL xen-appliance-pvh: answer: $(head -c 200 <<<"$page" | tr '\r\n' '  '); console:"
    tail -n 15 "$log" 2>/dev/null | sed 's/^/    /'
    "$XB/xl" dmesg | tail -n 10 | sed 's/^/    /'
fi
"$XB/xl" destroy nginx >/dev/null 2>&1
if "$XB/xl" -N create nginx-xen-hvm.cfg >"$T_TMP/hvm" 2>&1 && grep -q '"type": "hvm"' "$T_TMP/hvm"; then
    echo "PASS xen-appliance-hvm-cfg (xl -N create nginx-xen-hvm.cfg parses it as an HVM guest with its disk)"
else
    echo "FAIL xen-appliance-hvm-cfg: xl -N create: $(head -c 300 "$T_TMP/hvm" | tr '\n' ' ')"
fi
