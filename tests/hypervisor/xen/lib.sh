# tests/hypervisor/xen/lib.sh — sourced on the host: Xen 4.17 (Debian's xen-hypervisor-4.17-amd64)
# under qemu-system-x86_64 -accel tcg -cpu qemu64,+svm,+npt, its PV dom0 the jeos appliance
# dom0.yaml (Debian's linux-image-amd64, xen-utils-4.17), loaded by QEMU's multiboot loader: Xen
# as -kernel, the dom0's kernel (with the command line of its own NAME-xen.cfg, format xen) and
# initramfs as modules. The host's folder SHARE reaches the dom0 over 9p as /x; the dom0 runs
# driver.sh from there, which starts the toolstack and runs the scripts in SHARE/plan.
#
# xen_check              why Xen cannot be booted here (empty when it can)
# xen_share SHARE PLAN...  stages driver.sh and the plan's scripts (under tests/hypervisor/xen)
# xen_dom0 DIR           builds the dom0 into DIR or takes it from the cache; sets XEN_DOM0 (its
#                        folder: xendom0.raw, -vmlinuz, -initrd.img, -xen.cfg), XEN_CACHED,
#                        XEN_BUILD_S; returns 1 with the reason in XEN_WHY
# xen_boot SHARE DIR     boots Xen with the dom0 and SHARE (the dom0 disk as a snapshot: nothing
#                        written back); DIR/console is the serial console (Xen's and the dom0's
#                        lines); sets XEN_RC (QEMU's status) and XEN_BOOT_S
# xen_web_guests SHARE DIR  builds into SHARE the httpd unikernel (SHARE/httpd: httpd-xen.elf,
#                        its cfg with a vif, index.html; 10.0.0.3:8080) and the nginx appliance
#                        with format xen (SHARE/nginx; 10.0.0.2:80), both on the dom0's bridge
#                        (xenbr0, 10.0.0.1/24), working in DIR; returns 1 with the reason in
#                        XEN_WHY (XEN_SKIP=1 when the Debian mirror is unreachable)
# xen_pvh_dom0 ELF DIR    boots Xen with ELF as its PVH dom0 (no toolstack: dom0=pvh
#                        dom0-iommu=none), until Xen says the hardware domain ended ("Hardware
#                        Dom0 halted|crashed"; Xen then idles and QEMU is ended here); DIR/console
#                        is the console; sets XEN_BOOT_S
#
# The cache, $XEN_CACHE (default $JEOS_OUT/xen), keeps the last dom0, named by the sha256 of the
# recipe, its lock (the package versions resolved from the mirror now), the files of dom0/ and
# the jeos and jeos-init binaries; the tests and guests come over the share and are not in it.

XEN_DIR=$JEOS_SRC/tests/hypervisor/xen
XEN_OUT=$JEOS_SRC/${JEOS_OUT:-out}
case ${JEOS_OUT:-out} in /*) XEN_OUT=$JEOS_OUT ;; esac
XEN_CACHE=${XEN_CACHE:-$XEN_OUT/xen}
XEN_GZ=${XEN_GZ:-/boot/xen-4.17-amd64.gz}
XEN_TIMEOUT=${XEN_TIMEOUT:-600}

. "$JEOS_SRC/tests/hypervisor/tcg_svm.sh"

xen_check() {
    local why
    why=$(tcg_svm_check "$XEN_OUT")
    [ -z "$why" ] || { echo "$why"; return; }
    [ -f "$XEN_GZ" ] || echo "no $XEN_GZ (xen-hypervisor-4.17-amd64 not installed: make deps)"
}

xen_share() { # share, scripts (names under tests/hypervisor/xen)...
    local s=$1 f
    shift
    mkdir -p "$s"
    cp "$XEN_DIR/driver.sh" "$s/"
    : >"$s/plan"
    for f in "$@"; do
        cp "$XEN_DIR/$f" "$s/"
        echo "$f" >>"$s/plan"
    done
}

xen_web_guests() { # share, dir
    local s=$1 w=$2
    XEN_WHY= XEN_SKIP=0
    mkdir -p "$w/web/httpd" "$w/web/r" "$s/httpd"
    cp -r "$JEOS_SRC/recipes/httpd/httpd.c" "$JEOS_SRC/recipes/httpd/site" "$w/web/httpd/"
    sed 's/^network: .*/network: {address: 10.0.0.3\/24, gateway: 10.0.0.1}/; s/^image: .*/image: {formats: [elf]}/' \
        "$JEOS_SRC/recipes/httpd.yaml" >"$w/web/httpd.yaml"
    if ! (cd "$w/web" && SOURCE_DATE_EPOCH=1700000000 "$JEOS" -q build -o "$w/web/out" httpd.yaml) \
        >"$w/web/httpd.log" 2>&1; then
        XEN_WHY="jeos build httpd.yaml: $(tail -n 5 "$w/web/httpd.log" | tr '\n' ' ')"
        return 1
    fi
    cp "$w/web/out/httpd/httpd-xen.elf" "$w/web/out/httpd/httpd-xen.cfg" \
        "$JEOS_SRC/recipes/httpd/site/index.html" "$s/httpd/"
    cp -r "$JEOS_SRC/recipes/nginx" "$w/web/r/"
    sed -e 's/^kind: appliance$/&\nmemory: 256M/' -e 's/^network: dhcp.*/network: {address: 10.0.0.2\/24, gateway: 10.0.0.1}/' \
        -e 's/^image: .*/image: {root: squashfs, boot: [bios], formats: [raw, xen]}/' \
        "$JEOS_SRC/recipes/nginx.yaml" >"$w/web/r/nginx.yaml"
    if ! (cd "$w/web/r" && SOURCE_DATE_EPOCH=1700000000 "$JEOS" -q build -o "$s" nginx.yaml) \
        >"$w/web/nginx.log" 2>&1; then
        XEN_WHY="jeos build nginx.yaml: $(tail -n 5 "$w/web/nginx.log" | tr '\n' ' ')"
        grep -qiE "could not resolve|connect|network is unreachable|timed out" "$w/web/nginx.log" &&
            XEN_SKIP=1 XEN_WHY="the Debian mirror is unreachable: $(tail -n 1 "$w/web/nginx.log")"
        return 1
    fi
}

