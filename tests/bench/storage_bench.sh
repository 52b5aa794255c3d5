#!/bin/bash
# tests/bench/storage_bench.sh — storage on a volume: the same program (tests/bench/storage/
# storbench.c over the SQLite amalgamation of Debian's fossil source package) as a jeos unikernel
# (storbench.yaml: its `volumes:` ext4 volume on virtio-blk, runtime/ext4) against a jeos appliance
# (storage.yaml, built by jeos build: the Debian cloud kernel and jeos init, whose service mounts
# the same volume disk with Linux's ext4 and runs the program built static with musl-gcc, the same
# flags). Both in the same QEMU TCG (q35, -m 256, -smp 1), the volume a fresh copy of the one jeos
# build writes (160 MiB, ext4 without a journal on both sides) on virtio-blk-pci with the serial
# "data"; the appliance's own disk is a second virtio-blk (snapshot: nothing written back).
# Figures, timed inside each guest with CLOCK_MONOTONIC (boot excluded), the median of
# BENCH_RUNS runs (default 3; the two sides alternate):
#   write   64 MiB in 1 MiB write()s, then fsync, MiB/s
#   read    the same file read back in 1 MiB read()s after POSIX_FADV_DONTNEED (Linux reads the
#           disk, not its page cache; the unikernel has no page cache and lacks fadvise64), MiB/s
#   sqlite  10,000 rows inserted in 100 transactions, synchronous = FULL, inserts/s
# Ratios are jeos/Linux: above 1, the unikernel is faster.
set -u
. "$JEOS_SRC/tests/bench/lib.sh"
out=$JEOS_SRC/${JEOS_OUT:-out}
case ${JEOS_OUT:-out} in /*) out=$JEOS_OUT ;; esac
runs=${BENCH_RUNS:-3}
here=$JEOS_SRC/tests/bench/storage
command -v musl-gcc >/dev/null && command -v qemu-system-x86_64 >/dev/null ||
    { echo "storage bench: musl-gcc or qemu-system-x86_64 missing (make deps)"; exit 1; }
ftree=$("$JEOS" -q source fossil | tail -n 1) || { echo "storage bench: Debian's source archive unreachable"; exit 1; }
export SOURCE_DATE_EPOCH=1700000000
mkdir -p "$T_TMP/u" "$T_TMP/a"
cp "$here/storbench.yaml" "$here/storbench.c" "$T_TMP/u/"
"$JEOS" -q build -o "$T_TMP/out" "$T_TMP/u/storbench.yaml" >"$T_TMP/build.log" 2>&1 ||
    { echo "storage bench: jeos build of storbench.yaml failed"; tail -n 20 "$T_TMP/build.log"; exit 1; }
elf=$T_TMP/out/storbench/storbench.elf vol=$T_TMP/out/storbench/storbench.data.vol
# the appliance: both programs static, from the same sources with the unikernel recipe's flags
cp "$here/storage.yaml" "$T_TMP/a/"
app=
if musl-gcc -static -O1 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_THREADSAFE=0 -I"$ftree/extsrc" \
    -o "$T_TMP/a/storbench" "$here/storbench.c" "$ftree/extsrc/sqlite3.c" -w &&
    musl-gcc -static -O2 -o "$T_TMP/a/storlinux" "$here/storlinux.c"; then
    if (cd "$T_TMP/a" && JEOS_INIT=$out/jeos-init "$JEOS" -q build -o "$T_TMP/a/out" storage.yaml) \
        >"$T_TMP/appbuild.log" 2>&1; then
        app=$T_TMP/a/out/storlin/storlin.raw
    else
        echo "note: no Linux peer (the appliance did not build: $(tail -n 2 "$T_TMP/appbuild.log" | tr '\n' ' ')); jeos figures only"
    fi
else
    echo "storage bench: musl-gcc builds failed"
    exit 1
fi

# qemu LOG VOLUME ARGS...: one guest with VOLUME as the disk "data", its console in LOG
qemu() {
    local log=$1 v=$2
    shift 2
    timeout 600 qemu-system-x86_64 -accel tcg -M q35 -m 256 -smp 1 -display none -monitor none \
        -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 \
        -drive "file=$v,format=raw,if=none,id=v0,discard=unmap" -device virtio-blk-pci,drive=v0,serial=data \
        "$@" </dev/null 2>&1 | tr -d '\r' >"$log"
}
# figures LOG: "WRITE_MS READ_MS SQL_MS" from storbench's lines, or nothing
figures() {
    local w r s
    w=$(sed -n 's/^storbench: io write 64 MiB in \([0-9.]*\) ms.*/\1/p' "$1")
    r=$(sed -n 's/^storbench: io read 64 MiB in \([0-9.]*\) ms$/\1/p' "$1")
    s=$(sed -n 's/^storbench: sql 10000 inserts in 100 transactions in \([0-9.]*\) ms$/\1/p' "$1")
    grep -q '^storbench: done$' "$1" && [ -n "$w" ] && [ -n "$r" ] && [ -n "$s" ] && echo "$w $r $s"
}
# run SIDE I: one run of SIDE (jeos, linux) on a fresh volume; appends its figures to T_TMP/SIDE
run() {
    local side=$1 i=$2 log=$T_TMP/$1.$2.log f
    cp --sparse=always "$vol" "$T_TMP/run.vol"
    if [ "$side" = jeos ]; then
        qemu "$log" "$T_TMP/run.vol" -kernel "$elf" -append "io sql"
    else
        qemu "$log" "$T_TMP/run.vol" -drive "file=$app,format=raw,if=none,id=boot,snapshot=on" \
            -device virtio-blk-pci,drive=boot,bootindex=0
    fi
    f=$(figures "$log") || { echo "storage bench: $side run $i printed no figures:"; tail -n 8 "$log"; return 1; }
    if command -v e2fsck >/dev/null && ! e2fsck -fn "$T_TMP/run.vol" >"$T_TMP/fsck.log" 2>&1; then
        echo "storage bench: $side run $i left the volume unclean: $(grep -v '^Pass' "$T_TMP/fsck.log" | head -n 3 | tr '\n' ' ')"
        return 1
    fi
    echo "$side run $i: write $(cut -d' ' -f1 <<<"$f") ms, read $(cut -d' ' -f2 <<<"$f") ms, sqlite $(cut -d' ' -f3 <<<"$f") ms"
    echo "$f" >>"$T_TMP/$side"
}
for i in $(seq 1 "$runs"); do
    run jeos "$i" || exit 1
    [ -z "$app" ] || run linux "$i" || exit 1
done
# median COLUMN SIDE: the median of that figure over the runs
# shellcheck disable=SC2046 # one figure a line, numbers
median() { bench_median $(cut -d' ' -f"$1" "$T_TMP/$2"); }
# rate SCALE MS: SCALE per second
rate() { python3 -c 'import sys; print("%.3f" % (float(sys.argv[1]) * 1000 / float(sys.argv[2])))' "$1" "$2"; }
what=("64 MiB sequential write + fsync (higher is better)" "64 MiB sequential read, cold (higher is better)"
    "SQLite inserts, 100 a transaction, synchronous=FULL (higher is better)")
scale=(64 64 10000) unit=(MiB/s MiB/s inserts/s)
for c in 1 2 3; do
    o=$(rate "${scale[c - 1]}" "$(median $c jeos)")
    if [ -z "$app" ]; then
        echo "${what[c - 1]}: jeos $o ${unit[c - 1]} (median of $runs)"
        continue
    fi
    p=$(rate "${scale[c - 1]}" "$(median $c linux)")
    bench_report "${what[c - 1]}, median of $runs" "$o" "Linux appliance, ext4" "$p" "${unit[c - 1]}"
done
exit 0
