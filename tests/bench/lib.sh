# tests/bench/lib.sh — benchmark helpers: hyperfine timings, medians, report lines, the peers' kernel.

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

# bench_linux CACHE: the Debian cloud kernel the Linux peers boot, unpacked once into CACHE/linux
# (boot/vmlinuz-*, lib/modules/*) with apt-get download; prints the vmlinuz path, or nothing.
bench_linux() {
    local cache=$1 vmlinuz pkg
    mkdir -p "$cache"
    vmlinuz=$(ls "$cache"/linux/boot/vmlinuz-* 2>/dev/null | head -1)
    if [ -z "$vmlinuz" ]; then
        pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
        if [ -n "$pkg" ] && (cd "$T_TMP" && apt-get download "$pkg" >/dev/null 2>&1); then
            dpkg-deb -x "$T_TMP"/"$pkg"_*.deb "$cache/linux" && vmlinuz=$(ls "$cache"/linux/boot/vmlinuz-* | head -1)
        fi
    fi
    echo "$vmlinuz"
}

# bench_median VALUE... : the median of the values (the mean of the middle two for an even count).
bench_median() {
    python3 -c 'import statistics, sys; print("%.2f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"
}
