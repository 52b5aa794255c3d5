#!/bin/bash
# tests/unikernel/ext4_test.sh — ext4 volumes in the guest (runtime/ext4: libext2fs from Debian's
# e2fsprogs source, mounted at the recipe's volumes: mount), under QEMU TCG:
#   ext4-vol-*       tests/runtime/src/volfs.c's file calls on the volume (built for this host
#                    too, run on a folder holding what volfs.yaml's files: put on the volume:
#                    each check must pass on both): the initial files, symlinks, hard links,
#                    chdir/fchdir below the mount point, nanosecond and post-2038 times, ...
#   ext4-fsck        e2fsck -fn finds the volume clean after the guest's exit, and debugfs reads
#                    what it wrote
#   ext4-reboot      a second boot of volfs finds the synced file, a sparse one and not the
#                    removed one
#   ext4-signal-abort, ext4-signal-segv   volfs writes (one file fsynced, one not), then dies of
#                    SIGABRT / SIGSEGV: the guest's status 128+signal, the volume marked clean
#                    (dumpe2fs), e2fsck -fn passes, debugfs reads both files
#   ext4-hv          tests/runtime/src/volhv.c under jeos-hv: its hypercall disk mounted, a file
#                    written, synced, renamed; e2fsck -fn clean, debugfs reads it
#   ext4-sqlite      tests/unikernel/sqlite/volsql.c: 10,000 rows in 100 transactions by one jeos
#                    run, found by a second; the host's sqlite3 reading the database taken out
#                    with debugfs prints the same; e2fsck -fn clean
#   ext4-powercut    20 runs of volsql's write loop, QEMU killed at a random moment (0.2-2.7 s
#                    into the loop): each time
#                    e2fsck -fy repairs, PRAGMA integrity_check says ok, every transaction the
#                    guest reported committed is there (the next run goes on from the repaired
#                    volume)
#   ext4-sbom        the SBOM lists e2fsprogs (libext2fs is linked in)
#   ext4-not-ext4, ext4-corrupt   a volume of zeros and one with its group descriptors
#                    overwritten: a console line naming the volume, the program runs on (no crash)
set -u
UK_TEST=ext4
. "$JEOS_SRC/tests/unikernel/lib.sh"
. "$JEOS_SRC/tests/unikernel/sqlite/volsql.sh"
uk_setup
if [ ! -x "${JEOS:-}" ] || [ ! -f /usr/lib/x86_64-linux-musl/libc.a ]; then
    echo "SKIP ext4: jeos or musl-dev missing"
    exit 0
fi
for t in e2fsck debugfs sqlite3; do
    command -v $t >/dev/null || { echo "SKIP ext4: $t missing (e2fsprogs, sqlite3)"; exit 0; }
done
w=$T_TMP/w
mkdir -p "$w/src" "$T_TMP/host"
cp "$JEOS_SRC/tests/runtime/volfs.yaml" "$w/"
cp "$JEOS_SRC/tests/runtime/src/volfs.c" "$JEOS_SRC/tests/runtime/src/check.h" "$w/src/"
cp -a "$JEOS_SRC/tests/runtime/volseed" "$w/"
# the host's folder starts as the volume does: volfs.yaml's files: (times SOURCE_DATE_EPOCH)
cp -a "$JEOS_SRC/tests/runtime/volseed" "$T_TMP/host/seed"
install -m 0400 "$JEOS_SRC/tests/runtime/volseed/hello.txt" "$T_TMP/host/ro.txt"
find "$T_TMP/host/seed" "$T_TMP/host/ro.txt" -exec touch -h -d @1700000000 {} +
cp "$JEOS_SRC/tests/unikernel/sqlite/volsql.yaml" "$JEOS_SRC/tests/unikernel/sqlite/volsql.c" "$w/"
export SOURCE_DATE_EPOCH=1700000000
"$JEOS" -q build -o "$w/out" "$w/volsql.yaml" >"$T_TMP/sqlbuild.log" 2>&1 &
sqlpid=$!
if ! gcc -O1 -o "$T_TMP/hostbin" "$w/src/volfs.c" 2>"$T_TMP/gcc.log"; then
    echo "FAIL ext4-vol-host: the host build failed: $(head -c 300 "$T_TMP/gcc.log")"
    wait $sqlpid
    exit 0
