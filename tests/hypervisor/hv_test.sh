#!/bin/bash
# hv_test.sh — jeos-hv end to end on /dev/kvm: hello + exit status, block, read-only disk, net in a
# network namespace, hostile guests, seccomp in force, the message without /dev/kvm.
set -u
OUT=${JEOS_OUT:-out}
case $OUT in /*) ;; *) OUT=${JEOS_SRC:-$PWD}/$OUT ;; esac
SAN=${JEOS_SAN_OUT:-out/san}
case $SAN in /*) ;; *) SAN=${JEOS_SRC:-$PWD}/$SAN ;; esac
# The sanitizer build when there is one (make check): its leak checker runs at exit, outside the
# seccomp filter (hypervisor/README.md); else the plain one.
HV=${JEOS_HV:-$OUT/jeos-hv}
[ -z "${JEOS_HV:-}" ] && [ -x "$SAN/jeos-hv" ] && HV=$SAN/jeos-hv
G=$OUT/hv-guests
T=${T_TMP:-$(mktemp -d)}
names="usage hello status mem_lazy block ro_disk platform_api net hostile timeout smp apic seccomp idle no_kvm"

skip_all() {
    for n in $names; do echo "SKIP hv_$n: $1"; done
    exit 0
}
[ -x "$HV" ] && [ -f "$G/hello.elf" ] || skip_all "$HV or $G/*.elf not built (run make)"
[ -c /dev/kvm ] || skip_all "no /dev/kvm on this machine"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip_all "/dev/kvm not readable and writable by $(id -un)"

echo "hv_test: jeos-hv under test: $HV"
pass() { echo "PASS hv_$1"; }
fail() { echo "FAIL hv_$1: $2"; }

# run NAME ARGS...: runs jeos-hv; sets rc, and $T/NAME.out / $T/NAME.err.
run() {
    local n=$1; shift
    timeout 60 "$HV" "$@" >"$T/$n.out" 2>"$T/$n.err"
    rc=$?
}

# usage: bad input gets one line naming it, status 1, and no guest runs.
ok=1
bad() { # expected stderr line, jeos-hv arguments...
    local want=$1; shift
    "$HV" "$@" >"$T/bad.out" 2>"$T/bad.err"
    local st=$? got; got=$(grep -v '^jeos-hv: KVM on ' "$T/bad.err" | head -n 1)
    if [ $st -ne 1 ] || [ "$got" != "$want" ] || [ -s "$T/bad.out" ] ||
        grep -qE 'Sanitizer|runtime error' "$T/bad.err"; then
        fail usage "jeos-hv $*: status $st, got \"$got\", expected \"$want\" ($(grep -m1 Sanitizer "$T/bad.err"))"
        ok=0
    fi
}
bad "jeos-hv: --mem 3M: expected a multiple of 2M between 2M and 4G" --mem 3M "$G/hello.elf"
bad "jeos-hv: --mem 8G: expected a multiple of 2M between 2M and 4G" --mem 8G "$G/hello.elf"
bad "jeos-hv: $T/none.elf: No such file or directory" "$T/none.elf"
printf 'not an elf: %080d\n' 0 >"$T/text.elf"
bad "jeos-hv: $T/text.elf: not an ELF file (bad magic)" "$T/text.elf"
bad "jeos-hv: --disk $T/none.img: No such file or directory" --disk "$T/none.img" "$G/hello.elf"
bad "jeos-hv: --disk x.img,rx: unknown option \"rx\" (expected ,ro)" --disk x.img,rx "$G/hello.elf"
bad "jeos-hv: --net tap0,mac=zz: bad option \"mac=zz\" (expected ,mac=XX:XX:XX:XX:XX:XX)" \
    --net tap0,mac=zz "$G/hello.elf"
bad "jeos-hv: --bogus: unknown option or missing value" --bogus "$G/hello.elf"
bad "jeos-hv: --timeout 0: expected whole seconds from 1 to 86400" --timeout 0 "$G/hello.elf"
bad "jeos-hv: --cpus 17: expected 1 to 16" --cpus 17 "$G/hello.elf"
bad "jeos-hv: --timeout 2.5: expected whole seconds from 1 to 86400" --timeout 2.5 "$G/hello.elf"
[ $ok = 1 ] && pass usage

# hello: the greeting, the boot info, the command line and exit status 0.
run hello "$G/hello.elf" -- 0 two words
expected=$'Hello from a jeos-hv guest\nmem=32M cmdline="0 two words"\ncpuid: apic=0 x2apic=0 tsc_deadline=0 hypervisor=1 kvm_leaves=0 features=0'
if [ "$rc" -ne 0 ]; then
    fail hello "exit status $rc (stderr: $(head -c 300 "$T/hello.err"))"
elif [ "$(cat "$T/hello.out")" != "$expected" ]; then
    fail hello "stdout was: $(head -c 300 "$T/hello.out")"
elif ! grep -q '^jeos-hv: KVM on ' "$T/hello.err"; then
    fail hello "no line saying which virtualization was found"
else
    pass hello
fi

# status: the guest's exit status becomes jeos-hv's; --mem and --timings work.
run status --mem 64M --timings --trace "$G/hello.elf" 7
if [ "$rc" -ne 7 ]; then
    fail status "exit status $rc, expected 7"
elif ! grep -q 'mem=64M' "$T/status.out"; then
    fail status "guest did not see --mem 64M: $(cat "$T/status.out")"
elif ! grep -Eq '^jeos-hv: vm exits: total=[0-9]+ io=[0-9]+ .*exit=1$' "$T/status.err" ||
    ! grep -Eq '^jeos-hv: timings .*first_hypercall=[0-9]+ exit=[0-9]+$' "$T/status.err"; then
    fail status "--timings output missing: $(cat "$T/status.err")"
elif ! grep -Eq '^jeos-hv: trace: exit\(0x[0-9a-f]+\)$' "$T/status.err"; then
    fail status "--trace did not show the exit call: $(cat "$T/status.err")"
else
    pass status
fi

# mem_lazy: --mem 4G is one MAP_NORESERVE mapping: the host pays only for what the guest touches.
if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' -o "$T/rss" "$HV" --mem 4G "$G/hello.elf" 0 >"$T/lazy.out" 2>"$T/lazy.err"
    rc=$?
    rss=$(tail -n 1 "$T/rss")
    if [ "$rc" -ne 0 ] || ! grep -q 'mem=4096M' "$T/lazy.out"; then
        fail mem_lazy "status $rc: $(cat "$T/lazy.out" "$T/lazy.err" | head -c 300)"
    elif [ "$rss" -gt 16384 ]; then
        fail mem_lazy "peak RSS ${rss} KiB with --mem 4G (expected under 16 MiB)"
    else
        pass mem_lazy
    fi
else
    echo "SKIP hv_mem_lazy: /usr/bin/time (package time) not installed"
fi

# block: the guest writes a pattern to sectors 1..8 and reads it back; the host file holds it.
truncate -s 1M "$T/disk.img"
run block --disk "$T/disk.img" "$G/blk.elf" rw
want=$(python3 -c 'import sys; sys.stdout.write(bytes((i*7 + i//512) & 255 for i in range(4096)).hex())')
got=$(od -An -v -tx1 -j512 -N4096 "$T/disk.img" | tr -d ' \n')
zero=$(od -An -v -tx1 -N512 "$T/disk.img" | tr -d ' \n0')
if [ "$rc" -ne 0 ] || ! grep -q '^SUCCESS$' "$T/block.out"; then
    fail block "status $rc: $(cat "$T/block.out" "$T/block.err" | head -c 400)"
elif [ "$got" != "$want" ]; then
    fail block "the host file does not hold the guest's pattern at sector 1"
elif [ -n "$zero" ]; then
    fail block "sector 0 was written"
else
    pass block
fi

# ro_disk: writes refused with EROFS, the host file unchanged.
truncate -s 1M "$T/ro.img"
printf 'keep' | dd of="$T/ro.img" bs=1 seek=512 conv=notrunc status=none
sum=$(sha256sum <"$T/ro.img")
run ro --disk "$T/ro.img,ro" "$G/blk.elf" ro
if [ "$rc" -ne 0 ] || ! grep -q '^write refused: EROFS$' "$T/ro.out"; then
    fail ro_disk "status $rc: $(cat "$T/ro.out" "$T/ro.err" | head -c 400)"
elif [ "$(sha256sum <"$T/ro.img")" != "$sum" ]; then
    fail ro_disk "the read-only disk file changed"
else
    pass ro_disk
fi

# platform_api: the unikernel's device calls (unikernel/platform/hv/devices.c) on a disk; the
# guest writes the last 2 KiB, and the host file holds it.
truncate -s 64K "$T/p.img"
run papi --disk "$T/p.img" "$G/platform.elf"
want=$(python3 -c 'import sys; sys.stdout.write(bytes(0xa5 ^ (i & 255) for i in range(2048)).hex())')
got=$(od -An -v -tx1 -j $((64 * 1024 - 2048)) -N2048 "$T/p.img" | tr -d ' \n')
if [ "$rc" -ne 0 ] || [ "$(cat "$T/papi.out")" != SUCCESS ]; then
    fail platform_api "status $rc: $(cat "$T/papi.out" "$T/papi.err" | head -c 400)"
elif [ "$got" != "$want" ]; then
    fail platform_api "the host file does not hold the guest's last 2 KiB"
else
    pass platform_api
fi

# net: in a network namespace of our own, a tap at 10.0.0.1. The guest ARP-asks for it (two
# frames in one batched write; the reply must carry the tap's MAC), then sends four UDP
# datagrams in one batch to 10.0.0.1:7777, where this test echoes them back.
ns=jeoshv$$
if ! ip netns add "$ns" 2>"$T/ns.err"; then
    echo "SKIP hv_net: cannot create a network namespace: $(head -c 200 "$T/ns.err")"
else
    ip -n "$ns" tuntap add dev tap0 mode tap && ip -n "$ns" addr add 10.0.0.1/24 dev tap0 &&
        ip -n "$ns" link set tap0 up
    mac=$(ip netns exec "$ns" cat /sys/class/net/tap0/address)
    ip netns exec "$ns" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.0.0.1", 7777)); s.settimeout(20)
print("ready", flush=True)
for i in range(4):
    data, peer = s.recvfrom(2048)
    s.sendto(data, peer)
print("echoed 4", flush=True)
' >"$T/echo.out" 2>&1 &
    echo_pid=$!
    for _ in $(seq 50); do grep -q ready "$T/echo.out" && break; sleep 0.1; done
    timeout 60 ip netns exec "$ns" "$HV" --net tap0,mac=02:00:00:00:00:2a "$G/net.elf" \
        >"$T/net.out" 2>"$T/net.err"
    rc=$?
    wait "$echo_pid"
    ip netns del "$ns"
    expected="arp reply: 10.0.0.1 is at $mac"$'\nudp echoes: 4 of 4\nSUCCESS'
    if [ "$rc" -ne 0 ]; then
        fail net "status $rc: $(cat "$T/net.out" "$T/net.err" "$T/echo.out" | head -c 400)"
    elif [ "$(cat "$T/net.out")" != "$expected" ]; then
        fail net "unexpected output: $(cat "$T/net.out") (tap is $mac)"
    elif ! grep -q '^echoed 4$' "$T/echo.out"; then
        fail net "the echo server did not see four datagrams: $(cat "$T/echo.out")"
    else
        pass net
    fi
fi

# hostile: each attack ends the guest with the exact guest-error line and status 255.
M=0x2000000
ok=1
check() { # mode, expected stderr line, extra jeos-hv options...
    local mode=$1 want=$2; shift 2
    run "h_$mode" "$@" "$G/hostile.elf" "$mode"
    local line; line=$(grep -v '^jeos-hv: KVM on ' "$T/h_$mode.err")
    if [ "$rc" -ne 255 ] || [ "$line" != "$want" ] || grep -q FAIL "$T/h_$mode.out"; then
        fail hostile "$mode: status $rc, stderr \"$line\", expected \"$want\""
        ok=0
    fi
}
check badptr "jeos-hv: guest error: console_write: data 0xdead00000000+0x10 outside guest memory ($M bytes)"
check wrap "jeos-hv: guest error: console_write: data 0xffffffffffffff00+0x200 outside guest memory ($M bytes)"
check edge "jeos-hv: guest error: console_write: data 0x1ffffff+0x2 outside guest memory ($M bytes)"
check badarg "jeos-hv: guest error: time: argument block 0x1fffff8+0x10 outside guest memory ($M bytes)"
check unknown "jeos-hv: guest error: io: write of port 0x5c8: no such hypercall"
check inport "jeos-hv: guest error: console_write: bad port access (in, 4 bytes x 1; expected a 4-byte out)"
check blkbuf "jeos-hv: guest error: block_read: data 0x1fffe00+0x400 outside guest memory ($M bytes)" --disk "$T/disk.img"
check netframes "jeos-hv: guest error: net_write: frame data 0xfffffffffffffff5+0x3c outside guest memory ($M bytes)"
check exit300 "jeos-hv: guest error: exit: status 300 out of range 0..255"
check abort "jeos-hv: guest aborted: out of cheese?[2J"
# where a triple fault happened: named on VT-x (and emulating KVMs); AMD-V resets the vCPU first
virt=$(head -n 1 "$T/h_abort.err")
for mode in wild hlt; do
    run "h_$mode" "$G/hostile.elf" $mode
    want='^jeos-hv: guest error: cpu: triple fault \(shutdown\) at rip=0x10[0-9a-f]{4} rsp=0x10[0-9a-f]{4} cr2=0x2001000$'
    [ "$virt" = "jeos-hv: KVM on AMD-V with NPT" ] &&
        want='^jeos-hv: guest error: cpu: triple fault \(shutdown\); the vCPU was reset \(AMD-V\), so where it stood is unknown$'
    [ $mode = hlt ] && want='^jeos-hv: guest error: hlt: the guest halted \(end it with the exit hypercall\) at rip=0x10[0-9a-f]{4} '
    if [ "$rc" -ne 255 ] || ! grep -Eq "$want" "$T/h_$mode.err"; then
        fail hostile "$mode: status $rc, stderr $(cat "$T/h_$mode.err")"
        ok=0
    fi
done
run h_hugelen "$G/hostile.elf" hugelen
if [ "$rc" -ne 255 ] || ! grep -Eq '^jeos-hv: guest error: console_write: data 0x[0-9a-f]+\+0x4000000000000000 outside guest memory' "$T/h_hugelen.err"; then
    fail hostile "hugelen: status $rc, stderr $(cat "$T/h_hugelen.err")"
    ok=0
fi
[ $ok = 1 ] && pass hostile

# timeout: a guest spinning without a hypercall is ended by --timeout with status 124 and one line.
t0=$(date +%s%N)
run spin --timeout 1 "$G/hostile.elf" spin
ms=$((($(date +%s%N) - t0) / 1000000))
line=$(grep -v '^jeos-hv: KVM on ' "$T/spin.err")
if [ "$rc" -ne 124 ] || [ "$line" != "jeos-hv: timeout: the guest ran longer than --timeout 1 s" ]; then
    fail timeout "status $rc (expected 124), stderr \"$line\""
elif [ "$ms" -lt 1000 ] || [ "$ms" -gt 10000 ]; then
    fail timeout "ended after $ms ms (expected 1 s and a little)"
else
    pass timeout
fi

# smp: --cpus N gives N vCPUs, one thread each (plus the main thread); the boot CPU starts the
# others with CPU_START (each sees its own APIC ID and argument; a second start, CPU 0 and one
# past the last are refused); a guest that never starts them runs as on one CPU; on one CPU the
# call says ENODEV.
ok=1
run smp4 --cpus 4 "$G/smp.elf"
want=$'ncpus=4\ncpu 1: apic_id=1 arg ok\ncpu 2: apic_id=2 arg ok\ncpu 3: apic_id=3 arg ok\nagain: EINVAL, cpu 0: EINVAL, past the last: EINVAL'
if [ "$rc" -ne 0 ] || [ "$(cat "$T/smp4.out")" != "$want" ]; then
    fail smp "--cpus 4: status $rc, output: $(head -c 300 "$T/smp4.out") $(grep -v 'KVM on' "$T/smp4.err" | head -c 200)"
    ok=0
fi
run smp1 "$G/smp.elf"
if [ "$rc" -ne 0 ] || [ "$(cat "$T/smp1.out")" != $'ncpus=1\ncpu_start on 1 CPU: ENODEV' ]; then
    fail smp "one CPU: status $rc, output: $(head -c 300 "$T/smp1.out")"
    ok=0
fi
run smp_one --cpus 3 "$G/hello.elf" 9
if [ "$rc" -ne 9 ] || [ "$(head -n 1 "$T/smp_one.out")" != "Hello from a jeos-hv guest" ]; then
    fail smp "hello on --cpus 3 (never starting the others): status $rc (expected 9)"
    ok=0
fi
"$HV" --cpus 3 "$G/hello.elf" sleep >"$T/smp_t.out" 2>"$T/smp_t.err" &
pid=$!
# the most threads seen while it runs (a loaded host may start the vCPU threads slowly)
threads=0
for _ in $(seq 600); do
    n=$(grep -lx jeos-hv /proc/$pid/task/*/comm 2>/dev/null | wc -l)
    [ "$n" -gt "$threads" ] && threads=$n
    [ "$threads" -ge 4 ] || ! kill -0 "$pid" 2>/dev/null && break
    sleep 0.05
