#!/bin/bash
# headers_test.sh — every host header compiles on its own (STYLE.md: each header is self-contained).
set -u
cd "$JEOS_SRC"
for h in builder/*/*.h images/*.h boot/*.h hypervisor/*.h; do
    [ -e "$h" ] || continue
    if out=$(printf '#include "%s"\n' "$h" | cc -std=c11 -D_GNU_SOURCE -I. $(pkg-config --cflags yaml-0.1 libarchive ext2fs 2>/dev/null) -Wall -Werror -fsyntax-only -x c - 2>&1); then
        echo "PASS header $h"
    else
        echo "FAIL header $h: does not compile alone: $(echo "$out" | head -3)"
    fi
done
