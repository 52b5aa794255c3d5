#!/bin/sh
# unikernel/tools/ksyms.sh — turns `nm -n` output of a first link into the .ksyms assembly table.
# usage: nm -n --defined-only kernel.pass1 | ksyms.sh > ksyms.S   (empty input gives an empty table)
awk '
$2 ~ /^[tTwW]$/ && $3 !~ /^\./ { addr[n] = $1; name[n] = $3; n++ }
END {
    print "\t.section .ksyms, \"a\""
    print "\t.balign 8"
    print "\t.globl ksyms_table"
    print "ksyms_table:"
    printf "\t.quad %d\n", n
    for (i = 0; i < n; i++)
        printf "\t.quad 0x%s, .Lksym%d\n", addr[i], i
    for (i = 0; i < n; i++)
        printf ".Lksym%d:\t.asciz \"%s\"\n", i, name[i]
    print "\t.section .note.GNU-stack, \"\", @progbits"
}'
