#!/bin/bash
# format_test.sh — every output format from one raw disk, checked with qemu-img (info, check,
# compare) and tar; bad input leaves no output behind.
set -u
: "${JEOS_SRC:?}" "${T_TMP:?}"
cd "$JEOS_SRC"
KIT=${JEOS_SAN_OUT:-out/san}/tests/boot/bootkit
W=$T_TMP
if ! command -v qemu-img >/dev/null; then
    for t in raw qcow2 vmdk vhd ova gce errors; do echo "SKIP format_$t: qemu-img not installed"; done
    exit 0
fi
# A raw disk with a partition table and non-zero data in two places (holes between).
python3 - "$W/disk.raw" <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    f.truncate(24 << 20)
    f.seek(0); f.write(b"\xeb\x63\x90" + bytes(507) + b"\x55\xaa")
    f.seek(3 << 20); f.write(bytes(range(256)) * 4096)
    f.seek((20 << 20) + 12345); f.write(b"jeos" * 1000)
PY

fail() { echo "FAIL $1: $2"; }
sfx() { [ "$1" = gce ] && echo tar.gz || echo "$1"; } # a format's file suffix
convert() { "$KIT" convert "$W/disk.raw" "$1" "$W" out myapp 2>"$W/err.$1"; }
same() { # fmt file -> compares the guest-visible bytes with the raw disk
    qemu-img compare -q -f raw -F "$1" "$W/disk.raw" "$2"
}

if convert raw && cmp -s "$W/disk.raw" "$W/out.raw" && \
   [ "$(du -k "$W/out.raw" | cut -f1)" -lt 8192 ]; then
    echo "PASS format_raw"
else fail format_raw "not identical or not sparse: $(cat "$W/err.raw")"; fi

if convert qcow2 && qemu-img check -q "$W/out.qcow2" && same qcow2 "$W/out.qcow2" && \
   qemu-img info --output=json "$W/out.qcow2" | grep -q '"format": "qcow2"'; then
    echo "PASS format_qcow2"
else fail format_qcow2 "$(cat "$W/err.qcow2"; qemu-img check "$W/out.qcow2" 2>&1 | tail -2)"; fi

if convert vmdk && qemu-img check -q "$W/out.vmdk" && same vmdk "$W/out.vmdk" && \
   qemu-img info "$W/out.vmdk" | grep -q 'create type: streamOptimized'; then
    echo "PASS format_vmdk"
else fail format_vmdk "$(cat "$W/err.vmdk"; qemu-img info "$W/out.vmdk" 2>&1 | tail -5)"; fi

# Fixed VHD: the raw bytes followed by a 512-byte footer ("conectix"), virtual size exact.
if convert vhd && same vpc "$W/out.vhd" && \
   [ "$(stat -c %s "$W/out.vhd")" -eq $(( (24 << 20) + 512 )) ] && \
   [ "$(tail -c 512 "$W/out.vhd" | head -c 8)" = conectix ] && \
   qemu-img info -f vpc --output=json "$W/out.vhd" | grep -q "\"virtual-size\": $((24 << 20))"; then
    echo "PASS format_vhd"
else fail format_vhd "$(cat "$W/err.vhd"; qemu-img info -f vpc "$W/out.vhd" 2>&1 | tail -3)"; fi

# OVA: the descriptor first, then the disk, then a manifest whose hashes hold.
if convert ova && [ "$(tar tf "$W/out.ova" | tr '\n' ' ')" = "myapp.ovf myapp-disk1.vmdk myapp.mf " ]; then
    mkdir -p "$W/ova" && tar xf "$W/out.ova" -C "$W/ova"
    (cd "$W/ova" && sed -E 's/^SHA256\((.*)\)= (.*)$/\2  \1/' myapp.mf | sha256sum -c --quiet) \
        && same vmdk "$W/ova/myapp-disk1.vmdk" \
        && grep -q "ovf:capacity=\"$((24 << 20))\"" "$W/ova/myapp.ovf" \
        && grep -q "ovf:size=\"$(stat -c %s "$W/ova/myapp-disk1.vmdk")\"" "$W/ova/myapp.ovf" \
        && grep -q '<rasd:VirtualQuantity>256</rasd:VirtualQuantity>' "$W/ova/myapp.ovf" \
        && python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$W/ova/myapp.ovf" \
        && echo "PASS format_ova" || fail format_ova "manifest, disk or descriptor wrong"
