#!/bin/bash
# secureboot_test.sh — image.secure_boot: recipes/nginx.yaml with secure_boot: true, built and
# booted under OVMF with Secure Boot enforced (OVMF_CODE_4M.secboot.fd, OVMF_VARS_4M.ms.fd: the
# Microsoft keys enrolled; q35 with SMM): shim -> GRUB -> kernel, the kernel saying Secure Boot
# is on, nginx's page served. The same disk with its kernel's signature removed (sbattach
# --remove) is refused by the signed GRUB ("bad shim signature"), and the plain nginx disk (jeos's
# own unsigned GRUB) by the firmware ("Access Denied"). Also: the signed chain as jeos inspect
# reads it, the SBOM listing shim-signed and grub-efi-amd64-signed in the image, and the recipe
# error for secure_boot without uefi. SKIPPED when the Debian mirror or OVMF is not there.
set -u
: "${JEOS_SRC:?}" "${T_TMP:?}" "${JEOS:?}"
cd "$JEOS_SRC"
W=$T_TMP
NAMES="sb_recipe_needs_uefi sb_build sb_boot_http sb_unsigned_kernel_refused sb_unsigned_grub_refused"
skip_all() { for t in $NAMES; do echo "SKIP $t: $1"; done; exit 0; }
CODE=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd VARS=/usr/share/OVMF/OVMF_VARS_4M.ms.fd
for t in qemu-system-x86_64 mcopy sbattach python3; do
    command -v $t >/dev/null || skip_all "$t not installed"
done
[ -r $CODE ] && [ -r $VARS ] || skip_all "no $CODE or $VARS (package ovmf)"
INIT=$JEOS_SRC/${JEOS_OUT:-out}/jeos-init
[ -x "$INIT" ] || skip_all "no jeos-init (run make)"
export JEOS_INIT=$INIT SOURCE_DATE_EPOCH=1700000000
TIMEOUT=${JEOS_BOOT_TIMEOUT:-90}
mkdir -p "$W/r" "$W/out"
cp -r recipes/nginx "$W/r/"
sed 's/^image: .*/image: {root: squashfs, boot: [bios, uefi], formats: [raw], secure_boot: true}/' \
    recipes/nginx.yaml >"$W/r/nginx.yaml"
sed 's/^image: .*/image: {boot: [bios], secure_boot: true}/' recipes/nginx.yaml >"$W/r/bad.yaml"
sed 's/^name: nginx/name: plain/' recipes/nginx.yaml >"$W/r/plain.yaml"

# ---- the recipe: Secure Boot is UEFI's ----
out=$("$JEOS" validate "$W/r/bad.yaml" 2>&1)
if [ $? -ne 0 ] && grep -q "bad.yaml:[0-9]*:[0-9]*: image.secure_boot: needs uefi in image.boot" <<<"$out"; then
    echo "PASS sb_recipe_needs_uefi: $(grep -o 'image.secure_boot: .*' <<<"$out")"
else
    echo "FAIL sb_recipe_needs_uefi: $out"
fi

