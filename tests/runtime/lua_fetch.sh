#!/bin/bash
# tests/runtime/lua_fetch.sh — prints the folder of Debian's lua5.4 source tree, fetched (.dsc,
# tarballs, dpkg-source -x) into the jeos cache on first use, never into the repository.
# Prints nothing and exits 1 when the Debian archive is unreachable.
set -u
cache=${JEOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jeos}/runtime-src
ver=$(apt-cache show --no-all-versions lua5.4 2>/dev/null | sed -n 's/^Version: //p' | head -1)
[ -n "$ver" ] || exit 1
dir=$cache/lua5.4_$ver
if [ ! -f "$dir/src/src/lua.c" ]; then
    mkdir -p "$cache"
    tmp=$(mktemp -d "$cache/fetch.XXXXXX") || exit 1
    trap 'rm -rf "$tmp"' EXIT
    pool=http://deb.debian.org/debian/pool/main/l/lua5.4
    dsc=lua5.4_$ver.dsc
    (cd "$tmp" && curl -sSf -m 60 -O "$pool/$dsc") >/dev/null 2>&1 || exit 1
    for f in $(awk '/^Files:/ { f = 1; next } /^[^ ]/ { f = 0 } f { print $3 }' "$tmp/$dsc"); do
        (cd "$tmp" && curl -sSf -m 120 -O "$pool/$f") >/dev/null 2>&1 || exit 1
    done
    (cd "$tmp" && dpkg-source -x "$dsc" src) >/dev/null 2>&1 || exit 1
    # debian/rules generates this header; the interpreter's paths name the multiarch triplet
    echo '#define DEB_HOST_MULTIARCH "x86_64-linux-musl"' >"$tmp/src/src/lua5.4-deb-multiarch.h"
    rm -rf "$dir"
    mkdir -p "$dir"
    mv "$tmp/src" "$dir/src"
fi
echo "$dir/src"
