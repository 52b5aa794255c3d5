#!/bin/bash
# tests/unikernel/build_test.sh — jeos build of unikernel recipes: recipes/hello.yaml into an ELF per
# platform and a GRUB disk, each booted; the same bytes a second later (ELF, raw, qcow2, vmdk, vhd,
# ova, gce); every disk format checked against the raw; a recipe's args and cflags; the object
# cache (warm builds, a changed header or flag, a corrupt entry); errors.
set -u
UK_TEST=build
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
if [ ! -x "${JEOS:-}" ]; then
    echo "SKIP build-hello: jeos not built ($JEOS)"
    exit 0
fi
out=$T_TMP/out
log=$T_TMP/log

if ! "$JEOS" -q build -o "$out" "$JEOS_SRC/recipes/hello.yaml" >"$T_TMP/build.log" 2>&1; then
    echo "FAIL build-hello: jeos build failed:"
    sed 's/^/    /' "$T_TMP/build.log"
    exit 0
fi
d=$out/hello
for f in hello.elf hello-hv.elf hello-xen.elf hello-xen.cfg hello.raw; do
    [ -s "$d/$f" ] || echo "FAIL build-hello: $d/$f missing"
done
leftovers=$(find "$out" -name '*.tmp*' -o -name '*.partial' | head -1)
[ -z "$leftovers" ] || echo "FAIL build-hello: temporary file left: $leftovers"

# same recipe and SOURCE_DATE_EPOCH a second later: the same ELFs and the same GRUB disk
export SOURCE_DATE_EPOCH=1700000000
# next_second: waits until the clock's second changes, so the next build runs a second later than
# everything before (what a tool stamps from the clock then differs)
next_second() {
    local t0
    t0=$(date +%s)
    while [ "$(date +%s)" -eq "$t0" ]; do sleep 0.1; done
}
"$JEOS" -q build -o "$T_TMP/rep1" "$JEOS_SRC/recipes/hello.yaml" >"$T_TMP/rep.log" 2>&1
next_second
"$JEOS" -q build -o "$T_TMP/rep2" "$JEOS_SRC/recipes/hello.yaml" >>"$T_TMP/rep.log" 2>&1
differ=
for f in hello.elf hello-hv.elf hello-xen.elf hello-xen.cfg hello.raw; do
    [ -s "$T_TMP/rep1/hello/$f" ] || differ="$differ $f(missing)"
    cmp -s "$T_TMP/rep1/hello/$f" "$T_TMP/rep2/hello/$f" || differ="$differ $f"
done
if [ -z "$differ" ]; then
    echo "PASS build-reproducible (hello.elf, hello-hv.elf, hello-xen.elf, hello-xen.cfg, hello.raw: same bytes a second apart)"
else
    echo "FAIL build-reproducible: two builds a second apart differ:$differ"
    sed 's/^/    /' "$T_TMP/rep.log" | tail -5
fi

# the same recipe from another folder, built from another working folder: the same bytes, and
# neither folder (nor the source tree the kernel was built in) named anywhere in the ELF
mkdir -p "$T_TMP/elsewhere/deeper/hello"
cp "$JEOS_SRC/recipes/hello.yaml" "$T_TMP/elsewhere/deeper/"
cp "$JEOS_SRC/recipes/hello/hello.c" "$T_TMP/elsewhere/deeper/hello/"
(cd "$T_TMP/elsewhere/deeper" && "$JEOS" -q build -o "$T_TMP/rep3" hello.yaml) >>"$T_TMP/rep.log" 2>&1
differ=
for f in hello.elf hello-hv.elf hello-xen.elf hello-xen.cfg hello.raw; do
    cmp -s "$T_TMP/rep1/hello/$f" "$T_TMP/rep3/hello/$f" || differ="$differ $f"
done
named=$(strings "$T_TMP/rep3/hello/hello.elf" | grep -c -e "$T_TMP" -e "$JEOS_SRC")
if [ -z "$differ" ] && [ "$named" = 0 ]; then
    echo "PASS build-location-independent (another recipe folder and working folder: the same ELFs and disk; no path of ours inside)"
