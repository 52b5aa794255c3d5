#!/bin/bash
# bench.sh — in the nested L1 (tests/bench/hv_nested_bench.sh): jeos-hv against qemu-system-x86_64
# -accel kvm -M microvm (PVH) on the L1's KVM (emulated AMD-V with NPT), side by side: the test
# guest hello, the musl hello and the threads+files program (tests/bench/nested/tf.yaml): process
# start to exit (median of BENCH_RUNS, default 3: QEMU takes ~15 s a boot in the L1), peak RSS, VM
# exits per boot (counted the same way for both: the kvm:kvm_exit trace event); then 6400 frames to a tap through the batched call, 64 and 1 per exit;
# then 6400 frames of the unikernel net guest through jeos-hv's NIC and through virtio-net on QEMU
# microvm, the same tap.
set -u
: "${JEOS_OUT:?}" "${NESTED_ELF:?}" "${T_TMP:?}"
TR=/sys/kernel/tracing
mountpoint -q $TR || mount -t tracefs none $TR 2>/dev/null
if [ -w $TR/events/kvm/kvm_exit/enable ]; then
    echo 16384 >$TR/buffer_size_kb
else
    TR=
fi
python3 - "$JEOS_OUT" "$NESTED_ELF" "${BENCH_RUNS:-3}" "$TR" <<'PY'
import os, subprocess, sys, time
out, elf, runs, tr = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
hv = out + "/jeos-hv"
def qemu(kernel):
    return (["qemu-system-x86_64", "-M", "microvm,x-option-roms=off,rtc=off,pit=off,pic=off",
             "-accel", "kvm", "-cpu", "host", "-m", "32M", "-nodefaults", "-no-user-config",
             "-nographic", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
             "-kernel", kernel], 1)  # isa-debug-exit: guest status 0 becomes 1
progs = [
    ("hello (test guest)", ([hv, out + "/hv-guests/hello.elf"], 0),
     qemu(out + "/hv-guests/hello.elf"), b"Hello from a jeos-hv guest"),
    ("hello (musl)", ([hv, elf + "/hello-hv.elf"], 0), qemu(elf + "/hello.elf"),
     b"Hello from a jeos unikernel"),
    ("threads+files (musl)", ([hv, elf + "/tf-hv.elf"], 0), qemu(elf + "/tf.elf"),
     b"threads+files: 4 threads, 256 KiB each, ok"),
]

def trace(on):
    with open(tr + "/events/kvm/kvm_exit/enable", "w") as f:
        f.write("1" if on else "0")

