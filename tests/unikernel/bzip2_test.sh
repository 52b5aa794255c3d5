#!/bin/bash
# tests/unikernel/bzip2_test.sh — bzip2 1.0.8 from Debian's bzip2 source package
# (tests/unikernel/bzip2/bzip2.yaml, source: {debian: bzip2}, no shims), against the same sources
# built for this host, on the samples of its own make test, under QEMU TCG:
#   bzip2-compress-N    bzip2 -N -k -vvvv sampleN.ref (file mode: the output is written beside
#                       the shipped file, its mode, owner and times copied): the whole trace
#                       (every block's CRC, the Huffman tables' sizes, the bytes out) equals the
#                       host's, and the size out is that of make test's sampleN.bz2
#   bzip2-decompress    bzip2 -d -c sample1.bz2 sample2.bz2, and -ds -c sample3.bz2 (make test's
#                       decompressions): the bytes on the console are sampleN.ref's (the console
#                       writes \n as \r\n: undone before comparing)
#   bzip2-test          bzip2 -t -v sample*.bz2 gives the host's report
# The guest's stdout is the console, a terminal: bzip2 will not write compressed data there, so
# the compressed bytes themselves cannot come out of the guest; the trace stands for them.
set -u
UK_TEST=bzip2
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
names="bzip2-compress-1 bzip2-compress-2 bzip2-compress-3 bzip2-decompress bzip2-test"
skip() {
    for n in $names; do echo "SKIP $n: $1"; done
    exit 0
}
[ -x "${JEOS:-}" ] && [ -f /usr/lib/x86_64-linux-musl/libc.a ] || skip "jeos or musl-dev missing"
w=$T_TMP/b
mkdir -p "$w/samples" "$T_TMP/host"
cp "$JEOS_SRC/tests/unikernel/bzip2/bzip2.yaml" "$w/"
if ! tree=$("$JEOS" source bzip2 2>"$T_TMP/source.log" | tail -n 1) || [ ! -f "$tree/bzip2.c" ]; then
    grep -qiE "could not resolve|connect|unreachable|timed out" "$T_TMP/source.log" &&
        skip "Debian's source archive unreachable: $(tail -n 1 "$T_TMP/source.log")"
    for n in $names; do echo "FAIL $n: jeos source bzip2 failed: $(tail -n 1 "$T_TMP/source.log")"; done
    exit 0
fi
cp "$tree"/sample[123].ref "$tree"/sample[123].bz2 "$w/samples/"
if ! "$JEOS" -q build -o "$w/out" "$w/bzip2.yaml" >"$T_TMP/build.log" 2>&1; then
    for n in $names; do echo "FAIL $n: jeos build failed:"; done
    sed 's/^/    /' "$T_TMP/build.log" | head -30
    exit 0
fi
srcs=""
for f in blocksort huffman crctable randtable compress decompress bzlib bzip2; do srcs="$srcs $tree/$f.c"; done
# shellcheck disable=SC2086
if ! gcc -O2 -w -o "$T_TMP/hostbz" $srcs 2>"$T_TMP/gcc.log"; then
    for n in $names; do echo "FAIL $n: the host build failed: $(head -c 200 "$T_TMP/gcc.log")"; done
    exit 0
fi
elf=$w/out/bzip2/bzip2.elf
# guest LOG ARGS: boots the ELF with ARGS as bzip2's arguments; the console's bytes in LOG
guest() {
    local log=$1
    shift
    UK_CONSOLE=bytes uk_pvh "$log" "$elf" "$*"
}
# host LOG ARGS: the host build in a fresh copy of the samples, from their folder
host() {
    local log=$1
    shift
    rm -rf "$T_TMP/host/data" && cp -r "$w/samples" "$T_TMP/host/data"
    (cd "$T_TMP/host/data" && "$T_TMP/hostbz" "$@") >"$log" 2>&1
}
for n in 1 2 3; do
    guest "$T_TMP/g$n" -$n -k -vvvv sample$n.ref
    host "$T_TMP/h$n" -$n -k -vvvv sample$n.ref
    want=$(stat -c %s "$w/samples/sample$n.bz2")
    out=$(sed -n 's/.* in, \([0-9]*\) out\.$/\1/p' "$T_TMP/g$n")
    if [ "$UK_STATUS" = 0 ] && cmp -s "$T_TMP/g$n" "$T_TMP/h$n" && [ "$out" = "$want" ]; then
        echo "PASS bzip2-compress-$n ($(wc -l <"$T_TMP/h$n") lines of trace equal, $out bytes out)"
    else
        echo "FAIL bzip2-compress-$n: status $UK_STATUS, $out bytes out (sample$n.bz2: $want); guest against host:"
        diff "$T_TMP/h$n" "$T_TMP/g$n" | head -n 15 | sed 's/^/    /'
    fi
done
guest "$T_TMP/d12" -d -c sample1.bz2 sample2.bz2
s12=$UK_STATUS
guest "$T_TMP/d3" -ds -c sample3.bz2
cat "$w/samples/sample1.ref" "$w/samples/sample2.ref" >"$T_TMP/want12"
if [ "$s12" = 0 ] && [ "$UK_STATUS" = 0 ] && cmp -s "$T_TMP/d12" "$T_TMP/want12" &&
    cmp -s "$T_TMP/d3" "$w/samples/sample3.ref"; then
    echo "PASS bzip2-decompress ($(($(stat -c %s "$T_TMP/d12") + $(stat -c %s "$T_TMP/d3"))) bytes equal)"
else
    echo "FAIL bzip2-decompress: status $s12/$UK_STATUS; $(cmp "$T_TMP/d12" "$T_TMP/want12" 2>&1 | head -n 1); $(cmp "$T_TMP/d3" "$w/samples/sample3.ref" 2>&1 | head -n 1)"
fi
guest "$T_TMP/t" -t -v sample1.bz2 sample2.bz2 sample3.bz2
host "$T_TMP/ht" -t -v sample1.bz2 sample2.bz2 sample3.bz2
if [ "$UK_STATUS" = 0 ] && cmp -s "$T_TMP/t" "$T_TMP/ht"; then
    echo "PASS bzip2-test"
else
    echo "FAIL bzip2-test: status $UK_STATUS; guest against host:"
    diff "$T_TMP/ht" "$T_TMP/t" | head -n 10 | sed 's/^/    /'
fi
