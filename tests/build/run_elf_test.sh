#!/bin/bash
# run_elf_test.sh — `jeos run APP.elf`: recipes/hello.yaml's NAME.elf runs under QEMU (PVH) and
# NAME-hv.elf under jeos-hv, and the guest's exit status comes through both ways (hello exits 0,
# a copy returning 7 exits 7). Where this host's KVM emulates the CPU without SSE (musl's printf
# uses it), the jeos-hv case runs the same two programs written with write(2) instead (the printf
# ones run on nested AMD-V in tests/hypervisor/nested_test.sh: nested-run_elf_hv).
set -u
: "${JEOS_SRC:?}" "${T_TMP:?}" "${JEOS:?}"
cd "$JEOS_SRC"
W=$T_TMP
# The kit built beside the jeos under test (make check builds only the sanitizer tree).
KIT=$(dirname "$JEOS")/unikernel/kit
export JEOS_UK_KIT=$KIT
# jeos run finds the sanitizer-built jeos-hv beside the sanitizer-built jeos (its leak checker
# runs at exit outside the seccomp filter: hypervisor/README.md).
mkdir -p "$W/r/hello"
cp recipes/hello.yaml "$W/r/" && cp recipes/hello/hello.c "$W/r/hello/"
sed 's/^name: hello/name: seven/' recipes/hello.yaml >"$W/r/seven.yaml"
sed 's/return 0;/return 7;/' recipes/hello/hello.c >"$W/r/hello/hello.c.7" && mv "$W/r/hello/hello.c.7" "$W/r/hello/seven.c"
sed -i 's|sources: \[hello/hello.c\]|sources: [hello/seven.c]|' "$W/r/seven.yaml"
for n in 0 7; do
    sed "s/^name: hello/name: plain$n/; s|sources: \[hello/hello.c\]|sources: [hello/plain$n.c]|" recipes/hello.yaml >"$W/r/plain$n.yaml"
    printf '#include <unistd.h>\nint main(void)\n{\n    write(1, "Hello from a jeos unikernel\\n", 28);\n    return %d;\n}\n' $n >"$W/r/hello/plain$n.c"
done
printf '#include <unistd.h>\nint main(void)\n{\n    write(1, "sleeping\\n", 9);\n    for (;;)\n        sleep(1);\n}\n' >"$W/r/hello/sleeper.c"
sed "s/^name: hello/name: sleeper/; s|sources: \[hello/hello.c\]|sources: [hello/sleeper.c]|" recipes/hello.yaml >"$W/r/sleeper.yaml"
for r in hello seven plain0 plain7 sleeper; do
    if ! "$JEOS" build -o "$W/out" "$W/r/$r.yaml" >"$W/build-$r.log" 2>&1; then
        cat "$W/build-$r.log"
        echo "FAIL run_elf_hv: jeos build $r.yaml"; echo "FAIL run_elf_qemu: jeos build $r.yaml"; exit 1
    fi
done
# run NAME ELF WANT_STATUS WANT_LOG_PATTERN
check() { # test elf status pattern [accel]
    local test=$1 elf=$2 want=$3 pat=$4 accel=${5:-tcg} rc
    timeout 120 "$JEOS" -v run --accel "$accel" "$elf" >"$W/$test.out" 2>"$W/$test.err" </dev/null
    rc=$?
    if [ $rc = "$want" ] && grep -q "Hello from a jeos unikernel" "$W/$test.out" && grep -q "$pat" "$W/$test.err"; then
        return 0
    fi
    cat "$W/$test.out" "$W/$test.err" | tail -8
    echo "FAIL $test: $(basename "$elf") exit $rc (want $want), or no \"$pat\""
    return 1
}
if command -v qemu-system-x86_64 >/dev/null; then
    check run_elf_qemu "$W/out/hello/hello.elf" 0 "under QEMU (PVH" &&
    check run_elf_qemu "$W/out/seven/seven.elf" 7 "under QEMU (PVH" &&
    echo "PASS run_elf_qemu (hello.elf under QEMU PVH: exit 0; seven.elf: exit 7)"
else
    echo "SKIP run_elf_qemu: qemu-system-x86_64 not installed"
