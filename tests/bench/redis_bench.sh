#!/bin/bash
# redis_bench.sh — the redis unikernel (recipes/redis-uk.yaml: redis-server 7 from Debian's
# source package) beside the redis appliance (recipes/redis.yaml: Debian's redis-server binary
# package), under the same QEMU TCG settings (-m 256, one vCPU, virtio-net-pci on QEMU's user
# network with a port forward), in one run: redis-benchmark -t set,get -n 10000 operations per
# second (two clients: the user network's forward accepts through a backlog of one), boot to the
# first PONG, and image size. Prints each pair and the ratio.
set -u
SRC=${JEOS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
OUT=${JEOS_OUT:-out}
case $OUT in /*) ;; *) OUT=$SRC/$OUT ;; esac
JEOS_BIN=$OUT/jeos
tmp=${T_TMP:-$(mktemp -d)}
. "$SRC/tests/bench/lib.sh"
[ -x "$JEOS_BIN" ] || { echo "SKIP redis_bench: $JEOS_BIN not built"; exit 0; }
for t in qemu-system-x86_64 python3 redis-cli redis-benchmark; do
    command -v $t >/dev/null || { echo "SKIP redis_bench: $t not installed (make deps)"; exit 0; }
done
mkdir -p "$tmp/r"
cp -r "$SRC/recipes/redis-uk.yaml" "$SRC/recipes/redis-uk" "$tmp/r/"
sed 's/^image: .*/image: {root: squashfs, boot: [bios], formats: [qcow2]}/' "$SRC/recipes/redis.yaml" >"$tmp/r/redis.yaml"
for r in redis-uk redis; do
    "$JEOS_BIN" -q build -o "$tmp/out" "$tmp/r/$r.yaml" >"$tmp/build-$r.log" 2>&1 ||
        { tail -5 "$tmp/build-$r.log"; echo "SKIP redis_bench: jeos build $r failed (Debian mirror?)"; exit 0; }
done
ELF=$tmp/out/redis-uk/redis-uk.elf
DISK=$tmp/out/redis/redis.qcow2
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
stop() { kill -TERM "$1" 2>/dev/null; for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
         kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

declare -A boot set get
for who in redis-uk redis; do
    port=$(free_port)
    guest=(-kernel "$ELF")
    [ $who = redis ] && guest=(-drive "file=$DISK,format=qcow2,if=virtio,snapshot=on")
    t0=$(date +%s.%N)
    qemu-system-x86_64 -accel tcg -m 256 -smp 1 -display none -monitor none \
        -serial "file:$tmp/$who.console" -no-reboot "${guest[@]}" \
        -nic "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:$port-:6379" </dev/null >"$tmp/$who.log" 2>&1 &
    pid=$!
    boot[$who]=NaN
    for i in $(seq 3000); do
        if [ "$(timeout 1 redis-cli -p "$port" PING 2>/dev/null)" = PONG ]; then
            boot[$who]=$(echo "$(date +%s.%N) - $t0" | bc -l | xargs printf '%.2f')
            break
        fi
        kill -0 $pid 2>/dev/null || break
        sleep 0.05
    done
    timeout 300 redis-benchmark -p "$port" -t set,get -n 10000 -c 2 -q 2>&1 | tr '\r' '\n' >"$tmp/$who.bench"
    set[$who]=$(sed -n 's/^SET: \([0-9.]*\) requests per second.*/\1/p' "$tmp/$who.bench")
    get[$who]=$(sed -n 's/^GET: \([0-9.]*\) requests per second.*/\1/p' "$tmp/$who.bench")
    echo "$who: first PONG after ${boot[$who]} s; SET ${set[$who]:-?} GET ${get[$who]:-?} ops/s"
    stop $pid
done
if [ -z "${set[redis-uk]}" ] || [ -z "${set[redis]}" ] || [ -z "${get[redis-uk]}" ] || [ -z "${get[redis]}" ]; then
    echo "FAIL redis_bench: a benchmark did not complete"
    exit 1
fi
bench_report "redis-benchmark SET (-n 10000 -c 2, TCG)" "${set[redis-uk]}" "redis appliance" "${set[redis]}" "ops/s"
bench_report "redis-benchmark GET (-n 10000 -c 2, TCG)" "${get[redis-uk]}" "redis appliance" "${get[redis]}" "ops/s"
[ "${boot[redis-uk]}" != NaN ] && [ "${boot[redis]}" != NaN ] &&
    bench_report "boot to first PONG (TCG, -m 256)" "${boot[redis-uk]}" "redis appliance" "${boot[redis]}" "s"
strip -o "$tmp/redis-uk.stripped" "$ELF"
bench_report "image size (stripped redis-uk.elf vs redis.qcow2)" \
    "$(($(stat -c %s "$tmp/redis-uk.stripped") / 1024))" "redis appliance" "$(($(stat -c %s "$DISK") / 1024))" "KiB"
exit 0
