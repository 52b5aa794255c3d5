#!/bin/bash
# nested_test.sh — every jeos-hv test on real hardware virtualization, nested: one L1 Linux (the jeos
# appliance tests/hypervisor/nested/l1.yaml) under qemu-system-x86_64 -accel tcg -cpu
# qemu64,+svm,+npt loads kvm_amd and runs there tests/hypervisor/hv_test.sh, tests/unikernel/
# hv_test.sh, the musl programs (tests/hypervisor/nested/musl.sh), httpd serving over a tap
# (tests/hypervisor/nested/httpd.sh) and SQLite's volume test (tests/hypervisor/nested/sqlite.sh:
# volsql-hv.elf twice on the L1's second disk, the recipe's fresh volume, through jeos-hv's
# hypercall disk) under jeos-hv on AMD-V with NPT, and tests/unikernel/kvm_test.sh under the L1's
# QEMU on that KVM, in one boot. Their verdicts come back over the L1's second serial port as PASS
# nested-NAME...; the volume comes back as the disk file, checked here (nested-ext4-sqlite: e2fsck
# -fn clean, the host's sqlite3 on the database taken out with debugfs prints what the guest's
# second run printed); then run-elf.sh once.
set -u
: "${JEOS_SRC:?}" "${T_TMP:?}"
. "$JEOS_SRC/tests/hypervisor/nested/lib.sh"
. "$JEOS_SRC/tests/unikernel/sqlite/volsql.sh"
W=$T_TMP
why=$(nested_check)
if [ -n "$why" ]; then
    echo "SKIP nested: $why"
    exit 0
fi

# SQLite's volume test (tests/unikernel/ext4_test.sh's ext4-sqlite) for tests/hypervisor/nested/
# sqlite.sh: volsql's build, beside the others (sqlite3.c is most of the build time); its fresh
# volume is the L1's second disk.
vol="" sqlwhy=""
for t in e2fsck debugfs sqlite3; do
    command -v $t >/dev/null || sqlwhy="$t missing (e2fsprogs, sqlite3)"
done
if [ -z "$sqlwhy" ]; then
    mkdir -p "$W/sql"
    cp "$JEOS_SRC"/tests/unikernel/sqlite/volsql.{yaml,c} "$W/sql/"
    sql_t0=$SECONDS
    (nested_elfs "$W/sqlout" "$W/sql/volsql.yaml" || echo "$NESTED_WHY" >"$W/sql.why") &
    sqlpid=$!
fi

# The musl programs, built by jeos like the host tests build them.
mkdir -p "$W/r/hello" "$W/r/src"
cp "$JEOS_SRC/recipes/hello.yaml" "$W/r/"
cp "$JEOS_SRC/recipes/hello/hello.c" "$W/r/hello/"
sed 's/return 0;/return 7;/' "$JEOS_SRC/recipes/hello/hello.c" >"$W/r/hello/seven.c"
sed 's/^name: hello/name: seven/; s|hello/hello.c|hello/seven.c|' "$JEOS_SRC/recipes/hello.yaml" >"$W/r/seven.yaml"
cp "$JEOS_SRC"/tests/runtime/{syscalls,threads}.yaml "$W/r/"
cp "$JEOS_SRC"/tests/runtime/src/{syscalls,threads}.c "$JEOS_SRC"/tests/runtime/src/check.h "$W/r/src/"
cp -r "$JEOS_SRC/recipes/httpd.yaml" "$JEOS_SRC/recipes/httpd" "$W/r/"
nested_payload "$W/l1" tests/hypervisor/hv_test.sh tests/unikernel/hv_test.sh \
    tests/hypervisor/nested/musl.sh tests/hypervisor/nested/httpd.sh tests/unikernel/kvm_test.sh \
    tests/hypervisor/nested/sqlite.sh
if ! nested_elfs "$W/elf" "$W"/r/{hello,seven,syscalls,threads,httpd}.yaml; then
    echo "FAIL nested-build: $NESTED_WHY"
    [ -z "$sqlwhy" ] && wait "$sqlpid"
    exit 0
