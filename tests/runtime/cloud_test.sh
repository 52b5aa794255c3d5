#!/bin/bash
# cloud_test.sh — runtime/init's NoCloud reader (cloud.c) on seed volumes made by mkfs.vfat and
# mtools, as cloud-localds and users make them: FAT12, FAT16 and FAT32, long names, the label
# in any case, user-data's hostname over meta-data's, keys; and volumes that are not seeds or
# are broken, each refused with a reason, never a crash (the reader is built with the sanitizers).
set -u
: "${JEOS_SRC:?}" "${T_TMP:?}"
cd "$JEOS_SRC"
W=$T_TMP
for t in mkfs.vfat mcopy mlabel cc; do
    command -v $t >/dev/null || { echo "SKIP cloud_seed_fat: $t not installed (make deps)"; echo "SKIP cloud_seed_errors: $t not installed"; exit 0; }
done
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
    -I. -o "$W/seed" tests/runtime/cloud_seed.c runtime/init/cloud.c 2>"$W/cc.log" ||
    { cat "$W/cc.log"; echo "FAIL cloud_seed_fat: cannot build the reader"; exit 0; }
KEY1="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKu7 alice@example"
KEY2="ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAI bob@example"
printf 'instance-id: iid-1\nlocal-hostname: from-meta\n' >"$W/meta-data"
printf '#cloud-config\nssh_authorized_keys:\n  - %s\n  - "%s"\npackages: [x]\n' "$KEY1" "$KEY2" >"$W/user-data"
printf '#cloud-config\nhostname: from-user\n' >"$W/user-host"
# seed NAME KB FATBITS LABEL [USER-DATA]: a volume with meta-data and user-data
seed() {
    rm -f "$W/$1.img"
    mkfs.vfat -C -F "$3" -n "$4" "$W/$1.img" "$2" >/dev/null 2>&1 &&
        MTOOLS_SKIP_CHECK=1 mcopy -i "$W/$1.img" "$W/meta-data" ::meta-data &&
        MTOOLS_SKIP_CHECK=1 mcopy -i "$W/$1.img" "${5:-$W/user-data}" ::user-data
}
errs=""
expect() { # NAME PATTERN...: each line in the reader's output
    local out; out=$("$W/seed" "$W/$1.img" 2>&1) || errs+="$1: reader exit $?: $out; "
    shift
    for p in "$@"; do grep -qxF -- "$p" <<<"$out" || errs+="$name: missing \"$p\" in: $(tr '\n' '|' <<<"$out"); "; done
}
name=fat12; seed fat12 64 12 CIDATA && expect fat12 "seed=1 kind=1" "meta=0 user=0 why=" "hostname=from-meta ignored=" "key=$KEY1" "key=$KEY2"
name=fat16; seed fat16 8192 16 cidata && expect fat16 "seed=1 kind=1" "hostname=from-meta ignored=" "key=$KEY1"
name=fat32; seed fat32 40000 32 CIDATA && expect fat32 "seed=1 kind=1" "meta=0 user=0 why=" "hostname=from-meta ignored=" "key=$KEY2"
name=user; seed user 64 12 CIDATA "$W/user-host" && expect user "seed=1 kind=1" "hostname=from-user ignored="
[ -z "$errs" ] && echo "PASS cloud_seed_fat (FAT12, FAT16, FAT32; long names; label in any case; user-data's hostname first; 2 keys)" ||
    echo "FAIL cloud_seed_fat: $errs"

errs=""
name=other; seed other 64 12 OTHER && expect other "seed=0 kind=0"
printf 'local-hostname: bad_host!\n' >"$W/meta-data"
printf '#cloud-config\nssh_authorized_keys:\n  - not a key\n' >"$W/user-bad"
name=bad; seed bad 64 12 CIDATA "$W/user-bad" &&
    expect bad "hostname= ignored=meta-data: local-hostname is not a host name (got \"bad_host!\")"
out=$("$W/seed" "$W/bad.img"); grep -q '^key=' <<<"$out" && errs+="bad: a non-key accepted; "
# not #cloud-config: its keys are not read
printf 'local-hostname: ok\n' >"$W/meta-data"
printf '#!/bin/sh\nssh_authorized_keys:\n  - %s\n' "$KEY1" >"$W/user-script"
name=script; seed script 64 12 CIDATA "$W/user-script" && expect script "hostname=ok ignored="
grep -q '^key=' <<<"$("$W/seed" "$W/script.img")" && errs+="script: keys read from a non-cloud-config; "
# broken: a file's first cluster beyond the volume; the volume cut short; noise
seed broken 64 12 CIDATA
python3 - "$W/broken.img" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
rsvd = struct.unpack_from("<H", b, 14)[0]; bps = struct.unpack_from("<H", b, 11)[0]
fat = rsvd * bps
root = (rsvd + b[16] * struct.unpack_from("<H", b, 22)[0]) * bps
for i in range(0, 512, 32):  # the meta-data entry: its first cluster beyond the volume
    e = b[root + i:root + i + 32]
    if e[11] != 0x0f and e[:4] == b"META":
        struct.pack_into("<H", b, root + i + 26, 0xff0)
