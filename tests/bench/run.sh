#!/bin/bash
# tests/bench/run.sh — runs every benchmark (tests/bench/*_bench.sh); each prints our figure, a peer's
# measured in the same run, and the ratio. Pass substrings to run only matching benchmarks.
set -u
cd "$(dirname "$0")/../.."
export JEOS_SRC=$PWD
export JEOS_OUT=${JEOS_OUT:-out}
export JEOS=$PWD/$JEOS_OUT/jeos
rc=0
for b in tests/bench/*_bench.sh; do
    if [ $# -gt 0 ]; then
        m=0; for x in "$@"; do [[ $b == *"$x"* ]] && m=1; done
        [ $m = 1 ] || continue
    fi
    echo "== $b"
    tmp=$(mktemp -d)
    T_TMP=$tmp bash "$b" || { echo "benchmark $b failed"; rc=1; }
    rm -rf "$tmp"
done
exit $rc
