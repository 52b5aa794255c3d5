#!/bin/bash
# tests/runtime/musl_test.sh — unmodified C programs on musl, built by jeos build from the
# recipes in tests/runtime/, booted under QEMU TCG (PVH -kernel); the guests' PASS/FAIL lines are
# relayed. Also: getrandom differs across boots, the ENOSYS notice, and two programs under jeos-hv.
set -u
UK_TEST=runtime
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
if [ ! -x "${JEOS:-}" ]; then
    echo "SKIP runtime: jeos not built ($JEOS)"
    exit 0
fi
if [ ! -f /usr/lib/x86_64-linux-musl/libc.a ]; then
    echo "SKIP runtime: musl-dev not installed (make deps)"
    exit 0
fi
out=$T_TMP/out
log=$T_TMP/log

# relay NAME LOG: the guest's PASS/FAIL lines, then FAIL unless it exited with 0 and passed something
relay() {
    local name=$1 f=$2
    grep -E '^(PASS|FAIL|SKIP) ' "$f"
    if ! grep -q '^PASS ' "$f" || [ "$UK_STATUS" -ne 0 ]; then
        echo "FAIL $name: guest status $UK_STATUS; its console:"
        sed 's/^/    /' "$f" | head -40
    fi
}

for t in stdio malloc sort threads poll sleep random enosys syscalls; do
    if ! "$JEOS" -q build -o "$out" "$JEOS_SRC/tests/runtime/$t.yaml" >"$T_TMP/build.log" 2>&1; then
        echo "FAIL rt-$t-build: jeos build failed:"
        sed 's/^/    /' "$T_TMP/build.log" | head -30
        continue
    fi
    uk_pvh "$log.$t" "$out/rt-$t/rt-$t.elf" ""
    relay "rt-$t" "$log.$t"
done

# sleeping threads cost nothing: QEMU (TCG) uses little host CPU while all four sleep 1 s
if "$JEOS" -q build -o "$out" "$JEOS_SRC/tests/runtime/idle.yaml" >"$T_TMP/build.log" 2>&1; then
    TIMEFORMAT='%U %S'
    cpu=$( { time uk_pvh "$log.idle" "$out/rt-idle/rt-idle.elf" "" >/dev/null; } 2>&1)
    ms=$(echo "$cpu" | awk '{printf "%d", ($1 + $2) * 1000}')
    relay rt-idle "$log.idle"
    if [ "$ms" -lt 700 ]; then
        echo "PASS rt-idle-cpu"
    else
        echo "FAIL rt-idle-cpu: QEMU used $ms ms of CPU while every thread slept 1 s"
    fi
else
    echo "FAIL rt-idle-build: jeos build failed"
fi

# the console shows what the program printed, stderr included
if [ -f "$log.stdio" ]; then
    uk_expect rt-stdio-console "$log.stdio" '^console line 1 2\.5$' '^stderr works$' &&
        echo "PASS rt-stdio-console"
fi

# one notice per unknown system call, naming it
if [ -f "$log.enosys" ]; then
    n=$(grep -c '^jeos: system call acct (163) is not implemented: ENOSYS$' "$log.enosys")
    [ "$n" -eq 1 ] && echo "PASS rt-enosys-notice" || echo "FAIL rt-enosys-notice: $n notices"
fi

# getrandom differs across boots
if [ -f "$out/rt-random/rt-random.elf" ]; then
    uk_pvh "$log.random2" "$out/rt-random/rt-random.elf" ""
    a=$(sed -n 's/^RANDOM //p' "$log.random")
    b=$(sed -n 's/^RANDOM //p' "$log.random2")
    if [ -n "$a" ] && [ -n "$b" ] && [ "$a" != "$b" ]; then
        echo "PASS rt-getrandom-boots"
    else
        echo "FAIL rt-getrandom-boots: '$a' then '$b'"
    fi
fi

