#!/bin/bash
# tests/unikernel/netstack_test.sh — the TCP/IP stack against the host's over a tap in a network
# namespace (QEMU TCG, virtio-net-pci), with services and bad peers run on the host side
# (tests/unikernel/net_services.py):
#   netstack-outbound    the unikernel resolves a name through a DNS server the test runs, fetches
#                        a page from the test's HTTP server (length and hash), and a read from a
#                        server that resets part way ends in ECONNRESET
#   netstack-synflood    3000 SYNs from spoofed addresses nobody answers for: httpd still serves
#   netstack-halfopen    300 connections held open and silent: httpd still serves
#   netstack-peer-reset  a client resetting part way through the 1 MiB file: httpd goes on, the
#                        file comes whole to the next client
set -u
UK_TEST=netstack
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
names="netstack-outbound netstack-synflood netstack-halfopen netstack-peer-reset"
skip() {
    for n in $names; do echo "SKIP $n: $1"; done
    exit 0
}
[ -x "${JEOS:-}" ] && [ -f /usr/lib/x86_64-linux-musl/libc.a ] || skip "jeos or musl-dev missing"
command -v curl >/dev/null || skip "curl missing"
ns=jeosukstack$$
ip netns add "$ns" 2>"$T_TMP/ns.err" || skip "cannot create a network namespace: $(head -c 200 "$T_TMP/ns.err")"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    ip netns del "$ns" 2>/dev/null
}
trap cleanup EXIT
ip -n "$ns" tuntap add dev tap0 mode tap && ip -n "$ns" addr add 10.0.0.1/24 dev tap0 &&
    ip -n "$ns" link set tap0 up && ip -n "$ns" link set lo up || skip "cannot set up the tap"
in_ns() { ip netns exec "$ns" "$@"; }
svc=$JEOS_SRC/tests/unikernel/net_services.py

# the guests: rt-outbound, and httpd with a 1 MiB file
w=$T_TMP/w
mkdir -p "$w/httpd"
cp -r "$JEOS_SRC/recipes/httpd/httpd.c" "$JEOS_SRC/recipes/httpd/site" "$w/httpd/"
head -c 1048576 /dev/urandom >"$w/httpd/site/big.bin"
sed 's/^image: .*/image: {formats: [elf]}/' "$JEOS_SRC/recipes/httpd.yaml" >"$w/httpd.yaml"
for r in "$w/httpd.yaml" "$JEOS_SRC/tests/runtime/outbound.yaml"; do
    if ! "$JEOS" -q build -o "$w/out" "$r" >"$T_TMP/build.log" 2>&1; then
        for n in $names; do echo "FAIL $n: jeos build of ${r##*/} failed"; done
        sed 's/^/    /' "$T_TMP/build.log" | head -20
        exit 0
    fi
done

