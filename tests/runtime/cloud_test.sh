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
name=fat12; seed fat12 64 12 CIDATA && expect fat12 "seed=1" "meta=0 user=0 why=" "hostname=from-meta ignored=" "key=$KEY1" "key=$KEY2"
name=fat16; seed fat16 8192 16 cidata && expect fat16 "seed=1" "hostname=from-meta ignored=" "key=$KEY1"
name=fat32; seed fat32 40000 32 CIDATA && expect fat32 "seed=1" "meta=0 user=0 why=" "hostname=from-meta ignored=" "key=$KEY2"
name=user; seed user 64 12 CIDATA "$W/user-host" && expect user "seed=1" "hostname=from-user ignored="
[ -z "$errs" ] && echo "PASS cloud_seed_fat (FAT12, FAT16, FAT32; long names; label in any case; user-data's hostname first; 2 keys)" ||
    echo "FAIL cloud_seed_fat: $errs"

errs=""
name=other; seed other 64 12 OTHER && expect other "seed=0"
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
out=$("$W/seed" "$W/noise.img" 2>&1) && grep -q '^seed=0$' <<<"$out" && grep -q '^meta=-2' <<<"$out" || errs+="noise: $(tr '\n' '|' <<<"$out"); "
[ -z "$errs" ] && echo "PASS cloud_seed_errors (a label not CIDATA, a bad host name and key, a non-cloud-config user-data, a broken chain, a cut volume, noise: each refused with a reason)" ||
    echo "FAIL cloud_seed_errors: $errs"
exit 0
