# tests/unikernel/lib.sh — sourced by the unikernel tests: find the guests, boot them under QEMU TCG.
#
# uk_setup                 sets UK_GUESTS (folder of the guest ELFs) and UK_OUTDIR (its build folder)
#                          or prints SKIP and exits (UK_NO_QEMU=1: the test needs no QEMU, and a
#                          folder with only guests-hv/ will do)
# uk_boot LOG ARGS...      boots with QEMU (TCG, isa-debug-exit, serial on stdout into LOG);
#                          sets UK_RC (QEMU's status) and UK_STATUS (the guest's 0..255, read
#                          from its "jeos-status N" line on COM2, or 0..127 from isa-debug-exit
#                          alone; -1 without either)
# uk_pvh LOG ELF CMDLINE   uk_boot with -kernel ELF -append CMDLINE (the PVH entry)
# UK_CONSOLE=bytes         uk_boot undoes only the console's \n -> \r\n (bytes a program wrote,
#                          binary data too), instead of removing every \r

UK_TIMEOUT=${UK_TIMEOUT:-60}

uk_setup() {
    local d t best=0
    UK_GUESTS=
    # the freshest of the sanitizer and the plain build folders (the guests are the same code)
    for d in "${JEOS_SAN_OUT:-out/san}" "${JEOS_OUT:-out}"; do
        case $d in /*) ;; *) d=$JEOS_SRC/$d ;; esac
        [ -f "$d/unikernel/guests/hello.elf" ] ||
            { [ "${UK_NO_QEMU:-0}" = 1 ] && [ -f "$d/unikernel/guests-hv/hello.elf" ]; } || continue
        t=$(find "$d/unikernel/guests" "$d/unikernel/guests-hv" -name '*.elf' -printf '%T@\n' 2>/dev/null |
            sort -n | tail -n 1)
        t=${t%.*}
        if [ -z "$UK_GUESTS" ] || [ "${t:-0}" -gt "$best" ]; then
            UK_GUESTS=$d/unikernel/guests
            UK_OUTDIR=$d
            best=${t:-0}
        fi
    done
    if [ -z "$UK_GUESTS" ]; then
        echo "SKIP ${UK_TEST:-unikernel}: guests not built (run make)"
        exit 0
    fi
    if [ "${UK_NO_QEMU:-0}" != 1 ] && ! command -v qemu-system-x86_64 >/dev/null; then
        echo "SKIP ${UK_TEST:-unikernel}: qemu-system-x86_64 not installed (make deps)"
        exit 0
    fi
}

uk_boot() {
    local log=$1
    shift
    timeout "$UK_TIMEOUT" qemu-system-x86_64 -accel tcg -m 128 -display none -monitor none \
        -serial stdio -serial "file:$log.status" -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=4 "$@" </dev/null >"$log" 2>&1
    UK_RC=$?
    # isa-debug-exit: QEMU exits with (status << 1) | 1; the whole status (0..255) is on COM2
    local full
    full=$(sed -n 's/^jeos-status \([0-9]*\)\r*$/\1/p' "$log.status" 2>/dev/null | tail -n 1)
    rm -f "$log.status"
    if [ $((UK_RC % 2)) -eq 1 ] && [ "$UK_RC" -lt 256 ]; then
        UK_STATUS=$(((UK_RC - 1) / 2))
        [ -n "$full" ] && [ $((full % 128)) -eq "$UK_STATUS" ] && UK_STATUS=$full
    else
        UK_STATUS=-1
    fi
    if [ "${UK_CONSOLE:-}" = bytes ]; then
        python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); open(sys.argv[1], "wb").write(d.replace(b"\r\n", b"\n"))' "$log"
    else
        tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
    fi
}

uk_pvh() {
    local log=$1 elf=$2 cmdline=$3
    uk_boot "$log" -M q35 -kernel "$elf" -append "$cmdline"
}

# uk_expect NAME LOG PATTERN...: FAIL NAME unless every extended regex occurs in LOG; returns 1 then.
uk_expect() {
    local name=$1 log=$2 pat
    shift 2
    for pat in "$@"; do
        if ! grep -aqE -- "$pat" "$log"; then
            echo "FAIL $name: output lacks /$pat/; output was:"
            sed 's/^/    /' "$log" | tail -n 30
            return 1
        fi
    done
    return 0
}
