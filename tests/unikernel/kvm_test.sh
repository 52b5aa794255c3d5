#!/bin/bash
# tests/unikernel/kvm_test.sh — under KVM the paravirtual paths: TSC frequency from kvmclock, x2APIC,
# and the TSC-deadline one-shot timer waking a 100 ms sleep. (KVM here emulates: ~7 s a boot.)
set -u
UK_TEST=kvm
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "SKIP kvm-paravirt: /dev/kvm not usable"
    exit 0
fi
log=$T_TMP/log
timeout 120 qemu-system-x86_64 -accel kvm -cpu host -M q35 -m 128 -display none -monitor none \
    -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4 \
    -kernel "$UK_GUESTS/probe.elf" -append "sleep 100" </dev/null >"$log" 2>&1
rc=$?
tr -d '\r' <"$log" >"$log.1"
# A QEMU that cannot start with KVM on this host (e.g. "failed to set MSR 0x10a" on a KVM that
# emulates the CPU, then an abort) ends with its own error before the guest prints anything: SKIP.
# (A guest that breaks prints nothing either, but QEMU then has no error of its own: FAIL below.)
if ! grep -qE '^(info|sleep): ' "$log.1" && grep -q '^qemu-system-x86_64: ' "$log.1"; then
    echo "SKIP kvm-paravirt: QEMU cannot start with KVM here (status $rc): $(grep -m1 '^qemu-system-x86_64: ' "$log.1")"
    exit 0
fi
if uk_expect kvm-paravirt "$log.1" '^info: boot=pvh platform=qemu-kvm tsc=kvmclock tsc_hz=[0-9]+ timer=tsc-deadline x2apic=1$' \
    '^sleep: asked=100ms guest_elapsed_us=1[0-9]{5} halts=[1-9][0-9]* interrupts=[1-9][0-9]* timer=tsc-deadline$'; then
    [ "$rc" -eq 1 ] && echo "PASS kvm-paravirt" || echo "FAIL kvm-paravirt: QEMU status $rc, expected 1 (guest status 0)"
fi