# guest LOG ELF NETWORD: QEMU on the tap, in the namespace, in the background ($gpid)
guest() {
    ip netns exec "$ns" timeout 120 qemu-system-x86_64 -accel tcg -M q35 -m 32 -display none -monitor none \
        -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 \
        -netdev tap,id=n0,ifname=tap0,script=no,downscript=no -device virtio-net-pci,netdev=n0 \
        -kernel "$2" -append "$3" </dev/null >"$1" 2>&1 &
    gpid=$!
    pids+=($gpid)
}
wait_for() { # LOG PATTERN: until the pattern shows in LOG (30 s at most)
    local i
    for i in $(seq 600); do
        grep -aq "$2" "$1" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# ---- outbound ----
mkdir -p "$w/www"
head -c 70000 /dev/urandom | base64 >"$w/www/page.txt"
want_len=$(stat -c %s "$w/www/page.txt")
want_fnv=$(python3 -c 'import sys
h = 14695981039346656037
for b in open(sys.argv[1], "rb").read():
    h = ((h ^ b) * 1099511628211) % (1 << 64)
print("%016x" % h)' "$w/www/page.txt")
ip netns exec "$ns" python3 "$svc" dns 10.0.0.1 web.jeos.test=10.0.0.1 >"$T_TMP/dns.log" 2>&1 &
pids+=($!)
(cd "$w/www" && exec ip netns exec "$ns" python3 -m http.server 8000 --bind 10.0.0.1) \
    >"$T_TMP/web.log" 2>&1 &
pids+=($!)
ip netns exec "$ns" python3 "$svc" reset 10.0.0.1 8001 65536 >"$T_TMP/reset.log" 2>&1 &
pids+=($!)
wait_for "$T_TMP/dns.log" '^dns: serving' && wait_for "$T_TMP/reset.log" '^reset: listening'
for i in $(seq 100); do in_ns curl -s -o /dev/null http://10.0.0.1:8000/ && break; sleep 0.05; done
log=$T_TMP/outbound
guest "$log" "$w/out/rt-outbound/rt-outbound.elf" ""
wait $gpid
tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
uk_expect netstack-outbound "$log" '^jeos: network eth0 10\.0\.0\.2/24 via 10\.0\.0\.1 \(static\)$' \
    '^outbound: resolved web\.jeos\.test to 10\.0\.0\.1$' \
    "^outbound: fetched $want_len bytes fnv $want_fnv\$" \
    '^outbound: reset after [0-9]+ bytes: Connection reset by peer$' && echo "PASS netstack-outbound"

# ---- httpd under bad peers ----
log=$T_TMP/httpd
guest "$log" "$w/out/httpd/httpd.elf" "jeos.net=10.0.0.2/24,gw=10.0.0.1"
site=$w/httpd/site
if ! wait_for "$log" '^httpd: serving'; then
    for n in netstack-synflood netstack-halfopen netstack-peer-reset; do
        echo "FAIL $n: httpd did not start; console:"
    done
    sed 's/^/    /' "$log" | tail -n 20
    exit 0
fi
page_ok() { # the page, within 5 s (a SYN lost to a full backlog costs the client 1 s, then 3 s)
    in_ns curl -sS -m 5 -o "$T_TMP/page" http://10.0.0.2:8080/ 2>"$T_TMP/curl.err" &&
        cmp -s "$T_TMP/page" "$site/index.html"
}
page_ok || { echo "FAIL netstack-synflood: no page before the flood: $(cat "$T_TMP/curl.err")"; }

ip netns exec "$ns" python3 "$svc" synflood 10.0.0.0 10.0.0.2 8080 3000 >"$T_TMP/flood.log" 2>&1 &
fpid=$!
ok=0
for i in 1 2 3 4 5; do page_ok && ok=$((ok + 1)); done
wait $fpid
for i in 1 2 3; do page_ok && ok=$((ok + 1)); done
if [ $ok -eq 8 ] && grep -q '^synflood: 3000 SYNs' "$T_TMP/flood.log"; then
    echo "PASS netstack-synflood"
else
    echo "FAIL netstack-synflood: $ok of 8 pages during and after the flood ($(cat "$T_TMP/flood.log" | head -c 200)); $(cat "$T_TMP/curl.err")"
fi

ip netns exec "$ns" python3 "$svc" idle 10.0.0.2 8080 300 6 >"$T_TMP/idle.log" 2>&1 &
ipid=$!
wait_for "$T_TMP/idle.log" '^idle: 300 connections open'
ok=0
for i in 1 2 3; do page_ok && ok=$((ok + 1)); done
held=$(grep -c '^idle: 300 connections open' "$T_TMP/idle.log")
wait $ipid
if [ $ok -eq 3 ] && [ "$held" -eq 1 ]; then
    echo "PASS netstack-halfopen"
else
    echo "FAIL netstack-halfopen: $ok of 3 pages with 300 idle connections ($(head -c 200 "$T_TMP/idle.log"))"
fi

in_ns python3 "$svc" rstclient 10.0.0.2 8080 /big.bin 100000 >"$T_TMP/rst.log" 2>&1
want=$(sha256sum <"$site/big.bin" | cut -d' ' -f1)
got=$(in_ns curl -sS -m 30 http://10.0.0.2:8080/big.bin 2>"$T_TMP/curl.err" | sha256sum | cut -d' ' -f1)
if grep -q '^rstclient: read [0-9]* bytes, then reset' "$T_TMP/rst.log" && [ "$got" = "$want" ]; then
    echo "PASS netstack-peer-reset"
else
    echo "FAIL netstack-peer-reset: $(head -c 200 "$T_TMP/rst.log"); then sha256 $got (want $want) $(cat "$T_TMP/curl.err")"
fi