else
    echo "FAIL build-location-independent: differ:$differ; $named strings name our folders: $(strings "$T_TMP/rep3/hello/hello.elf" | grep -e "$T_TMP" -e "$JEOS_SRC" | head -2)"
fi

uk_pvh "$log" "$d/hello.elf" "two words"
if uk_expect build-hello-pvh "$log" '^Hello from a jeos unikernel \(hello, 2 arguments\)$'; then
    [ "$UK_STATUS" -eq 0 ] && echo "PASS build-hello-pvh" || echo "FAIL build-hello-pvh: status $UK_STATUS"
fi

uk_boot "$log" -M pc -drive "file=$d/hello.raw,format=raw,if=ide,snapshot=on"
if uk_expect build-hello-grub-bios "$log" '^Hello from a jeos unikernel \(hello, 0 arguments\)$'; then
    [ "$UK_STATUS" -eq 0 ] && echo "PASS build-hello-grub-bios" || echo "FAIL build-hello-grub-bios: status $UK_STATUS"
fi

code=/usr/share/OVMF/OVMF_CODE_4M.fd
if [ -f "$code" ]; then
    cp /usr/share/OVMF/OVMF_VARS_4M.fd "$T_TMP/vars.fd"
    uk_boot "$log" -M q35 -m 256 -drive "if=pflash,format=raw,readonly=on,file=$code" \
        -drive "if=pflash,format=raw,file=$T_TMP/vars.fd" \
        -drive "file=$d/hello.raw,format=raw,if=virtio,snapshot=on"
    if uk_expect build-hello-grub-uefi "$log" '^Hello from a jeos unikernel \(hello, 0 arguments\)$'; then
        [ "$UK_STATUS" -eq 0 ] && echo "PASS build-hello-grub-uefi" || echo "FAIL build-hello-grub-uefi: status $UK_STATUS"
    fi
else
    echo "SKIP build-hello-grub-uefi: OVMF not installed (make deps)"
fi

