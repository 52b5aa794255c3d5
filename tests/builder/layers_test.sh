#!/bin/bash
# layers_test.sh — the layering rule of the host code holds (tests/builder/layers.py reads every
# #include), and the checker catches a break: images/ including the recipe header, core
# including a layer above it, an include cycle. Host code is built from builder/ only.
set -u
: "${JEOS_SRC:?}" "${T_TMP:?}"
cd "$JEOS_SRC"
CHECK=tests/builder/layers.py
if out=$(python3 $CHECK . 2>&1); then
    echo "PASS layers (every #include of builder/, images/, boot/ follows the rule; no cycles)"
else
    echo "FAIL layers: $(echo "$out" | head -5)"
fi

# The checker itself, on copies with one rule broken each: it must name the file and the rule.
broken() { # name, file, line to add, expected message
    local w=$T_TMP/$1
    rm -rf "$w"; mkdir -p "$w"
    cp -r builder images boot unikernel runtime hypervisor "$w"/
    printf '%s\n' "$3" >>"$w/$2"
    local got; got=$(python3 $CHECK "$w" 2>&1); local rc=$?
    if [ $rc -ne 0 ] && printf '%s\n' "$got" | grep -qxF "$4"; then echo "PASS layers_catches_$1"
    else echo "FAIL layers_catches_$1: exit $rc, said: $(echo "$got" | head -3)"; fi
}
n=$(($(wc -l <images/format.c) + 1))
broken recipe_in_images images/format.c '#include "builder/recipe/recipe.h"' \
    "images/format.c:$n: includes builder/recipe/recipe.h: images takes plain spec structs, not the recipe (only builder/recipe/axis.h)"
n=$(($(wc -l <builder/core/util.c) + 1))
broken core_upward builder/core/util.c '#include "builder/debian/lock.h"' \
    "builder/core/util.c:$n: includes builder/debian/lock.h: core may not depend on debian"
n=$(($(wc -l <boot/disk.c) + 1))
broken boot_on_appliance boot/disk.c '#include "builder/appliance/rootfs.h"' \
    "boot/disk.c:$n: includes builder/appliance/rootfs.h: boot may not depend on appliance"
n=$(($(wc -l <unikernel/kernel.c) + 1))
broken guest_on_builder unikernel/kernel.c '#include "builder/core/alloc.h"' \
    "unikernel/kernel.c:$n: includes builder/core/alloc.h: guest and hypervisor code include nothing of the builder"
broken cycle builder/core/err.h '#include "builder/core/ctx.h"' \
    "builder/core/err.h: include cycle: builder/core/ctx.h -> builder/core/err.h -> builder/core/ctx.h"

# What the host programs are built from: the builder's layers, images/ and boot/, nothing under
# unikernel/ or runtime/ (their trees are the guest's).
srcs=$(make --no-print-directory -p -n -q -f Makefile all 2>/dev/null | sed -n 's/^\(LIBJEOS_SRCS\|JEOS_SRCS\) := //p')
if [ -n "$srcs" ] && ! printf '%s\n' $srcs | grep -qvE '^(builder/(core|recipe|debian|output|appliance|unikernel|inspect|cli)|images|boot)/'; then
    echo "PASS layers_host_sources ($(printf '%s\n' $srcs | wc -l) files, all in builder/, images/, boot/)"
else
    echo "FAIL layers_host_sources: $(printf '%s\n' $srcs | grep -vE '^(builder/(core|recipe|debian|output|appliance|unikernel|inspect|cli)|images|boot)/' | head -3)"
fi
