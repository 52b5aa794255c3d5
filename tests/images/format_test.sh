#!/bin/bash
# format_test.sh — every output format from one raw disk, checked with qemu-img (info, check,
# compare), tar and field-by-field readers (the OVF, the VHD footer, the GCE tar headers, the
# OpenStack properties); bad input leaves no output behind.
set -u
: "${JEOS_SRC:?}" "${T_TMP:?}"
cd "$JEOS_SRC"
KIT=${JEOS_SAN_OUT:-out/san}/tests/boot/bootkit
W=$T_TMP
if ! command -v qemu-img >/dev/null; then
    for t in raw qcow2 vmdk vhd vhd_footer ova ova_uefi ova_schema gce gce_gpt openstack errors; do echo "SKIP format_$t: qemu-img not installed"; done
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
sfx() { case $1 in gce) echo tar.gz ;; openstack) echo openstack.json ;; *) echo "$1" ;; esac; } # a format's file suffix
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

# The VHD footer as Azure reads it (Microsoft's VHD specification; big-endian), field by field.
if out=$(python3 - "$W/out.vhd" "$W/disk.raw" <<'PY' 2>&1
import hashlib, os, struct, sys
vhd, raw = sys.argv[1:3]
size = os.path.getsize(raw)
with open(vhd, "rb") as fh:
    fh.seek(-512, 2)
    f = fh.read(512)
bad = []
def need(c, what):
    if not c: bad.append(what)
need(os.path.getsize(vhd) == size + 512, "file size %d: not the raw disk and one footer" % os.path.getsize(vhd))
need(size % (1 << 20) == 0, "virtual size %d not aligned to 1 MiB" % size)
need(f[0:8] == b"conectix", "cookie %r" % f[0:8])
need(struct.unpack_from(">I", f, 8)[0] == 2, "features %#x (2: reserved bit set)" % struct.unpack_from(">I", f, 8)[0])
need(struct.unpack_from(">I", f, 12)[0] == 0x00010000, "file format version %#x" % struct.unpack_from(">I", f, 12)[0])
need(struct.unpack_from(">Q", f, 16)[0] == 0xFFFFFFFFFFFFFFFF, "data offset %#x (fixed: all ones)" % struct.unpack_from(">Q", f, 16)[0])
need(struct.unpack_from(">I", f, 24)[0] == 0, "timestamp %d (no SOURCE_DATE_EPOCH: 0 is 1970, clamped to 2000)" % struct.unpack_from(">I", f, 24)[0])
need(f[28:32] in (b"qemu", b"qem2"), "creator application %r" % f[28:32])
need(len(f[32:36]) == 4, "creator version")
need(f[36:40] in (b"Wi2k", b"Mac "), "creator host OS %r" % f[36:40])
orig, cur = struct.unpack_from(">QQ", f, 40)
need(orig == size and cur == size, "original/current size %d/%d, raw %d" % (orig, cur, size))
c, h, s = struct.unpack_from(">HBB", f, 56)
# the specification's CHS algorithm, capped at 65535*16*255 sectors
sec = min(size // 512, 65535 * 16 * 255)
if sec >= 65535 * 16 * 63: spt, hh = 255, 16; cth = sec // spt
else:
    spt = 17; cth = sec // spt; hh = max((cth + 1023) // 1024, 4)
    if cth >= hh * 1024 or hh > 16: spt, hh = 31, 16; cth = sec // spt
    if cth >= hh * 1024: spt, hh = 63, 16; cth = sec // spt
# qemu-img's force_size (what Azure's documentation uses) marks "use the current size" with
# creator "qem2" and the maximal geometry; any other writer must give the specification's CHS
need((c, h, s) == (cth // hh, hh, spt) or (f[28:32] == b"qem2" and (c, h, s) == (65535, 16, 255)),
     "geometry %d/%d/%d from %r, the specification gives %d/%d/%d" % (c, h, s, f[28:32], cth // hh, hh, spt))
need(struct.unpack_from(">I", f, 60)[0] == 2, "disk type %d (2: fixed)" % struct.unpack_from(">I", f, 60)[0])
ck = struct.unpack_from(">I", f, 64)[0]
need(ck == (~(sum(f[:64]) + sum(f[68:])) & 0xffffffff), "checksum %#x" % ck)
uid = f[68:84]
need(uid != bytes(16) and uid[6] >> 4 == 4 and uid[8] >> 6 == 2, "unique id %s not a v4-form UUID" % uid.hex())
need(f[84] == 0, "saved state %d" % f[84])
need(f[85:] == bytes(427), "reserved bytes not zero")
print("\n".join(bad) if bad else "ok: %d bytes, CHS %d/%d/%d, id %s" % (size, c, h, s, uid.hex()))
sys.exit(1 if bad else 0)
PY
); then echo "PASS format_vhd_footer ($out)"
else fail format_vhd_footer "$out"; fi

# OVA: the descriptor first, then the disk, then a manifest whose hashes hold; the OVF read
# field by field (check_ovf.py), for a BIOS and a UEFI recipe.
if convert ova && [ "$(tar tf "$W/out.ova" | tr '\n' ' ')" = "myapp.ovf myapp-disk1.vmdk myapp.mf " ]; then
    mkdir -p "$W/ova" && tar xf "$W/out.ova" -C "$W/ova"
    (cd "$W/ova" && sed -E 's/^SHA256\((.*)\)= (.*)$/\2  \1/' myapp.mf | sha256sum -c --quiet) \
        && same vmdk "$W/ova/myapp-disk1.vmdk" \
        && out=$(python3 tests/images/check_ovf.py "$W/out.ova" "$W/disk.raw" bios 2>&1) \
        && echo "PASS format_ova ($out; qemu-img reads its disk)" || fail format_ova "$out"
else fail format_ova "$(cat "$W/err.ova"; tar tvf "$W/out.ova" 2>&1)"; fi
mkdir -p "$W/uefi"
if BOOTKIT_UEFI=1 "$KIT" convert "$W/disk.raw" ova "$W/uefi" out myapp 2>"$W/err.ovau" &&
    out=$(python3 tests/images/check_ovf.py "$W/uefi/out.ova" "$W/disk.raw" uefi 2>&1) &&
    ! python3 tests/images/check_ovf.py "$W/uefi/out.ova" "$W/disk.raw" bios >/dev/null 2>&1; then
    echo "PASS format_ova_uefi ($out; the BIOS check refuses it)"
else fail format_ova_uefi "$(cat "$W/err.ovau") $out"; fi
# The DMTF's OVF envelope schema (dsp8023) is in no Debian package (open-vm-tools, virtinst and
# golang-github-vmware-vmw-ovflib-dev were looked at): JEOS_OVF_XSD names a copy when there is one
# — the DMTF publishes DSP8023 (1.1.1 checked) with the CIM schemas it imports (common.xsd,
# CIM_ResourceAllocationSettingData.xsd, CIM_VirtualSystemSettingData.xsd and their own imports:
# xml.xsd, xmldsig-core-schema.xsd, xenc-schema.xsd), all in the folder the envelope's imports name.
if [ -n "${JEOS_OVF_XSD:-}" ] && [ -r "$JEOS_OVF_XSD" ]; then
    tar xf "$W/uefi/out.ova" -C "$W/uefi" myapp.ovf
    if out=$(xmllint --noout --schema "$JEOS_OVF_XSD" "$W/ova/myapp.ovf" "$W/uefi/myapp.ovf" 2>&1); then
        echo "PASS format_ova_schema ($JEOS_OVF_XSD)"
    else fail format_ova_schema "$out"; fi
else
    echo "SKIP format_ova_schema: the DMTF OVF envelope schema (DSP8023) is in no Debian package; set JEOS_OVF_XSD to dsp8023_1.1.1.xsd in a folder with the CIM schemas it imports (check_ovf.py checks the structure)"
fi

# GCE: disk.raw in a gzip (no time) old-GNU tar, one sparse member ('S'), its size a whole
# number of GiB; the headers read here byte by byte, then GNU tar extracts the raw disk and zeros.
if convert gce && out=$(python3 - "$W/out.tar.gz" "$W/disk.raw" <<'PY' 2>&1
import gzip, os, sys
tgz, raw = sys.argv[1:3]
b = open(tgz, "rb").read()
bad = []
def need(c, what):
    if not c: bad.append(what)
need(b[:3] == b"\x1f\x8b\x08" and b[4:8] == bytes(4), "gzip header %s (a time in it?)" % b[:10].hex())
t = gzip.decompress(b)
h = t[:512]
def num(f):
    if f[0] & 0x80: return int.from_bytes(f[1:], "big")
    return int(f.rstrip(b"\0 ") or b"0", 8)
need(h[:100].rstrip(b"\0") == b"disk.raw", "name %r" % h[:100].rstrip(b"\0"))
need(h[257:265] == b"ustar  \0", "magic %r: not old-GNU" % h[257:265])
need(h[156:157] == b"S", "type %r: not a GNU sparse member" % h[156:157])
ck = sum(h[:148]) + 32 * 8 + sum(h[156:])
need(num(h[148:156]) == ck, "header checksum %d, computed %d" % (num(h[148:156]), ck))
need(num(h[100:108]) == 0o644 and num(h[108:116]) == 0 and num(h[116:124]) == 0, "mode/owner")
need(num(h[136:148]) == 0, "mtime %d without SOURCE_DATE_EPOCH" % num(h[136:148]))
real, stored = num(h[483:495]), num(h[124:136])
rsize = os.path.getsize(raw)
need(real % (1 << 30) == 0 and real >= rsize and real - rsize < (1 << 30),
     "size %d: not the raw disk's %d rounded up to GiB" % (real, rsize))
entries, hdrs, ext, blk = [], 1, h[482], h
for i in range(4):
    o, n = num(h[386 + 24 * i:398 + 24 * i]), num(h[398 + 24 * i:410 + 24 * i])
    if o or n: entries.append((o, n))
while ext:
    blk = t[512 * hdrs:512 * hdrs + 512]; hdrs += 1
    for i in range(21):
        o, n = num(blk[24 * i:24 * i + 12]), num(blk[24 * i + 12:24 * i + 24])
        if o or n: entries.append((o, n))
    ext = blk[504]
need(all(a[0] + a[1] <= b_[0] for a, b_ in zip(entries, entries[1:])), "map not ascending")
need(entries and entries[-1][0] + entries[-1][1] == real, "the map does not end at the size")
need(stored == sum(n for o, n in entries) and stored < rsize, "stored %d of %d: not sparse" % (stored, rsize))
data, at = t[512 * hdrs:], 0
rawb = open(raw, "rb").read()
for o, n in entries:  # each stored run is those bytes of the disk, a run of holes is all zeros
    need(data[at:at + n] == (rawb + bytes(n))[o:o + n], "run at %d differs" % o); at += n
need(rawb.count(b"\0") + stored >= rsize, "zeros")
need(len(t) % 10240 == 0 and t[512 * hdrs + (stored + 511) // 512 * 512:].strip(b"\0") == b"", "end blocks")
print("\n".join(bad) if bad else "ok: %d GiB, %d runs, %d bytes stored of %d" % (real >> 30, len(entries), stored, rsize))
sys.exit(1 if bad else 0)
PY
); then
    mkdir -p "$W/gce" && tar xzf "$W/out.tar.gz" -C "$W/gce" &&
        [ "$(stat -c %s "$W/gce/disk.raw")" -eq $((1 << 30)) ] &&
        cmp -s -n $((24 << 20)) "$W/gce/disk.raw" "$W/disk.raw" &&
        cmp -s -i $((24 << 20)) -n $(((1 << 30) - (24 << 20))) "$W/gce/disk.raw" /dev/zero &&
        [ "$(du -k "$W/gce/disk.raw" | cut -f1)" -lt 16384 ] &&
        echo "PASS format_gce ($out; GNU tar extracts it sparse)" || fail format_gce "GNU tar's disk.raw differs"
    rm -rf "$W/gce"
else fail format_gce "$(cat "$W/err.gce") $out"; fi
# A GPT disk (sfdisk's): in the GiB disk.raw its backup header and entries are at the new end,
# the primary header points there, every checksum holds, the partitions are the same.
if command -v sfdisk >/dev/null; then
    truncate -s 24M "$W/gpt.raw"
    printf 'label: gpt\nstart=2048, size=16384, name=root\n' | sfdisk -q "$W/gpt.raw" >/dev/null 2>&1
    mkdir -p "$W/gceg"
    if "$KIT" convert "$W/gpt.raw" gce "$W/gceg" g 2>"$W/err.gceg" && tar xzf "$W/gceg/g.tar.gz" -C "$W/gceg" &&
        out=$(python3 - "$W/gceg/disk.raw" "$W/gpt.raw" <<'PY' 2>&1
import struct, sys, zlib
d, o = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
last, olast = len(d) // 512 - 1, len(o) // 512 - 1
def hdr(lba):
    h = bytearray(d[lba * 512:lba * 512 + 92])
    assert h[:8] == b"EFI PART", "no header at LBA %d" % lba
    crc = struct.unpack_from("<I", h, 16)[0]; h[16:20] = bytes(4)
    assert zlib.crc32(bytes(h)) == crc, "header CRC at LBA %d" % lba
    return struct.unpack_from("<QQQQ", h, 24) + struct.unpack_from("<QII I", h, 72)
p, b = hdr(1), hdr(last)
assert p[:2] == (1, last) and b[:2] == (last, 1), (p, b)
assert p[3] == last - 33 and b[3] == last - 33, "last usable %d %d" % (p[3], b[3])
n = p[5] * p[6]
pe, be = d[2 * 512:2 * 512 + n], d[b[4] * 512:b[4] * 512 + n]
assert b[4] == last - 32 and pe == be == o[2 * 512:2 * 512 + n], "entries"
assert zlib.crc32(pe) == p[7] == b[7], "entries CRC"
assert d[olast * 512:olast * 512 + 512] == bytes(512), "the old backup header is still there"
assert struct.unpack_from("<I", d, 0x1be + 12)[0] == last, "protective MBR size"
print("backup at LBA %d, entries at %d" % (last, b[4]))
PY
); then echo "PASS format_gce_gpt ($out)"
    else fail format_gce_gpt "$(cat "$W/err.gceg") $out"; fi
    rm -rf "$W/gceg"
else echo "SKIP format_gce_gpt: sfdisk not installed (make deps: fdisk)"; fi

# OpenStack: the properties beside the qcow2 (made together, as a build does); alone it refuses.
mkdir -p "$W/os"
if "$KIT" convert "$W/disk.raw" qcow2,openstack "$W/os" out myapp 2>"$W/err.os" &&
    out=$(python3 - "$W/os/out.openstack.json" "$W/os" <<'PY' 2>&1
import json, os, sys
j = json.load(open(sys.argv[1]))
p = j["properties"]
assert p == {"hw_disk_bus": "virtio", "hw_vif_model": "virtio", "hw_firmware_type": "bios",
             "os_type": "linux", "hw_qemu_guest_agent": "no"}, p
assert j["file"] == "out.qcow2" and os.path.exists(os.path.join(sys.argv[2], j["file"])), j["file"]
assert (j["disk_format"], j["container_format"], j["min_disk"], j["min_ram"]) == ("qcow2", "bare", 1, 256), j
print(" ".join("--property %s=%s" % kv for kv in p.items()))
PY
) && BOOTKIT_UEFI=1 "$KIT" convert "$W/disk.raw" qcow2,openstack "$W/os" u myapp 2>>"$W/err.os" &&
    grep -q '"hw_firmware_type": "uefi"' "$W/os/u.openstack.json" &&
    ! "$KIT" convert "$W/disk.raw" openstack "$W/os" alone myapp 2>"$W/err.os1" &&
    grep -q 'list qcow2 in image.formats too' "$W/err.os1" && ! ls "$W/os" | grep -q alone; then
    echo "PASS format_openstack ($out)"
else fail format_openstack "$(cat "$W/err.os" "$W/err.os1") $out"; fi

# Reproducible: the same raw disk, converted again a second later with the same
# SOURCE_DATE_EPOCH, gives the same bytes in every format. What qemu-img makes up is replaced:
# the VMDK's CID is the start of the raw disk's sha256 and its extent is its own file name;
# the VHD's footer has the epoch's time, an id derived from the seed and a valid checksum.
errs=""
mkdir -p "$W/r1" "$W/r2"
for f in raw qcow2 vmdk vhd ova gce qcow2,openstack; do
    SOURCE_DATE_EPOCH=1700000000 "$KIT" convert "$W/disk.raw" $f "$W/r1" d myapp 2>>"$W/err.r" || errs+="$f failed; "
done
SOURCE_DATE_EPOCH=1700000000 BOOTKIT_UEFI=1 "$KIT" convert "$W/disk.raw" ova "$W/r1" u myapp 2>>"$W/err.r" || errs+="uefi ova failed; "
sleep 1.1
for f in raw qcow2 vmdk vhd ova gce qcow2,openstack; do
    SOURCE_DATE_EPOCH=1700000000 "$KIT" convert "$W/disk.raw" $f "$W/r2" d myapp 2>>"$W/err.r" || errs+="$f failed; "
    cmp -s "$W/r1/d.$(sfx ${f#*,})" "$W/r2/d.$(sfx ${f#*,})" || errs+="$f differs; "
done
SOURCE_DATE_EPOCH=1700000000 BOOTKIT_UEFI=1 "$KIT" convert "$W/disk.raw" ova "$W/r2" u myapp 2>>"$W/err.r" || errs+="uefi ova failed; "
cmp -s "$W/r1/u.ova" "$W/r2/u.ova" || errs+="uefi ova differs; "
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
[ -z "$errs" ] && echo "PASS format_reproducible (raw qcow2 vmdk vhd ova ova-uefi gce openstack: same bytes a second apart)" \
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
