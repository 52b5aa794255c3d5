#!/bin/bash
# inspect_test.sh — jeos inspect and jeos diff. inspect --json on every format of
# recipes/nginx.yaml (raw, qcow2, vmdk, vhd, ova, gce, oci: folder and tar) and recipes/hello.yaml
# (elf and the same), each checked against what the build and sfdisk say; on a disk jeos did not
# build (GPT + ext4 with dpkg's status, GRUB's configuration and a Debian kernel, as a Debian
# cloud image has them), an empty disk and a random file (read, with notes); a truncated
# image, a GPT whose CRC fails, a squashfs with garbage inside, a qcow2 with a broken header and
# an OCI layout with a broken index.json (each a one-line error naming the part). jeos diff between nginx and the same recipe with
# netcat-openbsd added: exactly the packages the second lock has and the first has not, and
# the files they bring; the same between the two lock files. SKIPPED when the Debian mirror
# cannot be reached.
set -u
: "${JEOS_SRC:?}" "${T_TMP:?}" "${JEOS:?}"
cd "$JEOS_SRC"
W=$T_TMP
NAMES="inspect_nginx_formats inspect_hello_formats inspect_foreign inspect_empty_random inspect_bad_images diff_images diff_locks"
skip_all() { for t in $NAMES; do echo "SKIP $t: $1"; done; exit 0; }
PY=/usr/bin/python3
for t in unsquashfs sfdisk mke2fs qemu-img mcopy $PY; do
    command -v $t >/dev/null || skip_all "$t not installed"
done
INIT=$JEOS_SRC/${JEOS_OUT:-out}/jeos-init
[ -x "$INIT" ] || skip_all "no jeos-init (run make)"
export JEOS_INIT=$INIT SOURCE_DATE_EPOCH=1700000000
mkdir -p "$W/r" "$W/r2" "$W/out" "$W/out2"
cp -r recipes/nginx.yaml recipes/nginx recipes/hello.yaml recipes/hello "$W/r/"
sed -i 's/formats: \[raw, qcow2, vmdk, ova\]/formats: [raw, qcow2, vmdk, vhd, ova, gce, oci]/' "$W/r/nginx.yaml"
sed -i 's/formats: \[elf, raw\]/formats: [elf, raw, qcow2, vmdk, vhd, ova, gce, oci]/' "$W/r/hello.yaml"
cp -r recipes/nginx "$W/r2/"
sed 's/packages: \[nginx-light\]/packages: [nginx-light, netcat-openbsd]/' recipes/nginx.yaml >"$W/r2/nginx.yaml"
for r in r/nginx r/hello r2/nginx; do
    o=$W/out; [ "${r%%/*}" = r2 ] && o=$W/out2
    if ! "$JEOS" -q build -o "$o" "$W/$r.yaml" >"$W/build.log" 2>&1; then
        grep -qiE "could not resolve|connect|unreachable|timed out" "$W/build.log" &&
            skip_all "the Debian mirror is unreachable"
        tail -5 "$W/build.log"
        for t in $NAMES; do echo "FAIL $t: jeos build $r failed: $(tail -1 "$W/build.log" | cut -c1-200)"; done
        exit 1
    fi
done

# ---- every format of nginx and hello, against the build's own facts ----
inspect_check() { # test, name, files...
    local t=$1 n=$2; shift 2
    local bad="" f
    for f in "$@"; do
        if ! "$JEOS" inspect --json "$W/out/$n/$f" >"$W/$f.json" 2>"$W/$f.err"; then
            bad="$bad $f: $(head -c 200 "$W/$f.err")"
            continue
        fi
        r=$($PY tests/build/check_inspect.py "$n" "$W/out/$n" "$f" "$W/$f.json" 2>&1) ||
            bad="$bad $f: $r"
    done
    if [ -z "$bad" ]; then echo "PASS $t: $*"; else echo "FAIL $t:$bad"; fi
}
inspect_check inspect_nginx_formats nginx nginx.raw nginx.qcow2 nginx.vmdk nginx.vhd nginx.ova nginx.tar.gz \
    nginx.oci nginx.oci.tar
