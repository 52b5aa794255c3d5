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
if ! gcc -O1 -pthread -o "$T_TMP/hostbin" "$w/src/posix.c" 2>"$T_TMP/gcc.log"; then
    echo "FAIL rt-posix-host: the host build failed: $(head -c 300 "$T_TMP/gcc.log")"
    exit 0
fi
(cd "$T_TMP/host/work" && timeout 60 "$T_TMP/hostbin" "$T_TMP/host/data") >"$T_TMP/host.log" 2>&1
if ! "$JEOS" -q build -o "$w/out" "$w/posix.yaml" >"$T_TMP/build.log" 2>&1; then
    echo "FAIL rt-posix-build: jeos build failed:"
    sed 's/^/    /' "$T_TMP/build.log" | head -30
    exit 0
fi
uk_pvh "$T_TMP/guest.log" "$w/out/rt-posix/rt-posix.elf" ""
for name in $(sed -n 's/^\(PASS\|FAIL\|SKIP\) \([a-z0-9_-]*\).*/\2/p' "$T_TMP/host.log" "$T_TMP/guest.log" | sort -u); do
    h=$(grep -m1 -E "^(PASS|FAIL|SKIP) $name(:|$)" "$T_TMP/host.log")
    g=$(grep -m1 -E "^(PASS|FAIL|SKIP) $name(:|$)" "$T_TMP/guest.log")
    if [ "${h%% *}" = PASS ] && [ "${g%% *}" = PASS ]; then
        echo "PASS rt-$name"
    elif [ "${h%% *}" = SKIP ]; then
        echo "SKIP rt-$name: on the host: ${h#* }"
    elif [ "${h%% *}" != PASS ]; then
        echo "FAIL rt-$name: on the host (Linux) itself: ${h:-not run}"
    else
        echo "FAIL rt-$name: in the unikernel: ${g:-not run}"
    fi
done
# the unsupported commands the program tries are told once each, naming the call
n=$(grep -c '^jeos: fcntl: command 12345 (0x3039) is not supported: EINVAL$' "$T_TMP/guest.log")
p=$(grep -c '^jeos: prctl: command 9999 (0x270f) is not supported: EINVAL$' "$T_TMP/guest.log")
[ "$n" = 1 ] && [ "$p" = 1 ] && echo "PASS rt-posix-notices" ||
    echo "FAIL rt-posix-notices: fcntl told $n times, prctl $p times (want once each)"
uk_expect rt-posix "$T_TMP/guest.log" '^posix: 0 failures$' && [ "$UK_STATUS" -eq 0 ] &&
    echo "PASS rt-posix-status" || echo "FAIL rt-posix-status: guest status $UK_STATUS"
