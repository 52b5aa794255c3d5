#!/bin/bash
# resolve_mirror_test.sh — the closure of nginx-light from the real mirror (host apt sources) against apt-get's.
set -u
: "${JEOS:?}" "${T_TMP:?}"
NAME=closure_vs_apt
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
# apt_closure PKG...: "name=version" lines apt-get -s installs on the empty status.
apt_closure() {
    apt-get "${APT[@]}" -s --no-install-recommends install "$@" 2>&1 \
        | sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1=\2/p' | sort
}

# Alternatives where jeos takes the smaller one, as "apt's-choice jeos's-choice": what apt
# installs only because of its choice (the choice's own closure) and what jeos installs only
# because of its own are the allowed differences.
ALTERNATIVES=("usrmerge usr-is-merged")
apt_closure usrmerge >"$T_TMP/alt_apt.list"
: >"$T_TMP/alt_jeos.list"
for pair in "${ALTERNATIVES[@]}"; do
    apt_closure "${pair% *}" >>"$T_TMP/alt_apt.list"
    apt_closure "${pair#* }" >>"$T_TMP/alt_jeos.list"
done
sort -u -o "$T_TMP/alt_apt.list" "$T_TMP/alt_apt.list"
sort -u -o "$T_TMP/alt_jeos.list" "$T_TMP/alt_jeos.list"

# compare PKG: jeos's closure (from the host's apt sources; the recipe names no mirror) against apt's:
# the declared dependencies only (--no-closure), as apt sees them.
compare() {
    local pkg=$1 name=closure_$1
    local R=$T_TMP/$pkg.yaml
    cat >"$R" <<EOT
name: t
kind: appliance
debian: {suite: bookworm}
packages: [$pkg]
service: {exec: [/usr/sbin/app]}
EOT
    if ! "$JEOS" -q resolve --no-closure --no-kernel "$R" >"$T_TMP/jeos.out" 2>&1; then
        echo "FAIL $name: jeos resolve failed: $(tail -3 "$T_TMP/jeos.out")"; return
    fi
    awk '/^Package:/{p=$2} /^Version:/{print p"="$2}' "$R.lock" | sort >"$T_TMP/jeos.list"
    apt_closure "$pkg" >"$T_TMP/apt.list"
    local only_apt only_jeos
    only_apt=$(comm -23 "$T_TMP/apt.list" "$T_TMP/jeos.list" | comm -23 - "$T_TMP/alt_apt.list" | tr '\n' ' ')
    only_jeos=$(comm -13 "$T_TMP/apt.list" "$T_TMP/jeos.list" | comm -23 - "$T_TMP/alt_jeos.list" | tr '\n' ' ')
    echo "# $pkg: apt-get -s --no-install-recommends on an empty status: $(wc -l <"$T_TMP/apt.list") packages;" \
        "jeos: $(grep 'packages, ' "$T_TMP/jeos.out")"
    if [ -z "$only_apt" ] && [ -z "$only_jeos" ] && [ "$(wc -l <"$T_TMP/jeos.list")" -gt 10 ]; then
        echo "PASS $name"
    else
        echo "FAIL $name: only apt (unexplained): [$only_apt] only jeos (unexplained): [$only_jeos]"
    fi
}

# nginx-light must match exactly (no alternative differs); the others differ only by usrmerge.
compare nginx-light
[ -s "$T_TMP/apt.list" ] && [ -s "$T_TMP/jeos.list" ] &&
    cmp -s <(comm -3 "$T_TMP/apt.list" "$T_TMP/jeos.list") /dev/null && echo "PASS closure_nginx-light_exact" \
    || echo "FAIL closure_nginx-light_exact: $(comm -3 "$T_TMP/apt.list" "$T_TMP/jeos.list" | tr '\n' ' ')"
compare openssh-server
compare postgresql-15
# The greedy solver failed here: lua-resty-core wants libluajit2-5.1-2, which conflicts with the
# smaller libluajit-5.1-2 it had taken earlier for "libluajit2-5.1-2 | libluajit-5.1-2"; the
# backtracking solver goes back to that choice, as apt does.
compare libnginx-mod-http-lua
