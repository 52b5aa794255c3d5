#!/bin/bash
# rootless_test.sh — the disk (GPT, BIOS+UEFI, data partition) and an OVA are written by an
# unprivileged user: no loop device, no mount, no root. Run as root, it drops to nobody.
set -u
: "${JEOS_SRC:?}" "${T_TMP:?}"
cd "$JEOS_SRC"
KIT=$PWD/${JEOS_SAN_OUT:-out/san}/tests/boot/bootkit
for t in grub-mkimage mkfs.fat mcopy mkfs.ext4 qemu-img sfdisk; do
    command -v $t >/dev/null || { echo "SKIP rootless_disk: $t not installed"; exit 0; }
done
W=$T_TMP/rootless
mkdir -p "$W" && chmod 0777 "$T_TMP" "$W"
head -c 3000000 /dev/urandom >"$W/vmlinuz"
head -c 500000 /dev/urandom >"$W/initrd.img"
truncate -s 6M "$W/root.img"
chmod 0644 "$W"/*
as_user=()
if [ "$(id -u)" = 0 ]; then
    command -v setpriv >/dev/null || { echo "SKIP rootless_disk: running as root without setpriv"; exit 0; }
    as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
# ASan's binary and its folder must be readable by that user; the kit lives in the tree.
run() { "${as_user[@]}" env HOME="$W" TMPDIR="$W" "$@"; }
if run "$KIT" disk "$W/vmlinuz" "$W/initrd.img" "$W/root.img" ext4 gpt both "$W/d.raw" 4 >"$W/out" 2>&1 &&
   run "$KIT" convert "$W/d.raw" ova "$W" d >>"$W/out" 2>&1 &&
   sfdisk --verify "$W/d.raw" 2>&1 | grep -q "No errors detected" &&
   [ "$(stat -c %u "$W/d.raw")" = "$(run id -u)" ]; then
    echo "PASS rootless_disk (as uid $(run id -u))"
else
    cat "$W/out"; echo "FAIL rootless_disk: could not build the disk as uid $(run id -u)"
fi
