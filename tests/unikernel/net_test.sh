#!/bin/bash
# tests/unikernel/net_test.sh — the network drivers exchange real frames with the host's own stack
# over a tap in a network namespace: the net guest answers ARP, ICMP echo and UDP (a burst of
# every size up to a full frame, replies batched, UDP checksums through the offload) under QEMU TCG:
#   net-pci-msix    pc, virtio-net-pci on MSI-X, offloads, mergeable buffers, EVENT_IDX, its
#                   64-bit BAR above 4 GiB
#   net-pci-intx    q35, vectors=0 (no MSI-X): INTx through the IOAPIC; no EVENT_IDX, no offloads,
#                   no mergeable buffers (software checksums, NO_INTERRUPT/NO_NOTIFY flags)
#   net-mmio-cmdline  microvm, acpi=off: virtio_mmio.device= on the command line (legacy, v1),
#                   taken off the application's arguments
#   net-mmio-acpi   microvm with ACPI: the device from the DSDT, virtio-mmio version 2
#   net-reset-pci, net-reset-mmio  the NIC probed again while running, with another feature set
#   net-vmxnet3     q35, -device vmxnet3 (drivers/vmxnet3.c) on MSI-X
#   net-hv          the same guest on jeos-hv through its hypercall NIC
# Every run also checks that the guest idled in hlt and woke on the device's interrupts, and that
# each batch of replies cost at most one notify.
set -u
UK_TEST=net
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
peer=$JEOS_SRC/tests/unikernel/net_peer.py
names="net-pci-msix net-pci-intx net-mmio-cmdline net-mmio-acpi net-reset-pci net-reset-mmio net-vmxnet3 net-hv"
ns=jeosuknet$$
if ! ip netns add "$ns" 2>"$T_TMP/ns.err"; then
    for n in $names; do echo "SKIP $n: cannot create a network namespace: $(head -c 200 "$T_TMP/ns.err")"; done
    exit 0
fi
trap 'ip netns del "$ns" 2>/dev/null' EXIT
ip netns exec "$ns" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6' 2>/dev/null
ip -n "$ns" tuntap add dev tap0 mode tap && ip -n "$ns" addr add 10.0.0.1/24 dev tap0 &&
    ip -n "$ns" link set tap0 up && ip -n "$ns" link set lo up

# exchange NAME LOG COMMAND...: runs the guest in the namespace, the peer once it listens; sets rc
# (the guest's status) and leaves the peer's line in $LOG.peer.
exchange() {
    local name=$1 log=$2
    shift 2
    rm -f "$log"
    ip netns exec "$ns" timeout 60 "$@" </dev/null >"$log" 2>&1 &
    local pid=$! i
    for i in $(seq 400); do
        grep -q '^net: listening' "$log" 2>/dev/null && break
        kill -0 $pid 2>/dev/null || break
        sleep 0.05
    done
    if grep -q '^net: listening' "$log" 2>/dev/null; then
        ip netns exec "$ns" timeout 60 python3 "$peer" 10.0.0.2 32 >"$log.peer" 2>&1
    else
        echo "peer: not run: the guest did not listen" >"$log.peer"
    fi
    wait $pid
    rc=$?
    tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
}

# judge NAME LOG STATUS WAKE PATTERN...: PASS when the peer and the guest agree all went well; WAKE
# "irq": the guest halted and device interrupts woke it; "host": it waited in the host (jeos-hv).
judge() {
    local name=$1 log=$2 want_status=$3 wake=$4
    shift 4
    if ! grep -q '^peer: icmp 4/4 udp 32/32 quit bye$' "$log.peer"; then
        echo "FAIL $name: host side: $(cat "$log.peer" | head -c 300); guest:"
        sed 's/^/    /' "$log" | tail -n 15
        return
    fi
    uk_expect "$name" "$log" "$@" '^net: arp [1-9][0-9]* icmp 4 udp 33 bad_csum 0$' || return
    local stats irqs batches notifies halts waits
    stats=$(grep '^net: rx ' "$log")
    irqs=$(sed -n 's/.* irqs \([0-9]*\).*/\1/p' <<<"$stats")
    batches=$(sed -n 's/.* batches \([0-9]*\).*/\1/p' <<<"$stats")
    notifies=$(sed -n 's/.* notifies \([0-9]*\).*/\1/p' <<<"$stats")
    halts=$(sed -n 's/.* halts \([0-9]*\).*/\1/p' <<<"$stats")
    waits=$(sed -n 's/.* waits \([0-9]*\).*/\1/p' <<<"$stats")
    if [ "$rc" -ne "$want_status" ]; then
        echo "FAIL $name: exit status $rc, expected $want_status; $stats"
    elif ! grep -q ' rx_errors 0 tx_errors 0 ' <<<"$stats"; then
        echo "FAIL $name: errors counted: $stats"
    elif [ "$wake" = irq ] && { [ "${irqs:-0}" -lt 1 ] || [ "${halts:-0}" -lt 1 ]; }; then
        echo "FAIL $name: the guest did not idle and wake on interrupts (irqs $irqs, halts $halts)"
    elif [ "$wake" = host ] && [ "${waits:-0}" -lt 1 ]; then
        echo "FAIL $name: the guest never waited for frames"
    elif [ "${notifies:-0}" -gt "${batches:-0}" ]; then
        echo "FAIL $name: $notifies notifies for $batches batches (one per batch at most)"
    else
        echo "PASS $name"
    fi
}