fi
timeout 60 "$T_TMP/hostbin" "$T_TMP/host" >"$T_TMP/host.log" 2>&1
if ! "$JEOS" -q build -o "$w/out" "$w/volfs.yaml" >"$T_TMP/build.log" 2>&1; then
    echo "FAIL ext4-vol-build: jeos build failed:"
    sed 's/^/    /' "$T_TMP/build.log" | head -30
    wait $sqlpid
    exit 0
fi
vol=$w/out/volfs/volfs.data.vol
drive() { # FILE: the QEMU options jeos run gives a volume named data
    echo "-drive file=$1,if=none,id=v0,format=raw,discard=unmap -device virtio-blk-pci,drive=v0,serial=data"
}
# shellcheck disable=SC2046
uk_boot "$T_TMP/guest.log" -M q35 -kernel "$w/out/volfs/volfs.elf" -append "" $(drive "$vol")
for name in $(sed -n 's/^\(PASS\|FAIL\|SKIP\) \([a-z0-9_-]*\).*/\2/p' "$T_TMP/host.log" "$T_TMP/guest.log" | sort -u); do
    h=$(grep -m1 -E "^(PASS|FAIL|SKIP) $name(:|$)" "$T_TMP/host.log")
    g=$(grep -m1 -E "^(PASS|FAIL|SKIP) $name(:|$)" "$T_TMP/guest.log")
    if [ "${h%% *}" = PASS ] && [ "${g%% *}" = PASS ]; then
        echo "PASS ext4-$name"
    elif [ "${h%% *}" != PASS ]; then
        echo "FAIL ext4-$name: on the host (Linux) itself: ${h:-not run}"
    else
        echo "FAIL ext4-$name: in the unikernel: ${g:-not run}"
    fi
done
if ! uk_expect ext4-vol "$T_TMP/guest.log" '^jeos: volume data \(blk0, virtio-blk\) mounted at /data$' \
    '^volfs: 0 failures$' || [ "$UK_STATUS" != 0 ]; then
    echo "FAIL ext4-vol-status: guest status $UK_STATUS"
fi
if ! e2fsck -fn "$vol" >"$T_TMP/fsck.log" 2>&1; then
    echo "FAIL ext4-fsck: e2fsck -fn after the guest's exit:"
    sed 's/^/    /' "$T_TMP/fsck.log" | head -20
elif [ "$(debugfs -R 'cat /keep/note' "$vol" 2>/dev/null)" != "kept, synced" ] ||
    [ "$(debugfs -R 'stat /a' "$vol" 2>/dev/null | grep -o 'Size: [0-9]*' | head -n 1)" != "Size: 5000" ]; then
    echo "FAIL ext4-fsck: debugfs reads /keep/note as '$(debugfs -R 'cat /keep/note' "$vol" 2>/dev/null)'"
else
    echo "PASS ext4-fsck (clean after the exit; debugfs reads the guest's files)"
fi
# shellcheck disable=SC2046
uk_boot "$T_TMP/again.log" -M q35 -kernel "$w/out/volfs/volfs.elf" -append "again" $(drive "$vol")
if uk_expect ext4-reboot "$T_TMP/again.log" '^PASS vol-reboot-file$' '^PASS vol-reboot-sparse$' \
    '^PASS vol-reboot-sparse-data$' '^PASS vol-reboot-gone$' '^PASS vol-reboot-ns$' \
    '^PASS vol-reboot-link$' '^volfs: 0 failures$'; then
    echo "PASS ext4-reboot (a second boot finds the synced file, the sparse one, not the removed one, times to the nanosecond, a symlink)"
fi

