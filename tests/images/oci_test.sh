#!/bin/bash
# oci_test.sh — the oci format (a KubeVirt containerDisk) checked with the ecosystem's own tools:
# skopeo reads the layout and the archive (verifying every digest on copy), umoci unpacks the
# layer, the disk in it is the raw disk's bytes, owned 107:107; two conversions a second apart
# give the same bytes; the appliance build reuses its qcow2.
set -u
: "${JEOS_SRC:?}" "${T_TMP:?}"
cd "$JEOS_SRC"
KIT=${JEOS_SAN_OUT:-out/san}/tests/boot/bootkit
W=$T_TMP
for tool in skopeo umoci qemu-img; do
    if ! command -v $tool >/dev/null; then
        for t in layout archive unpack reproducible errors; do echo "SKIP oci_$t: $tool not installed (make deps)"; done
        exit 0
    fi
done
fail() { echo "FAIL $1: $2"; }
python3 - "$W/disk.raw" <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    f.truncate(16 << 20)
    f.seek(0); f.write(b"\xeb\x63\x90" + bytes(507) + b"\x55\xaa")
    f.seek(5 << 20); f.write(bytes(range(256)) * 2048)
PY
mkdir -p "$W/a" "$W/b"
SOURCE_DATE_EPOCH=1700000000 "$KIT" convert "$W/disk.raw" oci "$W/a" app myapp 2>"$W/err" ||
    { fail oci_layout "convert failed: $(cat "$W/err")"; exit 0; }

# The layout: skopeo finds the image by its tag, one layer, the config's time is the epoch.
if out=$(skopeo inspect "oci:$W/a/app.oci:latest" 2>&1) &&
   python3 - "$out" <<'PY'
import json, sys
j = json.loads(sys.argv[1])
assert j["Architecture"] == "amd64" and j["Os"] == "linux", j
assert len(j["Layers"]) == 1, j["Layers"]
assert j["Created"] == "2023-11-14T22:13:20Z", j["Created"]
PY
then echo "PASS oci_layout (skopeo inspect oci:, one layer, created at SOURCE_DATE_EPOCH)"
else fail oci_layout "$out"; fi

# The archive: the same image; skopeo copy checks every blob's digest and size.
if a=$(skopeo inspect "oci-archive:$W/a/app.oci.tar:latest" 2>&1) &&
   b=$(skopeo inspect "oci:$W/a/app.oci:latest" 2>&1) && [ "$a" = "$b" ] &&
   skopeo copy -q "oci-archive:$W/a/app.oci.tar:latest" "dir:$W/copy" >"$W/copy.log" 2>&1; then
    echo "PASS oci_archive (skopeo inspect oci-archive: equals the layout's; skopeo copy verifies the blobs)"
else fail oci_archive "$a / $(cat "$W/copy.log" 2>/dev/null)"; fi

# The layer: /disk/myapp.qcow2, owned 107:107 as KubeVirt's virt-launcher needs, and its
# guest-visible bytes are the raw disk's.
if umoci unpack --image "$W/a/app.oci:latest" "$W/bundle" >"$W/unpack.log" 2>&1 &&
   [ "$(ls "$W/bundle/rootfs")" = disk ] && [ "$(ls "$W/bundle/rootfs/disk")" = myapp.qcow2 ] &&
   [ "$(stat -c '%u:%g %a' "$W/bundle/rootfs/disk/myapp.qcow2")" = "107:107 440" ] &&
   [ "$(stat -c '%u:%g' "$W/bundle/rootfs/disk")" = "107:107" ] &&
   qemu-img compare -q -f raw -F qcow2 "$W/disk.raw" "$W/bundle/rootfs/disk/myapp.qcow2"; then
    echo "PASS oci_unpack (umoci: /disk/myapp.qcow2, 107:107 0440, same bytes as the raw disk)"
else fail oci_unpack "$(cat "$W/unpack.log"; ls -lnR "$W/bundle/rootfs" 2>&1 | head)"; fi

# Reproducible: both outputs, converted again a second later.
sleep 1.1
SOURCE_DATE_EPOCH=1700000000 "$KIT" convert "$W/disk.raw" oci "$W/b" app myapp 2>>"$W/err"
if cmp -s "$W/a/app.oci.tar" "$W/b/app.oci.tar" && diff -r "$W/a/app.oci" "$W/b/app.oci" >/dev/null; then
    echo "PASS oci_reproducible (app.oci.tar and app.oci/ the same a second apart)"
else fail oci_reproducible "$(cat "$W/err"; cmp "$W/a/app.oci.tar" "$W/b/app.oci.tar")"; fi

# A missing raw disk: a message, and nothing left (not even the converter's temporary folder).
errs=""
"$KIT" convert "$W/nope.raw" oci "$W/a" gone 2>"$W/e1" && errs+="missing input accepted; "
grep -q "$W/nope.raw: No such file or directory" "$W/e1" || errs+="message: $(cat "$W/e1"); "
ls -A "$W/a" | grep -q gone && errs+="left behind: $(ls -A "$W/a" | grep gone); "
[ -z "$errs" ] && echo "PASS oci_errors" || fail oci_errors "$errs"
exit 0
