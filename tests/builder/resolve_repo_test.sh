#!/bin/bash
# resolve_repo_test.sh — jeos resolve/why against a signed repository built here (dpkg-deb, Packages, Release, gpg).
set -u
: "${JEOS:?}" "${T_TMP:?}"
for tool in dpkg-deb dpkg-scanpackages gpg gpgv xz sha256sum; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP resolve_repo: $tool is not installed (make deps)"
        exit 0
    fi
done

REPO=$T_TMP/repo
export GNUPGHOME=$T_TMP/gnupg
mkdir -p "$REPO/pool/main" "$REPO/dists/test/main/binary-amd64" "$GNUPGHOME" "$T_TMP/build"
chmod 700 "$GNUPGHOME"

fail() { echo "FAIL $1: $2"; }
pass() { echo "PASS $1"; }

# mkdeb NAME VERSION ARCH INSTALLED-SIZE [extra control lines...]
mkdeb() {
    local name=$1 ver=$2 arch=$3 isize=$4; shift 4
    local d=$T_TMP/build/${name}_$ver
    mkdir -p "$d/DEBIAN" "$d/usr/share/doc/$name"
    echo "$name $ver" >"$d/usr/share/doc/$name/README"
    {
        echo "Package: $name"
        echo "Version: $ver"
        echo "Architecture: $arch"
        echo "Maintainer: jeos tests <tests@jeos.invalid>"
        echo "Installed-Size: $isize"
        for l in "$@"; do echo "$l"; done
        echo "Description: test package $name"
    } >"$d/DEBIAN/control"
    dpkg-deb --root-owner-group -Zgzip --build "$d" "$REPO/pool/main/${name}_${ver}_$arch.deb" >/dev/null
}

mkdeb app 1.0 amd64 10 "Pre-Depends: pre" \
    "Depends: libc-x (>= 2), usrmerge | usr-is-merged, mta, abi (>= 2), x | y, py:any, data"
mkdeb libc-x 1.0 amd64 100
mkdeb libc-x 2.0 amd64 120
mkdeb usrmerge 35 all 50 "Depends: perl-x"
mkdeb perl-x 5.36 amd64 40000
mkdeb usr-is-merged 35 all 20
mkdeb big-mta 1 amd64 5000 "Provides: mta"
mkdeb small-mta 1 amd64 30 "Provides: mta"
mkdeb old-abi 1 amd64 1 "Provides: abi (= 1)"
mkdeb new-abi 1 amd64 5 "Provides: abi (= 2)"
mkdeb pre 1 amd64 3 "Conflicts: x"
mkdeb x 1 amd64 1
mkdeb y 1 amd64 60
mkdeb py 3.11 amd64 7 "Multi-Arch: allowed"
mkdeb data 1 all 2 "Multi-Arch: foreign"
mkdeb base-x 1 amd64 9 "Essential: yes" "Priority: required"
mkdeb kern 6.1 amd64 4000
mkdeb broken 1 amd64 1 "Depends: mid"
mkdeb mid 1 amd64 1 "Depends: libssl-x (>= 3.0.0)"
mkdeb libssl-x 1.1.1 amd64 1
mkdeb needs-tool 1 amd64 1 "Depends: tool:any"
mkdeb tool 1 amd64 1 "Multi-Arch: foreign"

PKGS=$REPO/dists/test/main/binary-amd64/Packages
(cd "$REPO" && dpkg-scanpackages -m pool 2>/dev/null) >"$PKGS"
xz -k "$PKGS"
write_release() {
    {
        echo "Origin: jeos-test"
        echo "Suite: test"
        echo "Codename: test"
        echo "Architectures: amd64"
        echo "Components: main"
        echo "SHA256:"
        for f in ${INDEXES:-main/binary-amd64/Packages main/binary-amd64/Packages.xz}; do
            printf ' %s %s %s\n' "$(sha256sum <"$REPO/dists/test/$f" | cut -d' ' -f1)" \
                "$(stat -c %s "$REPO/dists/test/$f")" "$f"
        done
    } >"$REPO/dists/test/Release"
}
write_release
gpg --batch --quiet --passphrase '' --quick-gen-key "jeos test <test@jeos.invalid>" ed25519 sign never 2>/dev/null
gpg --batch --quiet --export >"$T_TMP/keyring.gpg"
sign() {
    rm -f "$REPO/dists/test/InRelease" "$REPO/dists/test/Release.gpg"
    gpg --batch --quiet --clearsign -o "$REPO/dists/test/InRelease" "$REPO/dists/test/Release"
}
sign

