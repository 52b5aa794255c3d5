#!/bin/bash
# tests/runtime/lua_test.sh — Debian's lua5.4 interpreter (source package, unmodified) built by
# jeos build from tests/runtime/lua.yaml (source: {debian: lua5.4}: the package fetched and checked
# by jeos's repository client) and run under QEMU TCG; the script's PASS/FAIL relayed.
set -u
UK_TEST=lua
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
if [ ! -x "${JEOS:-}" ] || [ ! -f /usr/lib/x86_64-linux-musl/libc.a ]; then
    echo "SKIP rt-lua: jeos or musl-dev missing"
    exit 0
fi
w=$T_TMP/lua
mkdir -p "$w"
cp -r "$JEOS_SRC/tests/runtime/lua.yaml" "$JEOS_SRC/tests/runtime/lua-scripts" \
    "$JEOS_SRC/tests/runtime/lua-include" "$w/"
if ! "$JEOS" -q build -o "$w/out" "$w/lua.yaml" >"$T_TMP/build.log" 2>&1; then
    if grep -qiE "could not resolve|couldn't connect|unreachable|timed out" "$T_TMP/build.log"; then
        echo "SKIP rt-lua: Debian's source archive unreachable: $(tail -n 1 "$T_TMP/build.log")"
        exit 0
    fi
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
