# tests/hypervisor/nested/lib.sh — sourced on the host: the nested L1 (a jeos appliance booted with
# qemu-system-x86_64 -accel tcg -cpu qemu64,+svm,+npt, whose kvm_amd runs jeos-hv on emulated AMD-V
# with nested paging). Used by tests/hypervisor/nested_test.sh and tests/bench/hv_nested_bench.sh.
#
# nested_check                 why the L1 cannot be built or booted here (empty when it can)
# nested_payload DIR PLAN...   stages DIR/payload: jeos-hv, its guests, the scripts of PLAN (paths
#                              under tests/; "=PATH": its lines are relayed as they are, not renamed
#                              nested-NAME) and the driver; more files may be added to DIR/payload
#                              before nested_image
# nested_elfs OUT RECIPE...     jeos build of each unikernel recipe into OUT (a fixed
#                              SOURCE_DATE_EPOCH: the same bytes each run); returns 1 with the
#                              reason in NESTED_WHY
# nested_image DIR NAME [PKGS] builds the L1 disk NAME from DIR (l1.yaml + payload, PKGS added to
#                              its packages) or takes it from the cache; sets NESTED_IMG, NESTED_CACHED
#                              (1 when reused), NESTED_BUILD_S; returns 1 with the reason in
#                              NESTED_WHY
# nested_boot IMG DIR [DISK]   boots IMG (snapshot: nothing written back); DIR/results is what the
#                              L1's tests printed (second serial port), DIR/console its console;
#                              DISK, a raw file, is the L1's /dev/vdb, read-write; sets NESTED_RC
#                              (QEMU's status) and NESTED_BOOT_S
#
# The cache: $NESTED_CACHE (default $JEOS_OUT/nested) keeps the last L1 disk of each NAME, named by the sha256
# of everything it is made from: the recipe, its lock (the exact package versions resolved from
# the mirror now), every payload file (names, modes, bytes), the jeos and jeos-init binaries. Any
# change to one of those builds a new disk; nothing else is reused.

