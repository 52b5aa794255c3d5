#!/bin/bash
# tests/unikernel/redis_test.sh — recipes/redis-uk.yaml: redis-server 7 from Debian's redis source
# package, built unmodified by jeos build (source: {debian: redis}), served under QEMU TCG with
# user networking and a host port forward:
#   redis-uk-cli        redis-cli PING, SET, GET
#   redis-uk-benchmark  redis-benchmark -t set,get -n 10000 completes (two clients: QEMU's user
#                       network forwards through a listen backlog of one, so more connections
#                       opened at once stall in the host's accept queue, outside the guest)
#   redis-uk-tap        redis-benchmark's default 50 clients, over a tap in a network namespace
#   redis-uk-txfull     a device that empties its send ring only every 100 ms (virtio-net
#                       tx=timer): while the ring is full the guest halts until the device says
#                       there is room, it does not poll it (the driver refused fewer sends than
#                       frames it took; a polling guest is refused ~15 times per frame, and it
#                       spun at 100% CPU when redis-uk-tap hung on a lost notify). The counters
#                       are read from the guest by gdb through QEMU's gdbstub.
#   redis-uk-sbom       its SBOM lists Debian's redis source package (the tree jeos source gives)
#                       and the kit's lwIP, versions, .dsc sha256 and licenses from their trees
set -u
UK_TEST=redis
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
names="redis-uk-cli redis-uk-benchmark redis-uk-tap redis-uk-txfull redis-uk-sbom"
skip() {
    for n in $names; do echo "SKIP $n: $1"; done
    exit 0
}
[ -x "${JEOS:-}" ] && [ -f /usr/lib/x86_64-linux-musl/libc.a ] || skip "jeos or musl-dev missing"
command -v redis-cli >/dev/null && command -v redis-benchmark >/dev/null ||
    skip "redis-cli or redis-benchmark missing (redis-tools; make deps)"
w=$T_TMP/r
mkdir -p "$w"
cp -r "$JEOS_SRC/recipes/redis-uk.yaml" "$JEOS_SRC/recipes/redis-uk" "$w/"
if ! "$JEOS" -q build -o "$w/out" "$w/redis-uk.yaml" >"$T_TMP/build.log" 2>&1; then
    if grep -qiE "could not resolve|connect|unreachable|timed out" "$T_TMP/build.log"; then
        skip "Debian's source archive unreachable: $(tail -n 1 "$T_TMP/build.log")"
    fi
    for n in $names; do echo "FAIL $n: jeos build failed:"; done
    sed 's/^/    /' "$T_TMP/build.log" | head -30
    exit 0
fi
tree=$("$JEOS" -q source redis 2>"$T_TMP/source.log")
if [ -d "$tree" ] && python3 "$JEOS_SRC/tests/build/check_uksbom.py" \
    "$JEOS_SRC/tests/data/spdx/spdx-schema-2.3.json" "$w/out/redis-uk/redis-uk.spdx.json" \
    "$w/redis-uk.yaml" "$(dirname "$JEOS")/unikernel/lwip/tree" "$tree" >"$T_TMP/sbom.out" 2>&1; then
    echo "PASS redis-uk-sbom: $(grep '^ok: ' "$T_TMP/sbom.out" | cut -c5- | paste -sd';' | cut -c1-300)"
else
    echo "FAIL redis-uk-sbom: $(cat "$T_TMP/source.log") $(grep -E '^(bad|Traceback)' "$T_TMP/sbom.out" | head -3 | paste -sd' ' | cut -c1-400)"
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$T_TMP/console
timeout 120 qemu-system-x86_64 -accel tcg -M q35 -m 64 -display none -monitor none -serial stdio \
    -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 \
    -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:6379" -device virtio-net-pci,netdev=n0 \
    -kernel "$w/out/redis-uk/redis-uk.elf" </dev/null >"$log" 2>&1 &
qpid=$!
ns=jeosukredis$$
trap 'kill $qpid 2>/dev/null; wait $qpid 2>/dev/null; ip netns del "$ns" 2>/dev/null' EXIT
for i in $(seq 600); do
    grep -q 'Ready to accept connections' "$log" 2>/dev/null && break
    kill -0 $qpid 2>/dev/null || break
    sleep 0.05
done
cli() { timeout 10 redis-cli -p "$port" "$@" 2>&1; }
got="$(cli PING) $(cli SET jeos unikernel) $(cli GET jeos)"
if [ "$got" = "PONG OK unikernel" ]; then
    echo "PASS redis-uk-cli"
else
    echo "FAIL redis-uk-cli: PING, SET, GET gave \"$got\"; console:"
    sed 's/^/    /' "$log" | tail -n 20
