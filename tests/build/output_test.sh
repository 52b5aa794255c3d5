#!/bin/bash
# output_test.sh — the output tail both build kinds share (builder/output): a build that fails at
# any stage (JEOS_FAULT=STAGE) leaves the previous output byte for byte as it was and no staging
# folder; into an empty output folder it leaves nothing; a build that succeeds replaces the whole
# folder (a file of an earlier build with other formats does not stay).
set -u
: "${JEOS_SRC:?}" "${T_TMP:?}" "${JEOS:?}"
cd "$JEOS_SRC"
W=$T_TMP
export SOURCE_DATE_EPOCH=1700000000
listing() { (cd "$1" && find . -type f | sort | xargs -r sha256sum); }

# every point: the previous output unchanged, nothing new, the message naming the point
faults() { # kind, out, recipe, points...
    local kind=$1 out=$2 recipe=$3; shift 3
    local name; name=$(basename "$recipe" .yaml)
    local before; before=$(listing "$out/$name")
    local errs="" p
    for p in "$@"; do
        if JEOS_FAULT=$p "$JEOS" build -o "$out" "$recipe" >"$W/f.log" 2>&1; then
            errs+="$p: built; "
            continue
        fi
        grep -q "JEOS_FAULT=$p: the build fails here, as asked" "$W/f.log" || errs+="$p: message: $(tail -1 "$W/f.log"); "
        [ "$(listing "$out/$name")" = "$before" ] || errs+="$p: previous output changed; "
        [ "$(ls -A "$out")" = "$name" ] || errs+="$p: left $(ls -A "$out" | tr '\n' ' '); "
    done
    # into an empty folder: nothing at all
    if JEOS_FAULT=commit "$JEOS" build -o "$W/empty-$kind" "$recipe" >"$W/e.log" 2>&1 ||
       [ -n "$(ls -A "$W/empty-$kind" 2>/dev/null)" ]; then
        errs+="empty folder: $(ls -A "$W/empty-$kind" 2>/dev/null | tr '\n' ' '); "
    fi
    [ -z "$errs" ] && echo "PASS output_${kind}_faults (failed at $*: previous output unchanged, no staging folder left)" \
        || echo "FAIL output_${kind}_faults: $errs"
}

# ---- unikernel: hello with a disk and two formats ----
U=$W/uk
mkdir -p "$U"
cp -r recipes/hello recipes/hello.yaml "$U/"
sed -i 's/^image: .*/image: {formats: [elf, raw, qcow2, oci]}/' "$U/hello.yaml"
if ! "$JEOS" build -o "$U/out" "$U/hello.yaml" >"$W/u.log" 2>&1; then
    echo "FAIL output_unikernel_faults: the first build failed: $(tail -3 "$W/u.log")"
else
    faults unikernel "$U/out" "$U/hello.yaml" compile link-qemu-kvm link-hv link-xen disk formats commit
    # a later build with fewer formats: the folder is the new build's, nothing of the old left
    sed -i 's/^image: .*/image: {formats: [elf]}/' "$U/hello.yaml"
    if "$JEOS" build -o "$U/out" "$U/hello.yaml" >"$W/u2.log" 2>&1 &&
       [ "$(ls "$U/out/hello" | tr '\n' ' ')" = "hello-hv.elf hello-xen.cfg hello-xen.elf hello.elf hello.spdx.json " ] && [ "$(ls -A "$U/out")" = hello ]; then
        echo "PASS output_replaced_whole (elf only after elf, raw, qcow2, oci: $(ls "$U/out/hello" | tr '\n' ' '))"
    else
        echo "FAIL output_replaced_whole: $(ls -A "$U/out" "$U/out/hello" | tr '\n' ' ') $(tail -2 "$W/u2.log")"
    fi
fi

# ---- appliance: nginx, from the cache the host already has (SKIP when the mirror is out of
#      reach and the cache is empty) ----
A=$W/app
mkdir -p "$A/cache"
cp -r recipes/nginx recipes/nginx.yaml "$A/"
HOSTCACHE=${JEOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jeos}
for d in dists sha256 kernel; do [ -d "$HOSTCACHE/$d" ] && cp -al "$HOSTCACHE/$d" "$A/cache/"; done
export JEOS_INIT=$JEOS_SRC/${JEOS_OUT:-out}/jeos-init JEOS_CACHE=$A/cache
if ! "$JEOS" build -o "$A/out" "$A/nginx.yaml" >"$W/a.log" 2>&1; then
    if grep -qiE "could not resolve|connect|network is unreachable|timed out" "$W/a.log"; then
        echo "SKIP output_appliance_faults: the Debian mirror is unreachable"
    else
        echo "FAIL output_appliance_faults: the first build failed: $(tail -3 "$W/a.log")"
    fi
else
    faults appliance "$A/out" "$A/nginx.yaml" \
        resolve fetch kernel "root tree" rootfs initramfs disk formats commit
fi