open(sys.argv[1], "wb").write(b)
PY
name=broken; out=$("$W/seed" "$W/broken.img" 2>&1)
grep -qx 'meta=-2 user=0 why=meta-data: its cluster chain ends at 0 of 19 bytes' <<<"$out" || errs+="broken chain: $(tr '\n' '|' <<<"$out"); "
seed cut 64 12 CIDATA && truncate -s 4096 "$W/cut.img"
out=$("$W/seed" "$W/cut.img" 2>&1); grep -q '^meta=-2 user=-2 why=.*beyond the 4096 bytes$' <<<"$out" || errs+="cut: $(tr '\n' '|' <<<"$out"); "
head -c 8192 /dev/urandom >"$W/noise.img"
out=$("$W/seed" "$W/noise.img" 2>&1) && grep -q '^seed=0 kind=0$' <<<"$out" && grep -q '^meta=-2' <<<"$out" || errs+="noise: $(tr '\n' '|' <<<"$out"); "
[ -z "$errs" ] && echo "PASS cloud_seed_errors (a label not CIDATA, a bad host name and key, a non-cloud-config user-data, a broken chain, a cut volume, noise: each refused with a reason)" ||
    echo "FAIL cloud_seed_errors: $errs"

# ---- ISO 9660: the NoCloud seed as cloud-localds makes it (genisoimage -J -R), with Rock Ridge
# names only, and the OpenStack config drive (as nova makes it: -J -r -V config-2)
if ! command -v genisoimage >/dev/null; then
    for t in cloud_seed_iso cloud_configdrive cloud_iso_errors; do echo "SKIP $t: genisoimage not installed (make deps)"; done
else
    errs=""
    printf 'instance-id: iid-1\nlocal-hostname: from-iso\n' >"$W/meta-data"
    mkdir -p "$W/isodir" && cp "$W/meta-data" "$W/user-data" "$W/isodir/"
    genisoimage -quiet -output "$W/iso-jr.img" -volid cidata -joliet -rock "$W/isodir" 2>>"$W/iso.log"
    genisoimage -quiet -output "$W/iso-r.img" -volid CIDATA -rock "$W/isodir" 2>>"$W/iso.log"
    name=iso-jr; expect iso-jr "seed=0 kind=2" "meta=0 user=0 why=" "hostname=from-iso ignored=" "key=$KEY1" "key=$KEY2"
    name=iso-r; expect iso-r "seed=0 kind=2" "meta=0 user=0 why=" "hostname=from-iso ignored=" "key=$KEY2"
    [ -z "$errs" ] && echo "PASS cloud_seed_iso (genisoimage's NoCloud seed with Joliet and with Rock Ridge names only: host name, 2 keys)" ||
        echo "FAIL cloud_seed_iso: $errs"

    errs=""
    mkdir -p "$W/cd/openstack/latest"
    cat >"$W/cd/openstack/latest/meta_data.json" <<JSON
{"uuid": "d8e02d56-2648-49a3-bf97-6be8f1204f38", "availability_zone": "nova",
 "hostname": "vm-\u0031.novalocal", "launch_index": 0, "meta": {"a": [1, 2.5e3, true, null]},
 "public_keys": {"mykey": "$KEY1\n", "other": "$KEY2"}, "name": "vm-1"}
JSON
    genisoimage -quiet -output "$W/cd.img" -ldots -allow-lowercase -allow-multidot -l -J -r -V config-2 "$W/cd" 2>>"$W/iso.log"
    name=cd; expect cd "seed=0 kind=4" "json=0 why=" "rc=0" "hostname=vm-1.novalocal ignored=" "key=$KEY1" "key=$KEY2"
    # the JSON parser alone: malformed, a bad host name, other shapes
    printf '{"hostname": "ok", "public_keys": {"k": "%s"' "$KEY1" >"$W/j1"
    out=$("$W/seed" --text openstack "$W/j1"); grep -qx 'rc=-1' <<<"$out" && grep -q '^hostname=ok ignored=meta_data.json: not a JSON object, malformed at (got "byte ' <<<"$out" || errs+="cut json: $(tr '\n' '|' <<<"$out"); "
    printf '{"hostname": "bad host", "public_keys": {"k": "not a key"}}' >"$W/j2"
    out=$("$W/seed" --text openstack "$W/j2"); grep -qx 'hostname= ignored=meta_data.json: hostname is not a host name (got "bad host")' <<<"$out" && ! grep -q '^key=' <<<"$out" || errs+="bad values: $(tr '\n' '|' <<<"$out"); "
    printf '[1, 2]' >"$W/j3"
    out=$("$W/seed" --text openstack "$W/j3"); grep -qx 'rc=-1' <<<"$out" || errs+="an array: $(tr '\n' '|' <<<"$out"); "
    printf '{"hostname": "a\\q"}' >"$W/j4"
    out=$("$W/seed" --text openstack "$W/j4"); grep -qx 'rc=-1' <<<"$out" || errs+="a bad escape: $(tr '\n' '|' <<<"$out"); "
    [ -z "$errs" ] && echo "PASS cloud_configdrive (nova's config drive: meta_data.json's hostname and public_keys; cut, non-object, bad escape and bad values refused)" ||
        echo "FAIL cloud_configdrive: $errs"

    errs=""
    # a directory record cut short inside the root folder; the file's extent beyond the volume
    cp "$W/iso-r.img" "$W/iso-bad.img"
    python3 - "$W/iso-bad.img" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
