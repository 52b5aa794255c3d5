#!/bin/bash
# httpd.sh — in the nested L1: recipes/httpd.yaml's httpd-hv.elf (built on the host by
# nested_test.sh, in the same jeos build as the httpd.elf the QEMU tests serve with) under jeos-hv
# on AMD-V, its NIC on a tap in a network namespace: the page, fetched with bash's /dev/tcp.
set -u
: "${JEOS_OUT:?}" "${NESTED_ELF:?}" "${T_TMP:?}"
ns=hvhttpd
if ! ip netns add "$ns" 2>"$T_TMP/ns.err"; then
    echo "SKIP hv-httpd: no network namespace in the L1: $(head -c 200 "$T_TMP/ns.err")"
    exit 0
fi
trap 'kill $gpid 2>/dev/null; ip netns del "$ns" 2>/dev/null' EXIT
ip -n "$ns" tuntap add dev tap0 mode tap && ip -n "$ns" addr add 10.0.0.1/24 dev tap0 &&
    ip -n "$ns" link set tap0 up && ip -n "$ns" link set lo up
log=$T_TMP/httpd
ip netns exec "$ns" timeout 120 "$JEOS_OUT/jeos-hv" --mem 16M --net tap0 "$NESTED_ELF/httpd-hv.elf" \
    -- jeos.net=10.0.0.2/24,gw=10.0.0.1 </dev/null >"$log" 2>&1 &
gpid=$!
for i in $(seq 600); do
    grep -q '^httpd: serving' "$log" && break
    kill -0 $gpid 2>/dev/null || break
    sleep 0.05
done
page=$(ip netns exec "$ns" timeout 20 bash -c 'exec 3<>/dev/tcp/10.0.0.2/8080 &&
    printf "GET / HTTP/1.0\r\nHost: x\r\n\r\n" >&3 && cat <&3' 2>&1)
if grep -q '^jeos: network eth0 10.0.0.2/24 via 10.0.0.1 (static)' "$log" &&
    grep -q '^HTTP/1.1 200 OK' <<<"$page" && grep -q '<h1>Hello from a jeos unikernel</h1>' <<<"$page"; then
    echo "PASS hv-httpd (the page over a tap, jeos-hv's batched net calls)"
else
    echo "FAIL hv-httpd: answer: $(head -c 300 <<<"$page"); console:"
    sed 's/^/    /' "$log" | tail -n 15
fi
