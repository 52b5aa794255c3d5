#!/bin/bash
# boot_bench.sh — boot to nginx answering HTTP under QEMU -accel tcg: the jeos nginx appliance
# (`jeos build recipes/nginx.yaml`, booted by `jeos run`: SeaBIOS, GRUB, our initramfs and init)
# beside the same Debian cloud kernel booting a Debian cloud-style systemd root made by
# mmdebstrap (systemd, udev, systemd-networkd DHCP, nginx-light; Debian's own initramfs) in the
# same run. The peer is booted straight with -kernel/-initrd (no firmware disk boot, no GRUB), so
# it skips a step ours takes; so ours is also timed booted the peer's way (its kernel, initramfs
# and command line taken from the disk's FAT, -kernel/-initrd, the same disk). Prints the best of
# 2 runs each and the ratios (target: >= 3x faster).
set -u
SRC=${JEOS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
OUT=${JEOS_OUT:-out}
case $OUT in /*) ;; *) OUT=$SRC/$OUT ;; esac
JEOS_BIN=$OUT/jeos
tmp=${T_TMP:-$(mktemp -d)}
[ -x "$JEOS_BIN" ] || { echo "SKIP boot_bench: $JEOS_BIN not built"; exit 0; }
for t in qemu-system-x86_64 python3 mmdebstrap mkfs.ext4; do
    command -v $t >/dev/null || { echo "SKIP boot_bench: $t not installed (make deps)"; exit 0; }
done
mkdir -p "$tmp/r" && cp -r "$SRC/recipes/nginx.yaml" "$SRC/recipes/nginx" "$tmp/r/"
"$JEOS_BIN" -q build -o "$tmp/out" "$tmp/r/nginx.yaml" >/dev/null 2>"$tmp/build.log" ||
    { cat "$tmp/build.log"; echo "SKIP boot_bench: jeos build failed (Debian mirror?)"; exit 0; }
IMG=$tmp/out/nginx/nginx.qcow2
RAW=$tmp/out/nginx/nginx.raw
# The FAT boot partition starts at 2 MiB on the GPT layout (boot/README.md).
for f in vmlinuz initrd.img grub/grub.cfg; do
    mcopy -n -i "$RAW@@2M" "::/boot/$f" "$tmp/$(basename $f)" ||
        { echo "SKIP boot_bench: cannot read /boot/$f from the disk (mtools)"; exit 0; }
done
CMDLINE=$(awk '$1 == "linux16" || $1 == "linux" { $1 = ""; $2 = ""; sub(/^ +/, ""); print; exit }' "$tmp/grub.cfg")

# ---- the peer: built once, kept in the bench cache ----
peer=$OUT/bench-cache/boot-peer
if [ ! -s "$peer/root.ext4" ]; then
    rm -rf "$peer" && mkdir -p "$peer"
    S=("deb http://deb.debian.org/debian bookworm main" "deb http://deb.debian.org/debian bookworm-updates main"
       "deb http://deb.debian.org/debian-security bookworm-security main")
    mmdebstrap --quiet --variant=minbase \
        --include=systemd-sysv,udev,nginx-light,linux-image-cloud-amd64,initramfs-tools \
        --customize-hook='printf "[Match]\nName=en* eth*\n\n[Network]\nDHCP=ipv4\n" >"$1/etc/systemd/network/50-dhcp.network"' \
        --customize-hook='chroot "$1" systemctl enable systemd-networkd' \
        --customize-hook='echo peer >"$1/etc/hostname"' \
        bookworm "$peer/root" "${S[@]}" >"$peer/mmdebstrap.log" 2>&1 ||
        { tail -5 "$peer/mmdebstrap.log"; rm -rf "$peer"; echo "SKIP boot_bench: mmdebstrap failed"; exit 0; }
    cp "$peer"/root/boot/vmlinuz-* "$peer/vmlinuz" && cp "$peer"/root/boot/initrd.img-* "$peer/initrd.img" &&
        mkfs.ext4 -q -d "$peer/root" -L root "$peer/root.ext4.tmp" 1G && mv "$peer/root.ext4.tmp" "$peer/root.ext4" ||
        { echo "SKIP boot_bench: cannot make the peer's disk"; exit 0; }
    rm -rf "$peer/root"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# time_to_http PORT PID: seconds from now until http://127.0.0.1:PORT/ answers (or "NaN")
time_to_http() { python3 "$SRC/tests/bench/http_first.py" "$1" "$2"; }
stop() { kill -TERM "$1" 2>/dev/null; for _ in $(seq 1 200); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
         kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
best() { printf '%s\n' "$@" | grep -v NaN | sort -n | head -1; }

# timed LOG CMD...: starts CMD (with @PORT@ replaced by a free port) in the background, prints
# the seconds until HTTP answers through that port, stops it
timed() {
    local log=$1 port pid t
    shift
    port=$(free_port)
    "${@//@PORT@/$port}" >"$log" 2>&1 </dev/null &
    pid=$!
    t=$(time_to_http "$port" $pid)
    stop $pid
    echo "$t"
}
qemu_direct() { # LOG KERNEL INITRD CMDLINE DISK
    timed "$1" qemu-system-x86_64 -accel tcg -m 512 -nographic -snapshot \
        -kernel "$2" -initrd "$3" -append "$4" -drive "file=$5,format=raw,if=virtio" \
        -nic "user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:@PORT@-:80"
}
ours=() direct=() theirs=()
for i in 1 2; do
    t=$(timed "$tmp/jeos-$i.log" "$JEOS_BIN" run --accel tcg --port "@PORT@:80" "$IMG")
    echo "jeos appliance run $i: HTTP after $t s"
    ours+=("$t")
    t=$(qemu_direct "$tmp/direct-$i.log" "$tmp/vmlinuz" "$tmp/initrd.img" "$CMDLINE" "$RAW")
    echo "jeos appliance, -kernel/-initrd like the peer, run $i: HTTP after $t s"
    direct+=("$t")
    t=$(qemu_direct "$tmp/peer-$i.log" "$peer/vmlinuz" "$peer/initrd.img" \
        "root=/dev/vda rw console=ttyS0,115200" "$peer/root.ext4")
    echo "systemd peer run $i: HTTP after $t s"
    theirs+=("$t")
done
o=$(best "${ours[@]}") d=$(best "${direct[@]}") p=$(best "${theirs[@]}")
if [ -z "$o" ] || [ -z "$p" ] || [ -z "$d" ]; then
    tail -5 "$tmp/jeos-1.log" "$tmp/peer-1.log"; echo "FAIL boot_bench: a boot never answered HTTP"; exit 1
fi
echo "boot to HTTP (TCG): jeos $o s | Debian systemd + nginx (mmdebstrap, same kernel) $p s |" \
     "ratio jeos/peer $(echo "$o / $p" | bc -l | xargs printf '%.2f') ($(echo "$p / $o" | bc -l | xargs printf '%.1f')x faster; target >= 3x)"
echo "boot to HTTP (TCG), both -kernel/-initrd: jeos $d s | peer $p s |" \
     "ratio jeos/peer $(echo "$d / $p" | bc -l | xargs printf '%.2f') ($(echo "$p / $d" | bc -l | xargs printf '%.1f')x faster)"
