#!/bin/bash
# appliance_test.sh — `jeos build` end to end: recipes/nginx.yaml built as an unprivileged user
# (when the test runs as root), rebuilt from its lock into the same bytes, a stale lock refused by
# --locked; the image booted under QEMU -accel tcg with SeaBIOS (curl through a port forward, ACPI
# power-off with a clean unmount and exit 0) and with OVMF, its VMDK on pvscsi + vmxnet3 (the
# ESXi path), qemu-img check on qcow2 and vmdk; then recipes/redis.yaml built and booted the same
# way and answering PING. SKIPPED when the Debian mirror cannot be reached.
set -u
: "${JEOS_SRC:?}" "${T_TMP:?}" "${JEOS:?}"
cd "$JEOS_SRC"
W=$T_TMP
NAMES="rootless_build reproducible locked_stale no_half_written bios_http_poweroff uefi_http vmdk_pvscsi qemu_img_check redis_build redis_ping"
skip_all() { for t in $NAMES; do echo "SKIP $t: $1"; done; exit 0; }
for t in qemu-system-x86_64 qemu-img python3 dpkg-deb mksquashfs grub-mkimage; do
    command -v $t >/dev/null || skip_all "$t not installed"
done
INIT=$JEOS_SRC/${JEOS_OUT:-out}/jeos-init
[ -x "$INIT" ] || INIT=$(dirname "$JEOS")/jeos-init
[ -x "$INIT" ] || skip_all "no jeos-init (run make)"
export JEOS_INIT=$INIT
BOOT_TIMEOUT=${JEOS_BOOT_TIMEOUT:-90}
HOSTCACHE=${JEOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jeos}

