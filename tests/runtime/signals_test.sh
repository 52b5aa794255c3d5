#!/bin/bash
# tests/runtime/signals_test.sh — signals, mprotect and demand paging (tests/runtime/src/signals.c)
# checked against Linux: the program is built for this host (gcc, glibc) and as a unikernel (jeos
# build, tests/runtime/signals.yaml); a check passes when it passes on both. Also: SIGTERM's default
# action ends the guest with 128 + 15, which isa-debug-exit cannot carry (7 bits): uk_boot and
# jeos run read the whole status from the guest's COM2 line; `jeos run` exits with 143.
set -u
UK_TEST=signals
. "$JEOS_SRC/tests/unikernel/lib.sh"
. "$JEOS_SRC/tests/runtime/lib.sh"
uk_setup
if [ ! -x "${JEOS:-}" ] || [ ! -f /usr/lib/x86_64-linux-musl/libc.a ]; then
    echo "SKIP rt-signals: jeos or musl-dev missing"
    exit 0
fi
w=$T_TMP/w
mkdir -p "$w/src"
cp "$JEOS_SRC/tests/runtime/signals.yaml" "$w/"
cp "$JEOS_SRC/tests/runtime/src/signals.c" "$JEOS_SRC/tests/runtime/src/check.h" "$w/src/"
rt_host_build "$w/src/signals.c" "$T_TMP/hostbin" rt-signals || exit 0
timeout 60 "$T_TMP/hostbin" >"$T_TMP/host.log" 2>&1
rt_build "$w/signals.yaml" "$w/out" rt-signals || exit 0
uk_pvh "$T_TMP/guest.log" "$w/out/rt-signals/rt-signals.elf" ""
rt_compare "$T_TMP/host.log" "$T_TMP/guest.log"
uk_expect rt-signals "$T_TMP/guest.log" '^signals: 0 failures$' \
    '^jeos: signal 15 \(SIGTERM\): the guest ends$' && [ "$UK_STATUS" -eq 143 ] &&
    echo "PASS rt-signals-default" || echo "FAIL rt-signals-default: guest status $UK_STATUS, expected 143"
# jeos run: the same guest's whole status as its own exit status
timeout 120 "$JEOS" -q run "$w/out/rt-signals/rt-signals.elf" </dev/null >"$T_TMP/run.log" 2>&1
rc=$?
[ $rc -eq 143 ] && echo "PASS rt-signals-run-status" ||
    { echo "FAIL rt-signals-run-status: jeos run exited $rc, expected 143"; tail -n 3 "$T_TMP/run.log"; }
