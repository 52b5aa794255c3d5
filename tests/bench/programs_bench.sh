#!/bin/bash
# tests/bench/programs_bench.sh — real programs from Debian's sources as jeos unikernels beside the
# same sources built as static musl binaries (musl-gcc -static, the same flags) run by Linux (the
# Debian cloud kernel, an initramfs whose init runs them: tests/unikernel/linux/init.c), each in
# the same QEMU TCG with 128 MiB, on the 3,000,000-byte input of tests/unikernel/zstd_test.sh:
#   zstd -q -19 sample -o /dev/null      (libzstd 1.5.4, tests/unikernel/zstd/zstd.yaml)
#   bzip2 -9 -k -f sample                (bzip2 1.0.8, tests/unikernel/bzip2/bzip2.yaml)
# Peak memory: the unikernel's most pages allocated at once (jeos.mem=peak: page tables, heap,
# stacks, demand-paged memory, the files it writes in its tmpfs; not the loaded image, which also
# holds the files: tree) against the program's max RSS on Linux (wait4's ru_maxrss; the page cache
# of its files not counted); the issue's target is within 20 %. Run time: the unikernel from QEMU's
# start to its exit (boot included) against the program's fork-to-exit inside the booted Linux.
# Each side runs BENCH_RUNS times (default 3, the two alternating); each run is printed, and the
# reports give the medians and the ratio of the medians.
set -u
. "$JEOS_SRC/tests/bench/lib.sh"
out=$JEOS_SRC/${JEOS_OUT:-out}
case ${JEOS_OUT:-out} in /*) out=$JEOS_OUT ;; esac
runs=${BENCH_RUNS:-3}
command -v musl-gcc >/dev/null && command -v qemu-system-x86_64 >/dev/null ||
    { echo "programs bench: musl-gcc or qemu-system-x86_64 missing (make deps)"; exit 1; }
zpkg=$(sed -n 's/^  debian: //p' "$JEOS_SRC/tests/unikernel/zstd/zstd.yaml")
ztree=$("$JEOS" -q source "$zpkg" | tail -n 1) && btree=$("$JEOS" -q source bzip2 | tail -n 1) ||
    { echo "programs bench: Debian's source archive unreachable"; exit 1; }
mkdir -p "$T_TMP/z/data" "$T_TMP/b/samples" "$T_TMP/initramfs"
bash "$JEOS_SRC/tests/unikernel/zstd/sample.sh" "$ztree" "$T_TMP/z/data/sample" || exit 1
cp "$T_TMP/z/data/sample" "$T_TMP/b/samples/sample"
cp "$JEOS_SRC/tests/unikernel/zstd/zstd.yaml" "$T_TMP/z/"
cp "$JEOS_SRC/tests/unikernel/bzip2/bzip2.yaml" "$T_TMP/b/"
for r in z/zstd b/bzip2; do
    "$JEOS" -q build -o "$T_TMP/out" "$T_TMP/$r.yaml" >"$T_TMP/build.log" 2>&1 ||
        { echo "programs bench: jeos build of $r.yaml failed"; tail -n 20 "$T_TMP/build.log"; exit 1; }
done
# the static Linux binaries, from the same trees with the recipes' flags
# shellcheck disable=SC2046
musl-gcc -static -O2 -DZSTD_LEGACY_SUPPORT=0 -I"$ztree/lib" -I"$ztree/lib/common" \
    -I"$ztree/programs" -o "$T_TMP/initramfs/zstd" \
    $(ls "$ztree"/lib/{common,compress,decompress,dictBuilder}/*.c "$ztree"/lib/decompress/*.S \
        "$ztree"/programs/*.c) -w &&
    musl-gcc -static -O2 -o "$T_TMP/initramfs/bzip2" -w \
        $(for f in blocksort huffman crctable randtable compress decompress bzlib bzip2; do echo "$btree/$f.c"; done) &&
    musl-gcc -static -O2 -o "$T_TMP/initramfs/init" "$JEOS_SRC/tests/unikernel/linux/init.c" ||
    { echo "programs bench: musl-gcc builds failed"; exit 1; }
cp "$T_TMP/z/data/sample" "$T_TMP/initramfs/"
(cd "$T_TMP/initramfs" && printf '%s\n' init zstd bzip2 sample | cpio -o -H newc --quiet >"$T_TMP/initrd")
vmlinuz=$(bench_linux "$out/bench-cache")
[ -n "$vmlinuz" ] || echo "note: no Linux peer (linux-image-cloud-amd64 not downloadable here); jeos figures only"

qemu() {
    timeout 600 qemu-system-x86_64 -accel tcg -m 128 -M q35 -display none -monitor none \
        -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 "$@" </dev/null 2>&1 |
        tr -d '\r'
}
# bench NAME ELF ARGS...: the unikernel ELF and the initramfs's /NAME, each with ARGS, BENCH_RUNS
# times (the two alternating); the medians of the runs reported
bench() {
    local name=$1 elf=$2
    shift 2
    local t0 t1 log peak ms i line rss lms st
    local -a peaks=() mss=() rsss=() lmss=()
    for i in $(seq 1 "$runs"); do
        t0=${EPOCHREALTIME/[.,]/}
        log=$(qemu -kernel "$elf" -append "jeos.mem=peak $*")
        t1=${EPOCHREALTIME/[.,]/}
        peak=$(sed -n 's/^jeos: memory peak \([0-9]*\) KiB allocated.*/\1/p' <<<"$log")
        ms=$(((t1 - t0) / 1000))
        [ -n "$peak" ] || { echo "programs bench: $name unikernel printed no peak:"; tail -n 5 <<<"$log"; return 1; }
        echo "$name unikernel run $i: $(grep '^jeos: memory peak' <<<"$log"), $ms ms from QEMU's start to exit"
        peaks+=("$peak") mss+=("$ms")
        [ -n "$vmlinuz" ] || continue
        log=$(qemu -kernel "$vmlinuz" -initrd "$T_TMP/initrd" -append "console=ttyS0 quiet panic=-1 -- /$name $*")
        line=$(grep '^runinit: ' <<<"$log" | tail -n 1)
        read -r lms st rss < <(sed -n 's/^runinit: \([0-9]*\) ms, status \([0-9]*\), maxrss \([0-9]*\) KiB/\1 \2 \3/p' <<<"$line")
        [ "${st:-x}" = 0 ] || { echo "programs bench: $name on Linux: ${line:-no runinit line}"; tail -n 5 <<<"$log"; return 1; }
        echo "$name on Linux run $i: $line"
        rsss+=("$rss") lmss+=("$lms")
    done
    [ -n "$vmlinuz" ] || return 0
    bench_report "$name $* peak memory, median of $runs (target ratio <= 1.2)" "$(bench_median "${peaks[@]}")" \
        "Linux max RSS, static musl" "$(bench_median "${rsss[@]}")" KiB
    bench_report "$name $* run time, median of $runs" "$(bench_median "${mss[@]}")" \
        "Linux, static musl (fork to exit, boot excluded)" "$(bench_median "${lmss[@]}")" ms
}
rc=0
bench zstd "$T_TMP/out/zstd/zstd.elf" -q -19 sample -o /dev/null || rc=1
bench bzip2 "$T_TMP/out/bzip2/bzip2.elf" -9 -k -f sample || rc=1
exit $rc
