#!/bin/bash
# tests/unikernel/httpd_test.sh — recipes/httpd.yaml (with a 1 MiB file added to its site) built by
# jeos build and served under QEMU TCG with user networking and a host port forward:
#   httpd-page        curl gets the page, the same bytes as the recipe's file
#   httpd-1mib        a 1 MiB random file, intact (sha256)
#   httpd-keepalive   100 keep-alive connections at once, 5 requests each
#   httpd-errors      HEAD, 404, 405 and a request head past 8 KiB (431)
#   httpd-memory      all of that in `memory: 8M`
#   httpd-microvm     the same ELF on -M microvm, virtio-net over MMIO
#   httpd-vmxnet3     the same ELF on q35 with a vmxnet3 NIC (drivers/vmxnet3.c)
#   httpd-dhcp        jeos.net=dhcp on the command line: the address from QEMU's DHCP server
set -u
UK_TEST=httpd
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
names="httpd-page httpd-1mib httpd-keepalive httpd-errors httpd-memory httpd-microvm httpd-vmxnet3 httpd-dhcp"
if [ ! -x "${JEOS:-}" ] || [ ! -f /usr/lib/x86_64-linux-musl/libc.a ] || ! command -v curl >/dev/null; then
    for n in $names; do echo "SKIP $n: jeos, musl-dev or curl missing"; done
    exit 0
fi
w=$T_TMP/httpd
mkdir -p "$w/httpd"
cp -r "$JEOS_SRC/recipes/httpd/httpd.c" "$JEOS_SRC/recipes/httpd/site" "$w/httpd/"
head -c 1048576 /dev/urandom >"$w/httpd/site/big.bin"
sed 's/^memory: .*/memory: 8M/; s/^image: .*/image: {formats: [elf]}/' \
    "$JEOS_SRC/recipes/httpd.yaml" >"$w/httpd.yaml"
if ! "$JEOS" -q build -o "$w/out" "$w/httpd.yaml" >"$T_TMP/build.log" 2>&1; then
    echo "FAIL httpd-page: jeos build failed:"
    sed 's/^/    /' "$T_TMP/build.log" | head -30
    exit 0
fi
elf=$w/out/httpd/httpd.elf
site=$w/httpd/site
clients=$JEOS_SRC/tests/unikernel/http_clients.py

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# serve LOG MEM QEMU-ARGS...: boots the server with a forward from $port; waits for its banner.
serve() {
    local log=$1 mem=$2 i
    shift 2
    port=$(free_port)
    timeout 120 qemu-system-x86_64 -accel tcg -m "$mem" -display none -monitor none -serial stdio \
        -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 \
        -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:8080" "$@" </dev/null >"$log" 2>&1 &
    qpid=$!
    for i in $(seq 600); do
        grep -q '^httpd: serving' "$log" 2>/dev/null && return 0
        kill -0 $qpid 2>/dev/null || break
        sleep 0.05
    done
    return 1
}
stop() {
    kill $qpid 2>/dev/null
    wait $qpid 2>/dev/null
}
trap stop EXIT

