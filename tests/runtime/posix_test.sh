#!/bin/bash
# tests/runtime/posix_test.sh — file-system and process calls (tests/runtime/src/posix.c) checked
# against Linux: the program is built for this host (gcc, glibc) and as a unikernel (jeos build,
# tests/runtime/posix.yaml), both run on the same generated files (the host in a copy, from a
# folder named work; the guest over its files: tree, from the recipe's workdir); a check passes
# when it passes on both, so what the unikernel is held to is what Linux does. Also: the one-time
# notices of unsupported commands, printed once each.
set -u
UK_TEST=posix
. "$JEOS_SRC/tests/unikernel/lib.sh"
. "$JEOS_SRC/tests/runtime/lib.sh"
uk_setup
if [ ! -x "${JEOS:-}" ] || [ ! -f /usr/lib/x86_64-linux-musl/libc.a ]; then
    echo "SKIP rt-posix: jeos or musl-dev missing"
    exit 0
fi
w=$T_TMP/w
mkdir -p "$w/src" "$w/data/sub" "$T_TMP/host/work"
cp "$JEOS_SRC/tests/runtime/posix.yaml" "$w/"
cp "$JEOS_SRC/tests/runtime/src/posix.c" "$JEOS_SRC/tests/runtime/src/check.h" "$w/src/"
printf 'hello, files\n' >"$w/data/hello.txt"
head -c 70000 /dev/zero | tr '\0' 'z' >"$w/data/big.bin"
printf 'b\n' >"$w/data/sub/b.txt"
ln -s hello.txt "$w/data/link.txt"
cp -a "$w/data" "$T_TMP/host/data"
rt_host_build "$w/src/posix.c" "$T_TMP/hostbin" rt-posix || exit 0
(cd "$T_TMP/host/work" && timeout 60 "$T_TMP/hostbin" "$T_TMP/host/data") >"$T_TMP/host.log" 2>&1
rt_build "$w/posix.yaml" "$w/out" rt-posix || exit 0
uk_pvh "$T_TMP/guest.log" "$w/out/rt-posix/rt-posix.elf" ""
rt_compare "$T_TMP/host.log" "$T_TMP/guest.log"
# the unsupported commands the program tries are told once each, naming the call
n=$(grep -c '^jeos: fcntl: command 12345 (0x3039) is not supported: EINVAL$' "$T_TMP/guest.log")
p=$(grep -c '^jeos: prctl: command 9999 (0x270f) is not supported: EINVAL$' "$T_TMP/guest.log")
[ "$n" = 1 ] && [ "$p" = 1 ] && echo "PASS rt-posix-notices" ||
    echo "FAIL rt-posix-notices: fcntl told $n times, prctl $p times (want once each)"
uk_expect rt-posix "$T_TMP/guest.log" '^posix: 0 failures$' && [ "$UK_STATUS" -eq 0 ] &&
    echo "PASS rt-posix-status" || echo "FAIL rt-posix-status: guest status $UK_STATUS"
