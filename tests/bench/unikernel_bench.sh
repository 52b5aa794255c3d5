#!/bin/bash
# unikernel_bench.sh — the jeos unikernel's hello beside a minimal Linux (Debian cloud kernel with
# -kernel/-initrd and an init that prints and powers off), in the same run, under QEMU TCG:
# boot time from QEMU start to the hello line (target: 20x faster), image size (target <= 64 KiB
# stripped), memory in use after boot (target <= 1 MiB).
set -u
. "$JEOS_SRC/tests/bench/lib.sh"
out=$JEOS_SRC/${JEOS_OUT:-out}
case ${JEOS_OUT:-out} in /*) out=$JEOS_OUT ;; esac
hello=$out/unikernel/guests/hello.elf
probe=$out/unikernel/guests/probe.elf
[ -f "$hello" ] || { echo "unikernel bench: $hello not built (run make)"; exit 1; }
RUNS=${UK_BENCH_RUNS:-5}

# first_line_ms PATTERN QEMU-ARGS...: ms from QEMU's start to the first output line matching;
# QEMU is stopped once the line is seen (what a guest does after it does not count), or after 30 s
first_line_ms() {
    local pat=$1
    shift
    local mark=$T_TMP/first_line.$RANDOM
    rm -f "$mark"
    local t0=${EPOCHREALTIME/[.,]/}
    qemu-system-x86_64 -accel tcg -display none -monitor none -serial stdio -no-reboot "$@" \
        </dev/null 2>/dev/null > >(while IFS= read -r line; do
            if [[ $line == *"$pat"* ]]; then
                echo "${EPOCHREALTIME/[.,]/}" >"$mark.tmp" && mv "$mark.tmp" "$mark"
            fi
        done) &
    local qpid=$! waited=0
    while [ ! -f "$mark" ] && [ $waited -lt 3000 ] && kill -0 $qpid 2>/dev/null; do
        sleep 0.01
        waited=$((waited + 1))
    done
    sleep 0.05 # a last line may still be on its way through the reader
    kill $qpid 2>/dev/null
    wait $qpid 2>/dev/null
    if [ -f "$mark" ]; then
        echo $((($(cat "$mark") - t0) / 1000))
    else
        echo NaN
    fi
    rm -f "$mark"
}

median() { grep -v NaN | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

# --- the Linux peer: kernel from Debian's package, init built here
vmlinuz=$(bench_linux "$out/bench-cache")
initrd=$T_TMP/initrd.cpio
have_linux=0
if [ -n "$vmlinuz" ]; then
    mkdir -p "$T_TMP/initramfs"
    cc_static=${MUSL_GCC:-$(command -v musl-gcc || echo gcc)}
    if "$cc_static" -static -Os -o "$T_TMP/initramfs/init" "$JEOS_SRC/tests/unikernel/linux/init.c" &&
        (cd "$T_TMP/initramfs" && echo init | cpio -o -H newc --quiet >"$initrd"); then
        have_linux=1
    fi
fi
[ $have_linux = 1 ] || echo "note: no Linux peer (linux-image-cloud-amd64 not downloadable here); jeos figures only"

# --- boot time on a full PC (q35: SeaBIOS, PCI). (On microvm the Debian kernel under TCG often
# hangs calibrating its TSC without HPET/PM timer, so there jeos is measured alone, below.)
for machine in "q35"; do
    ours=()
    peer=()
    for _ in $(seq "$RUNS"); do
        ours+=("$(first_line_ms 'Hello from the jeos unikernel' -M $machine -nodefaults -m 256 \
            -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$hello")")
        [ $have_linux = 1 ] && peer+=("$(first_line_ms 'Hello from Linux' -M $machine -nodefaults \
            -m 256 -kernel "$vmlinuz" -initrd "$initrd" -append 'console=ttyS0 quiet panic=-1')")
    done
    ours_ms=$(printf '%s\n' "${ours[@]}" | median)
    echo "boot to hello on $machine, jeos runs (ms): ${ours[*]}"
    if [ $have_linux = 1 ]; then
        peer_ms=$(printf '%s\n' "${peer[@]}" | median)
        echo "boot to hello on $machine, Linux runs (ms): ${peer[*]}"
        bench_report "boot to hello line, QEMU TCG -M $machine (median of $RUNS; target jeos/peer <= 0.05)" \
            "$ours_ms" "Linux $(basename "$vmlinuz") + initramfs" "$peer_ms" ms
    else
        echo "boot to hello line, QEMU TCG -M $machine: jeos $ours_ms ms"
    fi
done

mv=()
for _ in $(seq "$RUNS"); do
    mv+=("$(first_line_ms 'Hello from the jeos unikernel' -M microvm -nodefaults -m 256 \
        -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$hello")")
done
echo "boot to hello on microvm (no firmware but qboot), jeos alone: median $(printf '%s\n' "${mv[@]}" | median) ms (runs: ${mv[*]})"

# inside the guest: kernel entry to main (the rest of the boot time is QEMU and firmware)
log=$T_TMP/init.log
timeout 60 qemu-system-x86_64 -accel tcg -M q35 -nodefaults -m 256 -display none -monitor none \
    -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$probe" \
    -append info </dev/null 2>&1 | tr -d '\r' | grep -E '^(info|init):' | sed 's/^/jeos guest: /'

# --- size
strip -o "$T_TMP/hello.stripped" "$hello"
size_ours=$(stat -c %s "$T_TMP/hello.stripped")
if [ $have_linux = 1 ]; then
    size_peer=$(($(stat -c %s "$vmlinuz") + $(stat -c %s "$initrd")))
    bench_report "image size, stripped hello ELF (target <= 65536 bytes; jeos $size_ours bytes)" \
        "$((size_ours / 1024))" "Linux vmlinuz + initramfs" "$((size_peer / 1024))" KiB
else
    echo "image size: jeos hello stripped $size_ours bytes (target <= 65536)"
fi

# --- memory in use after boot
log=$T_TMP/mem.log
timeout 60 qemu-system-x86_64 -accel tcg -M q35 -m 256 -display none -monitor none -serial stdio \
    -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 -kernel "$probe" -append mem \
    </dev/null >"$log" 2>&1
mem_ours=$(sed -n 's/.* in_use=\([0-9]*\).*/\1/p' "$log" | tr -d '\r')
echo "memory: jeos $(tr -d '\r' <"$log" | grep '^mem:')"
if [ $have_linux = 1 ]; then
    timeout 120 qemu-system-x86_64 -accel tcg -M q35 -m 256 -display none -monitor none \
        -serial stdio -no-reboot -kernel "$vmlinuz" -initrd "$initrd" \
        -append 'console=ttyS0 quiet panic=-1' </dev/null >"$log" 2>&1
    free_kb=$(tr -d '\r' <"$log" | awk '/^MemFree:/ {print $2}')
    # Linux: guest RAM minus what the kernel reports free (kernel, initramfs, page cache, tables)
    mem_peer=$(((256 << 20) - ${free_kb:-0} * 1024))
    bench_report "memory in use after boot (target jeos <= 1024 KiB)" "$((mem_ours / 1024))" \
        "Linux (256 MiB - MemFree)" "$((mem_peer / 1024))" KiB
else
    echo "memory in use after boot: jeos $((mem_ours / 1024)) KiB (target <= 1024)"
fi
