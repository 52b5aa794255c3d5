#!/bin/bash
# one.sh — in the nested L1, for run-elf.sh: jeos-hv on the payload's elf/app.elf with the options
# and guest arguments in run.args (one a line: jeos-hv options, then "--", then the guest's
# words), its output as it comes, then "nested: status N" with jeos-hv's exit status.
set -u
: "${JEOS_OUT:?}" "${NESTED_ELF:?}"
args=()
while IFS= read -r a; do args+=("$a"); done <"$NESTED_ELF/run.args"
opts=() words=() seen=0
for a in "${args[@]}"; do
    if [ $seen = 0 ] && [ "$a" = -- ]; then seen=1; elif [ $seen = 0 ]; then opts+=("$a"); else words+=("$a"); fi
done
"$JEOS_OUT/jeos-hv" "${opts[@]}" "$NESTED_ELF/app.elf" -- "${words[@]}" </dev/null 2>&1
echo "nested: status $?"
