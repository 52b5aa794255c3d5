#!/bin/bash
# tests/runtime/sockets_test.sh — the socket calls (tests/runtime/src/sockets.c) checked against
# Linux: the program is built for this host (gcc, glibc) and as a unikernel (jeos build,
# tests/runtime/sockets.yaml), both run; a check passes when it passes on both, so what the
# unikernel is held to is what Linux does. The unikernel boots under QEMU TCG without a NIC:
# loopback only, the network stack linked because the recipe has a network.
set -u
UK_TEST=sockets
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
if [ ! -x "${JEOS:-}" ] || [ ! -f /usr/lib/x86_64-linux-musl/libc.a ]; then
    echo "SKIP rt-sockets: jeos or musl-dev missing"
    exit 0
fi
src=$JEOS_SRC/tests/runtime/src/sockets.c
if ! gcc -O1 -pthread -I"$JEOS_SRC/tests/runtime/src" -o "$T_TMP/host" "$src" 2>"$T_TMP/gcc.log"; then
    echo "FAIL rt-sockets-host: the host build failed: $(head -c 300 "$T_TMP/gcc.log")"
    exit 0
fi
timeout 60 "$T_TMP/host" >"$T_TMP/host.log" 2>&1
if ! "$JEOS" -q build -o "$T_TMP/out" "$JEOS_SRC/tests/runtime/sockets.yaml" >"$T_TMP/build.log" 2>&1; then
    echo "FAIL rt-sockets-build: jeos build failed:"
    sed 's/^/    /' "$T_TMP/build.log" | head -30
    exit 0
fi
uk_boot "$T_TMP/guest.log" -M q35 -nic none -kernel "$T_TMP/out/rt-sockets/rt-sockets.elf"
for name in $(sed -n 's/^\(PASS\|FAIL\) \([a-z0-9-]*\).*/\2/p' "$T_TMP/host.log" "$T_TMP/guest.log" | sort -u); do
    h=$(grep -m1 -E "^(PASS|FAIL) $name(:|$)" "$T_TMP/host.log")
    g=$(grep -m1 -E "^(PASS|FAIL) $name(:|$)" "$T_TMP/guest.log")
    if [ "${h%% *}" = PASS ] && [ "${g%% *}" = PASS ]; then
        echo "PASS rt-$name"
    elif [ "${h%% *}" != PASS ]; then
        echo "FAIL rt-$name: on the host (Linux) itself: ${h:-not run}"
    else
        echo "FAIL rt-$name: in the unikernel: ${g:-not run}"
    fi
done
uk_expect rt-sockets "$T_TMP/guest.log" '^jeos: network: no network device \(loopback only\)$' \
    '^sockets: 0 failures$' && [ "$UK_STATUS" -eq 0 ] && echo "PASS rt-sockets-status" ||
    echo "FAIL rt-sockets-status: guest status $UK_STATUS"
