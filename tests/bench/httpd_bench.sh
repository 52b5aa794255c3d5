#!/bin/bash
# httpd_bench.sh — the httpd unikernel (recipes/httpd.yaml) beside the nginx appliance
# (recipes/nginx.yaml), both serving the same 1 KiB page, under the same QEMU TCG settings (-m 256,
# one vCPU, virtio-net-pci on QEMU's user network with a port forward), measured in one run:
# requests per second and p99 latency (wrk, one thread, 16 keep-alive connections, 10 s), boot to
# the first answer (QEMU start to an HTTP 200), image size, and the smallest -m that still serves.
# Prints each pair and the ratio (targets: >= 2x the appliance's requests per second, boot to
# first answer <= 1/10 of the appliance's, ELF <= 512 KiB, serving in 8 MiB).
set -u
SRC=${JEOS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
OUT=${JEOS_OUT:-out}
case $OUT in /*) ;; *) OUT=$SRC/$OUT ;; esac
JEOS_BIN=$OUT/jeos
tmp=${T_TMP:-$(mktemp -d)}
. "$SRC/tests/bench/lib.sh"
[ -x "$JEOS_BIN" ] || { echo "SKIP httpd_bench: $JEOS_BIN not built"; exit 0; }
for t in qemu-system-x86_64 python3 wrk curl; do
    command -v $t >/dev/null || { echo "SKIP httpd_bench: $t not installed (make deps)"; exit 0; }
done
page=$(head -c 1024 /dev/zero | tr '\0' x)
mkdir -p "$tmp/r/nginx/site" "$tmp/r/httpd/site"
cp -r "$SRC/recipes/nginx.yaml" "$tmp/r/" && cp -r "$SRC/recipes/nginx/site/." "$tmp/r/nginx/site/"
cp "$SRC/recipes/httpd/httpd.c" "$tmp/r/httpd/" && cp -r "$SRC/recipes/httpd/site/." "$tmp/r/httpd/site/"
printf '%s' "$page" >"$tmp/r/nginx/site/page1k.html"
printf '%s' "$page" >"$tmp/r/httpd/site/page1k.html"
sed 's/^image: .*/image: {formats: [elf]}/' "$SRC/recipes/httpd.yaml" >"$tmp/r/httpd.yaml"
sed 's/^image: .*/image: {root: squashfs, boot: [bios], formats: [qcow2]}/' "$SRC/recipes/nginx.yaml" >"$tmp/r/nginx2.yaml"
mv "$tmp/r/nginx2.yaml" "$tmp/r/nginx.yaml"
for r in httpd nginx; do
    "$JEOS_BIN" -q build -o "$tmp/out" "$tmp/r/$r.yaml" >"$tmp/build-$r.log" 2>&1 ||
        { tail -5 "$tmp/build-$r.log"; echo "SKIP httpd_bench: jeos build $r failed (Debian mirror?)"; exit 0; }
done
ELF=$tmp/out/httpd/httpd.elf
DISK=$tmp/out/nginx/nginx.qcow2

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
stop() { kill -TERM "$1" 2>/dev/null; for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
         kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
# start WHO MEM: boots the unikernel or the appliance with -m MEM; sets pid and port
start() {
    port=$(free_port)
    started=$(date +%s.%N)
    local guest=(-kernel "$ELF") gport=8080
    [ "$1" = nginx ] && guest=(-drive "file=$DISK,format=qcow2,if=virtio,snapshot=on") gport=80
    qemu-system-x86_64 -accel tcg -m "$2" -smp 1 -display none -monitor none \
        -serial "file:$tmp/$1-$2.console" -no-reboot "${guest[@]}" \
        -nic "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:$port-:$gport" \
        </dev/null >"$tmp/$1-$2.log" 2>&1 &
    pid=$!
}
# wrk_figures URL [NETNS]: "REQUESTS_PER_S P99_MS"
wrk_figures() {
    local in=()
    [ -n "${2:-}" ] && in=(ip netns exec "$2")
    "${in[@]}" wrk -t1 -c16 -d10s --latency "$1" >"$tmp/wrk.out" 2>&1
    python3 - "$tmp/wrk.out" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
rps = re.search(r"Requests/sec:\s+([\d.]+)", t)
p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)\b", t)
if not rps or not p99:
    print("NaN NaN"); sys.exit()
scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
print(rps.group(1), "%.2f" % (float(p99.group(1)) * scale))
PY
}
# serves WHO MEM: boots with -m MEM; true when the page comes within 60 s
serves() {
    start "$1" "$2"
    local t
    t=$(timeout 70 python3 "$SRC/tests/bench/http_first.py" "$port" "$pid" /page1k.html)
    stop $pid
    [ "$t" != NaN ]
}

declare -A boot rps p99
for who in httpd nginx; do
    start $who 256
    boot[$who]=$(python3 "$SRC/tests/bench/http_first.py" "$port" "$pid" /page1k.html "$started")
    echo "$who: first answer $(printf '%s' "${boot[$who]}") s after QEMU started"
    curl -s -o /dev/null "http://127.0.0.1:$port/page1k.html" # warm
    read -r rps[$who] p99[$who] <<<"$(wrk_figures "http://127.0.0.1:$port/page1k.html")"
    echo "$who: $(printf '%s' "${rps[$who]}") requests/s, p99 $(printf '%s' "${p99[$who]}") ms"
    stop $pid
done
if [ "${boot[httpd]}" = NaN ] || [ "${boot[nginx]}" = NaN ] || [ "${rps[httpd]}" = NaN ] || [ "${rps[nginx]}" = NaN ]; then
    tail -5 "$tmp"/httpd-256.console "$tmp"/nginx-256.console
    echo "FAIL httpd_bench: a server never answered"
    exit 1
fi
bench_report "1 KiB page, requests/s (wrk -t1 -c16, TCG)" "${rps[httpd]}" "nginx appliance" "${rps[nginx]}" "req/s"
bench_report "1 KiB page, p99 latency (wrk -t1 -c16, TCG)" "${p99[httpd]}" "nginx appliance" "${p99[nginx]}" "ms"
bench_report "boot to first answer (TCG, -m 256)" "${boot[httpd]}" "nginx appliance" "${boot[nginx]}" "s"

# The same unikernel over a tap in a network namespace (no user network between): what the tail of
# the latency owes to QEMU's user network (root only; no appliance here: it wants DHCP).
ns=jeoshttpdbench$$
if ip netns add "$ns" 2>/dev/null; then
    ip -n "$ns" tuntap add dev tap0 mode tap && ip -n "$ns" addr add 10.0.0.1/24 dev tap0 &&
        ip -n "$ns" link set tap0 up && ip -n "$ns" link set lo up
    ip netns exec "$ns" qemu-system-x86_64 -accel tcg -m 256 -smp 1 -display none -monitor none \
        -serial "file:$tmp/tap.console" -no-reboot -kernel "$ELF" -append jeos.net=10.0.0.2/24 \
        -netdev tap,id=n0,ifname=tap0,script=no,downscript=no -device virtio-net-pci,netdev=n0 \
        </dev/null >"$tmp/tap.log" 2>&1 &
    tpid=$!
    for i in $(seq 200); do
        ip netns exec "$ns" curl -s -m 1 -o /dev/null http://10.0.0.2:8080/page1k.html && break
        sleep 0.1
    done
    read -r trps tp99 <<<"$(wrk_figures http://10.0.0.2:8080/page1k.html "$ns")"
    echo "httpd over a tap (no user network): $trps requests/s, p99 $tp99 ms (wrk -t1 -c16)"
    stop $tpid
    ip netns del "$ns"
fi

strip -o "$tmp/httpd.stripped" "$ELF"
elf=$(stat -c %s "$tmp/httpd.stripped") disk=$(stat -c %s "$DISK")
bench_report "image size (stripped httpd.elf vs nginx.qcow2)" "$((elf / 1024))" "nginx appliance" "$((disk / 1024))" "KiB"

small() { # WHO SIZES...: the first -m of SIZES (ascending) that serves
    local who=$1 m
    shift
    for m in "$@"; do
        serves "$who" "$m" && { echo "$m"; return; }
    done
    echo NaN
}
mh=$(small httpd 3M 4M 5M 6M 8M 12M 16M)
mn=$(small nginx 48M 64M 96M 128M 192M 256M)
echo "smallest -m that serves the page: httpd ${mh} | nginx appliance ${mn}"
[ "$mh" != NaN ] && [ "$mn" != NaN ] &&
    bench_report "smallest memory that serves" "${mh%M}" "nginx appliance" "${mn%M}" "MiB"
exit 0
