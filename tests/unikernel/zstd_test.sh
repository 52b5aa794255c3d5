#!/bin/bash
# tests/unikernel/zstd_test.sh — the zstd command of Zstandard 1.5.4 from Debian's libzstd source
# package (tests/unikernel/zstd/zstd.yaml, source: {debian: ...}, no shims), under QEMU TCG in
# 128 MiB (what zstd -19 on this input did not fit in before demand paging), on a 3,000,000-byte
# input cut from the same source tree's C files:
#   zstd-compress-19   zstd -19 -c -f sample: the compressed bytes the guest writes to the console
#                      (-f: zstd writes to a terminal then; the console's \n -> \r\n undone) equal
#                      those of the host's zstd 1.5.4 (this machine's, or the same tree built here
#                      when its version differs), and the host decompresses them to the input
#   zstd-decompress    zstd -d -c -f sample.zst (the host's -19 output, shipped in files:) gives
#                      the input back, byte for byte
set -u
UK_TEST=zstd
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
names="zstd-compress-19 zstd-decompress"
skip() {
    for n in $names; do echo "SKIP $n: $1"; done
    exit 0
}
fail_all() {
    for n in $names; do echo "FAIL $n: $1"; done
    exit 0
}
[ -x "${JEOS:-}" ] && [ -f /usr/lib/x86_64-linux-musl/libc.a ] || skip "jeos or musl-dev missing"
pkg=$(sed -n 's/^  debian: //p' "$JEOS_SRC/tests/unikernel/zstd/zstd.yaml")
w=$T_TMP/z
mkdir -p "$w/data"
cp "$JEOS_SRC/tests/unikernel/zstd/zstd.yaml" "$w/"
if ! tree=$("$JEOS" source "$pkg" 2>"$T_TMP/source.log" | tail -n 1) || [ ! -f "$tree/programs/zstdcli.c" ]; then
    grep -qiE "could not resolve|connect|unreachable|timed out" "$T_TMP/source.log" &&
        skip "Debian's source archive unreachable: $(tail -n 1 "$T_TMP/source.log")"
    fail_all "jeos source $pkg failed: $(tail -n 1 "$T_TMP/source.log")"
fi
bash "$JEOS_SRC/tests/unikernel/zstd/sample.sh" "$tree" "$w/data/sample" 2>"$T_TMP/sample.log" ||
    fail_all "no input: $(cat "$T_TMP/sample.log")"
hz=/usr/bin/zstd
if ! "$hz" --version 2>/dev/null | grep -q 'v1\.5\.4,'; then
    hz=$T_TMP/hostzstd
    # shellcheck disable=SC2046
    gcc -O2 -w -DZSTD_LEGACY_SUPPORT=0 -I"$tree/lib" -I"$tree/lib/common" -o "$hz" \
        $(ls "$tree"/lib/{common,compress,decompress,dictBuilder}/*.c "$tree"/lib/decompress/*.S \
            "$tree"/programs/*.c) 2>"$T_TMP/gcc.log" ||
        fail_all "the host build of zstd failed: $(head -c 300 "$T_TMP/gcc.log")"
fi
"$hz" -q -19 -c "$w/data/sample" >"$w/data/sample.zst" || fail_all "the host's zstd -19 failed"
if ! "$JEOS" -q build -o "$w/out" "$w/zstd.yaml" >"$T_TMP/build.log" 2>&1; then
    sed 's/^/    /' "$T_TMP/build.log" | head -30
    fail_all "jeos build failed (above)"
fi
elf=$w/out/zstd/zstd.elf
UK_CONSOLE=bytes UK_TIMEOUT=120 uk_pvh "$T_TMP/c.zst" "$elf" "-19 -c -f sample"
want=$(stat -c %s "$w/data/sample.zst")
got=$(stat -c %s "$T_TMP/c.zst")
if [ "$UK_STATUS" = 0 ] && cmp -s "$T_TMP/c.zst" "$w/data/sample.zst" &&
    "$hz" -q -d -c "$T_TMP/c.zst" 2>/dev/null | cmp -s - "$w/data/sample"; then
    echo "PASS zstd-compress-19 (3000000 bytes in, $got out, equal to the host's)"
else
    echo "FAIL zstd-compress-19: status $UK_STATUS, $got bytes out (host: $want); $(cmp "$T_TMP/c.zst" "$w/data/sample.zst" 2>&1 | head -n 1); the console's last lines:"
    tail -c 1500 "$T_TMP/c.zst" | tr -c '[:print:]\n' '.' | tail -n 8 | sed 's/^/    /'
fi
UK_CONSOLE=bytes UK_TIMEOUT=120 uk_pvh "$T_TMP/d.out" "$elf" "-d -c -f sample.zst"
if [ "$UK_STATUS" = 0 ] && cmp -s "$T_TMP/d.out" "$w/data/sample"; then
    echo "PASS zstd-decompress ($want bytes in, 3000000 out, equal to the input)"
else
    echo "FAIL zstd-decompress: status $UK_STATUS; $(cmp "$T_TMP/d.out" "$w/data/sample" 2>&1 | head -n 1)"
    tail -c 1500 "$T_TMP/d.out" | tr -c '[:print:]\n' '.' | tail -n 8 | sed 's/^/    /'
fi
