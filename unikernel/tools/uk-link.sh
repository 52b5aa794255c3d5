#!/bin/sh
# unikernel/tools/uk-link.sh — links application objects with the kernel into one bootable ELF.
#
# usage: uk-link.sh [--drivers=GROUP,...] OUT.elf KERNEL.a LINKER.ld OBJECT...
#   --drivers  the optional driver groups the program needs: blk (it has volumes), net (a network).
#              A platform calls these drivers' probes through weak references, so a program
#              without the group carries none of them. A group's probe that KERNEL.a's platform
#              does not call (another platform's driver) is left out.
#   KERNEL.a   the kernel library of one platform (out/unikernel/libuk-<platform>.a)
#   LINKER.ld  unikernel/arch/x86_64/kernel.ld
# Two passes: the first links with an empty symbol table, the second with the table made from the
# first (section .ksyms sits after .data, so no code or data address moves between the passes).
# Environment: UK_CC (default gcc), UK_LD (ld), UK_NM (nm). Writes OUT.elf atomically.
set -eu
# the driver groups: each the probe functions of its drivers (any platform's)
group_blk="nvme_probe_all pvscsi_probe_all"
group_net="vmxnet3_probe_all"
groups=
case ${1:-} in
--drivers=*) groups=$(echo "${1#--drivers=}" | tr ',' ' '); shift ;;
esac
if [ $# -lt 4 ]; then
    echo "usage: uk-link.sh [--drivers=GROUP,...] OUT.elf KERNEL.a LINKER.ld OBJECT..." >&2
    exit 2
fi
out=$1 lib=$2 lds=$3
shift 3
cc=${UK_CC:-gcc} ld=${UK_LD:-ld} nm=${UK_NM:-nm}
undef=
for g in $groups; do
    case $g in
    blk) syms=$group_blk ;;
    net) syms=$group_net ;;
    *) echo "uk-link.sh: --drivers: unknown group $g (expected blk, net)" >&2; exit 2 ;;
    esac
    for s in $syms; do # the platform calls it (a weak reference) and the library has it
        if "$nm" "$lib" 2>/dev/null | grep -q " w $s\$" &&
            "$nm" --defined-only "$lib" 2>/dev/null | grep -q " T $s\$"; then
            undef="$undef -u $s"
        fi
    done
done
here=$(dirname "$0")
for f in "$lib" "$lds" "$@"; do
    [ -f "$f" ] || { echo "uk-link.sh: $f: no such file" >&2; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uk-link.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
libgcc=$("$cc" -print-libgcc-file-name)
ldflags="-m elf_x86_64 -nostdlib -static -T $lds --gc-sections -z max-page-size=4096 -z noexecstack --build-id=none -u _start$undef"

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
