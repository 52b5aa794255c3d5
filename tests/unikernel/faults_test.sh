#!/bin/bash
# tests/unikernel/faults_test.sh — small guests that fault: each must print one readable report
# (vector name, error code, faulting address, registers, symbolic backtrace) and end with status 112.
set -u
UK_TEST=faults
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
elf=$UK_GUESTS/probe.elf
FAULT_STATUS=112

# name, command line, then the patterns the report must contain
check() {
    local name=$1 cmdline=$2 log=$T_TMP/$1.log
    shift 2
    uk_pvh "$log" "$elf" "$cmdline"
    uk_expect "$name" "$log" "$@" \
        '^  rax [0-9a-f]{16}  rbx [0-9a-f]{16}' '^  r12 [0-9a-f]{16}' '^backtrace:$' \
        "^\*\*\* guest ends with status $FAULT_STATUS$" || return
    local reports
    reports=$(grep -c '^\*\*\* CPU exception' "$log")
    if [ "$reports" -ne 1 ]; then
        echo "FAIL $name: $reports exception reports, expected exactly 1"
    elif [ "$UK_STATUS" -ne "$FAULT_STATUS" ]; then
        echo "FAIL $name: guest status $UK_STATUS (QEMU $UK_RC), expected $FAULT_STATUS"
    else
        echo "PASS $name"
    fi
}

check null-deref "null" \
    '^\*\*\* CPU exception: #PF page fault \(vector 14\), error code 0x0$' \
    'faulting address \(CR2\) 0x0000000000000000: not-present page on read' \
    'NULL pointer dereference' '^  #0  0x[0-9a-f]+ <main\+0x[0-9a-f]+>$' '<kernel_boot\+'
check write-text "write-text" \
    '#PF page fault \(vector 14\), error code 0x3$' 'protection violation on write' \
    'write to read-only kernel text' '^  #0  0x[0-9a-f]+ <main\+'
check exec-heap "exec-heap" \
    '#PF page fault \(vector 14\), error code 0x11$' 'instruction fetch' \
    'execution from a non-executable page' '^  #1  0x[0-9a-f]+ <main\+'
check stack-overflow "stack-overflow" \
    '#PF page fault \(vector 14\), error code 0x2$' \
    'stack overflow: the access hit the guard page under the main stack' \
    '^  #0  0x[0-9a-f]+ <deep\+' 'the frame above repeated [0-9]+ more times'
check divide-by-zero "div0" \
    '^\*\*\* CPU exception: #DE divide error \(vector 0\)' '^  #0  0x[0-9a-f]+ <main\+'
check invalid-opcode "ud2" \
    '^\*\*\* CPU exception: #UD invalid opcode \(vector 6\)' '^  #0  0x[0-9a-f]+ <main\+'