pvd = 16 * 2048
root = struct.unpack_from("<I", b, pvd + 156 + 2)[0] * 2048
at = root + b[root] + b[root + b[root]]  # past "." and ".."
b[at] = 20  # a record shorter than 34 bytes
open(sys.argv[1], "wb").write(b)
PY
    out=$("$W/seed" "$W/iso-bad.img" 2>&1); grep -q '^meta=-2 user=-2 why=a directory record of 20 bytes at byte ' <<<"$out" || errs+="short record: $(tr '\n' '|' <<<"$out"); "
    cp "$W/iso-r.img" "$W/iso-cut.img" && truncate -s 40000 "$W/iso-cut.img"
    out=$("$W/seed" "$W/iso-cut.img" 2>&1); grep -qE '^meta=-2 user=-2 why=.*beyond the 40000 bytes$' <<<"$out" || errs+="cut: $(tr '\n' '|' <<<"$out"); "
    genisoimage -quiet -output "$W/iso-other.img" -volid OTHER -rock "$W/isodir" 2>>"$W/iso.log"
    name=other; expect iso-other "seed=0 kind=0"
    [ -z "$errs" ] && echo "PASS cloud_iso_errors (a short directory record, a cut volume: refused with where; another label: not a seed)" ||
        echo "FAIL cloud_iso_errors: $errs"
fi

# ---- the metadata servers' answers: HTTP heads, EC2's key listing, GCE's ssh-keys
errs=""
printf 'HTTP/1.0 200 OK\r\nMetadata-Flavor: Google\r\nContent-Length: 5\r\n\r\nvm-7.c.proj.internal' >"$W/h1"
out=$("$W/seed" --text http "$W/h1"); grep -qx 'rc=0 status=200 body=vm-7. why= flavor=1' <<<"$out" || errs+="h1: $out; "
printf 'HTTP/1.1 401 Unauthorized\r\nContent-Length: 99\r\n\r\nshort' >"$W/h2"
out=$("$W/seed" --text http "$W/h2"); grep -qx 'rc=-1 status=0 body= why=HTTP 401: Content-Length 99, 5 bytes came flavor=0' <<<"$out" || errs+="h2: $out; "
printf 'SSH-2.0-OpenSSH\r\n' >"$W/h3"
out=$("$W/seed" --text http "$W/h3"); grep -q '^rc=-1 status=0 body= why=not an HTTP answer' <<<"$out" || errs+="h3: $out; "
printf 'ip-10-0-2-15.ec2.internal\n' >"$W/hn"
out=$("$W/seed" --text hostname "$W/hn"); grep -qx 'hostname=ip-10-0-2-15 ignored=' <<<"$out" || errs+="hostname: $out; "
printf '0=my-key\n1=other\nx=bad\n12=twelve' >"$W/ec2"
out=$("$W/seed" --text ec2 "$W/ec2"); grep -qx 'indexes=3: 0 1 12' <<<"$out" || errs+="ec2: $out; "
printf 'svc:%s\nroot:%s\nsvc:not a key\n' "$KEY1" "$KEY2" >"$W/gce"
out=$("$W/seed" --text gce "$W/gce" svc)
grep -qx "key=$KEY1" <<<"$out" && grep -qx 'other_users=1' <<<"$out" && ! grep -q "key=$KEY2" <<<"$out" &&
    grep -q 'ignored=ssh-keys: an ssh key that is not one' <<<"$out" || errs+="gce: $(tr '\n' '|' <<<"$out"); "
[ -z "$errs" ] && echo "PASS cloud_server_text (HTTP heads and Content-Length, Metadata-Flavor, EC2's host name and key listing, GCE's ssh-keys for one user)" ||
    echo "FAIL cloud_server_text: $errs"
exit 0
