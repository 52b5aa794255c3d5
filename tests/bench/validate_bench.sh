#!/bin/bash
# validate_bench.sh — jeos validate on a 10,000-line recipe (target: well under 100 ms), beside
# PyYAML's C loader merely parsing the same file (no validation), in the same run.
set -u
. "$JEOS_SRC/tests/bench/lib.sh"
f=$T_TMP/big.yaml
{
    printf 'name: big\nkind: appliance\nservice: {exec: [/usr/sbin/nginx]}\nenv:\n'
    for i in $(seq 1 2000); do printf '  VAR_%d: "value %d"\n' "$i" "$i"; done
    printf 'packages:\n'
    for i in $(seq 1 7994); do printf '  - pkg-%05d\n' "$i"; done
} >"$f"
lines=$(wc -l <"$f")
"$JEOS" validate "$f" >/dev/null || { echo "validate failed on the generated recipe"; exit 1; }
ours=$(bench_mean_ms jeos 30 "$JEOS" validate "$f")
peer=$(bench_mean_ms pyyaml 30 python3 -c 'import yaml,sys; yaml.load(open(sys.argv[1]), Loader=yaml.CSafeLoader)' "$f")
bench_report "validate a $lines-line recipe (wall, mean of 30; target < 100 ms)" "$ours" "PyYAML CSafeLoader parse only" "$peer" ms
