#!/bin/bash
# tests/run.sh — runs every test and counts the PASS/FAIL/SKIP lines they print.
#
# Tests are: the unit-test binaries built under $JEOS_SAN_OUT/tests (ASan+UBSan),
# and the scripts tests/*/*_test.sh. A script or binary gets in its environment
#   JEOS      the sanitizer-built jeos binary       JEOS_SRC  the source tree
#   JEOS_OUT  the plain build folder                JEOS_SAN_OUT  the sanitizer build folder
#   T_TMP     a fresh temporary folder, removed afterwards
# A test that exits non-zero without printing FAIL counts as one failure; one that
# prints nothing at all counts as a failure too. Pass test names (or substrings)
# as arguments to run only those.
set -u
cd "$(dirname "$0")/.."
export JEOS_SRC=$PWD
export JEOS_SAN_OUT=${JEOS_SAN_OUT:-out/san}
export JEOS_OUT=${JEOS_OUT:-out}
export JEOS=$PWD/$JEOS_SAN_OUT/jeos
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
TIMEOUT=${JEOS_TEST_TIMEOUT:-900}

pass=0 fail=0 skip=0
failed_names=()
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

run_one() { # name, command...
    local name=$1; shift
    local log=$logdir/log
    local start=$SECONDS
    local tmp; tmp=$(mktemp -d)
    T_TMP=$tmp timeout --kill-after=10 "$TIMEOUT" "$@" >"$log" 2>&1 </dev/null
    local rc=$?
    rm -rf "$tmp"
    local p f s
    p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log"); s=$(grep -c '^SKIP ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        [ "$rc" -eq 124 ] && echo "FAIL $name: timed out after ${TIMEOUT}s" >>"$log" \
                          || echo "FAIL $name: exited with status $rc" >>"$log"
        f=1
    fi
    if [ $((p + f + s)) -eq 0 ]; then
        echo "FAIL $name: printed no PASS, FAIL or SKIP line" >>"$log"
        f=1
    fi
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    grep -E '^(PASS|FAIL|SKIP) ' "$log" | sed "s|^|[$name] |"
    if [ "$f" -gt 0 ]; then
        failed_names+=("$name")
        echo "---- output of $name ----"
        tail -n 60 "$log"
        echo "----"
    fi
    echo "[$name] ($((SECONDS - start))s)"
}

filter=("$@")
selected() {
    [ ${#filter[@]} -eq 0 ] && return 0
    local x; for x in "${filter[@]}"; do [[ $1 == *"$x"* ]] && return 0; done
    return 1
}

for bin in $(find "$JEOS_SAN_OUT/tests" -type f -name '*_test' -perm -u+x 2>/dev/null | sort); do
    name=${bin#"$JEOS_SAN_OUT"/}
    selected "$name" || continue
    run_one "$name" "$bin"
done
for script in $(find tests -name '*_test.sh' | sort); do
    selected "$script" || continue
    run_one "$script" bash "$script"
done
if selected format; then
    run_one clang-format bash -c 'if make -s format-check >/dev/null 2>&1; then echo "PASS clang-format"; else make -s format-check 2>&1 | head -20; echo "FAIL clang-format: sources differ from .clang-format (run make format)"; fi'
fi

echo
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