fi
# A jeos run killed with SIGKILL takes its QEMU with it (no guest left running on its own).
if command -v qemu-system-x86_64 >/dev/null; then
    "$JEOS" run --accel tcg "$W/out/sleeper/sleeper.elf" >"$W/sleeper.out" 2>&1 </dev/null &
    jpid=$!
    qpid=
    for _ in $(seq 1 100); do
        qpid=$(pgrep -P $jpid -f qemu-system-x86_64 | head -1)
        [ -n "$qpid" ] && grep -q sleeping "$W/sleeper.out" && break
        sleep 0.1
    done
    kill -KILL $jpid; wait $jpid 2>/dev/null
    gone=0
    for _ in $(seq 1 50); do
        if [ -z "$qpid" ] || ! kill -0 "$qpid" 2>/dev/null || [ "$(ps -o stat= -p "$qpid")" = Z ]; then gone=1; break; fi
        sleep 0.1
    done
    if [ -n "$qpid" ] && [ $gone = 1 ]; then
        echo "PASS run_tied_to_jeos (QEMU $qpid ended after jeos run was killed with SIGKILL)"
    else
        [ -n "$qpid" ] && kill -KILL "$qpid" 2>/dev/null
        cat "$W/sleeper.out" | tail -5
        echo "FAIL run_tied_to_jeos: QEMU ${qpid:-(never started)} outlived a killed jeos run"
    fi
fi
if [ -w /dev/kvm ]; then
    # --accel kvm: jeos-hv on this host's /dev/kvm, even one that emulates the CPU
    "$JEOS" run --accel kvm "$W/out/hello/hello-hv.elf" >/dev/null 2>"$W/probe.err" </dev/null
    if grep -q "KVM internal error" "$W/probe.err"; then
        a=plain0 b=plain7 how="written with write(2): this host's KVM cannot run musl's SSE printf"
    else
        a=hello b=seven how="printf"
    fi
    check run_elf_hv "$W/out/$a/$a-hv.elf" 0 "^jeos-hv: " kvm &&
    check run_elf_hv "$W/out/$b/$b-hv.elf" 7 "^jeos-hv: " kvm &&
    echo "PASS run_elf_hv ($a-hv.elf under jeos-hv: exit 0; $b-hv.elf: exit 7; $how)"
else
    echo "SKIP run_elf_hv: no writable /dev/kvm"
fi

# Where this host's KVM has no VT-x or AMD-V, `jeos run APP-hv.elf` runs it in the nested L1
# (tests/hypervisor/nested/run-elf.sh, which nested_test.sh runs for real); here a stand-in runner
# shows the choice and what it is given: the ELF, --mem, and the guest's status coming back.
# With hardware KVM the stand-in must not be called; --accel kvm always runs jeos-hv here.
printf '#!/bin/sh\necho "$@" >"%s/nested.args"\nexit 7\n' "$W" >"$W/fake-run.sh"
chmod +x "$W/fake-run.sh"
rm -f "$W/nested.args"
JEOS_NESTED_RUN=$W/fake-run.sh "$JEOS" run --memory 64M "$W/out/plain0/plain0-hv.elf" \
    >"$W/nested.out" 2>"$W/nested.err" </dev/null
rc=$?
if [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
    [ $rc = 0 ] && [ ! -e "$W/nested.args" ] &&
        echo "PASS run_elf_nested_choice (hardware KVM: jeos-hv here, no nested L1)" ||
        echo "FAIL run_elf_nested_choice: exit $rc, runner called with: $(cat "$W/nested.args" 2>/dev/null)"
elif [ $rc = 7 ] && [ "$(cat "$W/nested.args" 2>/dev/null)" = "--mem 64M $W/out/plain0/plain0-hv.elf" ] &&
     grep -q "running .*plain0-hv.elf under jeos-hv in a nested L1" "$W/nested.err"; then
    rm -f "$W/nested.args"
    JEOS_NESTED_RUN=$W/fake-run.sh "$JEOS" run --accel kvm "$W/out/plain0/plain0-hv.elf" >/dev/null 2>&1 </dev/null
    [ ! -e "$W/nested.args" ] &&
        echo "PASS run_elf_nested_choice (no hardware KVM: the nested runner got --mem 64M and the ELF, its status 7 came back; --accel kvm ran jeos-hv here)" ||
        echo "FAIL run_elf_nested_choice: --accel kvm still went nested"
else
    cat "$W/nested.err" | tail -3
    echo "FAIL run_elf_nested_choice: exit $rc, runner got: $(cat "$W/nested.args" 2>/dev/null)"
fi
exit 0
