#!/bin/bash
# tests/unikernel/build_test.sh — jeos build of unikernel recipes: recipes/hello.yaml into an ELF per
# platform and a GRUB disk, each booted; a recipe's args and cflags; errors for bad input.
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
for f in hello.elf hello-hv.elf hello.raw; do
    [ -s "$d/$f" ] || echo "FAIL build-hello: $d/$f missing"
done
leftovers=$(find "$out" -name '*.tmp*' -o -name '*.partial' | head -1)
[ -z "$leftovers" ] || echo "FAIL build-hello: temporary file left: $leftovers"

# same recipe, same ELFs (the GRUB disk from grub-mkrescue is not reproducible yet)
if "$JEOS" -q build -o "$T_TMP/out2" "$JEOS_SRC/recipes/hello.yaml" >/dev/null 2>&1 &&
    cmp -s "$d/hello.elf" "$T_TMP/out2/hello/hello.elf" &&
    cmp -s "$d/hello-hv.elf" "$T_TMP/out2/hello/hello-hv.elf"; then
    echo "PASS build-reproducible-elf"
else
    echo "FAIL build-reproducible-elf: a second build gave different ELFs"
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
    ASAN_OPTIONS=detect_leaks=0 timeout 60 "$hv" "$d/hello-hv.elf" </dev/null >"$log" 2>"$log.err"
    rc=$?
    # kvm_pvm without VT-x emulates the guest and its emulator rejects SSE (musl's printf uses it)
    if grep -q 'no VT-x or AMD-V' "$log.err" && grep -q 'KVM internal error' "$log.err"; then
        echo "SKIP build-hello-hv: this host's KVM emulates the CPU and cannot run SSE: $(tail -1 "$log.err")"
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
printf 'name: fmt\nkind: unikernel\nsources: [src/twice.c]\nimage: {formats: [elf, qcow2]}\n' >"$r/fmt.yaml"
expect_error build-format "$r/fmt.yaml" "$r/fmt.yaml: image.formats: qcow2: not built for unikernels yet (expected elf or raw)"
