#!/bin/bash
# tests/unikernel/zstd/sample.sh TREE OUT — the input of zstd_test.sh and programs_bench.sh: the C
# sources and headers of the unpacked libzstd TREE (lib/, programs/, tests/) in name order, cut at
# 3,000,000 bytes, into OUT; fails unless it got that many.
set -u
find "$1/lib" "$1/programs" "$1/tests" -type f -name '*.[ch]' | LC_ALL=C sort |
    xargs cat 2>/dev/null | head -c 3000000 >"$2"
[ "$(stat -c %s "$2")" = 3000000 ] || { echo "$2: $(stat -c %s "$2") bytes from $1, not 3000000" >&2; exit 1; }
