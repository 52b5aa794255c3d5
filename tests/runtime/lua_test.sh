#!/bin/bash
# tests/runtime/lua_test.sh — Debian's lua5.4 interpreter (source package, unmodified) built by
# jeos build from tests/runtime/lua.yaml and run under QEMU TCG; the script's PASS/FAIL relayed.
set -u
UK_TEST=lua
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
if [ ! -x "${JEOS:-}" ] || [ ! -f /usr/lib/x86_64-linux-musl/libc.a ]; then
    echo "SKIP rt-lua: jeos or musl-dev missing"
    exit 0
fi
src=$(bash "$JEOS_SRC/tests/runtime/lua_fetch.sh") || {
    echo "SKIP rt-lua: Debian's source archive unreachable (lua5.4)"
    exit 0
}
w=$T_TMP/lua
mkdir -p "$w"
cp -r "$JEOS_SRC/tests/runtime/lua.yaml" "$JEOS_SRC/tests/runtime/lua-scripts" "$w/"
ln -s "$src" "$w/lua"
if ! "$JEOS" -q build -o "$w/out" "$w/lua.yaml" >"$T_TMP/build.log" 2>&1; then
    echo "FAIL rt-lua-build: jeos build failed:"
    sed 's/^/    /' "$T_TMP/build.log" | head -30
    exit 0
fi
uk_pvh "$T_TMP/log" "$w/out/rt-lua/rt-lua.elf" ""
grep -E '^(PASS|FAIL) ' "$T_TMP/log"
n=$(grep -c '^PASS ' "$T_TMP/log")
want=$(grep -c "^check('" "$JEOS_SRC/tests/runtime/lua-scripts/test.lua")
if [ "$n" -ne "$want" ] || [ "$UK_STATUS" -ne 0 ]; then
    echo "FAIL rt-lua: $n of $want passed, status $UK_STATUS; console:"
    sed 's/^/    /' "$T_TMP/log" | head -30
fi