hv=$UK_OUTDIR/jeos-hv
if [ -x "$hv" ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    timeout 60 "$hv" "$d/hello-hv.elf" </dev/null >"$log" 2>"$log.err"
    rc=$?
    # kvm_pvm without VT-x emulates the guest and its emulator rejects SSE (musl's printf uses it):
    # tests/hypervisor/nested_test.sh runs this ELF on nested AMD-V instead (nested-build-hello-hv)
    if grep -q 'no VT-x or AMD-V' "$log.err" && grep -q 'KVM internal error' "$log.err"; then
        echo "build-hello-hv: this host's KVM emulates the CPU without SSE; run on nested AMD-V by tests/hypervisor/nested_test.sh"
    elif uk_expect build-hello-hv "$log" '^Hello from a jeos unikernel \(hello, 0 arguments\)$'; then
        [ "$rc" -eq 0 ] && echo "PASS build-hello-hv" || echo "FAIL build-hello-hv: status $rc"
    fi
else
    echo "SKIP build-hello-hv: no jeos-hv or /dev/kvm"
fi

# args come after argv[0] = name; cflags reach the compiler; more than one source file
r=$T_TMP/r
mkdir -p "$r/src"
cat >"$r/src/main.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
int twice(int x);
int main(int argc, char **argv)
{
    printf("%s: %s argc=%d first=%s\n", argv[0], GREETING, argc, argv[1]);
    return twice(atoi(argv[1]));
}
C
cat >"$r/src/twice.c" <<'C'
int twice(int x);
int twice(int x) { return 2 * x; }
C
cat >"$r/args.yaml" <<'Y'
name: argsdemo
kind: unikernel
sources: [src/main.c, src/twice.c]
cflags: ["-DGREETING=\"hi there\""]
args: ["21"]
Y
if "$JEOS" -q build -o "$out" "$r/args.yaml" >"$T_TMP/build.log" 2>&1; then
    uk_pvh "$log" "$out/argsdemo/argsdemo.elf" ""
    if uk_expect build-args "$log" '^argsdemo: hi there argc=2 first=21$'; then
        [ "$UK_STATUS" -eq 42 ] && echo "PASS build-args" || echo "FAIL build-args: status $UK_STATUS, expected 42"
    fi
    [ ! -e "$out/argsdemo/argsdemo.raw" ] || echo "FAIL build-args: raw disk built though formats is [elf]"
else
    echo "FAIL build-args: jeos build failed:"
    sed 's/^/    /' "$T_TMP/build.log"
fi

# cflags_for: options for the sources a glob matches (a second main renamed)
printf 'int tool_main(void);\nint main(void) { return tool_main() + 1; }\n' >"$r/src/m1.c"
printf 'int main(void) { return 4; }\n' >"$r/src/tool.c"
printf 'name: perfile\nkind: unikernel\nsources: [src/m1.c, src/tool.c]\ncflags_for: {"src/t*.c": [-Dmain=tool_main]}\n' >"$r/perfile.yaml"
if "$JEOS" -q build -o "$out" "$r/perfile.yaml" >"$T_TMP/perfile.log" 2>&1; then
    uk_pvh "$log" "$out/perfile/perfile.elf" ""
    [ "$UK_STATUS" -eq 5 ] && echo "PASS build-cflags-for" || echo "FAIL build-cflags-for: status $UK_STATUS, expected 5"
else
    echo "FAIL build-cflags-for: jeos build failed: $(head -n 3 "$T_TMP/perfile.log")"
fi

# sources: globs, expanded sorted in the recipe's folder, a file named twice compiled once (twice
# would not link: main defined twice); the SBOM lists what was compiled
mkdir -p "$r/src/g"
printf 'int part(void);\nint main(void) { return part() + 1; }\n' >"$r/src/g/a.c"
printf 'int part(void) { return 6; }\n' >"$r/src/g/b.c"
printf 'name: globbed\nkind: unikernel\nsources: ["src/g/*.c", src/g/a.c]\n' >"$r/globbed.yaml"
if "$JEOS" -q build -o "$out" "$r/globbed.yaml" >"$T_TMP/globbed.log" 2>&1; then
    uk_pvh "$log" "$out/globbed/globbed.elf" ""
    files=$(grep '"fileName"' "$out/globbed/globbed.spdx.json" | grep -o 'src/g/[a-z]*\.c' | tr '\n' ' ')
    [ "$UK_STATUS" -eq 7 ] && [ "$files" = 'src/g/a.c src/g/b.c ' ] &&
        echo "PASS build-sources-glob" || echo "FAIL build-sources-glob: status $UK_STATUS (expected 7), SBOM files: $files"
else
    echo "FAIL build-sources-glob: jeos build failed: $(head -n 3 "$T_TMP/globbed.log")"
fi

# libs: an archive of the recipe's folder, linked
mkdir -p "$r/lib"
printf 'int lib_value(void) { return 9; }\n' >"$r/lib/v.c"
printf 'int lib_value(void);\nint main(void) { return lib_value(); }\n' >"$r/src/usea.c"
gcc -c -O1 -fno-pic -o "$r/lib/v.o" "$r/lib/v.c" && ar rcs "$r/lib/libv.a" "$r/lib/v.o"
printf 'name: usea\nkind: unikernel\nsources: [src/usea.c]\nlibs: [lib/libv.a]\n' >"$r/usea.yaml"
if "$JEOS" -q build -o "$out" "$r/usea.yaml" >"$T_TMP/usea.log" 2>&1; then
    uk_pvh "$log" "$out/usea/usea.elf" ""
    [ "$UK_STATUS" -eq 9 ] && echo "PASS build-libs-archive" || echo "FAIL build-libs-archive: status $UK_STATUS, expected 9"
else
    echo "FAIL build-libs-archive: jeos build failed: $(head -n 3 "$T_TMP/usea.log")"
fi

# a compile that succeeds with warnings shows them (not with -q); -Werror in cflags fails it
printf 'int main(void) { return undeclared_here(); }\nint undeclared_here(void) { return 0; }\n' >"$r/src/warn.c"
printf 'name: warn\nkind: unikernel\nsources: [src/warn.c]\n' >"$r/warn.yaml"
if "$JEOS" build -o "$out" "$r/warn.yaml" >"$T_TMP/warn.log" 2>&1 &&
    grep -q "^jeos: $r/warn.yaml:3:11: sources: src/warn.c: compiler warnings:$" "$T_TMP/warn.log" &&
    grep -q "warning: implicit declaration of function .undeclared_here." "$T_TMP/warn.log"; then
    echo "PASS build-warnings-shown"
else
    echo "FAIL build-warnings-shown: the implicit declaration is not in the build's output:"
    sed 's/^/    /' "$T_TMP/warn.log" | head -20
fi
printf 'cflags: [-Werror]\n' >>"$r/warn.yaml"
"$JEOS" -q build -o "$out" "$r/warn.yaml" >"$T_TMP/werror.log" 2>&1 &&
    echo "FAIL build-werror: the build succeeded" ||
    { grep -q 'does not compile' "$T_TMP/werror.log" && echo "PASS build-werror" ||
        echo "FAIL build-werror: $(head -n 3 "$T_TMP/werror.log")"; }

# the object cache (builder/unikernel/objcache.h), in a cache folder of its own: a warm build takes
# every object from it and gives the same bytes; a changed header recompiles the one source that
# includes it, a changed cflags_for the one it names, a corrupt entry is moved aside and compiled
# again; each result is the ELF a build without the cache (JEOS_OBJCACHE=off) makes
oc_build() { # name outdir [env...]: builds $r/oc.yaml, keeps its stderr in $T_TMP/oc-NAME.log
    local name=$1 o=$2
    shift 2
    env JEOS_CACHE="$T_TMP/objcache" "$@" "$JEOS" build -o "$o" "$r/oc.yaml" >"$T_TMP/oc-$name.log" 2>&1 ||
        echo "FAIL build-objcache-$name: jeos build failed: $(grep -v '^jeos: \(compile\|cached\|link\) ' "$T_TMP/oc-$name.log" | head -n 3)"
}
oc_counts() { sed -n 's/^jeos: objects: \([0-9]*\) compiled, \([0-9]*\) from the cache .*/\1 \2/p' "$T_TMP/oc-$1.log"; }
oc_compiled() { sed -n 's|^jeos: compile '"$r"'/||p' "$T_TMP/oc-$1.log" | tr '\n' ' '; }
oc_check() { # name "compiled hits" "files compiled" outdir [reference [said]]: the counts, the
    # files compiled, the ELF: the reference's, or (without one) the one built without the cache
    local got files ref=${5:-} against="with the same input"
    got=$(oc_counts "$1") files=$(oc_compiled "$1")
    [ -n "$ref" ] || { against="without the cache"; oc_build "$1-off" "$T_TMP/oc-off" JEOS_OBJCACHE=off && ref=$T_TMP/oc-off; }
    if [ "$got" != "$2" ] || [ "$files" != "$3" ]; then
        echo "FAIL build-objcache-$1: compiled, from the cache: \"$got\" (expected \"$2\"); compiled: \"$files\" (expected \"$3\")"
    elif ! cmp -s "$4/oc/oc.elf" "$ref/oc/oc.elf"; then
        echo "FAIL build-objcache-$1: oc.elf differs from the one built $against"
    else
        echo "PASS build-objcache-$1 ($2: compiled, from the cache${3:+; compiled $3}${6:-})"
    fi
}
mkdir -p "$r/oc"
printf '#define V 3\n' >"$r/oc/v.h"
printf 'int part(void), flag(void);\nint main(void) { return part() + flag(); }\n' >"$r/oc/a.c"
printf '#include "v.h"\nint part(void) { return V; }\n' >"$r/oc/b.c"
printf 'int flag(void) { return W; }\n' >"$r/oc/c.c"
printf 'name: oc\nkind: unikernel\nsources: [oc/a.c, oc/b.c, oc/c.c]\ncflags_for: {oc/c.c: [-DW=1]}\n' >"$r/oc.yaml"
oc_build cold "$T_TMP/oc1"
oc_build warm "$T_TMP/oc2"
c=$(oc_counts cold) w=$(oc_counts warm)
if [ "$c" = "3 0" ] && [ "$w" = "0 3" ] && cmp -s "$T_TMP/oc1/oc/oc.elf" "$T_TMP/oc2/oc/oc.elf"; then
    echo "PASS build-objcache-warm (cold: 3 compiled; warm: 3 from the cache, the same oc.elf)"
else
    echo "FAIL build-objcache-warm: cold \"$c\", warm \"$w\" (compiled, from the cache; expected \"3 0\", \"0 3\"), oc.elf $(cmp -s "$T_TMP/oc1/oc/oc.elf" "$T_TMP/oc2/oc/oc.elf" && echo same || echo differs)"
fi
touch "$r/oc/v.h" # the same bytes: still the cached object
oc_build touched "$T_TMP/oc2"
[ "$(oc_counts touched)" = "0 3" ] && echo "PASS build-objcache-touched (a header's time changed, not its bytes: 3 from the cache)" ||
    echo "FAIL build-objcache-touched: \"$(oc_counts touched)\" (compiled, from the cache; expected \"0 3\")"
# the same recipe in another folder: its objects are the same (the folders are mapped away)
mkdir -p "$T_TMP/ocelse/deeper"
cp -r "$r/oc" "$r/oc.yaml" "$T_TMP/ocelse/deeper/"
JEOS_CACHE="$T_TMP/objcache" "$JEOS" build -o "$T_TMP/oc7" "$T_TMP/ocelse/deeper/oc.yaml" >"$T_TMP/oc-elsewhere.log" 2>&1
e=$(oc_counts elsewhere)
[ "$e" = "0 3" ] && cmp -s "$T_TMP/oc1/oc/oc.elf" "$T_TMP/oc7/oc/oc.elf" &&
    echo "PASS build-objcache-elsewhere (the recipe copied to another folder: 3 from the cache, the same oc.elf)" ||
    echo "FAIL build-objcache-elsewhere: \"$e\" (compiled, from the cache; expected \"0 3\"), oc.elf $(cmp -s "$T_TMP/oc1/oc/oc.elf" "$T_TMP/oc7/oc/oc.elf" && echo same || echo differs)"
# ... where its header differs: that folder's header is the one checked, b.c compiled again (its
# entry, one a key, then holds that object: the first folder's next build compiles b.c again)
printf '#define V 4\n' >"$T_TMP/ocelse/deeper/oc/v.h"
JEOS_CACHE="$T_TMP/objcache" "$JEOS" build -o "$T_TMP/oc8" "$T_TMP/ocelse/deeper/oc.yaml" >"$T_TMP/oc-elsewhere2.log" 2>&1
e=$(oc_counts elsewhere2)
[ "$e" = "1 2" ] && ! cmp -s "$T_TMP/oc1/oc/oc.elf" "$T_TMP/oc8/oc/oc.elf" &&
    echo "PASS build-objcache-elsewhere-header (its own v.h differs there: 1 compiled, 2 from the cache)" ||
    echo "FAIL build-objcache-elsewhere-header: \"$e\" (compiled, from the cache; expected \"1 2\")"
printf '#define V 5\n' >"$r/oc/v.h"
oc_build header "$T_TMP/oc3"
cmp -s "$T_TMP/oc1/oc/oc.elf" "$T_TMP/oc3/oc/oc.elf" && echo "FAIL build-objcache-header: oc.elf did not change with v.h" ||
    oc_check header "1 2" "oc/b.c " "$T_TMP/oc3"
printf 'name: oc\nkind: unikernel\nsources: [oc/a.c, oc/b.c, oc/c.c]\ncflags_for: {oc/c.c: [-DW=2]}\n' >"$r/oc.yaml"
oc_build cflags "$T_TMP/oc4"
oc_check cflags "1 2" "oc/c.c " "$T_TMP/oc4"
for f in "$T_TMP"/objcache/objects/*/*; do # a byte of each object changed (its section headers)
    printf 'X' | dd of="$f" bs=1 seek=$(($(stat -c %s "$f") - 30)) conv=notrunc 2>/dev/null
done
oc_build corrupt "$T_TMP/oc5"
n=$(grep -c 'checksum does not match (corrupt or truncated): moved aside' "$T_TMP/oc-corrupt.log")
oc_check corrupt "3 0" "oc/a.c oc/b.c oc/c.c " "$T_TMP/oc5" "$T_TMP/oc4" "; $n entries moved aside"
[ "$n" = 3 ] || echo "FAIL build-objcache-corrupt-said: $n entries said to be corrupt (expected 3)"
JEOS_CACHE="$T_TMP/objcache" "$JEOS" cache prune >"$T_TMP/oc-prune.log" 2>&1 && [ ! -e "$T_TMP/objcache/objects" ] &&
    echo "PASS build-objcache-prune (jeos cache prune empties objects/)" ||
    echo "FAIL build-objcache-prune: $(ls "$T_TMP/objcache"): $(head -n 2 "$T_TMP/oc-prune.log")"
# a header stamped later than the compile's start (as one changed while it compiled) is not
# trusted: the object that read it is not stored, compiled again next time
touch -d '+1 hour' "$r/oc/v.h"
oc_build future1 "$T_TMP/oc6"
oc_build future2 "$T_TMP/oc6"
[ "$(oc_counts future1)" = "3 0" ] && [ "$(oc_counts future2)" = "1 2" ] && [ "$(oc_compiled future2)" = "oc/b.c " ] &&
    echo "PASS build-objcache-changed-while-compiling (b.c, whose header is newer than its compile, not stored)" ||
    echo "FAIL build-objcache-changed-while-compiling: \"$(oc_counts future1)\", then \"$(oc_counts future2)\" compiled, from the cache (expected \"3 0\", \"1 2\"); compiled: $(oc_compiled future2)"

# bad input: the exact first line of the message, exit status 1
expect_error() { # name recipe first-line
    local name=$1 recipe=$2 want=$3
    "$JEOS" -q build -o "$out" "$recipe" >"$T_TMP/err.out" 2>"$T_TMP/err.log"
    local rc=$? got
    got=$(head -n 1 "$T_TMP/err.log")
    if [ "$rc" -ne 1 ]; then
        echo "FAIL $name: exit status $rc, expected 1"
    elif [ "$got" != "$want" ]; then
        echo "FAIL $name: got \"$got\", expected \"$want\""
    else
        echo "PASS $name"
    fi
}
printf 'int main(void) { return missing_function_here(; }\n' >"$r/src/bad.c"
printf 'name: bad\nkind: unikernel\nsources: [src/bad.c]\n' >"$r/bad.yaml"
expect_error build-compile-error "$r/bad.yaml" "$r/bad.yaml:3:11: sources: src/bad.c: does not compile:"
[ ! -e "$out/bad/bad.elf" ] || echo "FAIL build-compile-error: bad.elf exists after a failed build"
# a command line GRUB cannot carry: no disk, nothing half-written
printf 'int main(void) { return 0; }\n' >"$r/src/ok.c"
printf 'name: noglob\nkind: unikernel\nsources: [src/ok.c, "src/none/*.c"]\n' >"$r/noglob.yaml"
expect_error build-sources-glob-none "$r/noglob.yaml" \
    "$r/noglob.yaml:3:21: sources[1]: \"src/none/*.c\" matches no file of $r"
printf 'name: badcmd\nkind: unikernel\nsources: [src/ok.c]\ncmdline: "a;b"\nimage: {formats: [elf, raw, vhd]}\n' >"$r/badcmd.yaml"
expect_error build-disk-error "$r/badcmd.yaml" "$r/badcmd.yaml: image.formats: the GRUB disk cannot be written:"
if ! grep -qF 'grub.cfg: cmdline: character 0x3b is not allowed (got "a;b")' "$T_TMP/err.log"; then
    echo "FAIL build-disk-error-detail: no cmdline detail in: $(cat "$T_TMP/err.log")"
elif [ -n "$(find "$out/badcmd" -name '*.raw*' -o -name '*.vhd*' -o -name '*.tmp*' 2>/dev/null)" ]; then
    echo "FAIL build-disk-error-detail: left behind: $(ls "$out/badcmd")"
else
    echo "PASS build-disk-error-detail"
fi

# every disk format: built twice a second apart (same bytes), checked with qemu-img against the raw
fmt_tests="build-formats build-formats-reproducible build-formats-compare build-formats-boot build-formats-noraw"
if ! command -v qemu-img >/dev/null; then
    for t in $fmt_tests; do echo "SKIP $t: qemu-img not installed (make deps)"; done
    exit 0
fi
printf '#include <stdio.h>\nint main(void) { puts("formats ok"); return 7; }\n' >"$r/src/fmt.c"
printf 'name: fmt\nkind: unikernel\nsources: [src/fmt.c]\nimage: {formats: [elf, raw, qcow2, vmdk, vhd, ova, gce]}\n' >"$r/fmt.yaml"
exts="raw qcow2 vmdk vhd ova tar.gz"
ok=1
if ! "$JEOS" -q build -o "$T_TMP/f1" "$r/fmt.yaml" >"$T_TMP/fmt.log" 2>&1; then
    echo "FAIL build-formats: jeos build failed:"
    sed 's/^/    /' "$T_TMP/fmt.log" | tail -10
    ok=0
fi
next_second
f1=$T_TMP/f1/fmt
if [ $ok = 1 ]; then
    missing=
    for e in $exts; do [ -s "$f1/fmt.$e" ] || missing="$missing fmt.$e"; done
    left=$(find "$T_TMP/f1" -name '*.tmp*' -o -name '*.partial' | head -1)
    if [ -n "$missing" ]; then
        echo "FAIL build-formats: missing$missing"
        ok=0
    elif [ -n "$left" ]; then
        echo "FAIL build-formats: temporary file left: $left"
    else
        echo "PASS build-formats ($(cd "$f1" && ls | tr '\n' ' '))"
    fi
fi
if [ $ok = 1 ]; then
    "$JEOS" -q build -o "$T_TMP/f2" "$r/fmt.yaml" >"$T_TMP/fmt2.log" 2>&1
    differ=
    for e in elf $exts; do cmp -s "$f1/fmt.$e" "$T_TMP/f2/fmt/fmt.$e" || differ="$differ fmt.$e"; done
    if [ -z "$differ" ]; then
        echo "PASS build-formats-reproducible (elf $exts: same bytes a second apart)"
    else
        echo "FAIL build-formats-reproducible: differ:$differ"
    fi

    # qemu-img check where the format has checks; qemu-img compare of each disk with the raw
    mkdir -p "$T_TMP/x"
    tar -xf "$f1/fmt.ova" -C "$T_TMP/x" && tar -xzf "$f1/fmt.tar.gz" -C "$T_TMP/x"
    bad=
    for img in "qcow2:$f1/fmt.qcow2" "vmdk:$f1/fmt.vmdk" "vmdk:$T_TMP/x/fmt-disk1.vmdk"; do
        fmt=${img%%:*} file=${img#*:}
        qemu-img check -f "$fmt" "$file" >"$T_TMP/check.log" 2>&1 ||
            bad="$bad; check ${file##*/}: $(tail -1 "$T_TMP/check.log")"
    done
    for img in "qcow2:$f1/fmt.qcow2" "vmdk:$f1/fmt.vmdk" "vpc:$f1/fmt.vhd" \
        "vmdk:$T_TMP/x/fmt-disk1.vmdk"; do
        fmt=${img%%:*} file=${img#*:}
        qemu-img compare -f raw -F "$fmt" "$f1/fmt.raw" "$file" >"$T_TMP/cmp.log" 2>&1 ||
            bad="$bad; compare ${file##*/}: $(tail -1 "$T_TMP/cmp.log")"
    done
    # GCE's disk.raw is the disk grown to a whole number of GiB, its GPT backup moved to the end:
    # the partitions (LBA 34 to the old backup's entries) are the raw's bytes
    rs=$(stat -c %s "$f1/fmt.raw") gs=$(stat -c %s "$T_TMP/x/disk.raw")
    [ $((gs % (1 << 30))) -eq 0 ] && [ "$gs" -ge "$rs" ] &&
        cmp -s -i $((34 * 512)) -n $((rs - 67 * 512)) "$f1/fmt.raw" "$T_TMP/x/disk.raw" ||
        bad="$bad; gce disk.raw ($gs bytes): not the raw's partitions in a whole number of GiB"
    if [ -z "$bad" ]; then
        echo "PASS build-formats-compare (qemu-img check qcow2, vmdk, the OVA's vmdk; compare qcow2, vmdk, vhd, ova with the raw: identical; gce's disk.raw: the same partitions, whole GiB)"
    else
        echo "FAIL build-formats-compare: ${bad#; }"
    fi

    # the VHD boots (SeaBIOS, NVMe) like the raw
    uk_boot "$log" -M q35 -drive "file=$f1/fmt.vhd,format=vpc,if=none,id=d0,snapshot=on" \
        -device nvme,drive=d0,serial=jeos
    if uk_expect build-formats-boot "$log" '^formats ok$'; then
        [ "$UK_STATUS" -eq 7 ] && echo "PASS build-formats-boot (fmt.vhd on NVMe, SeaBIOS)" ||
            echo "FAIL build-formats-boot: status $UK_STATUS, expected 7"
    fi
    # the ESXi path: the OVA's VMDK on VMware's paravirtual SCSI, SeaBIOS booting from it
    uk_boot "$log" -drive "file=$T_TMP/x/fmt-disk1.vmdk,format=vmdk,if=none,id=d0,snapshot=on" \
        -device pvscsi,id=s0 -device scsi-hd,drive=d0,bus=s0.0,bootindex=0 -nic none
    if uk_expect build-formats-pvscsi "$log" '^formats ok$'; then
        [ "$UK_STATUS" -eq 7 ] && echo "PASS build-formats-pvscsi (the OVA's VMDK on pvscsi, SeaBIOS)" ||
            echo "FAIL build-formats-pvscsi: status $UK_STATUS, expected 7"
    fi
else
    for t in build-formats-reproducible build-formats-compare build-formats-boot build-formats-pvscsi; do
        echo "SKIP $t: the build failed"
    done
fi

# a disk format without raw: the format is there, NAME.raw is not (it stayed in the temp folder)
printf 'name: noraw\nkind: unikernel\nsources: [src/fmt.c]\nimage: {formats: [elf, qcow2]}\n' >"$r/noraw.yaml"
if "$JEOS" -q build -o "$out" "$r/noraw.yaml" >"$T_TMP/noraw.log" 2>&1 && [ -s "$out/noraw/noraw.qcow2" ] &&
    [ ! -e "$out/noraw/noraw.raw" ] && qemu-img check -q "$out/noraw/noraw.qcow2"; then
    echo "PASS build-formats-noraw (qcow2 only; no noraw.raw)"
else
    echo "FAIL build-formats-noraw: $(cd "$out/noraw" 2>/dev/null && ls | tr '\n' ' ')"
    sed 's/^/    /' "$T_TMP/noraw.log" | tail -5
fi
