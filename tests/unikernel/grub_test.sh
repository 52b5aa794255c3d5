#!/bin/bash
# tests/unikernel/grub_test.sh — hello through the multiboot2 entry: GRUB from a hybrid disk image
# (grub-mkrescue), booted by SeaBIOS (BIOS) and by OVMF (UEFI); its line and its exit status.
set -u
UK_TEST=grub
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
for tool in grub-mkrescue xorriso mformat; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP grub-bios: $tool not installed (make deps)"
        echo "SKIP grub-uefi: $tool not installed (make deps)"
        exit 0
    fi
done

tree=$T_TMP/tree
mkdir -p "$tree/boot/grub"
cp "$UK_GUESTS/hello.elf" "$tree/boot/hello.elf"
cat >"$tree/boot/grub/grub.cfg" <<'CFG'
set timeout=0
serial --unit=0 --speed=115200
terminal_input serial
terminal_output serial
menuentry jeos-hello {
    multiboot2 /boot/hello.elf 42
    boot
}
CFG
disk=$T_TMP/hello.img
if ! grub-mkrescue -o "$disk" "$tree" >"$T_TMP/mkrescue.log" 2>&1; then
    echo "FAIL grub-bios: grub-mkrescue failed:"
    sed 's/^/    /' "$T_TMP/mkrescue.log" | tail -10
    exit 0
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
