#!/bin/bash
# tests/runtime/sockets_test.sh — the socket calls (tests/runtime/src/sockets.c) checked against
# Linux: the program is built for this host (gcc, glibc) and as a unikernel (jeos build,
# tests/runtime/sockets.yaml), both run; a check passes when it passes on both, so what the
# unikernel is held to is what Linux does. The unikernel boots under QEMU TCG without a NIC:
# loopback only, the network stack linked because the recipe has a network.
set -u
UK_TEST=sockets
. "$JEOS_SRC/tests/unikernel/lib.sh"
. "$JEOS_SRC/tests/runtime/lib.sh"
uk_setup
if [ ! -x "${JEOS:-}" ] || [ ! -f /usr/lib/x86_64-linux-musl/libc.a ]; then
    echo "SKIP rt-sockets: jeos or musl-dev missing"
    exit 0
fi
src=$JEOS_SRC/tests/runtime/src/sockets.c
rt_host_build "$src" "$T_TMP/host" rt-sockets || exit 0
timeout 60 "$T_TMP/host" >"$T_TMP/host.log" 2>&1
rt_build "$JEOS_SRC/tests/runtime/sockets.yaml" "$T_TMP/out" rt-sockets || exit 0
uk_boot "$T_TMP/guest.log" -M q35 -nic none -kernel "$T_TMP/out/rt-sockets/rt-sockets.elf"
rt_compare "$T_TMP/host.log" "$T_TMP/guest.log"
uk_expect rt-sockets "$T_TMP/guest.log" '^jeos: network: no network device \(loopback only\)$' \
    '^sockets: 0 failures$' && [ "$UK_STATUS" -eq 0 ] && echo "PASS rt-sockets-status" ||
    echo "FAIL rt-sockets-status: guest status $UK_STATUS"