def measure(name, argv, want, text):
    """Median start-to-exit ms, peak RSS KiB (GNU time), VM exits of the first run (-1 unknown)."""
    times, rss, exits = [], [], -1
    for i in range(runs):
        if i == 0 and tr:
            open(tr + "/trace", "w").close()
            trace(True)
        t0 = time.perf_counter()
        try:
            p = subprocess.run(["/usr/bin/time", "-f", "%M"] + argv, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=120)
        except subprocess.TimeoutExpired:
            print(f"FAIL hv_nested_bench: {name}: {argv[0]} ran longer than 120 s", flush=True)
            sys.exit(1)
        times.append(time.perf_counter() - t0)
        if i == 0 and tr:
            trace(False)
            with open(tr + "/trace", "rb") as f:
                exits = sum(b"kvm_exit:" in line for line in f)
        err = p.stderr.decode(errors="replace").strip().splitlines()
        if p.returncode != want or text not in p.stdout or not err or not err[-1].isdigit():
            print(f"FAIL hv_nested_bench: {name}: {argv[0]} exited {p.returncode} (want {want}),"
                  f" printed {p.stdout[-200:]!r} {err[-3:]!r}", flush=True)
            sys.exit(1)
        rss.append(int(err[-1]))
    times.sort()
    return times[len(times) // 2] * 1000, max(rss), exits

for name, h, q, text in progs:
    ht, hr, he = measure(name, h[0], h[1], text)
    qt, qr, qe = measure(name, q[0], q[1], text)
    own = subprocess.run(h[0][:1] + ["--timings"] + h[0][1:], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE).stderr.decode()
    own = [l for l in own.splitlines() if l.startswith("jeos-hv: vm exits: ")]
    print(f"{name}: start_to_exit_ms (median of {runs}) jeos-hv={ht:.1f} qemu-microvm={qt:.1f} "
          f"ratio={qt / ht:.1f}x faster (target >= 10x)", flush=True)
    print(f"{name}: peak_rss_kib jeos-hv={hr} qemu-microvm={qr} ratio={hr / qr:.3f} "
          f"(target <= 0.1)")
    if he >= 0:
        print(f"{name}: vm_exits (kvm_exit events) jeos-hv={he} qemu-microvm={qe} "
              f"ratio={qe / max(he, 1):.1f}x fewer; "
              f"{own[0][len('jeos-hv: '):] if own else ''}", flush=True)
    else:
        print(f"{name}: vm_exits: no tracefs kvm_exit event in this L1; "
              f"{own[0] if own else ''}", flush=True)
PY
[ $? -eq 0 ] || exit 0

# net: the batched call (64 frames per exit) against one frame per exit, same guest, same tap
ns=hvb$$
if ip netns add $ns 2>/dev/null; then
    ip -n $ns tuntap add dev tap0 mode tap && ip -n $ns link set tap0 up
    declare -A us
    for b in 64 1; do
        line=$(ip netns exec $ns "$JEOS_OUT/jeos-hv" --net tap0 "$JEOS_OUT/hv-guests/netbench.elf" $b 2>&1)
        us[$b]=$(echo "$line" | sed -n 's/^frames=6400 us=//p')
    done
    if [ -n "${us[64]}" ] && [ -n "${us[1]}" ]; then
        echo "net 6400 frames: batch64=${us[64]} us ($((6400 * 1000000 / ${us[64]})) frames/s)" \
            "batch1=${us[1]} us ($((6400 * 1000000 / ${us[1]})) frames/s)" \
            "ratio=$(awk -v a="${us[1]}" -v b="${us[64]}" 'BEGIN { printf "%.1f", a / b }')x"
    else
        ip netns del $ns
        echo "FAIL hv_nested_bench: netbench did not run: $line"
        exit 0
    fi
    # the same frames through virtio-net: the unikernel net guest (tests/unikernel/guests/net.c,
    # blast=N: N 60-byte frames in batches of 64 through the netdev interface, timed inside) on
    # jeos-hv's batched calls and, the same source, on virtio-net-device under QEMU microvm
    blast() { # name, command...: frames per second, or empty
        local log=$T_TMP/blast-$1
        shift
        ip netns exec $ns timeout 300 "$@" </dev/null >"$log" 2>&1
        tr -d '\r' <"$log" | sed -n 's/^net: blast \([0-9]*\) frames us \([0-9]*\) .*tx_errors 0 .*/\1 \2/p' |
            awk '$2 > 0 { printf "%d", $1 * 1000000 / $2 }'
    }
    hv_fps=$(blast hv "$JEOS_OUT/jeos-hv" --net tap0 "$JEOS_OUT/unikernel/guests-hv/net.elf" blast=6400)
    vq_fps=$(blast microvm qemu-system-x86_64 -M microvm,acpi=off -accel kvm -cpu host -m 64M \
        -nodefaults -no-user-config -display none -monitor none -serial stdio -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=4 \
        -netdev tap,id=n0,ifname=tap0,script=no,downscript=no -device virtio-net-device,netdev=n0 \
        -kernel "$JEOS_OUT/unikernel/guests/net.elf" -append blast=6400)
    ip netns del $ns
    if [ -n "$hv_fps" ] && [ -n "$vq_fps" ]; then
        echo "net 6400 frames to the same tap, same guest source: jeos-hv batched=$hv_fps frames/s" \
            "qemu-microvm virtio-net=$vq_fps frames/s" \
            "ratio=$(awk -v a="$hv_fps" -v b="$vq_fps" 'BEGIN { printf "%.2f", a / b }')x"
    else
        echo "FAIL hv_nested_bench: net blast: jeos-hv ${hv_fps:-failed}, microvm ${vq_fps:-failed}"
        tail -n 3 "$T_TMP"/blast-hv "$T_TMP"/blast-microvm
        exit 0
    fi
fi
echo "PASS hv_nested_bench"
