#!/bin/bash
# driver.sh — runs in the Xen dom0 (tests/hypervisor/xen/dom0.yaml) from the host's 9p share /x:
# starts the toolstack (xenfs, xenstored, the dom0's xenstore entries, xenconsoled writing each
# guest's console to /var/log/xen/console/guest-NAME.log), a bridge xenbr0 at 10.0.0.1/24, then
# runs each script named in /x/plan (under /x) with X=/x and T_TMP set; their PASS/FAIL/SKIP lines
# and this driver's "xen: ..." lines go to the console, which the host reads.
set -u
X=/x
XB=/usr/lib/xen-4.17/bin
up() { cut -d' ' -f1 /proc/uptime; }
echo "xen: dom0 up at $(up) s ($(uname -r), $(awk '/MemTotal/ {print $2}' /proc/meminfo) KiB)"

setup() {
    mount -t xenfs xenfs /proc/xen || return 1
    mkdir -p /run/xen /run/xenstored /run/lock /var/lib/xenstored /var/lib/xen /var/log/xen/console
    mkdir -p /var/run/xen /var/run/xen-hotplug
    # the hotplug scripts' locks stat /dev/stdin (udev's links; devtmpfs has none)
    local f i=0
    [ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
    for f in stdin stdout stderr; do
        [ -e /dev/$f ] || ln -s /proc/self/fd/$i /dev/$f
        i=$((i + 1))
    done
    "$XB/xenstored" --pid-file=/run/xen/xenstored.pid || return 1
    "$XB/xen-init-dom0" >/var/log/xen/init-dom0.log 2>&1 || return 1
    "$XB/xenconsoled" --pid-file=/run/xen/xenconsoled.pid --log=guest \
        --log-dir=/var/log/xen/console || return 1
    ip link add xenbr0 type bridge && ip addr add 10.0.0.1/24 dev xenbr0 &&
        ip link set xenbr0 up && ip link set lo up
}
if ! setup >/tmp/setup.log 2>&1; then
    echo "FAIL xen-toolstack: the toolstack did not start: $(tail -c 300 /tmp/setup.log | tr '\n' ' ')"
    exit 0
fi
echo "xen: toolstack up at $(up) s"

while read -r script; do
    [ -n "$script" ] || continue
    t0=$(up)
    tmp=$(mktemp -d)
    X=$X XB=$XB T_TMP=$tmp bash "$X/$script" </dev/null 2>&1
    rm -rf "$tmp"
    echo "xen: $script took $(awk -v a="$t0" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }') s"
done <"$X/plan"
echo "xen: done at $(up) s"