inspect_check inspect_hello_formats hello hello.elf hello.raw hello.qcow2 hello.vmdk hello.vhd hello.ova \
    hello.tar.gz hello.oci hello.oci.tar

# ---- a disk jeos did not build: GPT, ext4 root with what a Debian cloud image has ----
F=$W/foreign
mkdir -p "$F/t/boot/grub" "$F/t/var/lib/dpkg" "$F/t/usr/bin"
vmlinuz=$(ls "${JEOS_CACHE:-$HOME/.cache/jeos}"/kernel/*/boot/vmlinuz-* 2>/dev/null | head -1)
[ -n "$vmlinuz" ] && cp "$vmlinuz" "$F/t/boot/vmlinuz-6.1.0-test"
cat >"$F/t/boot/grub/grub.cfg" <<'EOF'
set default=0
menuentry 'Debian GNU/Linux' --class debian {
	insmod ext2
	search --no-floppy --fs-uuid --set=root 1234
	linux	/boot/vmlinuz-6.1.0-test root=PARTUUID=abc ro console=ttyS0 earlyprintk
	initrd	/boot/initrd.img-6.1.0-test
}
EOF
printf 'Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.4+deb12u5\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n\nPackage: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2.15-2+b2\nDescription: shell\n multi-line\n' >"$F/t/var/lib/dpkg/status"
head -c 300000 /dev/urandom >"$F/t/usr/bin/big"
mke2fs -q -t ext4 -d "$F/t" "$F/root.ext4" 32M >/dev/null
truncate -s 36M "$F/disk.img"
printf 'label: gpt\nstart=2048, size=65536, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4\n' |
    sfdisk -q "$F/disk.img" >/dev/null
dd if="$F/root.ext4" of="$F/disk.img" bs=1M seek=1 conv=notrunc status=none
if "$JEOS" inspect --json "$F/disk.img" >"$F/i.json" 2>"$F/i.err"; then
    r=$($PY - "$F/i.json" "$vmlinuz" 2>&1 <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
got = {p["name"]: p["version"] for p in d["packages"]}
assert got == {"base-files": "12.4+deb12u5", "bash": "5.2.15-2+b2"}, got
assert d["root"]["filesystem"] == "ext4", d["root"]
assert d["kernel"]["cmdline"] == "root=PARTUUID=abc ro console=ttyS0 earlyprintk", d["kernel"]
if sys.argv[2]:
    assert d["kernel"]["version"].startswith("Linux 6.1.0-"), d["kernel"]
assert {"path": "/usr/bin/big", "bytes": 300000} in d["largest_files"], d["largest_files"]
assert d["boot"]["bios"] is None and d["boot"]["uefi"] is None
print("ext4 root, 2 installed packages from dpkg's status, %s" % d["kernel"]["version"][:40])
PYEOF
) && echo "PASS inspect_foreign: $r" || echo "FAIL inspect_foreign: $r"
else
    echo "FAIL inspect_foreign: $(head -c 300 "$F/i.err")"
fi

# ---- an empty disk and a random file: read, and said what is not known ----
truncate -s 8M "$W/empty.img"
head -c 3M /dev/urandom >"$W/random.img"
e_out=$("$JEOS" inspect "$W/empty.img" 2>&1); e_rc=$?
r_out=$("$JEOS" inspect "$W/random.img" 2>&1); r_rc=$?
if [ $e_rc -eq 0 ] && [ $r_rc -eq 0 ] && grep -q "all zeros" <<<"$e_out" &&
    grep -q "no partition table" <<<"$e_out" && grep -q "not a filesystem jeos reads" <<<"$r_out"; then
    echo "PASS inspect_empty_random: both read; notes: $(grep -c '^  ' <<<"$e_out$r_out") lines"
else
    echo "FAIL inspect_empty_random: empty (exit $e_rc): $(tail -2 <<<"$e_out" | paste -sd' '); random (exit $r_rc): $(tail -2 <<<"$r_out" | paste -sd' ')"
fi

# ---- broken images: one clear line each, exit status 1 ----
N=$W/out/nginx/nginx.raw
head -c 25M "$N" >"$W/trunc.img"
cp "$N" "$W/crc.img"; printf 'XXXX' | dd of="$W/crc.img" bs=1 seek=552 conv=notrunc status=none
cp "$N" "$W/sq.img"
start=$(sfdisk -J "$N" | $PY -c 'import json,sys; print([p["start"] for p in json.load(sys.stdin)["partitiontable"]["partitions"] if p.get("name")=="root"][0])')
head -c 2M /dev/urandom | dd of="$W/sq.img" bs=512 seek=$((start + 2048)) conv=notrunc status=none
cp "$W/out/nginx/nginx.qcow2" "$W/hdr.qcow2"; printf '\377\377\377\377' | dd of="$W/hdr.qcow2" bs=1 seek=20 conv=notrunc status=none
cp -r "$W/out/nginx/nginx.oci" "$W/idx.oci"; printf '{"manifests": [' >"$W/idx.oci/index.json"
bad=""
expect_err() { # file, words the error must hold
    local out rc
    out=$("$JEOS" inspect "$1" 2>&1 >/dev/null); rc=$?
    if [ $rc -ne 1 ] || ! grep -q "$2" <<<"$out" || [ "$(wc -l <<<"$out")" -gt 3 ] ||
        grep -q "AddressSanitizer\|runtime error" <<<"$out"; then
        bad="$bad ${1##*/} (exit $rc): $(head -c 200 <<<"$out")"
    fi
}
expect_err "$W/trunc.img" "truncated"
expect_err "$W/crc.img" "GPT header: CRC32"
expect_err "$W/sq.img" "root filesystem (squashfs, partition 3) cannot be read"
expect_err "$W/hdr.qcow2" "not a readable qcow2"
expect_err "$W/idx.oci" "idx.oci: index.json: not JSON"
[ -z "$bad" ] && echo "PASS inspect_bad_images: truncated, GPT CRC, squashfs garbage, qcow2 header, OCI index: each one error" ||
    echo "FAIL inspect_bad_images:$bad"