# the same application ELFs, linked with the hv platform, under jeos-hv
hv=$UK_OUTDIR/jeos-hv
if [ -x "$hv" ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    "$JEOS" -q build -o "$out" "$JEOS_SRC/recipes/hello.yaml" >/dev/null 2>&1
    for t in hello/hello rt-syscalls/rt-syscalls rt-threads/rt-threads; do
        n=${t%%/*}
        timeout 60 "$hv" "$out/$t-hv.elf" </dev/null >"$log.hv.$n" 2>&1
        UK_STATUS=$?
        # kvm_pvm without VT-x emulates the guest, and its emulator rejects SSE instructions
        # (musl's libc.a uses them: vfprintf's first is pxor)
        # (tests/hypervisor/nested_test.sh runs them there on nested AMD-V: nested-rt-hv-*)
        if grep -q 'no VT-x or AMD-V' "$log.hv.$n" && grep -q 'KVM internal error' "$log.hv.$n"; then
            echo "rt-hv-$n: this host's KVM emulates the CPU without SSE; run on nested AMD-V by tests/hypervisor/nested_test.sh"
            continue
        fi
        if [ "$n" = hello ]; then
            uk_expect rt-hv-hello "$log.hv.$n" '^Hello from a jeos unikernel \(hello, 0 arguments\)$' &&
                { [ "$UK_STATUS" -eq 0 ] && echo "PASS rt-hv-hello" || echo "FAIL rt-hv-hello: status $UK_STATUS"; }
        else
            sed -i 's/^PASS /PASS hv-/; s/^FAIL /FAIL hv-/' "$log.hv.$n"
            relay "rt-hv-$n" "$log.hv.$n"
        fi
    done
else
    echo "SKIP rt-hv: no jeos-hv or /dev/kvm"
fi

# --size-report: the ELF's size, bytes by part (musl's printf is there), the largest symbols
if "$JEOS" -q build --size-report -o "$T_TMP/sr" "$JEOS_SRC/recipes/hello.yaml" >"$T_TMP/sr.out" 2>&1; then
    size=$(stat -c %s "$T_TMP/sr/hello/hello.elf")
    musl=$(awk '/musl libc.a$/ { print $1 }' "$T_TMP/sr.out")
    if grep -qx "$T_TMP/sr/hello/hello.elf: $size bytes (.* KiB)" "$T_TMP/sr.out" &&
        [ "${musl:-0}" -gt 4096 ] && grep -q '^largest symbols:$' "$T_TMP/sr.out" &&
        grep -qE '^ +[0-9]+  t printf_core$' "$T_TMP/sr.out"; then
        echo "PASS rt-size-report"
    else
        echo "FAIL rt-size-report: output:"
        sed 's/^/    /' "$T_TMP/sr.out" | head -30
    fi
else
    echo "FAIL rt-size-report: jeos build failed"
fi

# a library musl-dev does not have: named with its place in the recipe, nothing built
mkdir -p "$T_TMP/badlib/src"
cp "$JEOS_SRC/tests/runtime/src/enosys.c" "$JEOS_SRC/tests/runtime/src/check.h" "$T_TMP/badlib/src/"
printf 'name: badlib\nkind: unikernel\nsources: [src/enosys.c]\nlibs: [m, nosuchlib]\n' >"$T_TMP/badlib/r.yaml"
"$JEOS" -q build -o "$T_TMP/badlib/out" "$T_TMP/badlib/r.yaml" >"$T_TMP/badlib.out" 2>&1
rc=$?
want="$T_TMP/badlib/r.yaml:4:11: libs: nosuchlib: no /usr/lib/x86_64-linux-musl/libnosuchlib.a (a static musl library; a file of yours ends in .a or .o)"
if [ "$rc" -eq 1 ] && grep -qxF "$want" "$T_TMP/badlib.out" && [ ! -e "$T_TMP/badlib/out/badlib/badlib.elf" ]; then
    echo "PASS rt-build-missing-lib"
else
    echo "FAIL rt-build-missing-lib: status $rc, output:"
    sed 's/^/    /' "$T_TMP/badlib.out"
fi