NESTED_DIR=$JEOS_SRC/tests/hypervisor/nested
NESTED_OUT=$JEOS_SRC/${JEOS_OUT:-out}
case ${JEOS_OUT:-out} in /*) NESTED_OUT=$JEOS_OUT ;; esac
NESTED_CACHE=${NESTED_CACHE:-$NESTED_OUT/nested}
NESTED_TIMEOUT=${NESTED_TIMEOUT:-300}
NESTED_MEM=${NESTED_MEM:-1024}

. "$JEOS_SRC/tests/hypervisor/tcg_svm.sh"

nested_check() {
    local why
    why=$(tcg_svm_check "$NESTED_OUT")
    [ -z "$why" ] || { echo "$why"; return; }
    [ -x "$NESTED_OUT/jeos-hv" ] && [ -f "$NESTED_OUT/hv-guests/hello.elf" ] ||
        echo "$NESTED_OUT/jeos-hv or its guests not built (make)"
}

nested_payload() { # dir, scripts under tests/ (relative to JEOS_SRC)...
    local d=$1/payload s
    shift
    mkdir -p "$d/out/unikernel" "$d/src/tests/hypervisor/nested" "$d/elf"
    cp "$NESTED_OUT/jeos-hv" "$d/out/"
    cp -r "$NESTED_OUT/hv-guests" "$d/out/"
    [ -d "$NESTED_OUT/unikernel/guests-hv" ] && cp -r "$NESTED_OUT/unikernel/guests-hv" "$d/out/unikernel/"
    mkdir -p "$d/out/unikernel/guests" # the PVH probe for kvm_test.sh under the L1's QEMU
    cp "$NESTED_OUT"/unikernel/guests/{hello,probe}.elf "$d/out/unikernel/guests/" 2>/dev/null
    cp "$NESTED_DIR/driver.sh" "$d/"
    : >"$d/plan"
    for s in "$@"; do
        echo "$s" >>"$d/plan"
        s=${s#=}
        mkdir -p "$d/src/$(dirname "$s")"
        cp "$JEOS_SRC/$s" "$d/src/$s"
    done
    cp "$JEOS_SRC/tests/unikernel/lib.sh" "$d/src/tests/unikernel/lib.sh" 2>/dev/null
    return 0
}

nested_elfs() { # out, recipes...
    local o=$1 r
    shift
    for r in "$@"; do
        if ! SOURCE_DATE_EPOCH=1700000000 "$JEOS" -q build -o "$o" "$r" >"$o.log" 2>&1; then
            NESTED_WHY="jeos build $r: $(tail -n 5 "$o.log" | tr '\n' ' ')"
            return 1
        fi
    done
}

# the cache key: one sha256 over the inputs listed above (file names sorted, modes and contents)
nested_key() { # dir
    (
        cd "$1" || exit 1
        cat l1.yaml l1.yaml.lock
        find payload -type f -printf '%p %m\n' | LC_ALL=C sort
        find payload -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
        sha256sum "$JEOS" "$NESTED_OUT/jeos-init" | cut -d' ' -f1
    ) | sha256sum | cut -c1-24
}

nested_image() { # dir, name, [extra packages]
    local d=$1 name=$2 extra=${3:-} t0=$SECONDS key
    NESTED_CACHED=0 NESTED_WHY= NESTED_IMG=
    sed "s/^packages: \[\(.*\)\]$/packages: [\1${extra:+, $extra}]/" "$NESTED_DIR/l1.yaml" >"$d/l1.yaml"
    export JEOS_INIT=$NESTED_OUT/jeos-init
    if ! (cd "$d" && "$JEOS" -q resolve l1.yaml) >"$d/resolve.log" 2>&1; then
        NESTED_WHY="jeos resolve l1.yaml failed: $(tail -n 3 "$d/resolve.log" | tr '\n' ' ')"
        grep -qiE "could not resolve|connect|network is unreachable|timed out" "$d/resolve.log" &&
            NESTED_WHY="the Debian mirror is unreachable: $(tail -n 1 "$d/resolve.log")"
        return 1
    fi
    key=$(nested_key "$d") || return 1
    NESTED_IMG=$NESTED_CACHE/$name-$key.raw
    if [ -s "$NESTED_IMG" ]; then
        NESTED_CACHED=1
    else
        if ! (cd "$d" && SOURCE_DATE_EPOCH=1700000000 "$JEOS" -q build --locked -o "$d/build" l1.yaml) \
            >"$d/build.log" 2>&1; then
            NESTED_WHY="jeos build of the L1 failed: $(tail -n 5 "$d/build.log" | tr '\n' ' ')"
            return 1
        fi
        mkdir -p "$NESTED_CACHE"
        rm -f "$NESTED_CACHE/$name"-*.raw
        mv "$d/build/hvnest/hvnest.raw" "$NESTED_IMG.tmp$$" && mv "$NESTED_IMG.tmp$$" "$NESTED_IMG"
    fi
    NESTED_BUILD_S=$((SECONDS - t0))
    return 0
}

nested_boot() { # image, dir, [disk]
    local img=$1 d=$2 t0=$SECONDS disk=()
    [ -n "${3:-}" ] && disk=(-drive "file=$3,format=raw,if=virtio")
    : >"$d/results.raw"
    timeout "$NESTED_TIMEOUT" qemu-system-x86_64 -accel tcg -cpu qemu64,+svm,+npt -m "$NESTED_MEM" \
        -smp 1 -display none -monitor none -no-reboot -nodefaults \
        -serial "file:$d/console.raw" -serial "file:$d/results.raw" \
        -drive "file=$img,format=raw,if=virtio,snapshot=on" "${disk[@]}" </dev/null >"$d/qemu.log" 2>&1
    NESTED_RC=$?
    NESTED_BOOT_S=$((SECONDS - t0))
    tr -d '\r' <"$d/results.raw" >"$d/results"
    tr -d '\r' <"$d/console.raw" >"$d/console"
}