else fail format_ova "$(cat "$W/err.ova"; tar tvf "$W/out.ova" 2>&1)"; fi

if convert gce && [ "$(tar tzf "$W/out.tar.gz")" = disk.raw ]; then
    mkdir -p "$W/gce" && tar xzf "$W/out.tar.gz" -C "$W/gce" && cmp -s "$W/gce/disk.raw" "$W/disk.raw" \
        && echo "PASS format_gce" || fail format_gce "disk.raw differs"
else fail format_gce "$(cat "$W/err.gce"; tar tzvf "$W/out.tar.gz" 2>&1)"; fi

# Reproducible: the same raw disk, converted again a second later with the same
# SOURCE_DATE_EPOCH, gives the same bytes in every format. What qemu-img makes up is replaced:
# the VMDK's CID is the start of the raw disk's sha256 and its extent is its own file name;
# the VHD's footer has the epoch's time, an id derived from the seed and a valid checksum.
errs=""
mkdir -p "$W/r1" "$W/r2"
for f in raw qcow2 vmdk vhd ova gce; do
    SOURCE_DATE_EPOCH=1700000000 "$KIT" convert "$W/disk.raw" $f "$W/r1" d myapp 2>>"$W/err.r" || errs+="$f failed; "
done
sleep 1.1
for f in raw qcow2 vmdk vhd ova gce; do
    SOURCE_DATE_EPOCH=1700000000 "$KIT" convert "$W/disk.raw" $f "$W/r2" d myapp 2>>"$W/err.r" || errs+="$f failed; "
    cmp -s "$W/r1/d.$(sfx $f)" "$W/r2/d.$(sfx $f)" || errs+="$f differs; "
done
python3 - "$W/r1/d.vmdk" "$W/r1/d.vhd" "$W/disk.raw" <<'PY' || errs+="identity fields wrong; "
import hashlib, struct, sys, uuid
v = open(sys.argv[1], "rb").read()
doff, dsize = struct.unpack_from("<QQ", v, 28)
desc = v[doff * 512:(doff + dsize) * 512].rstrip(b"\0").decode()
cid = hashlib.sha256(open(sys.argv[3], "rb").read()).hexdigest()[:8]
assert "\nCID=%s\n" % cid in desc, desc
assert 'SPARSE "d.vmdk"' in desc, desc
f = open(sys.argv[2], "rb").read()[-512:]
assert f[:8] == b"conectix"
assert struct.unpack_from(">I", f, 24)[0] == 1700000000 - 946684800
s = struct.unpack_from(">I", f, 64)[0]
assert s == (~(sum(f[:64]) + sum(f[68:]))) & 0xffffffff, "checksum"
want = bytearray(hashlib.sha256(b"bootkit-1\0vhd").digest()[:16])
want[6] = want[6] & 0x0f | 0x40
want[8] = want[8] & 0x3f | 0x80
assert f[68:84] == bytes(want), f[68:84].hex()
PY
qemu-img check -q "$W/r1/d.vmdk" || errs+="vmdk check; "
same vmdk "$W/r1/d.vmdk" || errs+="vmdk content; "
same vpc "$W/r1/d.vhd" || errs+="vhd content; "
[ -z "$errs" ] && echo "PASS format_reproducible (raw qcow2 vmdk vhd ova gce: same bytes a second apart)" \
    || fail format_reproducible "$errs$(cat "$W/err.r")"

# Errors: a missing input and a VHD of a size Azure refuses; neither leaves a file.
errs=""
"$KIT" convert "$W/nope.raw" qcow2 "$W" e1 2>"$W/e1" && errs+="missing input accepted; "
grep -q "bootkit: $W/nope.raw: No such file or directory" "$W/e1" || errs+="message: $(cat "$W/e1"); "
truncate -s 1000000 "$W/odd.raw"
"$KIT" convert "$W/odd.raw" vhd "$W" e2 2>"$W/e2" && errs+="odd VHD accepted; "
grep -q "bootkit: $W/odd.raw: 1000000 bytes is not a whole number of MiB (Azure needs that for VHD)" "$W/e2" \
    || errs+="message: $(cat "$W/e2"); "
# nothing left, not even the converter's hidden temporary folder (.e2.vhd.XXXXXX)
ls -A "$W" | grep -qE '^\.?e[12]\.' && errs+="left behind: $(ls -A "$W" | grep -E '^\.?e[12]\.'); "
[ -z "$errs" ] && echo "PASS format_errors" || fail format_errors "$errs"
exit 0