# ---- the build, as nobody when we are root, with a cache and an output folder it owns ----
chmod 0755 "$W"
B=$W/b
mkdir -p "$B/cache" "$B/r" "$B/out"
cp -r recipes/nginx.yaml recipes/nginx recipes/redis.yaml "$B/r/"
# Seed the cache with what the host already fetched (hard links: no copy, the files stay ours
# and read-only to the build user; its new files go into folders it owns).
for d in dists sha256; do [ -d "$HOSTCACHE/$d" ] && cp -al "$HOSTCACHE/$d" "$B/cache/"; done
AS=()
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    find "$B" -type d -exec chown 65534:65534 {} +
    chown 65534:65534 "$B/r"/*.yaml
    AS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
export SOURCE_DATE_EPOCH=1700000000
build() { # log, args...
    local log=$1; shift
    (cd "$B" && env HOME="$B" JEOS_CACHE="$B/cache" "${AS[@]}" "$JEOS" build "$@") >"$log" 2>&1
}
if ! build "$W/build1.log" -o "$B/out" "$B/r/nginx.yaml"; then
    if grep -qiE "could not resolve|connect|network is unreachable|timed out" "$W/build1.log"; then
        skip_all "the Debian mirror is unreachable"
    fi
    tail -15 "$W/build1.log"
    echo "FAIL rootless_build: jeos build recipes/nginx.yaml failed"
    for t in $NAMES; do [ $t = rootless_build ] || echo "SKIP $t: the build failed"; done
    exit 1
fi
IMG=$B/out/nginx
owner=$(stat -c %u "$IMG/nginx.raw")
missing=""
for f in nginx.raw nginx.qcow2 nginx.vmdk nginx.ova build-report.txt manifest.txt; do
    [ -s "$IMG/$f" ] || missing="$missing $f"
done
leftover=$(ls -d "$B"/out/.nginx.build.* "$IMG"/.build.* 2>/dev/null)
rep=$IMG/build-report.txt
if [ -z "$missing" ] && [ -z "$leftover" ] && grep -q "^packages: [0-9]* resolved" "$rep" &&
   grep -q "^time per stage:" "$rep" && grep -q "kernel modules in the root: [0-9]* of [0-9]* kept" "$rep" &&
   grep -q "^maintainer scripts" "$rep" && grep -q "jeos: \[8/8\] formats" "$W/build1.log" &&
   { [ ${#AS[@]} = 0 ] || [ "$owner" = 65534 ]; }; then
    total=$(awk '$1 == "total" {print $2}' "$rep")
    echo "PASS rootless_build (as uid $owner: $(du -m --apparent-size "$IMG/nginx.raw" | cut -f1) MiB raw," \
         "$(du -k "$IMG/nginx.raw" | cut -f1) KiB allocated, $total s)"
else
    echo "FAIL rootless_build: missing [$missing], leftover [$leftover], owner $owner"; head -30 "$rep"
fi

# ---- the same recipe + lock + SOURCE_DATE_EPOCH give the same bytes ----
diffs=""
if build "$W/build2.log" -o "$B/out2" --locked "$B/r/nginx.yaml"; then
    for f in nginx.raw nginx.qcow2 nginx.vmdk nginx.ova manifest.txt; do
        cmp -s "$IMG/$f" "$B/out2/nginx/$f" || diffs+="$f "
    done
else
    diffs="(rebuild failed)"; tail -5 "$W/build2.log"
fi
if [ -z "$diffs" ]; then
    echo "PASS reproducible (--locked rebuild: same raw, qcow2, vmdk, ova bytes; raw sha256 $(sha256sum <"$IMG/nginx.raw" | cut -c1-16))"
else
    echo "FAIL reproducible: the rebuild differs: $diffs"
fi

# ---- --locked refuses a lock the recipe no longer fits, and leaves nothing behind ----
sed 's/^packages: \[nginx-light\]/packages: [nginx-light, curl]/' "$B/r/nginx.yaml" >"$B/r/stale.yaml"
cp "$B/r/nginx.yaml.lock" "$B/r/stale.yaml.lock" 2>/dev/null
chmod a+r "$B/r/stale.yaml" "$B/r/stale.yaml.lock" 2>/dev/null
if build "$W/stale.log" -o "$B/out3" --locked "$B/r/stale.yaml"; then
    echo "FAIL locked_stale: --locked built from a lock without curl"
elif grep -q "packages: curl is not in" "$W/stale.log" && [ -z "$(ls -A "$B/out3" 2>/dev/null)" ]; then
    echo "PASS locked_stale ($(grep -o 'packages: curl is not in.*' "$W/stale.log" | head -1))"
else
    cat "$W/stale.log"; echo "FAIL locked_stale: wrong message or files left behind"
fi

# ---- a failure in a late stage (the initramfs: no init binary) leaves no output, no staging ----
if JEOS_INIT=$W/no-such-init build "$W/half.log" -o "$B/out4" --locked "$B/r/nginx.yaml"; then
    echo "FAIL no_half_written: built without an init binary"
elif grep -q "jeos: \[6/8\] initramfs" "$W/half.log" && grep -q "no-such-init" "$W/half.log" &&
     [ -z "$(ls -A "$B/out4" 2>/dev/null)" ]; then
    echo "PASS no_half_written (failed at the initramfs stage; $B/out4/ left empty: no output, no staging folder)"
else
    cat "$W/half.log"; ls -laR "$B/out4"; echo "FAIL no_half_written: wrong failure or files left behind"
fi

# ---- boots ----
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
http_get() { python3 -c 'import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=2).read().decode())' "$1" 2>/dev/null; }
redis_ping() { python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2); s.settimeout(2)
s.sendall(b"PING\r\n"); print(s.recv(64).decode().strip())' "$1" 2>/dev/null; }
RPID=""
# start LOG CMD...: runs a guest in the background
start() { local log=$1; shift; "$@" >"$log" 2>&1 </dev/null & RPID=$!; }
# wait_for PROBE PORT: polls until the probe prints something (or the guest ends)
wait_for() {
    local i out
    for i in $(seq 1 $((BOOT_TIMEOUT * 5))); do
        out=$("$1" "$2") && [ -n "$out" ] && { echo "$out"; return 0; }
        kill -0 "$RPID" 2>/dev/null || return 1
        sleep 0.2
    done
    return 1
}
# stop [SIG]: SIGTERM (or SIG: INT, HUP) to jeos run = ACPI power button; returns its exit status
stop() {
    kill -"${1:-TERM}" "$RPID" 2>/dev/null
    for _ in $(seq 1 300); do kill -0 "$RPID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$RPID" 2>/dev/null && kill -KILL "$RPID"
    wait "$RPID"
}
show() { tr -d '\r' <"$1" | grep -av '^\s*$' | tail -15; }
WANT=$(cat recipes/nginx/site/index.html)

P=$(free_port)
t0=$(date +%s%N)
start "$W/bios.log" "$JEOS" run --accel tcg --port "$P:80" "$IMG/nginx.qcow2"
page=$(wait_for http_get "$P"); ms=$(( ($(date +%s%N) - t0) / 1000000 ))
stop; rc=$?
if [ "$page" = "$WANT" ] && [ $rc = 0 ] && grep -qa "jeos: filesystems unmounted cleanly" "$W/bios.log" &&
   grep -qa "jeos: ready" "$W/bios.log"; then
    echo "PASS bios_http_poweroff (qcow2, SeaBIOS: page after $((ms / 1000)).$((ms % 1000 / 100)) s under TCG; clean power-off, exit 0)"
else
    show "$W/bios.log"; echo "FAIL bios_http_poweroff: page \"$(echo "$page" | head -1)\", jeos run exit $rc"
fi

if [ -r /usr/share/OVMF/OVMF_CODE_4M.fd ]; then
    P=$(free_port)
    start "$W/uefi.log" "$JEOS" run --accel tcg --uefi --port "$P:80" "$IMG/nginx.raw"
    page=$(wait_for http_get "$P")
    stop HUP; rc=$?
    if [ "$page" = "$WANT" ] && [ $rc = 0 ] && grep -qa "jeos: ready" "$W/uefi.log" &&
       grep -qa "jeos: filesystems unmounted cleanly" "$W/uefi.log"; then
        echo "PASS uefi_http (raw, OVMF; SIGHUP to jeos run: clean power-off, exit 0)"
    else
        show "$W/uefi.log"; echo "FAIL uefi_http: page \"$(echo "$page" | head -1)\", exit $rc"
    fi
else
    echo "SKIP uefi_http: OVMF not installed (package ovmf)"
fi

# The ESXi path: the VMDK on a pvscsi controller and a vmxnet3 NIC (not what jeos run picks).
P=$(free_port)
start "$W/vmdk.log" qemu-system-x86_64 -accel tcg -m 512 -nographic -snapshot \
    -drive "file=$IMG/nginx.vmdk,format=vmdk,if=none,id=d0" \
    -device pvscsi,id=scsi0 -device scsi-hd,drive=d0,bus=scsi0.0,bootindex=0 \
    -nic "user,model=vmxnet3,hostfwd=tcp:127.0.0.1:$P-:80"
page=$(wait_for http_get "$P")
kill -TERM "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null
if [ "$page" = "$WANT" ] && grep -qa "jeos: root /dev/sda3 (squashfs" "$W/vmdk.log"; then
    echo "PASS vmdk_pvscsi (root on /dev/sda3 through vmw_pvscsi, HTTP through vmxnet3)"
else
    show "$W/vmdk.log"; echo "FAIL vmdk_pvscsi: page \"$(echo "$page" | head -1)\""
fi

bad=""
for f in nginx.qcow2 nginx.vmdk; do
    qemu-img check "$IMG/$f" >"$W/check.log" 2>&1 || { bad="$bad $f"; cat "$W/check.log"; }
done
[ -z "$bad" ] && echo "PASS qemu_img_check (qcow2, vmdk clean)" || echo "FAIL qemu_img_check:$bad"

# ---- a second appliance of another kind: redis ----
if build "$W/redis.log" -o "$B/out" "$B/r/redis.yaml" && [ -s "$B/out/redis/redis.raw" ]; then
    echo "PASS redis_build ($(grep '^packages:' "$B/out/redis/build-report.txt"))"
    P=$(free_port)
    start "$W/redis-run.log" "$JEOS" run --accel tcg --port "$P:6379" "$B/out/redis/redis.raw"
    pong=$(wait_for redis_ping "$P")
    stop; rc=$?
    if [ "$pong" = "+PONG" ] && [ $rc = 0 ] && grep -qa "jeos: filesystems unmounted cleanly" "$W/redis-run.log"; then
        echo "PASS redis_ping (+PONG through the port forward; clean power-off)"
    else
        show "$W/redis-run.log"; echo "FAIL redis_ping: got \"$pong\", exit $rc"
    fi
else
    tail -10 "$W/redis.log"; echo "FAIL redis_build: jeos build recipes/redis.yaml failed"
    echo "SKIP redis_ping: no image"
fi
exit 0
