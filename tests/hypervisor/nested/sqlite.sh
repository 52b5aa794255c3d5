#!/bin/bash
# sqlite.sh — in the nested L1: tests/unikernel/sqlite/volsql.c's volume test (ext4_test.sh's
# ext4-sqlite) under jeos-hv on AMD-V, through its hypercall disk: volsql-hv.elf (built on the
# host by nested_test.sh) on the L1's second disk, /dev/vdb (the host's copy of the recipe's fresh
# volume), twice — the first run loads 10,000 rows in 100 transactions, the second (the reboot)
# prints its queries' results. Those lines go out as "sql| LINE" and the disk goes back to the
# host, which checks it (e2fsck -fn, its sqlite3 on the database taken out with debugfs).
set -u
: "${JEOS_OUT:?}" "${NESTED_ELF:?}" "${T_TMP:?}"
vol=/dev/vdb
elf=$NESTED_ELF/volsql-hv.elf
if [ ! -f "$elf" ]; then
    exit 0 # the host left it out (and says why)
fi
if [ ! -b "$vol" ]; then
    echo "FAIL ext4-sqlite: no $vol in the L1 (the volume the host attached)"
    exit 0
fi
run() { # log name
    timeout 200 "$JEOS_OUT/jeos-hv" --mem 128M --disk "$vol" "$elf" </dev/null >"$T_TMP/$1.out" 2>"$T_TMP/$1.err"
    rc=$?
}
mounted='jeos: volume data (blk0, jeos-hv) mounted at /data'
t0=$(date +%s%N)
run load
t1=$(date +%s%N)
if [ $rc != 0 ] || ! grep -qxF "$mounted" "$T_TMP/load.out" || ! grep -qx loaded "$T_TMP/load.out"; then
    echo "FAIL ext4-sqlite: the first run (exit $rc) did not load:"
    cat "$T_TMP/load.out" "$T_TMP/load.err" | tail -n 10 | sed 's/^/    /'
    exit 0
fi
run again
t2=$(date +%s%N)
grep -v '^jeos: ' "$T_TMP/again.out" >"$T_TMP/again.log"
if [ $rc != 0 ] || ! grep -qx '10000|12501250.0|1|10000' "$T_TMP/again.log"; then
    echo "FAIL ext4-sqlite: the second run (exit $rc) did not find the rows:"
    cat "$T_TMP/again.out" "$T_TMP/again.err" | tail -n 10 | sed 's/^/    /'
    exit 0
fi
sync
blockdev --flushbufs "$vol"
sed 's/^/sql| /' "$T_TMP/again.log"
echo "nested: ext4-sqlite load run $(((t1 - t0) / 1000000)) ms, second run $(((t2 - t1) / 1000000)) ms ($(head -n 1 "$T_TMP/load.err"))"
