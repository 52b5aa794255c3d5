#!/bin/bash
# resolve_mirror_test.sh — the closure of nginx-light from the real mirror (host apt sources) against apt-get's.
set -u
: "${JEOS:?}" "${T_TMP:?}"
NAME=nginx_light_vs_apt
for tool in apt-get curl; do
    command -v $tool >/dev/null || { echo "SKIP $NAME: $tool is not installed"; exit 0; }
done
# The first URI of the host's sources must answer.
uri=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
[ -n "$uri" ] || uri=$(sed -n 's/^deb \(\[[^]]*\] \)\?\([^ ]*\).*/\2/p' /etc/apt/sources.list 2>/dev/null | head -1)
if [ -z "$uri" ] || ! curl -sfI --max-time 15 "$uri/dists/bookworm/InRelease" >/dev/null; then
    echo "SKIP $NAME: the mirror of the host's apt sources (${uri:-none}) is unreachable"
    exit 0
fi

# apt on an empty system, on a fresh copy of the same sources' indexes.
A=$T_TMP/apt
mkdir -p "$A/lists/partial" "$A/cache/archives/partial"
: >"$A/status"
APT=(-q -o "Dir::State::status=$A/status" -o "Dir::State::Lists=$A/lists" -o "Dir::Cache=$A/cache"
     -o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)" -o APT::Architectures::=amd64)
if ! apt-get "${APT[@]}" update >"$T_TMP/update.log" 2>&1; then
    echo "SKIP $NAME: apt-get update into a private folder failed: $(tail -1 "$T_TMP/update.log")"
    exit 0
fi
apt-get "${APT[@]}" -s --no-install-recommends install nginx-light >"$T_TMP/apt.out" 2>&1 || {
    echo "FAIL $NAME: apt-get -s failed: $(tail -3 "$T_TMP/apt.out")"; exit 1; }
sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1=\2/p' "$T_TMP/apt.out" | sort >"$T_TMP/apt.list"

# jeos, from the host's apt sources (the recipe names no mirror). The shared cache keeps reruns quick.
R=$T_TMP/nginx.yaml
cat >"$R" <<EOT
name: nginx
kind: appliance
debian: {suite: bookworm}
packages: [nginx-light]
service: {exec: [/usr/sbin/nginx]}
EOT
if ! "$JEOS" -q resolve --no-kernel "$R" >"$T_TMP/jeos.out" 2>&1; then
    echo "FAIL $NAME: jeos resolve failed: $(tail -3 "$T_TMP/jeos.out")"; exit 1
fi
awk '/^Package:/{p=$2} /^Version:/{print p"="$2}' "$R.lock" | sort >"$T_TMP/jeos.list"

# Allowed differences, each with its reason: alternatives where jeos takes the smaller one.
# (None are needed for nginx-light today; an entry reads "apt-choice jeos-choice".)
ALLOWED_ALTERNATIVES=()
only_apt=$(comm -23 "$T_TMP/apt.list" "$T_TMP/jeos.list" | tr '\n' ' ')
only_jeos=$(comm -13 "$T_TMP/apt.list" "$T_TMP/jeos.list" | tr '\n' ' ')
for pair in "${ALLOWED_ALTERNATIVES[@]}"; do
    a=${pair% *} j=${pair#* }
    only_apt=$(echo "$only_apt" | tr ' ' '\n' | grep -v "^$a=" | tr '\n' ' ')
    only_jeos=$(echo "$only_jeos" | tr ' ' '\n' | grep -v "^$j=" | tr '\n' ' ')
done
na=$(wc -l <"$T_TMP/apt.list") nj=$(wc -l <"$T_TMP/jeos.list")
echo "# apt-get -s --no-install-recommends on an empty status: $na packages; jeos: $nj packages"
grep 'packages, ' "$T_TMP/jeos.out" | sed 's/^/# jeos: /'
if [ -z "${only_apt// /}" ] && [ -z "${only_jeos// /}" ] && [ "$na" -gt 10 ]; then
    echo "PASS $NAME"
else
    echo "FAIL $NAME: only apt: [$only_apt] only jeos: [$only_jeos]"
fi