done
wait "$pid"
if [ "$threads" -ne 4 ]; then
    fail smp "--cpus 3: $threads jeos-hv threads (expected 3 vCPU threads and the main one)"
    ok=0
fi
[ $ok = 1 ] && pass smp

# apic: a kernel whose ELF note asks for the APIC feature gets KVM's in-kernel LAPIC; three
# TSC-deadline interrupts wake it from hlt (which then waits in the host instead of ending it).
run apic --timings "$G/timer.elf"
if [ "$rc" -ne 0 ] || [ "$(cat "$T/apic.out")" != $'timer interrupts=3 slept>=60ms\nSUCCESS' ]; then
    fail apic "status $rc: $(cat "$T/apic.out" "$T/apic.err" | head -c 400)"
else
    pass apic
fi

# seccomp and idle: while the guest sleeps in POLL (1 s, after it printed its cpuid line) the
# thread running the vCPU is in seccomp filter mode and the monitor uses (almost) no CPU: its
# ticks from that line to the last look before it ended (the setup before does not count; the
# looks go on while the process lives, as slow as they may be in a nested guest).
"$HV" "$G/hello.elf" sleep >"$T/idle.out" 2>"$T/idle.err" &
pid=$!
for _ in $(seq 100); do grep -q '^cpuid:' "$T/idle.out" && break; sleep 0.05; done
t0=$(date +%s%N)
ticks0=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null)
mode=$(cat /proc/$pid/task/*/status 2>/dev/null | awk '/^Seccomp:/ {print $2}' | sort -u | tr '\n' ' ')
last=${ticks0:-0} t1=$t0
while read -r st u s < <(awk '{print $3, $14, $15}' "/proc/$pid/stat" 2>/dev/null) && [ "$st" != Z ]; do
    last=$((u + s)) t1=$(date +%s%N)
    sleep 0.1
done
span=$(((t1 - t0) / 1000000))
ticks=$((last - ${ticks0:-0}))
wait "$pid"
rc=$?
case " $mode" in
*" 2 "*) pass seccomp ;;
*) fail seccomp "Seccomp modes of the running monitor's threads: '$mode', expected 2 among them" ;;
esac
slept=$(sed -n 's/^slept ms=//p' "$T/idle.out")
if [ "$rc" -ne 0 ] || [ -z "$slept" ] || [ "$slept" -lt 990 ]; then
    fail idle "status $rc, slept '${slept}' ms (expected >= 990): $(cat "$T/idle.err")"
elif [ -z "$ticks0" ] || [ "$ticks" -gt $((span / 100 + 2)) ]; then
    fail idle "the monitor used ${ticks} clock ticks of CPU in $span ms while the guest was idle"
else
    pass idle
fi

# no_kvm: without /dev/kvm (an empty /dev in a mount namespace) a message says what to do.
if unshare -m true 2>/dev/null; then
    unshare -m sh -c 'mount -t tmpfs none /dev && exec "$0" "$1"' "$HV" "$G/hello.elf" \
        >"$T/nokvm.out" 2>"$T/nokvm.err"
    rc=$?
    if [ "$rc" -ne 1 ] || ! grep -q '^jeos-hv: /dev/kvm does not exist: load the KVM module' "$T/nokvm.err"; then
        fail no_kvm "status $rc, stderr: $(cat "$T/nokvm.err")"
    else
        pass no_kvm
    fi
else
    echo "SKIP hv_no_kvm: cannot create a mount namespace here"
fi