fi
timeout 120 redis-benchmark -p "$port" -t set,get -n 10000 -c 2 -q 2>&1 | tr '\r' '\n' |
    grep -E '^(SET|GET): [0-9.]+ requests per second' >"$T_TMP/bench"
if [ "$(grep -c . "$T_TMP/bench")" -eq 2 ]; then
    echo "PASS redis-uk-benchmark ($(tr '\n' ' ' <"$T_TMP/bench"))"
else
    echo "FAIL redis-uk-benchmark: $(cat "$T_TMP/bench")"
fi
kill $qpid 2>/dev/null
wait $qpid 2>/dev/null

if ! ip netns add "$ns" 2>"$T_TMP/ns.err"; then
    for n in redis-uk-tap redis-uk-txfull; do
        echo "SKIP $n: cannot create a network namespace: $(head -c 200 "$T_TMP/ns.err")"
    done
    exit 0
fi
ip -n "$ns" tuntap add dev tap0 mode tap && ip -n "$ns" addr add 10.0.0.1/24 dev tap0 &&
    ip -n "$ns" link set tap0 up && ip -n "$ns" link set lo up
# tap_boot LOG DEVICE-OPTIONS QEMU-ARGS...: redis-uk on the tap in the background ($qpid), waited
# for until it accepts connections
tap_boot() {
    local log=$1 dev=$2
    shift 2
    ip netns exec "$ns" timeout 120 qemu-system-x86_64 -accel tcg -M q35 -m 64 -display none \
        -monitor none -serial stdio -no-reboot "$@" \
        -netdev tap,id=n0,ifname=tap0,script=no,downscript=no -device "virtio-net-pci,netdev=n0$dev" \
        -kernel "$w/out/redis-uk/redis-uk.elf" -append jeos.net=10.0.0.2/24,gw=10.0.0.1 \
        </dev/null >"$log" 2>&1 &
    qpid=$!
    for i in $(seq 600); do
        grep -q 'Ready to accept connections' "$log" 2>/dev/null && break
        kill -0 $qpid 2>/dev/null || break
        sleep 0.05
    done
}
log=$T_TMP/tap
tap_boot "$log" ""
ip netns exec "$ns" timeout 120 redis-benchmark -h 10.0.0.2 -t set,get -n 10000 -q 2>&1 | tr '\r' '\n' |
    grep -E '^(SET|GET): [0-9.]+ requests per second' >"$T_TMP/bench.tap"
if [ "$(grep -c . "$T_TMP/bench.tap")" -eq 2 ]; then
    echo "PASS redis-uk-tap ($(tr '\n' ' ' <"$T_TMP/bench.tap"))"
else
    echo "FAIL redis-uk-tap: $(cat "$T_TMP/bench.tap"); console:"
    sed 's/^/    /' "$log" | tail -n 10
fi
kill $qpid 2>/dev/null
wait $qpid 2>/dev/null

if ! command -v gdb >/dev/null; then
    echo "SKIP redis-uk-txfull: gdb missing (it reads the guest's counters)"
    exit 0
fi
log=$T_TMP/txfull
tap_boot "$log" ,tx=timer,x-txtimer=100000000 -gdb tcp:127.0.0.1:1234
# 100 KB values: each SET and GET is ~70 frames, 8 clients at once more than the ring's 128
ip netns exec "$ns" timeout 60 redis-benchmark -h 10.0.0.2 -t set,get -d 100000 -c 8 -n 24 -q \
    2>&1 | tr '\r' '\n' | grep -E '^(SET|GET): [0-9.]+ requests per second' >"$T_TMP/bench.txfull"
got=$(ip netns exec "$ns" timeout 30 gdb -q -batch -ex 'target remote 127.0.0.1:1234' \
    -ex 'printf "counters %lu %lu\n", nifs[0].nd->stats.tx_full, nifs[0].nd->stats.tx_frames' \
    "$w/out/redis-uk/redis-uk.elf" 2>&1 | sed -n 's/^counters //p')
full=${got% *} sent=${got#* }
if [ "$(grep -c . "$T_TMP/bench.txfull")" -ne 2 ]; then
    echo "FAIL redis-uk-txfull: the benchmark did not finish: $(cat "$T_TMP/bench.txfull") (refused $got); console:"
    sed 's/^/    /' "$log" | tail -n 10
elif [ -z "$got" ] || [ "$sent" -lt 500 ]; then
    echo "FAIL redis-uk-txfull: no counters from the guest (gdb gave \"$got\")"
elif [ "$full" -ge "$sent" ]; then
    echo "FAIL redis-uk-txfull: the send ring refused $full times for $sent frames (the guest polls a full ring)"
else
    echo "PASS redis-uk-txfull (refused $full times for $sent frames; $(tr '\n' ' ' <"$T_TMP/bench.txfull"))"
fi
