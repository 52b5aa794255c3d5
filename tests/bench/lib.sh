# tests/bench/lib.sh — helpers for benchmark scripts: timing with hyperfine and a report line.

# bench_mean_ms NAME RUNS COMMAND... : prints the mean wall time in milliseconds (hyperfine).
bench_mean_ms() {
    local name=$1 runs=$2; shift 2
    local json=$T_TMP/$name.json
    local cmd; cmd=$(printf '%q ' "$@")
    hyperfine -N --warmup 3 --runs "$runs" --export-json "$json" "$cmd" >/dev/null 2>&1 || {
        echo "NaN"; return 1; }
    python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["results"][0]["mean"]*1000))' "$json"
}

# bench_report WHAT OURS PEER_NAME PEER UNIT : one line with both figures and ours/peer.
bench_report() {
    python3 - "$@" <<'PY'
import sys
what, ours, peer_name, peer, unit = sys.argv[1:6]
o, p = float(ours), float(peer)
print(f"{what}: jeos {o:.2f} {unit} | {peer_name} {p:.2f} {unit} | ratio jeos/peer {o/p:.3f}")
PY
}
