#!/bin/bash
# tests/unikernel/timer_test.sh — sleep 100 ms measured against the host clock, and idleness: the
# guest halts while it sleeps (it counts its hlt instructions; QEMU's CPU time stays low over 1 s).
set -u
UK_TEST=timer
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
elf=$UK_GUESTS/probe.elf
stamped=$T_TMP/stamped

# each serial line stamped with the host's clock as it arrives
timeout "$UK_TIMEOUT" qemu-system-x86_64 -accel tcg -M q35 -m 128 -display none -monitor none \
    -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 \
    -kernel "$elf" -append "sleep 100" </dev/null 2>&1 |
    while IFS= read -r line; do printf '%s %s\n' "${EPOCHREALTIME/[.,]/}" "${line%$'\r'}"; done >"$stamped"
t0=$(awk '$2 == "sleep-start" {print $1}' "$stamped")
t1=$(awk '$2 == "sleep-end" {print $1}' "$stamped")
if [ -z "$t0" ] || [ -z "$t1" ]; then
    echo "FAIL sleep-100ms: no sleep-start/sleep-end lines; output was:"
    sed 's/^/    /' "$stamped" | tail -20
else
    host_us=$((t1 - t0))
    guest_us=$(sed -n 's/.*guest_elapsed_us=\([0-9]*\).*/\1/p' "$stamped")
    halts=$(sed -n 's/.* halts=\([0-9]*\).*/\1/p' "$stamped")
    echo "sleep 100 ms: host ${host_us} us, guest ${guest_us} us, hlt ${halts}"
    # lower bound firm (5% for the TSC calibration), upper bound loose for a loaded host
    if [ "$host_us" -lt 95000 ] || [ "$host_us" -gt 400000 ]; then
        echo "FAIL sleep-100ms: host measured ${host_us} us"
    elif [ "$guest_us" -lt 100000 ] || [ "$guest_us" -gt 400000 ]; then
        echo "FAIL sleep-100ms: guest measured ${guest_us} us"
    elif [ "$halts" -lt 1 ] || [ "$halts" -gt 50 ]; then
        echo "FAIL sleep-100ms: $halts hlt while sleeping (expected a few: idle, not spinning)"
    else
        echo "PASS sleep-100ms"
    fi
fi

# 1 s of sleep: a halted vCPU costs QEMU (TCG) almost no host CPU; spinning would cost ~1 s
log=$T_TMP/log
TIMEFORMAT='%U %S'
cpu=$( { time uk_pvh "$log" "$elf" "sleep 1000" >/dev/null; } 2>&1)
ms=$(echo "$cpu" | awk '{printf "%d", ($1 + $2) * 1000}')
halts=$(sed -n 's/.* halts=\([0-9]*\).*/\1/p' "$log")
echo "sleep 1000 ms: QEMU used ${ms} ms of host CPU, guest executed ${halts} hlt"
if ! grep -q '^sleep-end$' "$log"; then
    echo "FAIL idle-sleep: the guest did not finish its sleep"
elif [ "$ms" -gt 700 ]; then
    echo "FAIL idle-sleep: QEMU used ${ms} ms of CPU over a 1000 ms sleep (spinning?)"
elif [ -z "$halts" ] || [ "$halts" -lt 1 ]; then
    echo "FAIL idle-sleep: no hlt counted"
else
    echo "PASS idle-sleep"
fi