# recipe FILE PACKAGES... — an appliance recipe on the test repository.
recipe() {
    local f=$1; shift
    local list; list=$(printf '%s, ' "$@"); list=${list%, }
    cat >"$f" <<EOT
name: t
kind: appliance
debian: {mirror: "file:$REPO", suite: test, keyring: $T_TMP/keyring.gpg}
packages: [$list]
kernel: kern
service: {exec: [/usr/bin/app]}
EOT
}

# names in a lock file, sorted, as "a=1 b=2"
locked() { awk '/^Package:/{p=$2} /^Version:/{v=$2; if (p!="") print p"="v; p=""}' "$1" | sort | tr '\n' ' ' | sed 's/ $//'; }

export JEOS_CACHE=$T_TMP/cache

# 1. The closure: alternatives, virtual and versioned provides, conflicts, Pre-Depends, Multi-Arch, kernel.
R=$T_TMP/app.yaml
recipe "$R" app
if out=$("$JEOS" -q resolve --no-closure "$R" 2>&1); then
    want="abi= app=1.0 data=1 kern=6.1 libc-x=2.0 new-abi=1 pre=1 py=3.11 small-mta=1 usr-is-merged=35 y=1"
    want=${want#abi= }
    got=$(locked "$R.lock")
    if [ "$got" = "$want" ]; then pass closure; else fail closure "got \"$got\", expected \"$want\""; fi
    echo "$out" | grep -q '^10 packages, ' && pass summary_line || fail summary_line "$(echo "$out" | tail -2)"
    grep -q '^Why: Pre-Depends: pre$' "$R.lock" && pass lock_why || fail lock_why "no Pre-Depends Why in lock"
    sha=$(sha256sum <"$REPO/pool/main/y_1_amd64.deb" | cut -d' ' -f1)
    grep -q "^SHA256: $sha$" "$R.lock" && pass lock_sha256 || fail lock_sha256 "sha256 of y missing"
    for p in base-x perl-x usrmerge big-mta x old-abi; do
        grep -q "^Package: $p$" "$R.lock" && fail minimal "$p should not be in the closure"
    done
    pass minimal
else
    fail closure "jeos resolve failed: $out"
fi

# 2. Deterministic: a second run writes the same bytes.
cp "$R.lock" "$T_TMP/first.lock"
"$JEOS" -q resolve --no-closure "$R" >/dev/null 2>&1
cmp -s "$R.lock" "$T_TMP/first.lock" && pass deterministic || fail deterministic "lock files differ"

# 3. why
out=$("$JEOS" -q why "$R" usr-is-merged 2>&1)
want="app → usr-is-merged
  app 1.0: requested ($R:4:12)
  usr-is-merged 35: app Depends: usrmerge | usr-is-merged"
[ "$out" = "$want" ] && pass why || fail why "got: $out"
out=$("$JEOS" -q why --locked "$R" small-mta 2>&1)
[ "$(echo "$out" | head -1)" = "app → small-mta" ] && pass why_locked || fail why_locked "got: $out"
cp "$R" "$T_TMP/stale.yaml"; cp "$R.lock" "$T_TMP/stale.yaml.lock"
sed -i 's/^packages: \[app\]$/packages: [app, libc-x=1.0, mta]/' "$T_TMP/stale.yaml"
out=$("$JEOS" -q why --locked "$T_TMP/stale.yaml" app 2>&1); rc=$?
want="$T_TMP/stale.yaml:4:17: packages: libc-x is pinned to 1.0 but $T_TMP/stale.yaml.lock has 2.0 (run jeos resolve again)
$T_TMP/stale.yaml:4:29: packages: mta is not in $T_TMP/stale.yaml.lock (run jeos resolve again)"
[ $rc -eq 1 ] && [ "$out" = "$want" ] && pass why_locked_stale || fail why_locked_stale "rc $rc: $out"
out=$("$JEOS" -q why "$R" perl-x 2>&1); rc=$?
[ $rc -eq 1 ] && [ "$out" = "$R: perl-x is not in the closure (10 packages)" ] && pass why_absent \
    || fail why_absent "rc $rc: $out"

# 4. Unsatisfiable: the chain, exactly.
R2=$T_TMP/broken.yaml
recipe "$R2" broken
out=$("$JEOS" -q resolve --no-closure --no-kernel "$R2" 2>&1); rc=$?
want="$R2:4:12: packages: broken → mid → libssl-x (>= 3.0.0) → no candidate in test/main amd64 (available: 1.1.1)"
[ $rc -eq 1 ] && [ "$out" = "$want" ] && pass unsatisfiable || fail unsatisfiable "rc $rc: $out"
[ ! -e "$R2.lock" ] && pass no_lock_on_failure || fail no_lock_on_failure "lock written"
recipe "$R2" needs-tool
out=$("$JEOS" -q resolve --no-closure --no-kernel "$R2" 2>&1)
[ "$out" = "$R2:4:12: packages: needs-tool → tool:any → no candidate in test/main amd64" ] \
    && pass multiarch_any || fail multiarch_any "$out"
recipe "$R2" app libc-x=1.0
out=$("$JEOS" -q resolve --no-closure --no-kernel "$R2" 2>&1)
[ "$out" = "$R2:4:12: packages: app → libc-x (>= 2) → libc-x 1.0 is already in the closure (libc-x)" ] \
    && pass pinned_conflict || fail pinned_conflict "$out"

sed 's/^kernel: kern$/kernel: no-such-kernel/' "$R" >"$T_TMP/nokernel.yaml"
out=$("$JEOS" -q resolve --no-closure "$T_TMP/nokernel.yaml" 2>&1); rc=$?
[ $rc -eq 1 ] && [ "$out" = "$T_TMP/nokernel.yaml: kernel: no-such-kernel → no candidate in test/main amd64" ] \
    && pass kernel_missing || fail kernel_missing "rc $rc: $out"

# 5. Fetch: every .deb lands in the cache, checked.
out=$("$JEOS" -q resolve --no-closure --fetch "$R" 2>&1) && [ -f "$JEOS_CACHE/sha256/${sha:0:2}/$sha" ] \
    && pass fetch || fail fetch "$out"

# 6. Offline: works from the cache; a miss is a clear error.
out=$("$JEOS" -q resolve --no-closure --offline --no-lock "$R" 2>&1) && pass offline_hit || fail offline_hit "$out"
out=$(JEOS_CACHE=$T_TMP/empty "$JEOS" -q resolve --no-closure --offline --no-lock "$R" 2>&1); rc=$?
[ $rc -eq 1 ] && [ "$out" = "file:$REPO/dists/test/InRelease: not in the cache and --offline is set" ] \
    && pass offline_miss || fail offline_miss "rc $rc: $out"

# The cached Release is checked again on every use, against the keyring given.
GNUPGHOME=$T_TMP/other; mkdir -m 700 -p "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key "other <o@jeos.invalid>" ed25519 sign never 2>/dev/null
gpg --batch --quiet --export >"$T_TMP/other.gpg"
GNUPGHOME=$T_TMP/gnupg
out=$("$JEOS" -q resolve --no-closure --offline --keyring "$T_TMP/other.gpg" --no-lock "$R" 2>&1); rc=$?
[ $rc -eq 1 ] && [[ $out == "file:$REPO/dists/test/InRelease: bad signature (gpgv with keyring $T_TMP/other.gpg: "* ]] \
    && pass offline_other_keyring || fail offline_other_keyring "rc $rc: $out"

# 7. A tampered .deb (same size, one byte changed).
deb=$REPO/pool/main/usr-is-merged_35_all.deb
good=$(sha256sum <"$deb" | cut -d' ' -f1)
cp "$deb" "$T_TMP/deb.orig"
printf 'X' | dd of="$deb" bs=1 seek=$(($(stat -c %s "$deb") - 1)) conv=notrunc status=none
bad=$(sha256sum <"$deb" | cut -d' ' -f1)
out=$(JEOS_CACHE=$T_TMP/c2 "$JEOS" -q resolve --no-closure --fetch --no-lock "$R" 2>&1 >/dev/null); rc=$?
want="file:$deb: sha256 mismatch (expected $good, got $bad)"
[ $rc -eq 1 ] && [ "$out" = "$want" ] && pass tampered_deb || fail tampered_deb "rc $rc: $out"
[ -z "$(find "$T_TMP/c2/sha256" -name "$good*" 2>/dev/null)" ] && pass tampered_deb_not_cached \
    || fail tampered_deb_not_cached "a bad .deb was left in the cache"
cp "$T_TMP/deb.orig" "$deb"

# 8. A tampered Packages.xz (signed Release unchanged).
cp "$PKGS.xz" "$T_TMP/xz.orig"
good=$(sha256sum <"$PKGS.xz" | cut -d' ' -f1)
(sed 's/^Installed-Size: 40000$/Installed-Size: 1/' "$PKGS" | xz) >"$PKGS.xz"
bad=$(sha256sum <"$PKGS.xz" | cut -d' ' -f1)
out=$(JEOS_CACHE=$T_TMP/c3 "$JEOS" -q resolve --no-closure --no-lock "$R" 2>&1 >/dev/null); rc=$?
s1=$(stat -c %s "$T_TMP/xz.orig") s2=$(stat -c %s "$PKGS.xz")
if [ "$s1" = "$s2" ]; then
    want="file:$PKGS.xz: sha256 mismatch (expected $good, got $bad)"
else
    want="file:$PKGS.xz: sha256 mismatch (expected $good, $s1 bytes; got $bad, $s2 bytes)"
fi
[ $rc -eq 1 ] && [ "$out" = "$want" ] && pass tampered_packages || fail tampered_packages "rc $rc: $out"
cp "$T_TMP/xz.orig" "$PKGS.xz"

# 9. Bad signatures: a changed InRelease, and a key that is not in the keyring.
cp "$REPO/dists/test/InRelease" "$T_TMP/inrelease.orig"
sed -i 's/^Origin: jeos-test$/Origin: jeos-evil/' "$REPO/dists/test/InRelease"
out=$(JEOS_CACHE=$T_TMP/c4 "$JEOS" -q resolve --no-closure --no-lock "$R" 2>&1 >/dev/null); rc=$?
prefix="file:$REPO/dists/test/InRelease: bad signature (gpgv with keyring $T_TMP/keyring.gpg: "
[ $rc -eq 1 ] && [[ $out == "$prefix"*"BAD signature"* ]] && pass bad_signature \
    || fail bad_signature "rc $rc: $out"
cp "$T_TMP/inrelease.orig" "$REPO/dists/test/InRelease"
out=$(JEOS_CACHE=$T_TMP/c5 "$JEOS" -q resolve --no-closure --keyring "$T_TMP/other.gpg" --no-lock "$R" 2>&1 >/dev/null); rc=$?
[ $rc -eq 1 ] && [[ $out == "file:$REPO/dists/test/InRelease: bad signature (gpgv with keyring $T_TMP/other.gpg: "*"public key"* ]] \
    && pass unknown_key || fail unknown_key "rc $rc: $out"

# 10. --allow-unauthenticated says so, and still checks index hashes.
out=$(JEOS_CACHE=$T_TMP/c6 "$JEOS" -q resolve --no-closure --allow-unauthenticated --keyring "$T_TMP/other.gpg" --no-lock "$R" 2>&1)
[[ $out == *"WARNING: --allow-unauthenticated: the signature of file:$REPO/dists/test/InRelease is NOT checked"* ]] \
    && [[ $out == *"10 packages"* ]] && pass allow_unauthenticated || fail allow_unauthenticated "$out"

# 11. Release + Release.gpg when there is no InRelease.
rm "$REPO/dists/test/InRelease"
gpg --batch --quiet -abs -o "$REPO/dists/test/Release.gpg" "$REPO/dists/test/Release"
out=$(JEOS_CACHE=$T_TMP/c7 "$JEOS" -q resolve --no-closure --no-lock "$R" 2>&1) && [[ $out == *"10 packages"* ]] \
    && pass release_gpg || fail release_gpg "$out"
echo "tampered" >>"$REPO/dists/test/Release"
out=$(JEOS_CACHE=$T_TMP/c8 "$JEOS" -q resolve --no-closure --no-lock "$R" 2>&1); rc=$?
[ $rc -eq 1 ] && [[ $out == "file:$REPO/dists/test/Release: bad signature"* ]] \
    && pass release_gpg_bad || fail release_gpg_bad "rc $rc: $out"

# 12. As apt: a Release for another suite, or past its Valid-Until, is refused.
rm -f "$REPO/dists/test/Release.gpg"
write_release
sed -i 's/^Suite: test$/Suite: stable/; s/^Codename: test$/Codename: other/' "$REPO/dists/test/Release"
sign
out=$(JEOS_CACHE=$T_TMP/c9 "$JEOS" -q resolve --no-closure --no-lock "$R" 2>&1); rc=$?
[ $rc -eq 1 ] && [ "$out" = "file:$REPO/dists/test/Release: is for suite stable (codename other), not test" ] \
    && pass wrong_suite || fail wrong_suite "rc $rc: $out"
write_release
sed -i 's/^Codename: test$/Codename: test\nValid-Until: Sat, 01 Jan 2000 00:00:00 UTC/' "$REPO/dists/test/Release"
sign
out=$(JEOS_CACHE=$T_TMP/c9 "$JEOS" -q resolve --no-closure --no-lock "$R" 2>&1); rc=$?
[ $rc -eq 1 ] && [ "$out" = "file:$REPO/dists/test/Release: expired on 2000-01-01 00:00:00 UTC (Valid-Until): the mirror or the cached copy is stale" ] \
    && pass expired || fail expired "rc $rc: $out"
[ -z "$(ls "$T_TMP"/c9/dists/*/test/ 2>/dev/null)" ] && pass refused_release_not_cached \
    || fail refused_release_not_cached "$(ls "$T_TMP"/c9/dists/*/test/)"
write_release
sed -i 's/^Codename: test$/Codename: test\nValid-Until: Sat, 01 Jan 2100 00:00:00 UTC/' "$REPO/dists/test/Release"
sign

# 13. Indexes compressed with gzip, or not at all.
gzip -k "$PKGS"
for idx in main/binary-amd64/Packages.gz main/binary-amd64/Packages; do
    INDEXES=$idx write_release
    sign
    out=$(JEOS_CACHE=$T_TMP/c-${idx##*/} "$JEOS" -q resolve --no-closure --no-lock "$R" 2>&1)
    [[ $out == *"10 packages"* ]] && pass "index_${idx##*/}" || fail "index_${idx##*/}" "$out"
done
printf x >"$PKGS.bz2"
INDEXES=main/binary-amd64/Packages.bz2 write_release
sign
out=$(JEOS_CACHE=$T_TMP/c-none "$JEOS" -q resolve --no-closure --no-lock "$R" 2>&1); rc=$?
[ $rc -eq 1 ] && [ "$out" = "file:$REPO/dists/test/Release: lists no main/binary-amd64/Packages index (.xz, .gz or plain)" ] \
    && pass index_missing || fail index_missing "rc $rc: $out"
write_release
sign

# 14. Explicit debian.sources, and the host's apt sources (JEOS_APT_ETC) when the recipe names none:
#     a deb822 .sources file and a one-line .list, of which only the recipe's suite is used.
cat >"$T_TMP/sources.yaml" <<EOT
name: t
kind: appliance
debian:
  sources:
    - {uri: "file:$REPO", suites: [test], components: [main], keyring: $T_TMP/keyring.gpg}
packages: [app]
kernel: kern
service: {exec: [/usr/bin/app]}
EOT
out=$("$JEOS" -q resolve --no-closure --no-lock "$T_TMP/sources.yaml" 2>&1)
[[ $out == *"10 packages"* ]] && pass recipe_sources || fail recipe_sources "$out"
ETC=$T_TMP/etc-apt
mkdir -p "$ETC/sources.list.d"
printf '# host sources\ndeb [signed-by=%s] file:%s test main\ndeb file:/nonexistent other main\n' \
    "$T_TMP/keyring.gpg" "$REPO" >"$ETC/sources.list"
printf 'Types: deb\nURIs: file:/nonexistent\nSuites: unrelated\nComponents: main\n' \
    >"$ETC/sources.list.d/x.sources"
sed 's|^debian: .*|debian: {suite: test}|' "$R" >"$T_TMP/host.yaml"
out=$(JEOS_APT_ETC=$ETC "$JEOS" -q resolve --no-closure --no-lock "$T_TMP/host.yaml" 2>&1)
[[ $out == *"10 packages"* ]] && pass host_apt_sources || fail host_apt_sources "$out"
sed 's|^debian: .*|debian: {suite: nosuch}|' "$R" >"$T_TMP/host2.yaml"
out=$(JEOS_APT_ETC=$ETC "$JEOS" -q resolve --no-closure --no-lock "$T_TMP/host2.yaml" 2>&1); rc=$?
[ $rc -eq 1 ] && [ "$out" = "$T_TMP/host2.yaml: debian: no mirror given and the host's apt sources ($ETC) list no suite of nosuch (give debian.mirror)" ] \
    && pass host_apt_no_suite || fail host_apt_no_suite "rc $rc: $out"

# 15. Two builds at once on one empty cache: both succeed, nothing half-written is left.
C=$T_TMP/shared
JEOS_CACHE=$C "$JEOS" -q resolve --no-closure --fetch --no-lock "$R" >"$T_TMP/p1" 2>&1 &
p1=$!
JEOS_CACHE=$C "$JEOS" -q resolve --no-closure --fetch --no-lock "$R" >"$T_TMP/p2" 2>&1
rc2=$?
wait $p1
rc1=$?
left=$(find "$C" -name '*.tmp.*' | head -3)
objs=$(find "$C/sha256" -type f | wc -l)
[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ -z "$left" ] && [ "$objs" -eq 12 ] && pass concurrent_cache \
    || fail concurrent_cache "rc $rc1/$rc2, $objs objects, left: $left $(cat "$T_TMP/p1" "$T_TMP/p2")"

# 16. The same repository over HTTP (libcurl), served here: InRelease, then a 404 for InRelease
#     falling back to Release + Release.gpg.
if command -v python3 >/dev/null; then
    python3 -u -m http.server --bind 127.0.0.1 0 --directory "$REPO" >"$T_TMP/http.log" 2>&1 &
    srv=$!
    port=
    for _ in $(seq 50); do
        port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$T_TMP/http.log" | head -1)
        [ -n "$port" ] && break
        sleep 0.1
    done
    if [ -z "$port" ]; then
        echo "SKIP http: python3 -m http.server did not start"
    else
        RH=$T_TMP/http.yaml
        sed "s|file:$REPO|http://127.0.0.1:$port|" "$R" >"$RH"
        out=$(JEOS_CACHE=$T_TMP/c10 "$JEOS" -q resolve --no-closure --fetch --no-lock "$RH" 2>&1)
        [[ $out == *"10 packages"*"fetched 10 packages"* ]] && pass http || fail http "$out"
        rm "$REPO/dists/test/InRelease"
        gpg --batch --quiet -abs -o "$REPO/dists/test/Release.gpg" "$REPO/dists/test/Release"
        out=$(JEOS_CACHE=$T_TMP/c11 "$JEOS" -q resolve --no-closure --no-lock "$RH" 2>&1)
        [[ $out == *"10 packages"* ]] && pass http_release_gpg || fail http_release_gpg "$out"
        sed "s|file:$REPO|http://127.0.0.1:$port/nothing|" "$R" >"$T_TMP/h404.yaml"
        out=$(JEOS_CACHE=$T_TMP/c12 "$JEOS" -q resolve --no-closure --no-lock "$T_TMP/h404.yaml" 2>&1); rc=$?
        [ $rc -eq 1 ] && [ "$out" = "http://127.0.0.1:$port/nothing/dists/test/Release: not found (HTTP 404)" ] \
            && pass http_404 || fail http_404 "rc $rc: $out"
    fi
    kill "$srv" 2>/dev/null
    wait "$srv" 2>/dev/null
fi
exit 0
