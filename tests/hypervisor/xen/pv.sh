#!/bin/bash
# pv.sh — in the Xen dom0: the xen platform's PV devices. The httpd unikernel (built on the host
# with its address on xenbr0, 10.0.0.3) created from its own httpd-xen.cfg (a vif on xenbr0):
# dom0 fetches its page through netfront and compares it with the site's file. Then the blk test
# guest (tests/unikernel/guests/blk.c, platform xen) as a domU on blkfront, its disk a copy of
# the host's pattern image in dom0's /tmp: read-write (its writes, flushes, the last sector), then
# read-only (writes refused); dom0 copies each backing file back to the share, where the host
# checks the bytes (blk_check.py). Last, tests/runtime/volhv.yaml's unikernel from its own
# volhv-xen.cfg, its ext4 volume on blkfront; the host checks the volume dom0 copies back.
set -u
: "${X:?}" "${XB:?}" "${T_TMP:?}"
s() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
up() { cut -d' ' -f1 /proc/uptime; }

# netfront: httpd answers over the vif
log=/var/log/xen/console/guest-httpd.log
t0=$(up)
page=
if (cd "$X/httpd" && "$XB/xl" create httpd-xen.cfg) >"$T_TMP/create" 2>&1; then
    tc=$(up)
    for i in $(seq 600); do # 60 s
        grep -q '^httpd: serving' "$log" 2>/dev/null && break
        "$XB/xl" list httpd >/dev/null 2>&1 || break
        sleep 0.1
    done
    ts=$(up)
    page=$(timeout 20 bash -c 'exec 3<>/dev/tcp/10.0.0.3/8080 &&
        printf "GET /index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" >&3 && cat <&3' 2>&1)
    t1=$(up)
    body=$(printf '%s' "$page" | sed '1,/^\r$/d')
    if grep -q '^HTTP/1.1 200' <<<"$page" && [ "$body" = "$(cat "$X/httpd/index.html")" ]; then
        echo "PASS xen-netfront-httpd (the httpd unikernel as a PVH domU: $(grep -m1 '^xen: eth0' "$log");" \
            "xl create returned after $(s "$t0" "$tc") s, serving after $(s "$t0" "$ts") s," \
            "index.html over the vif, byte for byte, after $(s "$t0" "$t1") s)"
    else
        echo "FAIL xen-netfront-httpd: answer: $(head -c 200 <<<"$page" | tr '\r\n' '  '); console:"
        tail -n 12 "$log" 2>/dev/null | sed 's/^/    /'
    fi
else
    echo "FAIL xen-netfront-httpd: xl create httpd-xen.cfg: $(tail -c 400 "$T_TMP/create" | tr '\n' ' ')"
fi
"$XB/xl" destroy httpd >/dev/null 2>&1

# blkfront: the blk guest on a disk file, rw then ro
for mode in rw ro; do
    name=blk$mode
    img=/tmp/$name.img
    cp "$X/blk/blk.img" "$img"
    access=rw
    [ $mode = ro ] && access=ro
    cat >"$T_TMP/$name.cfg" <<CFG
name = "$name"
type = "pvh"
kernel = "$X/blk/blk-xen.elf"
memory = 32
disk = [ "format=raw, vdev=xvda, access=$access, target=$img" ]
CFG
    t0=$(up)
    timeout 120 "$XB/xl" create -F "$T_TMP/$name.cfg" >"$T_TMP/$name.out" 2>&1
    t1=$(up)
    log=/var/log/xen/console/guest-$name.log
    for i in $(seq 50); do
        grep -q '^xen: exit status' "$log" 2>/dev/null && break
        sleep 0.1
    done
    cp "$img" "$X/blk/$name-after.img"
    rm -f "$img"
    cp "$log" "$X/blk/$name.log" 2>/dev/null
    echo "xen: $name took $(s "$t0" "$t1") s"
done

# an ext4 volume on blkfront: volhv from the cfg jeos build wrote (its volume as xvda), in a copy
# of its build folder in dom0's /tmp; the volume and the console go back to the share
rm -rf /tmp/volhv
cp -r "$X/uk/volhv" /tmp/volhv
t0=$(up)
(cd /tmp/volhv && timeout 120 "$XB/xl" create -F volhv-xen.cfg) >"$T_TMP/volhv.out" 2>&1
t1=$(up)
log=/var/log/xen/console/guest-volhv.log
for i in $(seq 50); do
    grep -q '^xen: exit status' "$log" 2>/dev/null && break
    sleep 0.1
done
cp /tmp/volhv/volhv.data.vol "$X/uk/volhv/after.vol"
cp "$log" "$X/uk/volhv/volhv.log" 2>/dev/null
rm -rf /tmp/volhv
echo "xen: volhv took $(s "$t0" "$t1") s"