xen_dom0() { # dir
    local d=$1 t0=$SECONDS key
    XEN_CACHED=0 XEN_WHY= XEN_DOM0=
    mkdir -p "$d"
    cp -r "$XEN_DIR/dom0.yaml" "$XEN_DIR/dom0" "$d/"
    export JEOS_INIT=$XEN_OUT/jeos-init
    if ! (cd "$d" && "$JEOS" -q resolve dom0.yaml) >"$d/resolve.log" 2>&1; then
        XEN_WHY="jeos resolve dom0.yaml failed: $(tail -n 3 "$d/resolve.log" | tr '\n' ' ')"
        grep -qiE "could not resolve|connect|network is unreachable|timed out" "$d/resolve.log" &&
            XEN_WHY="the Debian mirror is unreachable: $(tail -n 1 "$d/resolve.log")"
        return 1
    fi
    key=$(
        cd "$d" && {
            cat dom0.yaml dom0.yaml.lock
            find dom0 -type f -printf '%p %m\n' | LC_ALL=C sort
            find dom0 -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
            sha256sum "$JEOS" "$JEOS_INIT" | cut -d' ' -f1
        } | sha256sum | cut -c1-24
    )
    XEN_DOM0=$XEN_CACHE/dom0-$key
    if [ -s "$XEN_DOM0/xendom0.raw" ]; then
        XEN_CACHED=1
    else
        if ! (cd "$d" && SOURCE_DATE_EPOCH=1700000000 "$JEOS" -q build --locked -o "$d/build" dom0.yaml) \
            >"$d/build.log" 2>&1; then
            XEN_WHY="jeos build of the dom0 failed: $(tail -n 5 "$d/build.log" | tr '\n' ' ')"
            return 1
        fi
        mkdir -p "$XEN_CACHE"
        rm -rf "$XEN_CACHE"/dom0-*
        mv "$d/build/xendom0" "$XEN_DOM0.tmp$$" && mv "$XEN_DOM0.tmp$$" "$XEN_DOM0"
    fi
    XEN_BUILD_S=$((SECONDS - t0))
}

xen_boot() { # share, dir
    local s=$1 d=$2 t0=$SECONDS x=$XEN_DOM0/xendom0 cmd
    cmd=$(sed -n 's/^cmdline = "\(.*\)"$/\1/p' "$x-xen.cfg")
    zcat "$XEN_GZ" >"$d/xen"
    timeout "$XEN_TIMEOUT" qemu-system-x86_64 -accel tcg -cpu qemu64,+svm,+npt -m 1536 -smp 1 \
        -display none -monitor none -no-reboot -nodefaults -serial "file:$d/console.raw" \
        -kernel "$d/xen" -append "dom0_mem=512M,max:512M console=com1 com1=115200,8n1 noreboot" \
        -initrd "$x-vmlinuz $cmd,$x-initrd.img" \
        -drive "file=$x.raw,format=raw,if=virtio,snapshot=on" \
        -virtfs "local,path=$s,mount_tag=xt,security_model=none" </dev/null >"$d/qemu.log" 2>&1
    XEN_RC=$?
    XEN_BOOT_S=$((SECONDS - t0))
    tr -d '\r' <"$d/console.raw" >"$d/console"
}

xen_pvh_dom0() { # elf, dir
    local elf=$1 d=$2 t0=$SECONDS q i
    [ -s "$d/xen" ] || zcat "$XEN_GZ" >"$d/xen"
    : >"$d/console.raw"
    qemu-system-x86_64 -accel tcg -cpu qemu64,+svm,+npt -m 256 -smp 1 -display none -monitor none \
        -no-reboot -nodefaults -serial "file:$d/console.raw" -kernel "$d/xen" \
        -append "dom0=pvh dom0-iommu=none dom0_mem=32M console=com1 com1=115200,8n1 noreboot" \
        -initrd "$elf" </dev/null >"$d/qemu.log" 2>&1 &
    q=$!
    for i in $(seq 1200); do # 120 s at most
        grep -q '^(XEN) Hardware Dom0 \(halted\|crashed\)' "$d/console.raw" && break
        kill -0 $q 2>/dev/null || break
        sleep 0.1
    done
    kill $q 2>/dev/null
    wait $q 2>/dev/null
    XEN_BOOT_S=$((SECONDS - t0))
    tr -d '\r' <"$d/console.raw" >"$d/console"
}
