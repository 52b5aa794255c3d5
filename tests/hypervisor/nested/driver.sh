#!/bin/bash
# driver.sh — the L1 appliance's service (tests/hypervisor/nested/l1.yaml): checks that KVM runs on
# AMD-V with nested paging here, runs each script named in /opt/hvtest/plan with the jeos-hv build
# and guests of the payload, writes every line they print to the second serial port (the host's
# results file; verdicts renamed PASS nested-NAME ...) and powers the L1 off.
set -u
H=/opt/hvtest
R=/dev/ttyS1
stty -F "$R" raw -echo 2>/dev/null
exec 3>"$R"
say() { echo "$*" >&3; }
up() { cut -d' ' -f1 /proc/uptime; }
say "nested: L1 up at $(up) s ($(uname -r), $(nproc) CPU, $(awk '/MemTotal/ {print $2}' /proc/meminfo) KiB)"

# The L1's KVM: kvm_amd from the initramfs (the recipe's modules), /dev/kvm, AMD-V with NPT.
line=$("$H/out/jeos-hv" "$H/out/hv-guests/hello.elf" 2>&1 >/dev/null | head -n 1)
if [ ! -c /dev/kvm ]; then
    say "FAIL nested-l1-kvm: no /dev/kvm in L1; modules: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
elif [ "$line" != "jeos-hv: KVM on AMD-V with NPT" ]; then
    say "FAIL nested-l1-kvm: jeos-hv says \"$line\" (expected AMD-V with NPT)"
else
    say "PASS nested-l1-kvm (kvm_amd loaded; $line)"
fi

# Each plan line: a script under $H/src and the environment it runs with (JEOS_SRC, JEOS_OUT,
# T_TMP are set here). Scripts print PASS/FAIL/SKIP lines like tests/run.sh expects; those are
# renamed nested-NAME, except for a line "=SCRIPT", whose output goes out as it is.
while read -r script; do
    [ -n "$script" ] || continue
    rename='s/^\(PASS\|FAIL\|SKIP\) /\1 nested-/'
    [ "${script#=}" != "$script" ] && rename= script=${script#=}
    t0=$(up)
    tmp=$(mktemp -d)
    JEOS_SRC=$H/src JEOS_OUT=$H/out JEOS_SAN_OUT=$H/none T_TMP=$tmp NESTED_ELF=$H/elf \
        bash "$H/src/$script" </dev/null 2>&1 | sed -u "$rename" >&3
    rm -rf "$tmp"
    say "nested: $script took $(awk -v a="$t0" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }') s"
done <"$H/plan"
say "nested: done at $(up) s"
kill -TERM 1
