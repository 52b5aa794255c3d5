#!/bin/sh
# unikernel/tools/uk-link.sh — links application objects with the kernel into one bootable ELF.
#
# usage: uk-link.sh OUT.elf KERNEL.a LINKER.ld OBJECT...
#   KERNEL.a   the kernel library of one platform (out/unikernel/libuk-<platform>.a)
#   LINKER.ld  unikernel/arch/x86_64/kernel.ld
# Two passes: the first links with an empty symbol table, the second with the table made from the
# first (section .ksyms sits after .data, so no code or data address moves between the passes).
# Environment: UK_CC (default gcc), UK_LD (ld), UK_NM (nm). Writes OUT.elf atomically.
set -eu
if [ $# -lt 4 ]; then
    echo "usage: uk-link.sh OUT.elf KERNEL.a LINKER.ld OBJECT..." >&2
    exit 2
fi
out=$1 lib=$2 lds=$3
shift 3
cc=${UK_CC:-gcc} ld=${UK_LD:-ld} nm=${UK_NM:-nm}
here=$(dirname "$0")
for f in "$lib" "$lds" "$@"; do
    [ -f "$f" ] || { echo "uk-link.sh: $f: no such file" >&2; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uk-link.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
libgcc=$("$cc" -print-libgcc-file-name)
ldflags="-m elf_x86_64 -nostdlib -static -T $lds --gc-sections -z max-page-size=4096 -z noexecstack --build-id=none -u _start"

sh "$here/ksyms.sh" </dev/null >"$tmp/ksyms0.S"
"$cc" -c -o "$tmp/ksyms0.o" "$tmp/ksyms0.S"
# shellcheck disable=SC2086
"$ld" $ldflags -o "$tmp/pass1" "$@" "$tmp/ksyms0.o" "$lib" "$libgcc"
"$nm" -n --defined-only "$tmp/pass1" | sh "$here/ksyms.sh" >"$tmp/ksyms.S"
"$cc" -c -o "$tmp/ksyms.o" "$tmp/ksyms.S"
# shellcheck disable=SC2086
"$ld" $ldflags -o "$tmp/pass2" "$@" "$tmp/ksyms.o" "$lib" "$libgcc"
# the second pass must not have moved the text: compare the text symbols of both passes
"$nm" -n --defined-only "$tmp/pass1" | awk '$2 ~ /^[tT]$/' >"$tmp/s1"
"$nm" -n --defined-only "$tmp/pass2" | awk '$2 ~ /^[tT]$/' >"$tmp/s2"
if ! cmp -s "$tmp/s1" "$tmp/s2"; then
    echo "uk-link.sh: $out: text moved between the link passes (symbol table would be wrong)" >&2
    exit 1
fi
mkdir -p "$(dirname "$out")"
cp "$tmp/pass2" "$out.tmp.$$"
mv "$out.tmp.$$" "$out"