# ---- jeos diff: one package added ----
want=$($PY - "$W/r/nginx.yaml.lock" "$W/r2/nginx.yaml.lock" <<'PYEOF'
import re, sys
def names(p):
    return set(re.findall(r"^Package: (\S+)", open(p).read(), re.M))
print(" ".join(sorted(names(sys.argv[2]) - names(sys.argv[1]))))
PYEOF
)
"$JEOS" diff --json "$W/out/nginx/nginx.raw" "$W/out2/nginx/nginx.qcow2" >"$W/diff.json" 2>&1
r=$($PY - "$want" "$W/diff.json" 2>&1 <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[2]))
want = set(sys.argv[1].split())
added = {c["package"] for c in d["packages"] if c["change"] == "+"}
others = [c for c in d["packages"] if c["change"] != "+"]
assert "netcat-openbsd" in want, want
assert added == want and not others, (added, want, others)
files = {c["path"]: c["change"] for c in d["files"]}
assert files.get("/usr/bin/nc.openbsd") == "+", sorted(files)[:10]
assert all(v == "+" for k, v in files.items() if k != "/usr/share/jeos/sbom.spdx.json"), files
print("added %s; %d root files added" % (" ".join(sorted(added)), len(files) - 1))
PYEOF
) && echo "PASS diff_images: $r" || echo "FAIL diff_images: $r"
l_out=$("$JEOS" diff "$W/r/nginx.yaml.lock" "$W/r2/nginx.yaml.lock" 2>&1)
got=$(grep '^+ ' <<<"$l_out" | awk '{print $2}' | sort | paste -sd' ')
if [ "$got" = "$want" ] && grep -q "^packages: .* 0 removed, 0 changed" <<<"$l_out"; then
    echo "PASS diff_locks: + $got"
else
    echo "FAIL diff_locks: got \"$got\", the locks differ by \"$want\": $(head -c 300 <<<"$l_out")"
fi
