#!/bin/bash
# tests/bench/runtime_bench.sh — sizes: the hello unikernel (musl printf; target <= 128 KiB), and
# the Lua unikernel beside the same interpreter built in this run as a static Linux binary with
# musl-gcc (same sources, same -O2). Sizes of the loaded image (text + data) and of the file
# stripped of debug information.
set -u
src_root=${JEOS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
jeos=${JEOS:-$src_root/out/jeos}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rt-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
loaded() { size "$1" | awk 'NR == 2 { print $1 + $2 }'; }
stripped() { strip -o "$tmp/s" "$1" && stat -c %s "$tmp/s"; }

"$jeos" -q build -o "$tmp/out" "$src_root/recipes/hello.yaml" >/dev/null 2>&1 ||
    { echo "FAIL bench-hello: jeos build failed"; exit 0; }
h=$tmp/out/hello/hello.elf
hs=$(stripped "$h")
echo "hello unikernel: $(loaded "$h") bytes loaded (text+data), $hs bytes stripped ELF, $(stat -c %s "$h") with debug info (target 131072)"

src=$("$jeos" -q source lua5.4 2>/dev/null) || { echo "SKIP bench-lua: Debian source archive unreachable"; exit 0; }
mkdir -p "$tmp/lua"
cp -r "$src_root/tests/runtime/lua.yaml" "$src_root/tests/runtime/lua-scripts" \
    "$src_root/tests/runtime/lua-include" "$tmp/lua/"
"$jeos" -q build -o "$tmp/out" "$tmp/lua/lua.yaml" >/dev/null 2>&1 || { echo "FAIL bench-lua: jeos build failed"; exit 0; }
u=$tmp/out/rt-lua/rt-lua.elf
srcs=$(ls "$src"/src/*.c | grep -v '/luac\.c$')
# shellcheck disable=SC2086
musl-gcc -static -O2 -fstack-protector-strong -D_FORTIFY_SOURCE=2 -DLUA_USE_POSIX \
    -I"$src_root/tests/runtime/lua-include" -o "$tmp/lua-linux" $srcs -lm ||
    { echo "FAIL bench-lua: musl-gcc build failed"; exit 0; }
ul=$(loaded "$u") ll=$(loaded "$tmp/lua-linux") us=$(stripped "$u") ls_=$(stripped "$tmp/lua-linux")
echo "lua unikernel (kernel included): $ul bytes loaded, $us bytes stripped ELF"
echo "lua static Linux binary (musl-gcc): $ll bytes loaded, $ls_ bytes stripped ELF"
awk -v a="$us" -v b="$ls_" 'BEGIN { printf "ratio unikernel/linux (stripped): %.3f\n", a / b }'
