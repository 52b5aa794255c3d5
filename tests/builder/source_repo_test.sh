#!/bin/bash
# source_repo_test.sh — jeos source against a signed repository of source packages built here
# (dpkg-source -b, dpkg-scansources, Release, gpg): the version chosen, patches applied, the
# cache reused offline, and every broken link of the chain Release → Sources → .dsc → tarball.
set -u
: "${JEOS:?}" "${T_TMP:?}"
for tool in dpkg-source dpkg-scansources gpg gpgv xz sha256sum; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP source_repo: $tool is not installed (make deps)"
        exit 0
    fi
done

REPO=$T_TMP/repo
export GNUPGHOME=$T_TMP/gnupg
mkdir -p "$REPO/pool/main/h/hello-src" "$REPO/dists/test/main/source" "$GNUPGHOME" "$T_TMP/b"
chmod 700 "$GNUPGHOME"
fail() { echo "FAIL $1: $2"; }
pass() { echo "PASS $1"; }

# mksrc VERSION-REVISION: a 3.0 (quilt) package whose one patch changes hello.c.
mksrc() {
    local v=$1 up=${1%-*}
    local d=$T_TMP/b/hello-src-$up
    rm -rf "$d"
    mkdir -p "$d/debian/source" "$d/debian/patches"
    printf 'int main(void) { return %s; }\n' "${up//./}" >"$d/hello.c"
    (cd "$T_TMP/b" && tar --owner=0 --group=0 -czf "hello-src_$up.orig.tar.gz" "hello-src-$up")
    echo "3.0 (quilt)" >"$d/debian/source/format"
    cat >"$d/debian/control" <<EOT
Source: hello-src
Maintainer: jeos tests <tests@jeos.invalid>

Package: hello-src
Architecture: any
Description: test source package
EOT
    cat >"$d/debian/changelog" <<EOT
hello-src ($v) test; urgency=low

  * test

 -- jeos tests <tests@jeos.invalid>  Thu, 01 Jan 2026 00:00:00 +0000
EOT
    cat >"$d/debian/patches/debian-change" <<EOT
--- a/hello.c
+++ b/hello.c
@@ -1 +1,2 @@
 int main(void) { return ${up//./}; }
+/* patched by Debian $v */
EOT
    echo debian-change >"$d/debian/patches/series"
    (cd "$T_TMP/b" && dpkg-source -b "hello-src-$up" >/dev/null 2>&1) || {
        echo "FAIL source_repo_setup: dpkg-source -b $v failed"
        exit 0
    }
    mv "$T_TMP/b/hello-src_$v.dsc" "$T_TMP/b/hello-src_$v.debian.tar."* \
        "$T_TMP/b/hello-src_$up.orig.tar.gz" "$REPO/pool/main/h/hello-src/"
}
mksrc 1.0-1
mksrc 1.1-2

SRCS=$REPO/dists/test/main/source/Sources
write_release() {
    rm -f "$SRCS.xz"
    xz -k "$SRCS"
    {
        echo "Origin: jeos-test"
        echo "Suite: test"
        echo "Codename: test"
        echo "Components: main"
        echo "SHA256:"
        for f in main/source/Sources main/source/Sources.xz; do
            printf ' %s %s %s\n' "$(sha256sum <"$REPO/dists/test/$f" | cut -d' ' -f1)" \
                "$(stat -c %s "$REPO/dists/test/$f")" "$f"
        done
    } >"$REPO/dists/test/Release"
    rm -f "$REPO/dists/test/InRelease"
    gpg --batch --quiet --clearsign -o "$REPO/dists/test/InRelease" "$REPO/dists/test/Release"
}
(cd "$REPO" && dpkg-scansources pool 2>/dev/null) >"$SRCS"
cp "$SRCS" "$T_TMP/Sources.good"
gpg --batch --quiet --passphrase '' --quick-gen-key "jeos test <test@jeos.invalid>" ed25519 sign never 2>/dev/null
gpg --batch --quiet --export >"$T_TMP/keyring.gpg"
write_release

src() { "$JEOS" -q source --mirror "file:$REPO" --suite test --keyring "$T_TMP/keyring.gpg" "$@" 2>&1; }
export JEOS_CACHE=$T_TMP/cache

# 1. The highest version, its patch applied, in the cache under the .dsc's sha256.
dsc11=$(sha256sum <"$REPO/pool/main/h/hello-src/hello-src_1.1-2.dsc" | cut -d' ' -f1)
out=$(src hello-src); rc=$?
if [ $rc -eq 0 ] && [ "$out" = "$JEOS_CACHE/source/$dsc11" ]; then
    pass newest
    grep -qx '/\* patched by Debian 1.1-2 \*/' "$out/hello.c" && grep -q 'return 11;' "$out/hello.c" \
        && pass patched || fail patched "$(cat "$out/hello.c")"
    [ -f "$out/debian/changelog" ] && pass debian_folder || fail debian_folder "no debian/changelog"
else
    fail newest "rc $rc: $out"
fi

# 2. A pinned version; a version that is not there; a name that is not there.
out=$(src hello-src=1.0-1); rc=$?
[ $rc -eq 0 ] && grep -q 'return 10;' "$out/hello.c" && pass pinned || fail pinned "rc $rc: $out"
out=$(src hello-src=2.0-1); rc=$?
want="jeos source: source package hello-src=2.0-1:
hello-src=2.0-1: no such version in test/main (there: 1.0-1 (test/main), 1.1-2 (test/main))"
[ $rc -eq 1 ] && [ "$out" = "$want" ] && pass missing_version || fail missing_version "rc $rc: $out"
out=$(src nosuch); rc=$?
want="jeos source: source package nosuch:
nosuch: no source package of that name in test/main"
[ $rc -eq 1 ] && [ "$out" = "$want" ] && pass missing_name || fail missing_name "rc $rc: $out"
out=$(src 'hello-src=1.0 1'); rc=$?
[ $rc -eq 1 ] && [[ $out == 'jeos source: "hello-src=1.0 1": '* ]] && pass bad_version \
    || fail bad_version "rc $rc: $out"

# 3. Warm: offline from the cache, even with the repository gone.
mv "$REPO" "$REPO.away"
out=$(src --offline hello-src); rc=$?
[ $rc -eq 0 ] && [ "$out" = "$JEOS_CACHE/source/$dsc11" ] && pass offline || fail offline "rc $rc: $out"
mv "$REPO.away" "$REPO"
out=$(JEOS_CACHE=$T_TMP/empty src --offline hello-src); rc=$?
[ $rc -eq 1 ] && [[ $out == *"file:$REPO/dists/test/InRelease: not in the cache and --offline is set" ]] \
    && pass offline_miss || fail offline_miss "rc $rc: $out"

# 3b. The unpacked tree changed in the cache (a file edited, one added): noticed on use, moved
#     aside, unpacked again from the checked files.
echo "int evil;" >>"$JEOS_CACHE/source/$dsc11/hello.c"
: >"$JEOS_CACHE/source/$dsc11/extra.c"
out=$(src hello-src); rc=$?
if [ $rc -eq 0 ] && [[ $out == *"moved aside to $JEOS_CACHE/quarantine/"* ]] &&
   [[ $out == *"$JEOS_CACHE/source/$dsc11" ]] && ! grep -q evil "$JEOS_CACHE/source/$dsc11/hello.c" &&
   [ ! -e "$JEOS_CACHE/source/$dsc11/extra.c" ] && grep -q 'return 11;' "$JEOS_CACHE/source/$dsc11/hello.c"; then
    pass tree_changed
else
    fail tree_changed "rc $rc: $out"
fi

# 4. A tampered upstream tarball (the .dsc and Sources still name the good one).
P=$REPO/pool/main/h/hello-src
cp "$P/hello-src_1.1.orig.tar.gz" "$T_TMP/orig.good"
printf 'X' | dd of="$P/hello-src_1.1.orig.tar.gz" bs=1 seek=100 conv=notrunc 2>/dev/null
export JEOS_CACHE=$T_TMP/c2
out=$(src hello-src); rc=$?
[ $rc -eq 1 ] && [[ $out == *"file:$P/hello-src_1.1.orig.tar.gz: sha256 mismatch (expected "* ]] \
    && pass tampered_tarball || fail tampered_tarball "rc $rc: $out"
[ -z "$(ls "$JEOS_CACHE/source" 2>/dev/null | grep -v '^\.')" ] && pass tampered_not_unpacked \
    || fail tampered_not_unpacked "$(ls "$JEOS_CACHE/source")"
cp "$T_TMP/orig.good" "$P/hello-src_1.1.orig.tar.gz"

# 5. Sources changed after the Release was signed.
sed -i 's/^Version: 1.1-2$/Version: 1.1-3/' "$SRCS"
xz -kf "$SRCS"
export JEOS_CACHE=$T_TMP/c3
out=$(src hello-src); rc=$?
[ $rc -eq 1 ] && [[ $out == *"file:$REPO/dists/test/main/source/Sources.xz: sha256 mismatch"* ]] \
    && pass tampered_sources || fail tampered_sources "rc $rc: $out"

# 6. A signed Sources whose tarball hash disagrees with the .dsc's.
cp "$T_TMP/Sources.good" "$SRCS"
bad=$(printf '%064d' 7)
good=$(sha256sum <"$P/hello-src_1.1.orig.tar.gz" | cut -d' ' -f1)
sed -i "s/^ $good /&/; s/^ $good \([0-9]*\) hello-src_1.1.orig.tar.gz$/ $bad \1 hello-src_1.1.orig.tar.gz/" "$SRCS"
write_release
export JEOS_CACHE=$T_TMP/c4
out=$(src hello-src); rc=$?
[ $rc -eq 1 ] && [[ $out == *"hello-src_1.1-2.dsc: hello-src_1.1.orig.tar.gz: sha256 $good, "*" bytes, but the Sources index says $bad, "* ]] \
    && pass dsc_disagrees || fail dsc_disagrees "rc $rc: $out"

# 7. A Directory leaving the repository; a stanza without a .dsc.
cp "$T_TMP/Sources.good" "$SRCS"
sed -i 's|^Directory: pool/main/h/hello-src$|Directory: pool/../../etc|' "$SRCS"
write_release
export JEOS_CACHE=$T_TMP/c5
out=$(src hello-src); rc=$?
[ $rc -eq 1 ] && [[ $out == *"file:$REPO/dists/test/main/source/Sources:"*": hello-src "*": Directory is not a plain relative path" ]] \
    && pass unsafe_directory || fail unsafe_directory "rc $rc: $out"
cp "$T_TMP/Sources.good" "$SRCS"
sed -i '/^ [0-9a-f]\{64\} [0-9]* hello-src_1.0-1.dsc$/d' "$SRCS"
write_release
export JEOS_CACHE=$T_TMP/c6
out=$(src hello-src=1.0-1); rc=$?
[ $rc -eq 1 ] && [[ $out == *": hello-src 1.0-1: Checksums-Sha256 lists 0 .dsc files (expected one)" ]] \
    && pass no_dsc || fail no_dsc "rc $rc: $out"

# 8. A bad signature on the Release.
cp "$T_TMP/Sources.good" "$SRCS"
write_release
sed -i 's/^Origin: jeos-test$/Origin: jeos-evil/' "$REPO/dists/test/InRelease"
export JEOS_CACHE=$T_TMP/c7
out=$(src hello-src); rc=$?
[ $rc -eq 1 ] && [[ $out == *"file:$REPO/dists/test/InRelease: bad signature (gpgv with keyring $T_TMP/keyring.gpg: "* ]] \
    && pass bad_signature || fail bad_signature "rc $rc: $out"
