#!/bin/bash
# net_bench.sh — UDP echo through virtio-net under QEMU TCG, the same settings for both (q35,
# 256 MiB, one vCPU, virtio-net-pci on a tap in a network namespace): the jeos net guest (frames
# answered by the driver interface) beside Linux (the Debian cloud kernel with its virtio-net
# module and a UDP echo in its init). The host keeps 32 datagrams of 64 bytes in flight for
# NET_BENCH_SECONDS (5) and counts echoes per second; also the driver's code size.
set -u
. "$JEOS_SRC/tests/bench/lib.sh"
out=$JEOS_SRC/${JEOS_OUT:-out}
case ${JEOS_OUT:-out} in /*) out=$JEOS_OUT ;; esac
guest=$out/unikernel/guests/net.elf
peer=$JEOS_SRC/tests/unikernel/net_peer.py
SECS=${NET_BENCH_SECONDS:-5}
[ -f "$guest" ] || { echo "net bench: $guest not built (run make)"; exit 1; }

ns=jeosnetbench$$
if ! ip netns add "$ns" 2>/dev/null; then
    echo "net bench: cannot create a network namespace (needs root); skipped"
    exit 0
fi
trap 'ip netns del "$ns" 2>/dev/null' EXIT
ip netns exec "$ns" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6' 2>/dev/null
ip -n "$ns" tuntap add dev tap0 mode tap && ip -n "$ns" addr add 10.0.0.1/24 dev tap0 &&
    ip -n "$ns" link set tap0 up

# flood LOG QEMU-ARGS...: boots, waits for the guest to listen, floods; prints echoes per second
flood() {
    local log=$1
    shift
    ip netns exec "$ns" timeout 300 qemu-system-x86_64 -accel tcg -M q35 -m 256 -smp 1 \
        -display none -monitor none -serial stdio -no-reboot \
        -netdev tap,id=n0,ifname=tap0,script=no,downscript=no -device virtio-net-pci,netdev=n0 \
        "$@" </dev/null >"$log" 2>&1 &
    local pid=$! i
    for i in $(seq 1200); do
        grep -q 'net: listening' "$log" 2>/dev/null && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.1
    done
    ip netns exec "$ns" python3 "$peer" 10.0.0.2 --flood "$SECS" >"$log.peer" 2>&1
    sleep 1
    kill $pid 2>/dev/null
    wait $pid 2>/dev/null
    sed -n 's/.* = \([0-9]*\) frames\/s$/\1/p' "$log.peer"
}

ours=$(flood "$T_TMP/jeos.log" -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$guest" \
    -append "ip=10.0.0.2 secs=600")
grep -a '^net: rx ' "$T_TMP/jeos.log" | tr -d '\r' | sed 's/^/jeos guest: /'

vmlinuz=$(bench_linux "$out/bench-cache")
peer_fps=
if [ -n "$vmlinuz" ] && command -v musl-gcc >/dev/null; then
    root=$T_TMP/initramfs
    mkdir -p "$root/m"
    mods=$(dirname "$vmlinuz")/../lib/modules/$(basename "$vmlinuz" | sed 's/^vmlinuz-//')/kernel
    for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev \
        drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci net/core/failover \
        drivers/net/net_failover drivers/net/virtio_net; do
        cp "$mods/$m.ko" "$root/m/" && basename "$m.ko" >>"$root/m/order"
    done
    if musl-gcc -static -Os -o "$root/init" "$JEOS_SRC/tests/unikernel/linux/netinit.c" &&
        (cd "$root" && find . | cpio -o -H newc --quiet >"$T_TMP/netinitrd.cpio"); then
        peer_fps=$(flood "$T_TMP/linux.log" -kernel "$vmlinuz" -initrd "$T_TMP/netinitrd.cpio" \
            -append 'console=ttyS0 quiet panic=-1')
    fi
fi
if [ -n "$ours" ] && [ -n "$peer_fps" ]; then
    bench_report "UDP echoes/s through virtio-net-pci, QEMU TCG q35, 32 in flight, 64-byte payloads" \
        "$ours" "Linux $(basename "$vmlinuz") virtio_net + UDP socket" "$peer_fps" "echoes/s"
else
    echo "UDP echoes/s through virtio-net-pci, QEMU TCG: jeos ${ours:-failed} (Linux peer: ${peer_fps:-not run})"
    [ -n "$ours" ] || tail -n 20 "$T_TMP/jeos.log" "$T_TMP/jeos.log.peer"
fi

# code size of the drivers (text + rodata of their objects in the kernel library)
size -A $(for f in drivers/pci drivers/netdev drivers/virtio/virtio drivers/virtio/virtqueue \
    drivers/virtio/pci drivers/virtio/mmio drivers/virtio/net; do
    echo "$out/unikernel/obj/unikernel/$f.c.o"
done) 2>/dev/null | awk '/^\.(text|rodata)/ {n += $2} END {printf "driver code size (PCI, netdev, virtio core, transports, virtio-net): %d bytes text+rodata\n", n}'
