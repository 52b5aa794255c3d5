#!/bin/bash
# nginx_appliance_test.sh — recipes/nginx.yaml end to end from the pieces, before `jeos build`
# exists: the nginx-light closure from the Debian mirror, `jeos rootfs` (squashfs) with the
# recipe's init.conf added as a file, the cloud kernel, an initramfs with runtime/init, a hybrid
# GPT disk; `jeos run` with a port forward; curl returns the recipe's page; SIGTERM to jeos run
# powers the appliance off cleanly. SKIPPED when the mirror is unreachable.
set -u
: "${JEOS_SRC:?}" "${T_TMP:?}" "${JEOS:?}"
cd "$JEOS_SRC"
OUT=${JEOS_SAN_OUT:-out/san}
KIT=$OUT/tests/boot/bootkit
INIT=${JEOS_OUT:-out}/jeos-init
[ -x "$INIT" ] || INIT=$OUT/jeos-init
W=$T_TMP
case ${JEOS_OUT:-out} in /*) cache=${JEOS_OUT} ;; *) cache=$JEOS_SRC/${JEOS_OUT:-out} ;; esac
for t in qemu-system-x86_64 python3; do
    command -v $t >/dev/null || { echo "SKIP nginx_appliance: $t not installed"; exit 0; }
done
if ! mapfile -t debs < <(tests/images/nginx_debs.sh "$cache/test-cache/nginx-debs") || [ ${#debs[@]} -lt 30 ]; then
    echo "SKIP nginx_appliance: the Debian mirror is unreachable"; exit 0
fi
KCACHE=${JEOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jeos}/kernel
dep=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
if [ -z "$dep" ] || { [ ! -d "$KCACHE/$dep/boot" ] && ! (mkdir -p "$KCACHE" && cd "$KCACHE" &&
        timeout 120 apt-get download "$dep" >/dev/null 2>&1 && dpkg-deb -x "$dep"_*.deb "$dep.tmp" && mv "$dep.tmp" "$dep"); }; then
    echo "SKIP nginx_appliance: cannot fetch the cloud kernel"; exit 0
fi
K=$KCACHE/$dep
fail() { echo "FAIL nginx_appliance: $*"; exit 1; }

# The recipe, plus its init.conf as one more file (what `jeos build` will do itself).
cp -r recipes/nginx "$W/" && "$KIT" initconf recipes/nginx.yaml >"$W/init.conf" || fail "init.conf"
sed 's|^files:|files:\n  - {src: init.conf, dst: /etc/jeos/init.conf, mode: "0644"}|' recipes/nginx.yaml >"$W/nginx.yaml"
start=$(date +%s%N)
"$JEOS" rootfs -t squashfs -d "$W/out" "$W/nginx.yaml" "${debs[@]}" >"$W/log" 2>&1 || fail "rootfs: $(tail -3 "$W/log")"
"$KIT" initramfs "$INIT" "$(ls -d "$K"/lib/modules/* | head -1)" "$W/initrd.img" >"$W/log" 2>&1 || fail "initramfs: $(tail -3 "$W/log")"
"$KIT" disk "$(ls "$K"/boot/vmlinuz-* | head -1)" "$W/initrd.img" "$W/out/root.squashfs" squashfs gpt both "$W/nginx.raw" >"$W/log" 2>&1 \
    || fail "disk: $(tail -3 "$W/log")"
build_ms=$(( ($(date +%s%N) - start) / 1000000 ))
size=$(du -k "$W/nginx.raw" | cut -f1)

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start=$(date +%s%N)
"$JEOS" run --accel tcg --port "$PORT:80" "$W/nginx.raw" >"$W/run.log" 2>&1 </dev/null &
RPID=$!
page=""
for i in $(seq 1 900); do
    page=$(python3 -c 'import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=2).read().decode())' "$PORT" 2>/dev/null) && break
    kill -0 $RPID 2>/dev/null || break
    sleep 0.1
done
http_ms=$(( ($(date +%s%N) - start) / 1000000 ))
kill -TERM $RPID 2>/dev/null
for i in $(seq 1 300); do kill -0 $RPID 2>/dev/null || break; sleep 0.1; done
kill -0 $RPID 2>/dev/null && { kill -KILL $RPID; fail "jeos run still running 30 s after SIGTERM"; }
wait $RPID; rc=$?
want=$(cat recipes/nginx/site/index.html)
if [ "$page" = "$want" ] && [ $rc = 0 ] && grep -qa "jeos: service nginx started" "$W/run.log" &&
   grep -qa "jeos: filesystems unmounted cleanly" "$W/run.log"; then
    echo "PASS nginx_appliance (pieces built in $((build_ms / 1000)).$((build_ms % 1000 / 100)) s, disk ${size} KiB allocated, QEMU start to HTTP $((http_ms / 1000)).$((http_ms % 1000 / 100)) s under TCG)"
else
    tr -d '\r' <"$W/run.log" | grep -av '^\s*$' | tail -20
    fail "page \"$(echo "$page" | head -2)\", jeos run exit $rc"
fi
