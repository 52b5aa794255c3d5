#!/bin/bash
# tests/boot/aws_modules.sh INITRD MODULES.BUILTIN — what ec2 import-image's instance types need
# of an initramfs (Nitro: ENA and NVMe; the Xen types: blkfront and netfront): each module in the
# zstd cpio INITRD and named in its load list (etc/jeos/modules), or built into the kernel (listed
# in its MODULES.BUILTIN). Read from the written cpio, not from what its writer said. Prints the
# modules found ("nvme(built-in)" for a built-in one) and exits 0, or "missing: ..." and exits 1.
set -u
initrd=$1 builtin=$2
list=$(zstd -dc "$initrd" | cpio -t --quiet 2>/dev/null) || { echo "missing: everything ($initrd: not a zstd cpio)"; exit 1; }
load=$(zstd -dc "$initrd" | cpio -i --to-stdout --quiet etc/jeos/modules 2>/dev/null)
found= why=
for m in ena nvme nvme-core xen-blkfront xen-netfront; do
    if printf '%s\n' "$list" | grep -qE "/$m\.ko(\.[a-z]+)?\$" &&
        printf '%s\n' "$load" | grep -q "^${m//-/_} "; then
        found="$found $m"
    elif grep -qE "/$m\.ko\$" "$builtin" 2>/dev/null; then
        found="$found $m(built-in)"
    else
        why="$why $m"
    fi
done
[ -z "$why" ] || { echo "missing:$why"; exit 1; }
echo "${found# }"
