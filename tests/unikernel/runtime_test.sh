#!/bin/bash
# tests/unikernel/runtime_test.sh — what a booted guest relies on: TSC and timer set-up, heap,
# FPU/SSE state across interrupts, the wall clock, and a memory figure within budget.
set -u
UK_TEST=runtime
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
elf=$UK_GUESTS/probe.elf
log=$T_TMP/log

uk_pvh "$log" "$elf" info
if uk_expect info "$log" '^info: boot=pvh platform=qemu-kvm tsc=(pit|cpuid|kvmclock) tsc_hz=[0-9]+ timer=(lapic|tsc-deadline)'; then
    hz=$(sed -n 's/.*tsc_hz=\([0-9]*\).*/\1/p' "$log")
    if [ "$hz" -gt 100000000 ] && [ "$hz" -lt 20000000000 ] && [ "$UK_STATUS" -eq 0 ]; then
        echo "PASS info"
    else
        echo "FAIL info: tsc_hz=$hz status=$UK_STATUS"
    fi
fi

uk_pvh "$log" "$elf" heap
if uk_expect heap "$log" '^heap: ok \(0\)$'; then
    [ "$UK_STATUS" -eq 0 ] && echo "PASS heap" || echo "FAIL heap: status $UK_STATUS"
fi

uk_pvh "$log" "$elf" fpu
if uk_expect fpu "$log" '^fpu: harmonic\(1000\)\*1000=7485$'; then
    [ "$UK_STATUS" -eq 0 ] && echo "PASS fpu" || echo "FAIL fpu: status $UK_STATUS"
fi

uk_pvh "$log" "$elf" wall
if uk_expect wall-clock "$log" '^wall: [0-9]+$'; then
    guest=$(sed -n 's/^wall: //p' "$log")
    host=$(date +%s)
    diff=$((host - guest))
    # QEMU's RTC starts at host UTC; allow for the boot and a minute of slack
    if [ "${diff#-}" -le 60 ]; then echo "PASS wall-clock"; else echo "FAIL wall-clock: guest $guest, host $host"; fi
fi

uk_pvh "$log" "$elf" mem
if uk_expect memory "$log" '^mem: total=[0-9]+ image=[0-9]+ pages=[0-9]+ page_tables=[0-9]+ heap=[0-9]+ in_use=[0-9]+$'; then
    in_use=$(sed -n 's/.* in_use=\([0-9]*\)$/\1/p' "$log")
    total=$(sed -n 's/^mem: total=\([0-9]*\) .*/\1/p' "$log")
    # 128 MiB guest: the map must show most of it usable; hello must stay within 1 MiB
    if [ "$total" -gt $((120 << 20)) ] && [ "$in_use" -le $((1 << 20)) ]; then
        echo "PASS memory"
    else
        echo "FAIL memory: total=$total in_use=$in_use (budget 1048576)"
    fi
fi

# a driver's path: claim a vector, route the RTC's ISA line through the IOAPIC (MADT overrides:
# QEMU's IRQ 0 is GSI 2), take 20 interrupts;
# then 20 more while xmm1 holds a value the (application) handler clobbers: the kernel restores it
uk_pvh "$log" "$elf" irq
if uk_expect ioapic-irq "$log" '^isa: irq0->gsi2 irq8->gsi8$' \
    '^irq: vector=[0-9]+ rtc_ticks=2[0-9] in [0-9]+ us$' \
    '^irq-sse: xmm1 kept across [0-9]+ interrupts$'; then
    [ "$UK_STATUS" -eq 0 ] && echo "PASS ioapic-irq" || echo "FAIL ioapic-irq: status $UK_STATUS"
fi

# boot modules and the command line as the loader gave them (PVH: -initrd is module 0)
printf 'JEOSMODULE test data\n' >"$T_TMP/module"
uk_boot "$log" -M q35 -kernel "$elf" -append "modules  two  args" -initrd "$T_TMP/module"
if uk_expect modules "$log" '^cmdline: modules  two  args$' '^module 0: 21 bytes, starts "JEOS"$' '^modules: 1$'; then
    [ "$UK_STATUS" -eq 0 ] && echo "PASS modules" || echo "FAIL modules: status $UK_STATUS"
fi

# AVX in application code (TCG's "max" CPU has it): the kernel must have enabled OSXSAVE and XCR0
uk_boot "$log" -M q35 -cpu max -kernel "$elf" -append avx
if uk_expect avx "$log" '^avx: ok$'; then
    [ "$UK_STATUS" -eq 0 ] && echo "PASS avx" || echo "FAIL avx: status $UK_STATUS"
fi
