#!/bin/bash
# bench.sh — in the Xen dom0, for tests/bench/xen_bench.sh: the time from `xl create` to the first
# HTTP answer (a 200 to GET /, asked every 0.2 s), for the httpd unikernel (netfront; 3 runs)
# and the nginx appliance (a PVH domU booting Linux; 1 run: about 2 minutes under TCG), each from
# its own NAME-xen.cfg. Prints "xen-bench: NAME SECONDS" per run.
set -u
: "${X:?}" "${XB:?}" "${T_TMP:?}"
up() { cut -d' ' -f1 /proc/uptime; }
first_answer() { # name, dir, address, port, limit in s
    local name=$1 dir=$2 addr=$3 port=$4 limit=$5 t0 t1 end
    t0=$(up)
    if ! (cd "$dir" && "$XB/xl" create "$name-xen.cfg") >"$T_TMP/create" 2>&1; then
        echo "xen-bench: $name failed: xl create: $(tail -c 300 "$T_TMP/create" | tr '\n' ' ')"
        return
    fi
    end=$(awk -v a="$t0" -v l="$limit" 'BEGIN { printf "%d", a + l }')
    while [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ]; do
        if timeout 2 bash -c "exec 3<>/dev/tcp/$addr/$port &&
            printf 'GET / HTTP/1.0\r\nHost: x\r\n\r\n' >&3 && head -c 12 <&3" 2>/dev/null |
            grep -q '^HTTP/1.[01] 200'; then
            t1=$(up)
            echo "xen-bench: $name $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
            "$XB/xl" destroy "$name" >/dev/null 2>&1
            return
        fi
        sleep 0.2
    done
    echo "xen-bench: $name failed: no answer within $limit s of xl create; its console:"
    tail -n 12 "/var/log/xen/console/guest-$name.log" 2>/dev/null | sed 's/^/    /'
    ip neigh show dev xenbr0 2>/dev/null | sed 's/^/    neighbour: /'
    "$XB/xl" destroy "$name" >/dev/null 2>&1
}
for i in 1 2 3; do
    first_answer httpd "$X/httpd" 10.0.0.3 8080 60
done
first_answer nginx "$X/nginx" 10.0.0.2 80 300
