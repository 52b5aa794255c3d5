#!/bin/bash
# nginx_nvme_test.sh — the nginx appliance as the clouds run it: `jeos build recipes/nginx.yaml`
# (raw only), its disk on an NVMe controller (AWS Nitro, GCE, Azure's newer sizes) booted by
# SeaBIOS under QEMU TCG, virtio-net:
#   nginx_raw_nvme        the root found on /dev/nvme0n1p3 and the site's page served over HTTP
#   nginx_initramfs_aws   the disk's own initramfs carries ENA, NVMe and Xen's front ends (or the
#                         kernel has them built in: modules.builtin from the disk's root)
# SKIPPED when the build cannot reach the Debian mirror.
set -u
names="nginx_raw_nvme nginx_initramfs_aws"
skip() { for n in $names; do echo "SKIP $n: $1"; done; exit 0; }
for t in qemu-system-x86_64 curl mcopy unsquashfs sfdisk zstd cpio; do
    command -v $t >/dev/null || skip "$t not installed (make deps)"
done
[ -x "${JEOS:-}" ] || skip "jeos not built"
w=$T_TMP/nginx
mkdir -p "$w/r"
cp -r "$JEOS_SRC/recipes/nginx.yaml" "$JEOS_SRC/recipes/nginx" "$w/r/"
sed -i 's/formats: \[[^]]*\]/formats: [raw]/' "$w/r/nginx.yaml"
if ! "$JEOS" -q build -o "$w/out" "$w/r/nginx.yaml" >"$w/build.log" 2>&1; then
    if grep -qiE 'mirror|download|fetch|resolve|connect|InRelease' "$w/build.log"; then
        skip "jeos build could not reach the Debian mirror: $(head -c 200 "$w/build.log")"
    fi
    for n in $names; do echo "FAIL $n: jeos build failed:"; done
    sed 's/^/    /' "$w/build.log" | tail -20
    exit 0
fi
raw=$w/out/nginx/nginx.raw

# the initramfs from the disk's ESP; modules.builtin from its squashfs root (partition 3)
root_at=$(sfdisk --dump "$raw" | awk -F'[=,]' '/name="root"/ {gsub(/ /, "", $2); print $2 * 512}')
if ! mcopy -n -i "$raw@@2M" ::/boot/initrd.img "$w/initrd.img" 2>"$w/mcopy.err"; then
    echo "FAIL nginx_initramfs_aws: no /boot/initrd.img on the ESP: $(cat "$w/mcopy.err")"
elif ! unsquashfs -o "${root_at:-0}" -cat "$raw" "/usr/lib/modules/$(unsquashfs -o "${root_at:-0}" -l "$raw" \
    /usr/lib/modules 2>/dev/null | sed -n 's|^squashfs-root/usr/lib/modules/\([^/]*\)$|\1|p' | head -1)/modules.builtin" \
    >"$w/modules.builtin" 2>"$w/unsquashfs.err"; then
    echo "FAIL nginx_initramfs_aws: no modules.builtin in the root at byte $root_at: $(head -c 200 "$w/unsquashfs.err")"
elif got=$("$JEOS_SRC/tests/boot/aws_modules.sh" "$w/initrd.img" "$w/modules.builtin"); then
    echo "PASS nginx_initramfs_aws ($got)"
else
    echo "FAIL nginx_initramfs_aws: $got"
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$w/nvme.log
timeout 180 qemu-system-x86_64 -accel tcg -m 512 -display none -monitor none -no-reboot \
    -serial "file:$log" -drive "file=$raw,format=raw,if=none,id=d0,snapshot=on" \
    -device nvme,drive=d0,serial=nginx-root,bootindex=0 \
    -nic "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:$port-:80" </dev/null >/dev/null 2>&1 &
qpid=$!
trap 'kill $qpid 2>/dev/null; wait $qpid 2>/dev/null' EXIT
for _ in $(seq 1500); do
    grep -qaE 'jeos: ready|Kernel panic|; halting' "$log" 2>/dev/null && break
    kill -0 $qpid 2>/dev/null || break
    sleep 0.1
done
page=$(curl -sS -m 20 "http://127.0.0.1:$port/" 2>&1)
kill $qpid 2>/dev/null
wait $qpid 2>/dev/null
tr -d '\r' <"$log" >"$log.txt"
if ! grep -qa '^jeos: ready' "$log.txt"; then
    echo "FAIL nginx_raw_nvme: no \"jeos: ready\" within 150 s; console:"
    grep -av '^\s*$' "$log.txt" | tail -20 | sed 's/^/    /'
elif ! grep -qaE '^jeos: root /dev/nvme0n1p3 \(squashfs' "$log.txt"; then
    echo "FAIL nginx_raw_nvme: the root not on /dev/nvme0n1p3: $(grep -a '^jeos: root' "$log.txt")"
elif [ "$page" != "$(cat "$JEOS_SRC/recipes/nginx/site/index.html")" ]; then
    echo "FAIL nginx_raw_nvme: the page: $(printf '%s' "$page" | head -c 300)"
else
    echo "PASS nginx_raw_nvme ($(grep -a -m1 -o 'up [0-9.]* s after the kernel started' "$log.txt"))"
fi
