#!/bin/bash
# tests/runtime/files_test.sh — files: from a recipe (a generated 1 MiB file, text, a folder, a
# symlink) in the embedded cpio, and /tmp, checked by tests/runtime/src/files.c under QEMU TCG.
set -u
UK_TEST=rt-files
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
if [ ! -x "${JEOS:-}" ] || [ ! -f /usr/lib/x86_64-linux-musl/libc.a ]; then
    echo "SKIP rt-files: jeos or musl-dev missing"
    exit 0
fi
w=$T_TMP/files
mkdir -p "$w/data/sub" "$w/src"
cp "$JEOS_SRC/tests/runtime/files.yaml" "$w/"
cp "$JEOS_SRC/tests/runtime/src/files.c" "$JEOS_SRC/tests/runtime/src/check.h" "$w/src/"
gcc -O2 -DGEN_HOST -o "$T_TMP/gen" "$w/src/files.c" && want=$("$T_TMP/gen" "$w/data/big.bin") ||
    { echo "FAIL rt-files: generating the test file failed"; exit 0; }
printf 'hello, files\n' >"$w/data/hello.txt"
printf 'b\n' >"$w/data/sub/b.txt"
ln -s hello.txt "$w/data/link.txt"
ln -s ./sub/../sub "$w/data/sublink"
if ! "$JEOS" -q build -o "$w/out" "$w/files.yaml" >"$T_TMP/build.log" 2>&1; then
    echo "FAIL rt-files-build: jeos build failed:"
    sed 's/^/    /' "$T_TMP/build.log" | head -30
    exit 0
fi
uk_pvh "$T_TMP/log" "$w/out/rt-files/rt-files.elf" ""
grep -E '^(PASS|FAIL) ' "$T_TMP/log"
if ! grep -q '^PASS ' "$T_TMP/log" || [ "$UK_STATUS" -ne 0 ]; then
    echo "FAIL rt-files: status $UK_STATUS; console:"
    sed 's/^/    /' "$T_TMP/log" | head -30
fi
# the guest's FNV-1a checksum of the file equals the host's over the file it wrote
got=$(sed -n 's/^CHECKSUM //p' "$T_TMP/log")
[ -n "$want" ] && [ "$got" = "$want" ] && echo "PASS rt-files-checksum" ||
    echo "FAIL rt-files-checksum: guest '$got', host '$want'"