# a fatal signal ends the guest as exit does: the volume written back and marked clean
for how in abort segv; do
    # shellcheck disable=SC2046
    uk_boot "$T_TMP/$how.log" -M q35 -kernel "$w/out/volfs/volfs.elf" -append "$how" $(drive "$vol")
    want=$([ $how = abort ] && echo 134 || echo 139) # 128 + the signal (uk_boot reads COM2)
    state=$(dumpe2fs -h "$vol" 2>/dev/null | sed -n 's/^Filesystem state: *//p')
    if [ "$UK_STATUS" != "$want" ] || ! grep -q "^volfs: $how now$" "$T_TMP/$how.log"; then
        echo "FAIL ext4-signal-$how: guest status $UK_STATUS (want $want):"
        sed 's/^/    /' "$T_TMP/$how.log" | tail -8
    elif [ "$state" != clean ] || ! e2fsck -fn "$vol" >"$T_TMP/$how.fsck" 2>&1; then
        echo "FAIL ext4-signal-$how: after the signal the volume is '$state': $(grep -v '^Pass' "$T_TMP/$how.fsck" | head -4 | tr '\n' ' ')"
    elif [ "$(debugfs -R 'cat /crash/synced' "$vol" 2>/dev/null)$(debugfs -R 'cat /crash/unsynced' "$vol" 2>/dev/null)" != "$how$how" ]; then
        echo "FAIL ext4-signal-$how: debugfs does not read both files the program wrote"
    else
        echo "PASS ext4-signal-$how (the guest ended with $want; the volume clean, e2fsck -fn passes, both files there)"
    fi
done

# --- jeos-hv: its hypercall disk (no serial: the volumes are its disks in order)
hv=$UK_OUTDIR/jeos-hv
cp "$JEOS_SRC/tests/runtime/volhv.yaml" "$w/"
cp "$JEOS_SRC/tests/runtime/src/volhv.c" "$w/src/"
if [ ! -x "$hv" ]; then
    echo "SKIP ext4-hv: $hv not built"
elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "SKIP ext4-hv: /dev/kvm not usable"
elif ! "$JEOS" -q build -o "$w/out" "$w/volhv.yaml" >"$T_TMP/hvbuild.log" 2>&1; then
    echo "FAIL ext4-hv: jeos build failed: $(tail -n 3 "$T_TMP/hvbuild.log")"
else
    hvvol=$w/out/volhv/volhv.data.vol
    timeout 120 env ASAN_OPTIONS=detect_leaks=0 "$hv" --disk "$hvvol" "$w/out/volhv/volhv-hv.elf" \
        </dev/null >"$T_TMP/hv.log" 2>&1
    hrc=$?
    if [ $hrc != 0 ] || ! grep -q '^jeos: volume data (blk0, jeos-hv) mounted at /data$' "$T_TMP/hv.log" ||
        ! grep -q '^volhv: ok$' "$T_TMP/hv.log"; then
        echo "FAIL ext4-hv: jeos-hv exited $hrc:"
        sed 's/^/    /' "$T_TMP/hv.log" | tail -10
    elif ! e2fsck -fn "$hvvol" >"$T_TMP/hvfsck.log" 2>&1; then
        echo "FAIL ext4-hv: e2fsck -fn after the run: $(grep -v '^Pass' "$T_TMP/hvfsck.log" | head -5 | tr '\n' ' ')"
    elif [ "$(debugfs -R 'cat /hv.txt' "$hvvol" 2>/dev/null)" != "written under jeos-hv" ]; then
        echo "FAIL ext4-hv: debugfs does not read /hv.txt as the guest wrote it"
    else
        echo "PASS ext4-hv (mounted from jeos-hv's disk, written, synced, renamed; e2fsck clean, debugfs reads it)"
    fi
fi

