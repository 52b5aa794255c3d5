#!/bin/bash
# tests/unikernel/grub_test.sh — hello through the multiboot2 entry: GRUB from the rootless disk
# writer (boot/disk.h, JEOS_DISK_MULTIBOOT2, driven by tests/boot/bootkit ukdisk), booted by
# SeaBIOS (BIOS) and by OVMF (UEFI); its line and its exit status; the disk's layout and bytes.
set -u
UK_TEST=grub
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
KIT=
for d in "${JEOS_SAN_OUT:-out/san}" "${JEOS_OUT:-out}"; do
    case $d in /*) ;; *) d=$JEOS_SRC/$d ;; esac
    if [ -x "$d/tests/boot/bootkit" ]; then
        KIT=$d/tests/boot/bootkit
        break
    fi
done
if [ -z "$KIT" ]; then
    for t in grub-layout grub-reproducible grub-bios grub-uefi; do echo "SKIP $t: tests/boot/bootkit not built (make test-build)"; done
    exit 0
fi
for tool in grub-mkimage mkfs.fat mcopy mtype sfdisk; do
    if ! command -v "$tool" >/dev/null; then
        for t in grub-layout grub-reproducible grub-bios grub-uefi; do echo "SKIP $t: $tool not installed (make deps)"; done
        exit 0
    fi
done

export SOURCE_DATE_EPOCH=1700000000
disk=$T_TMP/hello.img
if ! "$KIT" ukdisk "$UK_GUESTS/hello.elf" "$disk" 42 >"$T_TMP/kit.log" 2>&1; then
    echo "FAIL grub-bios: bootkit ukdisk failed:"
    sed 's/^/    /' "$T_TMP/kit.log" | tail -10
    exit 0
fi

# GPT with a BIOS boot partition and the ESP only (no root); the ESP holds the ELF and grub.cfg
dump=$(sfdisk --dump "$disk" 2>&1)
types=$(printf '%s\n' "$dump" | sed -n 's/.*type=\([0-9A-F-]*\).*/\1/p' | tr '\n' ' ')
want="21686148-6449-6E6F-744E-656564454649 C12A7328-F81F-11D2-BA4B-00A0C93EC93B "
esp=$(printf '%s\n' "$dump" | awk -F'[=,]' '/C12A7328/ {gsub(/ /, "", $2); print $2 * 512}')
cfg=$(mtype -i "$disk@@$esp" ::/boot/grub/grub.cfg 2>&1)
if [ "$types" != "$want" ]; then
    echo "FAIL grub-layout: partition types \"$types\", expected \"$want\""
elif ! mtype -i "$disk@@$esp" ::/boot/uk.elf | cmp -s - "$UK_GUESTS/hello.elf"; then
    echo "FAIL grub-layout: /boot/uk.elf on the ESP is not hello.elf"
elif ! printf '%s\n' "$cfg" | grep -qx '    multiboot2 /boot/uk.elf 42' ||
    ! printf '%s\n' "$cfg" | grep -qx 'set timeout=0' ||
    ! printf '%s\n' "$cfg" | grep -qx 'terminal_output serial console' ||
    printf '%s\n' "$cfg" | grep -qE 'linux|initrd'; then
    echo "FAIL grub-layout: grub.cfg is:"
    printf '%s\n' "$cfg" | sed 's/^/    /'
else
    echo "PASS grub-layout (GPT: BIOS boot + ESP; $(stat -c %s "$disk") bytes; multiboot2 /boot/uk.elf 42)"
fi

# the same ELF and seed a second later: the same bytes
sleep 1
"$KIT" ukdisk "$UK_GUESTS/hello.elf" "$T_TMP/again.img" 42 >/dev/null 2>&1
if cmp -s "$disk" "$T_TMP/again.img"; then
    echo "PASS grub-reproducible"
else
    echo "FAIL grub-reproducible: a second disk differs: $(cmp "$disk" "$T_TMP/again.img" 2>&1 | head -1)"
fi

# result NAME LOG: the hello line with the multiboot2 boot source, and status 42
result() {
    local name=$1 log=$2
    uk_expect "$name" "$log" '^Hello from the jeos unikernel \(boot: multiboot2\)$' || return
    if [ "$UK_STATUS" -eq 42 ]; then echo "PASS $name"; else echo "FAIL $name: status $UK_STATUS (QEMU $UK_RC), expected 42"; fi
}

log=$T_TMP/bios.log
uk_boot "$log" -M pc -drive "file=$disk,format=raw,if=ide,snapshot=on"
result grub-bios "$log"

code=/usr/share/OVMF/OVMF_CODE_4M.fd
vars=/usr/share/OVMF/OVMF_VARS_4M.fd
if [ ! -f "$code" ] || [ ! -f "$vars" ]; then
    echo "SKIP grub-uefi: OVMF not installed (make deps)"
    exit 0
fi
cp "$vars" "$T_TMP/vars.fd"
log=$T_TMP/uefi.log
uk_boot "$log" -M q35 -m 256 -drive "if=pflash,format=raw,readonly=on,file=$code" \
    -drive "if=pflash,format=raw,file=$T_TMP/vars.fd" \
    -drive "file=$disk,format=raw,if=virtio,snapshot=on"
result grub-uefi "$log"
