#!/bin/bash
# musl.sh — in the nested L1: the unikernel programs on musl that the host's emulating KVM cannot
# run (their libc uses SSE), built on the host by nested_test.sh from recipes/hello.yaml (and a copy
# returning 7) and tests/runtime/{syscalls,threads}.yaml, under jeos-hv on AMD-V: the checks of
# tests/runtime/musl_test.sh (rt-hv-*), tests/unikernel/build_test.sh (build-hello-hv) and
# tests/build/run_elf_test.sh (run_elf_hv) for these ELFs.
set -u
: "${JEOS_OUT:?}" "${NESTED_ELF:?}" "${T_TMP:?}"
hv=$JEOS_OUT/jeos-hv
log=$T_TMP/log

# run ELF: jeos-hv on it, console and messages in $log, status in rc
run() {
    timeout 120 "$hv" "$1" </dev/null >"$log" 2>&1
    rc=$?
}
greeting='^Hello from a jeos unikernel \(hello, 0 arguments\)$'

run "$NESTED_ELF/hello-hv.elf"
if ! grep -qE "$greeting" "$log"; then
    echo "FAIL rt-hv-hello: no greeting; output:"
    sed 's/^/    /' "$log" | head -20
elif [ "$rc" -ne 0 ]; then
    echo "FAIL rt-hv-hello: status $rc"
else
    echo "PASS rt-hv-hello"
    echo "PASS build-hello-hv (recipes/hello.yaml's hello-hv.elf: printf through musl, status 0)"
fi
hello_rc=$rc
run "$NESTED_ELF/seven-hv.elf"
if [ "$hello_rc" -eq 0 ] && [ "$rc" -eq 7 ] && grep -q 'Hello from a jeos unikernel' "$log"; then
    echo "PASS run_elf_hv (hello-hv.elf: exit 0; seven-hv.elf: exit 7; printf)"
else
    echo "FAIL run_elf_hv: hello-hv.elf exit $hello_rc, seven-hv.elf exit $rc (want 0 and 7)"
    sed 's/^/    /' "$log" | head -10
fi

# the programs print their own PASS/FAIL lines (renamed hv-NAME); the guest must end with 0
for n in rt-syscalls rt-threads; do
    run "$NESTED_ELF/$n-hv.elf"
    sed -n 's/^\(PASS\|FAIL\|SKIP\) /\1 hv-/p' "$log"
    if ! grep -q '^PASS ' "$log" || [ "$rc" -ne 0 ]; then
        echo "FAIL rt-hv-$n: guest status $rc; its console:"
        sed 's/^/    /' "$log" | head -40
    fi
done