# --- SQLite
wait $sqlpid || { echo "FAIL ext4-sqlite: jeos build of volsql failed:"; sed 's/^/    /' "$T_TMP/sqlbuild.log" | head -20; exit 0; }
d=$w/out/volsql
cp "$d/volsql.data.vol" "$T_TMP/fresh.vol"
start=$(date +%s%N)
timeout "$UK_TIMEOUT" "$JEOS" run --accel tcg --memory 128M "$d/volsql.elf" >"$T_TMP/sql1.raw" 2>&1
rc1=$?
mid=$(date +%s%N)
timeout "$UK_TIMEOUT" "$JEOS" run --accel tcg --memory 128M "$d/volsql.elf" >"$T_TMP/sql2.raw" 2>&1
rc2=$?
tr -d '\r' <"$T_TMP/sql1.raw" >"$T_TMP/sql1.log"
tr -d '\r' <"$T_TMP/sql2.raw" | grep -v '^jeos: ' >"$T_TMP/sql2.log"
if [ $rc1 != 0 ] || ! grep -qx loaded "$T_TMP/sql1.log"; then
    echo "FAIL ext4-sqlite: the first run (exit $rc1) did not load:"
    sed 's/^/    /' "$T_TMP/sql1.log" | tail -10
elif [ $rc2 != 0 ] || ! grep -qx '10000|12501250.0|1|10000' "$T_TMP/sql2.log"; then
    echo "FAIL ext4-sqlite: the second run (exit $rc2) did not find the rows:"
    sed 's/^/    /' "$T_TMP/sql2.log" | tail -10
elif volsql_check ext4-sqlite "$T_TMP/sql2.log" "$d/volsql.data.vol" "$T_TMP"; then
    echo "PASS ext4-sqlite (10,000 rows in 100 transactions, found after a reboot; the host's sqlite3 agrees on $VOLSQL_LINES lines; e2fsck clean; load run $(((mid - start) / 1000000)) ms)"
fi

# the SBOM names what the volumes linked in: libext2fs's source package
if python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if any(p["name"] == "e2fsprogs" for p in d["packages"]) else 1)' "$d/volsql.spdx.json"; then
    echo "PASS ext4-sbom (volsql.spdx.json lists e2fsprogs $(python3 -c 'import json, sys; print([p["versionInfo"] for p in json.load(open(sys.argv[1]))["packages"] if p["name"] == "e2fsprogs"][0])' "$d/volsql.spdx.json"))"
else
    echo "FAIL ext4-sbom: volsql.spdx.json does not list e2fsprogs"
fi