fi
cp "$W"/elf/*/*-hv.elf "$W/l1/payload/elf/"
sql_t1=$SECONDS
if [ -n "$sqlwhy" ]; then
    echo "SKIP nested-ext4-sqlite: $sqlwhy"
elif ! wait "$sqlpid" || [ -s "$W/sql.why" ]; then
    echo "FAIL nested-ext4-sqlite: $(cat "$W/sql.why" 2>/dev/null)"
else
    echo "nested: volsql built in $((SECONDS - sql_t0)) s, $((SECONDS - sql_t1)) s of it after the other builds"
    cp "$W/sqlout/volsql/volsql-hv.elf" "$W/l1/payload/elf/"
    vol=$W/volsql.vol
    cp "$W/sqlout/volsql/volsql.data.vol" "$vol"
fi

# qemu-system-x86 too: tests/unikernel/kvm_test.sh runs QEMU on the L1's KVM
if ! nested_image "$W/l1" l1 qemu-system-x86; then
    case $NESTED_WHY in
    "the Debian mirror is unreachable"*) echo "SKIP nested: $NESTED_WHY" ;;
    *) echo "FAIL nested-l1-build: $NESTED_WHY" ;;
    esac
    exit 0
fi
nested_boot "$NESTED_IMG" "$W" "$vol"
grep -E '^(PASS|FAIL|SKIP|nested:) ' "$W/results"
cached=built
[ "$NESTED_CACHED" = 1 ] && cached="taken from the cache"
echo "nested: L1 image ${cached} in ${NESTED_BUILD_S} s; QEMU start to power-off ${NESTED_BOOT_S} s"
if ! grep -q '^nested: done at ' "$W/results"; then
    echo "FAIL nested-l1: the L1 did not finish its tests (QEMU status $NESTED_RC); console tail:"
    tail -n 25 "$W/console" | sed 's/^/    /'
    tail -n 5 "$W/qemu.log" | sed 's/^/    /'
elif ! grep -q '^jeos: powering off$' "$W/console"; then
    echo "FAIL nested-l1: the L1 did not power off cleanly (QEMU status $NESTED_RC)"
fi

# the volume jeos-hv wrote in the L1: the host's sqlite3 prints of the database in it what volsql's
# second run printed, and it is clean
if [ -n "$vol" ] && ! grep -q '^FAIL nested-ext4-sqlite' "$W/results"; then
    sed -n 's/^sql| //p' "$W/results" >"$W/sql2.log"
    if ! grep -q '^nested: ext4-sqlite load run ' "$W/results"; then
        echo "FAIL nested-ext4-sqlite: the L1 did not run tests/hypervisor/nested/sqlite.sh to its end"
    elif volsql_check nested-ext4-sqlite "$W/sql2.log" "$vol" "$W"; then
        echo "PASS nested-ext4-sqlite (volsql-hv.elf on jeos-hv's hypercall disk: 10,000 rows in 100 transactions, found by a second run; the host's sqlite3 agrees on $VOLSQL_LINES lines; e2fsck clean)"
    fi
fi

# run-elf.sh, what `jeos run APP-hv.elf` is meant to do where the host's KVM cannot run it: the
# guest's output and its exit status come back through a second, one-program L1.
t0=$SECONDS
bash "$JEOS_SRC/tests/hypervisor/nested/run-elf.sh" --mem 16M "$W/elf/seven/seven-hv.elf" two words \
    >"$W/run-elf.out" 2>"$W/run-elf.err"
rc=$?
if [ "$rc" -eq 7 ] && grep -qx 'Hello from a jeos unikernel (seven, 2 arguments)' "$W/run-elf.out" &&
    grep -qx 'jeos-hv: KVM on AMD-V with NPT' "$W/run-elf.out"; then
    echo "PASS nested-run-elf (seven-hv.elf two words: its greeting, status 7, in $((SECONDS - t0)) s)"
else
    echo "FAIL nested-run-elf: status $rc (expected 7); output:"
    cat "$W/run-elf.out" "$W/run-elf.err" | tail -n 15 | sed 's/^/    /'
fi
exit 0