# ---- the build ----
if ! "$JEOS" -q build -o "$W/out" "$W/r/nginx.yaml" >"$W/build.log" 2>&1 ||
    ! "$JEOS" -q build -o "$W/out" "$W/r/plain.yaml" >>"$W/build.log" 2>&1; then
    grep -qiE "could not resolve|connect|unreachable|timed out" "$W/build.log" &&
        skip_all "the Debian mirror is unreachable"
    for t in ${NAMES#* }; do echo "FAIL $t: jeos build failed: $(tail -1 "$W/build.log")"; done
    exit 1
fi
IMG=$W/out/nginx/nginx.raw
"$JEOS" inspect --json "$IMG" >"$W/inspect.json" 2>&1
r=$(python3 - "$W/inspect.json" "$W/out/nginx/nginx.spdx.json" "$W/out/nginx/manifest.txt" 2>&1 <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["boot"]["uefi"] == "BOOTX64.EFI: shim (signed) -> grubx64.efi: GRUB (signed)", d["boot"]
assert d["kernel"]["version"].endswith("; signed (EFI stub with a signature)"), d["kernel"]
s = json.load(open(sys.argv[2]))
ids = {p["name"]: p["SPDXID"] for p in s["packages"]}
inside = {r["relatedSpdxElement"] for r in s["relationships"] if r["relationshipType"] == "CONTAINS"}
for n in ("shim-signed", "grub-efi-amd64-signed"):
    assert ids.get(n) in inside, "%s not CONTAINed by the SBOM" % n
lic = [p["licenseDeclared"] for p in s["packages"] if p["name"] == "shim-signed"][0]
man = open(sys.argv[3]).read()
assert "/usr/lib/shim" not in man and "/usr/bin/mokutil" not in man, "boot packages in the root"
print("shim (signed) -> GRUB (signed) -> kernel (signed); SBOM: shim-signed (%s), "
      "grub-efi-amd64-signed in the image, not in the root" % lic)
PYEOF
) && echo "PASS sb_build: $r" || echo "FAIL sb_build: $r"

# ---- boots under Secure Boot ----
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
QPID=""
sb_qemu() { # log, disk, extra args...: OVMF with Secure Boot enforced, a fresh copy of the MS vars
    local log=$1 disk=$2; shift 2
    cp $VARS "$log.vars"
    qemu-system-x86_64 -accel tcg -m 512 -nographic -machine q35,smm=on \
        -global driver=cfi.pflash01,property=secure,value=on \
        -drive if=pflash,format=raw,unit=0,file=$CODE,readonly=on \
        -drive "if=pflash,format=raw,unit=1,file=$log.vars" \
        -drive "file=$disk,format=raw,if=virtio,snapshot=on" "$@" >"$log" 2>&1 </dev/null &
    QPID=$!
}
qstop() { kill "$QPID" 2>/dev/null; wait "$QPID" 2>/dev/null; QPID=""; }
trap 'qstop' EXIT
wait_log() { # log, pattern: polls the serial log until it shows the pattern or QEMU ends
    for _ in $(seq 1 $((TIMEOUT * 5))); do
        tr -d '\r' <"$1" | grep -aq "$2" && return 0
        kill -0 "$QPID" 2>/dev/null || return 1
        sleep 0.2
    done
    return 1
}
WANT=$(cat recipes/nginx/site/index.html)
P=$(free_port)
t0=$(date +%s%N)
# jeos run --secure-boot: the same firmware setup as sb_qemu, and an ACPI power-off at the end
"$JEOS" run --secure-boot --accel tcg --port "$P:80" "$IMG" >"$W/sb.log" 2>&1 </dev/null &
QPID=$!
page=""
if wait_log "$W/sb.log" "jeos: ready"; then
    page=$(python3 -c 'import sys, time, urllib.request
for i in range(50):
    try:
        print(urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=2).read().decode())
        break
    except OSError as e:
        err = e
        time.sleep(0.2)
else:
    print("no page: %s" % err)' "$P" 2>&1)
fi
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kill -TERM "$QPID" 2>/dev/null
for _ in $(seq 1 300); do kill -0 "$QPID" 2>/dev/null || break; sleep 0.1; done
qstop
if [ "$page" = "$WANT" ] && tr -d '\r' <"$W/sb.log" | grep -aq "secureboot: Secure boot enabled" &&
    tr -d '\r' <"$W/sb.log" | grep -aq "Kernel is locked down from EFI Secure Boot" &&
    grep -aq "jeos: filesystems unmounted cleanly" "$W/sb.log"; then
    echo "PASS sb_boot_http: jeos run --secure-boot; Secure Boot enforced (the kernel says so, and is locked down); page after $((ms / 1000)).$((ms % 1000 / 100)) s under TCG; clean power-off"
else
    tr -d '\r' <"$W/sb.log" | grep -av '^\s*$' | tail -8
    echo "FAIL sb_boot_http: page \"$(head -c 100 <<<"$page")\"; see the log above"
fi

# The same disk, its kernel's signature removed: the signed GRUB asks shim, which refuses.
esp=$(sfdisk -J "$IMG" | python3 -c 'import json,sys; print([p["start"] for p in json.load(sys.stdin)["partitiontable"]["partitions"] if p.get("name")=="esp"][0])')
OFF=$((esp * 512))
cp "$IMG" "$W/unsigned.raw"
mcopy -n -i "$W/unsigned.raw@@$OFF" ::/boot/vmlinuz "$W/vmlinuz" &&
    sbattach --remove "$W/vmlinuz" >/dev/null &&
    mcopy -o -i "$W/unsigned.raw@@$OFF" "$W/vmlinuz" ::/boot/vmlinuz
sb_qemu "$W/unsigned.log" "$W/unsigned.raw" -net none
wait_log "$W/unsigned.log" "bad shim signature"; refused=$?
qstop
if [ $refused -eq 0 ] && ! tr -d '\r' <"$W/unsigned.log" | grep -aqE "Linux version|EFI stub|jeos:"; then
    echo "PASS sb_unsigned_kernel_refused: GRUB: \"$(tr -d '\r' <"$W/unsigned.log" | grep -ao 'error: bad shim signature.' | head -1)\"; the kernel never started"
else
    tr -d '\r' <"$W/unsigned.log" | grep -av '^\s*$' | tail -5
    echo "FAIL sb_unsigned_kernel_refused: no refusal seen, or the kernel ran"
fi

# jeos's own GRUB, unsigned: the firmware refuses it.
sb_qemu "$W/plain.log" "$W/out/plain/plain.raw" -net none
wait_log "$W/plain.log" "from PciRoot(0x0)/Pci(0x2,0x0): Access Denied"; refused=$?
qstop
if [ $refused -eq 0 ] && ! tr -d '\r' <"$W/plain.log" | grep -aqE "GNU GRUB|Linux version"; then
    echo "PASS sb_unsigned_grub_refused: OVMF: \"$(tr -d '\r' <"$W/plain.log" | grep -ao 'failed to load Boot0002.*Access Denied' | head -1 | cut -c1-60)...\""
else
    tr -d '\r' <"$W/plain.log" | grep -a BdsDxe | tail -4
    echo "FAIL sb_unsigned_grub_refused: the firmware did not refuse jeos's unsigned GRUB"
fi
