#!/bin/bash
# reproducible_test.sh — the same recipe and lock give the same bytes without SOURCE_DATE_EPOCH
# too: an appliance (the test's own repository, testrepo.sh) and a unikernel, each built twice
# with the clock days apart (faketime), compared in every format.
set -u
: "${JEOS_SRC:?}" "${T_TMP:?}"
cd "$JEOS_SRC"
W=$T_TMP
# the plain build: libfaketime is preloaded, which the sanitizer runtime refuses
JEOS_PLAIN=$JEOS_SRC/${JEOS_OUT:-out}/jeos
for t in faketime dpkg-deb dpkg-scanpackages gpg xz python3 qemu-img; do
    command -v $t >/dev/null || { echo "SKIP reproducible_appliance: $t not installed (make deps)"; echo "SKIP reproducible_unikernel: $t not installed (make deps)"; echo "SKIP resolve_closure: $t not installed (make deps)"; exit 0; }
done
[ -x "$JEOS_PLAIN" ] || { echo "SKIP reproducible_appliance: no plain jeos ($JEOS_PLAIN)"; echo "SKIP reproducible_unikernel: no plain jeos"; echo "SKIP resolve_closure: no plain jeos"; exit 0; }
unset SOURCE_DATE_EPOCH
. tests/build/testrepo.sh
testrepo_make "$W/tr"
testrepo_serve ok
trap 'testrepo_stop' EXIT
export JEOS_CACHE=$W/cache JEOS_INIT=$JEOS_SRC/${JEOS_OUT:-out}/jeos-init
R=$W/tr/r/jt.yaml
testrepo_recipe "$R"
"$JEOS_PLAIN" -q resolve "$R" >/dev/null 2>"$W/resolve.log" || { cat "$W/resolve.log"; echo "FAIL reproducible_appliance: resolve"; }
# jeos resolve checks the closure as the build does: jt-app is a #!/bin/sh script its service
# runs, so the lock holds dash with that reason (and --locked builds from it); --no-closure does not
if grep -A12 '^Package: dash$' "$R.lock" | grep -qx 'Why: interpreter /bin/sh of /usr/bin/jt-app (jt-app)' &&
    "$JEOS_PLAIN" -q resolve --no-closure --no-lock "$R" 2>&1 | grep -q '^3 packages' &&
    ! "$JEOS_PLAIN" -q resolve --no-closure --no-lock "$R" 2>&1 | grep -q '^dash '; then
    echo "PASS resolve_closure (the lock holds dash for /usr/bin/jt-app's #!/bin/sh; --no-closure leaves it out)"
else
    echo "FAIL resolve_closure: lock: $(grep -A12 '^Package: dash$' "$R.lock" | tr '\n' ' ')"
fi

mkdir -p "$W/uk/hello"
cp recipes/hello/hello.c "$W/uk/hello/"
sed 's/^image: .*/image: {formats: [elf, raw, qcow2, vmdk, vhd, ova, gce, oci, openstack]}/' recipes/hello.yaml >"$W/uk/hello.yaml"

# compare NAME: both builds' files, every one the same (the report's timings aside)
compare() {
    local name=$1 a=$W/a/$2 b=$W/b/$2 differ="" n=0
    for f in $(cd "$a" && find . -type f ! -name build-report.txt | sort); do
        n=$((n + 1))
        cmp -s "$a/$f" "$b/$f" || differ+=" ${f#./}"
    done
    [ "$n" -gt 0 ] && [ -z "$differ" ] &&
        echo "PASS reproducible_$name (no SOURCE_DATE_EPOCH, clocks 4 days apart: $n files the same: $(cd "$a" && ls | tr '\n' ' '))" ||
        echo "FAIL reproducible_$name: differ:$differ ($n files)"
}
for side in a b; do
    shift_by=+0
    [ $side = b ] && shift_by=+4d
    faketime -f "$shift_by" "$JEOS_PLAIN" -q build --locked -o "$W/$side" "$R" >"$W/$side.log" 2>&1 ||
        { cat "$W/$side.log"; echo "FAIL reproducible_appliance: build $side"; }
    faketime -f "$shift_by" "$JEOS_PLAIN" -q build -o "$W/$side" "$W/uk/hello.yaml" >>"$W/$side.log" 2>&1 ||
        { cat "$W/$side.log"; echo "FAIL reproducible_unikernel: build $side"; }
done
compare appliance jt
compare unikernel hello