# --- power cuts: volsql's loop, QEMU killed at a random moment 0.2 to 2.7 s after the guest
# said its loop began (the boot's own time, which load stretches, is not counted)
pc=$T_TMP/pc.vol
cp "$T_TMP/fresh.vol" "$pc"
qpid=
trap '[ -n "$qpid" ] && kill -KILL $qpid 2>/dev/null' EXIT
runs=20 bad= total=0
for i in $(seq 1 $runs); do
    ms=$((200 + RANDOM % 2500))
    : >"$T_TMP/pc.raw"
    # shellcheck disable=SC2046
    qemu-system-x86_64 -accel tcg -m 128 -display none -monitor none -serial stdio -no-reboot \
        -M q35 -kernel "$d/volsql.elf" -append loop $(drive "$pc") </dev/null >"$T_TMP/pc.raw" 2>&1 &
    qpid=$!
    for _ in $(seq 1 600); do
        grep -aq '^volsql: loop from' "$T_TMP/pc.raw" && break
        kill -0 $qpid 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -aq '^volsql: loop from' "$T_TMP/pc.raw"; then
        kill -KILL $qpid 2>/dev/null
        bad="run $i: the guest did not start its loop: $(tr -d '\r' <"$T_TMP/pc.raw" | tail -n 3 | tr '\n' ' ')"
        break
    fi
    sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
    kill -KILL $qpid 2>/dev/null
    wait $qpid 2>/dev/null
    last=$(tr -d '\r' <"$T_TMP/pc.raw" | sed -n 's/^committed \([0-9]*\)$/\1/p' | tail -n 1)
    e2fsck -fy "$pc" >"$T_TMP/pcfsck.log" 2>&1
    frc=$?
    if [ $frc -gt 1 ]; then
        bad="run $i (killed after $ms ms): e2fsck -fy exited $frc: $(grep -v '^Pass\|^e2fsck' "$T_TMP/pcfsck.log" | head -3 | tr '\n' ' ')"
        break
    fi
    if ! e2fsck -fn "$pc" >/dev/null 2>&1; then
        bad="run $i: e2fsck -fy left errors"
        break
    fi
    rm -f "$T_TMP/pc.db" "$T_TMP/pc.db-journal"
    debugfs -R "dump /test.db $T_TMP/pc.db" "$pc" >/dev/null 2>&1
    # a hot journal is part of the database: sqlite3 rolls it back as the guest would
    if debugfs -R "stat /test.db-journal" "$pc" 2>/dev/null | grep -q '^Inode'; then
        debugfs -R "dump /test.db-journal $T_TMP/pc.db-journal" "$pc" >/dev/null 2>&1
    fi
    got=$(sqlite3 "$T_TMP/pc.db" "PRAGMA integrity_check;" "SELECT count(*) = coalesce(max(k), 0), coalesce(max(k), 0) FROM c;" 2>&1 | tr '\n' ' ')
    case $got in
    "ok 1|"*) n=${got#ok 1|} n=${n% } ;;
    *) bad="run $i (killed after $ms ms): the database says: ${got:0:300}; e2fsck -fy said: $(grep -v '^Pass\|^e2fsck' "$T_TMP/pcfsck.log" | head -20 | tr '\n' ' ')"; break ;;
    esac
    if [ -n "$last" ] && [ "$n" -lt "$last" ]; then
        bad="run $i (killed after $ms ms): the guest reported $last rows committed, the volume has $n"
        break
    fi
    [ -n "$last" ] && total=$((total + 1))
done
if [ -n "$bad" ]; then
    echo "FAIL ext4-powercut: $bad"
elif [ "$total" -lt $((runs / 2)) ]; then
    echo "FAIL ext4-powercut: only $total of $runs runs committed anything before the cut"
else
    echo "PASS ext4-powercut ($runs cuts, $total of them after commits; e2fsck -fy repaired each, integrity ok, $n rows, none reported committed lost)"
fi

# --- volumes that are not ext4, or damaged
head -c $((16 << 20)) /dev/zero >"$T_TMP/zero.vol"
# shellcheck disable=SC2046
uk_boot "$T_TMP/zero.log" -M q35 -kernel "$d/volsql.elf" -append "" $(drive "$T_TMP/zero.vol")
uk_expect ext4-not-ext4 "$T_TMP/zero.log" \
    '^jeos: volume data \(blk0\): not an ext2/3/4 filesystem \(no superblock magic 0xEF53 at byte 1080\); not mounted$' \
    '^loaded$' && [ "$UK_STATUS" = 0 ] &&
    echo "PASS ext4-not-ext4 (told at mount; /data stays a folder of the memory root, the program runs)" ||
    echo "FAIL ext4-not-ext4: guest status $UK_STATUS"
cp "$T_TMP/fresh.vol" "$T_TMP/bad.vol"
head -c 4096 /dev/urandom | dd of="$T_TMP/bad.vol" bs=4096 seek=1 conv=notrunc status=none
# shellcheck disable=SC2046
uk_boot "$T_TMP/bad.log" -M q35 -kernel "$d/volsql.elf" -append "" $(drive "$T_TMP/bad.vol")
uk_expect ext4-corrupt "$T_TMP/bad.log" '^jeos: volume data \(blk0\): cannot be mounted: .*; /data stays an empty folder$' \
    '^loaded$' && [ "$UK_STATUS" = 0 ] &&
    echo "PASS ext4-corrupt (group descriptors overwritten: $(sed -n 's/^jeos: volume data (blk0): cannot be mounted: \(.*\); .*/\1/p' "$T_TMP/bad.log"))" ||
    echo "FAIL ext4-corrupt: guest status $UK_STATUS"
