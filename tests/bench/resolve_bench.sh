#!/bin/bash
# resolve_bench.sh — parse the full bookworm main amd64 index and resolve nginx-light from a warm cache
# (target < 250 ms), beside apt-get -s on the host; then the closure's size beside the essential
# set + nginx-light that mmdebstrap --variant=essential installs (computed by apt on an empty status).
set -u
. "$JEOS_SRC/tests/bench/lib.sh"
mirror=http://deb.debian.org/debian
if ! curl -sfI --max-time 15 "$mirror/dists/bookworm/InRelease" >/dev/null; then
    echo "SKIPPED: $mirror is unreachable"
    exit 0
fi
R=$T_TMP/nginx.yaml
cat >"$R" <<EOT
name: nginx
kind: appliance
debian: {mirror: "$mirror", suite: bookworm}
packages: [nginx-light]
service: {exec: [/usr/sbin/nginx]}
EOT
# Warm the cache (JEOS_CACHE or the user's cache), then time offline runs.
"$JEOS" -q resolve --no-kernel --no-lock "$R" >"$T_TMP/jeos.out" || { echo "jeos resolve failed"; exit 1; }
ours=$(bench_mean_ms jeos 20 "$JEOS" -q resolve --offline --no-kernel --no-lock "$R")
peer=$(bench_mean_ms apt 20 apt-get install -s -q --no-install-recommends nginx-light)
bench_report "parse bookworm main amd64 + resolve nginx-light, warm cache (wall, mean of 20; target < 250 ms)" \
    "$ours" "apt-get install -s --no-install-recommends nginx-light (host apt as configured)" "$peer" ms
# Debian's container images turn apt's binary cache off (Dir::Cache::pkgcache ""), so apt
# re-reads its lists every time; with the cache on (built by the warm-up runs), apt is faster.
peer2=$(bench_mean_ms apt_pkgcache 20 apt-get -o "Dir::Cache::pkgcache=$T_TMP/pkgcache.bin" \
    -o "Dir::Cache::srcpkgcache=$T_TMP/srcpkgcache.bin" install -s -q --no-install-recommends nginx-light)
bench_report "parse bookworm main amd64 + resolve nginx-light, warm cache (wall, mean of 20)" \
    "$ours" "apt-get install -s with its pkgcache.bin on (host lists: bookworm, -updates, -security)" "$peer2" ms

# Closure size: jeos (no essential set) beside essential + nginx-light by apt on an empty status.
summary=$(grep 'packages, ' "$T_TMP/jeos.out")
n_jeos=$(echo "$summary" | awk '{print $1}')
mib_jeos=$(echo "$summary" | awk '{print $3}')
A=$T_TMP/apt
mkdir -p "$A/lists/partial" "$A/cache/archives/partial"
: >"$A/status"
APT=(-q -o "Dir::State::status=$A/status" -o "Dir::State::Lists=$A/lists" -o "Dir::Cache=$A/cache"
     -o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)" -o APT::Architectures::=amd64)
apt-get "${APT[@]}" update >/dev/null 2>&1 || { echo "apt-get update (private) failed"; exit 1; }
essential=$(apt-cache "${APT[@]}" dumpavail | awk 'BEGIN{RS=""} /\nEssential: yes/ {match($0, /^Package: [^\n]*/); print substr($0, 10, RLENGTH-9)}' | sort -u)
apt-get "${APT[@]}" -s --no-install-recommends install nginx-light $essential >"$T_TMP/ess.out" 2>&1 \
    || { echo "apt-get -s (essential + nginx-light) failed: $(tail -2 "$T_TMP/ess.out")"; exit 1; }
sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1 \2/p' "$T_TMP/ess.out" >"$T_TMP/ess.list"
n_ess=$(wc -l <"$T_TMP/ess.list")
kib_ess=$(apt-cache "${APT[@]}" show $(awk '{print $1"="$2}' "$T_TMP/ess.list") 2>/dev/null \
    | awk '/^Installed-Size:/{s+=$2} END{print s}')
mib_ess=$(python3 -c "print('%.1f' % ($kib_ess/1024))")
bench_report "closure of nginx-light: packages" "$n_jeos" "essential set + nginx-light (mmdebstrap --variant=essential, via apt -s)" "$n_ess" packages
bench_report "closure of nginx-light: installed size" "$mib_jeos" "essential set + nginx-light (mmdebstrap --variant=essential, via apt -s)" "$mib_ess" MiB
rm -f "$R.lock"