log=$T_TMP/q35
if serve "$log" 8M -M q35 -device virtio-net-pci,netdev=n0 -kernel "$elf"; then
    uk_expect httpd-page "$log" '^jeos: network eth0 10\.0\.2\.15/24 via 10\.0\.2\.2 \(static\)' &&
        if curl -sS -m 30 -o "$T_TMP/page" "http://127.0.0.1:$port/" 2>"$T_TMP/curl.err" &&
            cmp -s "$T_TMP/page" "$site/index.html"; then
            echo "PASS httpd-page"
        else
            echo "FAIL httpd-page: curl: $(head -c 300 "$T_TMP/curl.err"); got $(head -c 200 "$T_TMP/page" 2>/dev/null)"
        fi
    want=$(sha256sum <"$site/big.bin" | cut -d' ' -f1)
    got=$(curl -sS -m 60 "http://127.0.0.1:$port/big.bin" 2>"$T_TMP/curl.err" | sha256sum | cut -d' ' -f1)
    [ "$got" = "$want" ] && echo "PASS httpd-1mib" ||
        echo "FAIL httpd-1mib: sha256 $got, expected $want; $(head -c 300 "$T_TMP/curl.err")"
    if out=$(timeout 120 python3 "$clients" 127.0.0.1 "$port" / "$site/index.html" 100 5 2>&1); then
        echo "PASS httpd-keepalive"
    else
        echo "FAIL httpd-keepalive: $out"
    fi
    head_code=$(curl -sS -m 10 -o /dev/null -w '%{http_code} %{size_download}' -I "http://127.0.0.1:$port/")
    nf=$(curl -sS -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/no/such/file")
    na=$(curl -sS -m 10 -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/")
    big=$(curl -sS -m 10 -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 9000 /dev/zero | tr '\0' a)" \
        "http://127.0.0.1:$port/")
    if [ "$head_code $nf $na $big" = "200 0 404 405 431" ]; then
        echo "PASS httpd-errors"
    else
        echo "FAIL httpd-errors: HEAD, 404, POST, 9000-byte header gave \"$head_code $nf $na $big\", expected \"200 0 404 405 431\""
    fi
    # the server still serves, in 8 MiB, after all of the above
    if curl -sS -m 10 -o "$T_TMP/page2" "http://127.0.0.1:$port/" && cmp -s "$T_TMP/page2" "$site/index.html"; then
        echo "PASS httpd-memory"
    else
        echo "FAIL httpd-memory: no page after the tests in 8 MiB; console:"
        sed 's/^/    /' "$log" | tail -n 15
    fi
else
    for n in httpd-page httpd-1mib httpd-keepalive httpd-errors httpd-memory; do
        echo "FAIL $n: the server did not start; console:"
    done
    sed 's/^/    /' "$log" | tail -n 20
fi
stop

# page_and_big NAME QEMU-ARGS...: the same ELF on another machine or NIC serves the page and the
# 1 MiB file intact
page_and_big() {
    local name=$1 log=$T_TMP/$1
    shift
    if serve "$log" 8M "$@" -kernel "$elf" &&
        curl -sS -m 30 -o "$T_TMP/page" "http://127.0.0.1:$port/" 2>"$T_TMP/curl.err" &&
        cmp -s "$T_TMP/page" "$site/index.html"; then
        got=$(curl -sS -m 60 "http://127.0.0.1:$port/big.bin" | sha256sum | cut -d' ' -f1)
        [ "$got" = "$want" ] && echo "PASS $name" || echo "FAIL $name: 1 MiB file sha256 $got"
    else
        echo "FAIL $name: $(head -c 200 "$T_TMP/curl.err" 2>/dev/null); console:"
        sed 's/^/    /' "$log" | tail -n 20
    fi
    stop
}
page_and_big httpd-microvm -M microvm -device virtio-net-device,netdev=n0
page_and_big httpd-vmxnet3 -M q35 -device vmxnet3,netdev=n0

log=$T_TMP/dhcp
if ! serve "$log" 8M -M q35 -device virtio-net-pci,netdev=n0 -kernel "$elf" -append "jeos.net=dhcp"; then
    echo "FAIL httpd-dhcp: the server did not start; console:"
    sed 's/^/    /' "$log" | tail -n 20
elif uk_expect httpd-dhcp "$log" '^jeos: network eth0 10\.0\.2\.15/24 via 10\.0\.2\.2 \(dhcp\)'; then
    if curl -sS -m 30 -o "$T_TMP/page" "http://127.0.0.1:$port/" 2>"$T_TMP/curl.err" &&
        cmp -s "$T_TMP/page" "$site/index.html"; then
        echo "PASS httpd-dhcp"
    else
        echo "FAIL httpd-dhcp: curl: $(head -c 200 "$T_TMP/curl.err")"
    fi
fi
stop