# a net guest under QEMU: TCG, isa-debug-exit, serial on stdout
qemu=(qemu-system-x86_64 -accel tcg -m 128 -display none -monitor none -serial stdio -no-reboot
    -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$UK_GUESTS/net.elf")
tap=(-netdev tap,id=n0,ifname=tap0,script=no,downscript=no)
log=$T_TMP/net
mac='mac 52:54:00:12:34:56 mtu 1500 link up'

# a 2 GiB ivshmem BAR leaves no room below 4 GiB: SeaBIOS puts the 64-bit BARs, the NIC's too,
# above it (mapped on demand: the RAM map ends at 4 GiB)
high=(-object memory-backend-memfd,id=shm,size=2G,share=on -device ivshmem-plain,memdev=shm)
exchange net-pci-msix "$log" "${qemu[@]}" -M pc "${high[@]}" "${tap[@]}" -device virtio-net-pci,netdev=n0 \
    -append "ip=10.0.0.2"
judge net-pci-msix "$log" 1 irq \
    "^netdev eth0 virtio-net pci 00:0[0-9a-f]\\.0 msix $mac features csum guest_csum mac mrg_rxbuf status event_idx\$" \
    '^pci 00:0[0-9a-f]\.0 1af4:1000 .* bar4 mem64,pref 0x[1-9][0-9a-f]{8}\+0x4000 msix [0-9]+$'

exchange net-pci-intx "$log" "${qemu[@]}" -M q35 "${tap[@]}" \
    -device virtio-net-pci,netdev=n0,vectors=0,event_idx=off,csum=off,guest_csum=off,mrg_rxbuf=off \
    -append "ip=10.0.0.2"
judge net-pci-intx "$log" 1 irq "^netdev eth0 virtio-net pci 00:0[0-9a-f]\\.0 intx gsi [0-9]+ $mac features mac status\$"

exchange net-mmio-cmdline "$log" "${qemu[@]}" -M microvm,acpi=off "${tap[@]}" -device virtio-net-device,netdev=n0 \
    -append "ip=10.0.0.2"
judge net-mmio-cmdline "$log" 1 irq '^net: args ip=10\.0\.0\.2$' \
    "^netdev eth0 virtio-net mmio 0x[0-9a-f]+ gsi [0-9]+ legacy $mac features csum guest_csum mac mrg_rxbuf status event_idx\$"

exchange net-mmio-acpi "$log" "${qemu[@]}" -M microvm -global virtio-mmio.force-legacy=false "${tap[@]}" \
    -device virtio-net-device,netdev=n0 -append "ip=10.0.0.2"
judge net-mmio-acpi "$log" 1 irq \
    "^netdev eth0 virtio-net mmio 0x[0-9a-f]+ gsi [0-9]+ $mac features csum guest_csum mac mrg_rxbuf status event_idx\$"

reset_pattern='^reset: old rings got 0 frames after the reset$'
exchange net-reset-pci "$log" "${qemu[@]}" -M q35 "${tap[@]}" -device virtio-net-pci,netdev=n0 -append "ip=10.0.0.2 reset"
judge net-reset-pci "$log" 1 irq "^reset: netdev eth1 virtio-net pci 00:0[0-9a-f]\\.0 msix $mac features mac status\$" \
    "$reset_pattern"

exchange net-reset-mmio "$log" "${qemu[@]}" -M microvm,acpi=off "${tap[@]}" -device virtio-net-device,netdev=n0 \
    -append "ip=10.0.0.2 reset"
judge net-reset-mmio "$log" 1 irq "^reset: netdev eth1 virtio-net mmio 0x[0-9a-f]+ gsi [0-9]+ legacy $mac features mac status\$" \
    "$reset_pattern"

exchange net-vmxnet3 "$log" "${qemu[@]}" -M q35 "${tap[@]}" -device vmxnet3,netdev=n0 -append "ip=10.0.0.2"
judge net-vmxnet3 "$log" 1 irq "^netdev eth0 vmxnet3 pci 00:0[0-9a-f]\\.0 msix $mac\$"

# jeos-hv: the same guest source linked with the hv platform, its NIC through batched hypercalls
hv=$UK_OUTDIR/jeos-hv
if [ ! -x "$hv" ]; then
    echo "SKIP net-hv: $hv not built"
elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "SKIP net-hv: /dev/kvm not usable"
else
    exchange net-hv "$log" env ASAN_OPTIONS=detect_leaks=0 "$hv" --net tap0,mac=52:54:00:12:34:56 \
        "$UK_OUTDIR/unikernel/guests-hv/net.elf" ip=10.0.0.2
    # jeos-hv NICs raise no interrupts: the guest waits in the host (poll), not in hlt
    judge net-hv "$log" 0 host "^netdev eth0 jeos-hv hv 0 $mac\$"
fi
