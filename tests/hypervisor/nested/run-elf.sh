#!/bin/bash
# run-elf.sh — runs one jeos-hv unikernel in the nested L1 (real AMD-V with NPT, emulated), for a
# host whose /dev/kvm cannot run it: run-elf.sh [JEOS-HV OPTIONS] APP-hv.elf [GUEST ARGS...].
# Prints what the guest and jeos-hv print and exits with jeos-hv's status (the guest's); 125
# when the L1 cannot be built or did not report a status. What `jeos run APP-hv.elf` does on such
# a host is meant to be this (hypervisor/README.md). Needs JEOS (the jeos binary) and the build
# folder JEOS_OUT (jeos-hv, jeos-init) as in the tests.
set -u
JEOS_SRC=${JEOS_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}
: "${JEOS:=$JEOS_SRC/${JEOS_OUT:-out}/jeos}"
. "$JEOS_SRC/tests/hypervisor/nested/lib.sh"
opts=()
while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do
    case $1 in
    --mem | --timeout | --cpus) opts+=("$1" "$2"); shift 2 ;;
    *) opts+=("$1"); shift ;;
    esac
done
[ $# -ge 1 ] || { echo "usage: run-elf.sh [JEOS-HV OPTIONS] APP-hv.elf [ARGS...]" >&2; exit 125; }
elf=$1
shift
why=$(nested_check)
[ -z "$why" ] || { echo "run-elf.sh: cannot run the nested L1: $why" >&2; exit 125; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
nested_payload "$W/l1" =tests/hypervisor/nested/one.sh
cp "$elf" "$W/l1/payload/elf/app.elf" || exit 125
printf '%s\n' "${opts[@]}" -- "$@" >"$W/l1/payload/elf/run.args"
if ! nested_image "$W/l1" run; then
    echo "run-elf.sh: $NESTED_WHY" >&2
    exit 125
fi
nested_boot "$NESTED_IMG" "$W"
grep -v -e '^nested: ' -e '^PASS nested-l1-kvm' -e '^FAIL nested-l1-kvm' "$W/results"
grep '^FAIL nested-l1-kvm' "$W/results" >&2
st=$(sed -n 's/^nested: status \([0-9]*\)$/\1/p' "$W/results")
if [ -z "$st" ]; then
    echo "run-elf.sh: the L1 reported no status (QEMU status $NESTED_RC); console:" >&2
    tail -n 15 "$W/console" >&2
    exit 125
fi
exit "$st"
