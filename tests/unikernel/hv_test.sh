#!/bin/bash
# tests/unikernel/hv_test.sh — the same kernel through the jeos-hv entry (e_entry, 64-bit, RDI = boot
# info), linked with platform hv: hello and its status, time from the boot info, the TSC-deadline
# timer with hlt, a fault report. jeos-hv exits with the guest's status as is.
set -u
UK_TEST=hv
UK_NO_QEMU=1
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
hv=$UK_OUTDIR/jeos-hv
guests=$UK_OUTDIR/unikernel/guests-hv
if [ ! -x "$hv" ]; then
    echo "SKIP hv-entry: $hv not built"
    exit 0
fi
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "SKIP hv-entry: /dev/kvm not usable"
    exit 0
fi
log=$T_TMP/log

# run NAME ARGS...: runs jeos-hv, output in $log (stderr apart), status in rc
run() {
    timeout 60 "$hv" "$@" </dev/null >"$log" 2>"$log.err"
    rc=$?
}

run "$guests/hello.elf" 42
if uk_expect hv-hello "$log" '^Hello from the jeos unikernel \(boot: jeos-hv\)$'; then
    [ "$rc" -eq 42 ] && echo "PASS hv-hello" || echo "FAIL hv-hello: status $rc, expected 42"
fi

run "$guests/probe.elf" sleep 100
if uk_expect hv-sleep "$log" '^info: boot=jeos-hv platform=hv tsc=boot info tsc_hz=[0-9]+ timer=' \
    '^sleep: asked=100ms guest_elapsed_us=1[0-9]{5} halts=[1-9][0-9]* interrupts=[1-9][0-9]*'; then
    [ "$rc" -eq 0 ] && echo "PASS hv-sleep" || echo "FAIL hv-sleep: status $rc"
fi

run "$guests/probe.elf" wall
if uk_expect hv-wall-clock "$log" '^wall: [0-9]+$'; then
    diff=$(($(date +%s) - $(sed -n 's/^wall: //p' "$log")))
    [ "${diff#-}" -le 60 ] && echo "PASS hv-wall-clock" || echo "FAIL hv-wall-clock: off by $diff s"
fi

run "$guests/probe.elf" null
if uk_expect hv-fault "$log" '#PF page fault \(vector 14\)' 'NULL pointer dereference' \
    '^  #0  0x[0-9a-f]+ <main\+' '^\*\*\* guest ends with status 112$'; then
    [ "$rc" -eq 112 ] && echo "PASS hv-fault" || echo "FAIL hv-fault: status $rc, expected 112"
fi
