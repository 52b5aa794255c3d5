#!/bin/bash
# rootfs_test.sh — test-made .debs → jeos rootfs → ext4 and squashfs, checked with e2fsck,
# debugfs and unsquashfs against the manifest; exact failures; byte-identical rebuilds; no root.
set -u
HERE=$JEOS_SRC/tests/images
D=$T_TMP/debs
R=$T_TMP/rec
fail=0
pass() { echo "PASS $1"; }
failf() { echo "FAIL $1: $2"; fail=1; }

for tool in dpkg-deb python3 sqfstar unsquashfs debugfs e2fsck; do
    if ! command -v "$tool" >/dev/null; then
        echo "SKIP rootfs: $tool is not installed (make deps)"
        exit 0
    fi
done
python3 "$HERE/mkdebs.py" "$D" || { echo "FAIL rootfs_mkdebs: could not build the test packages"; exit 1; }

mkdir -p "$R/site/sub"
printf 'hello\n' >"$R/site/index.html"
printf 'x' >"$R/site/sub/a.txt"
printf '#!/bin/sh\necho tool\n' >"$R/tool.sh"
cat >"$R/t.yaml" <<'EOF'
name: testbox
kind: appliance
description: rootfs test appliance
packages: [alpha]
locales: [de_DE.UTF-8]
exclude: [/usr/lib/alpha/drop.*]
users:
  - {name: app, uid: 1500, groups: [adm]}
files:
  - {src: site/, dst: /srv/site/, owner: app, group: www-data}
  - {src: tool.sh, dst: /usr/local/bin/, mode: "0750"}
  - {src: tool.sh, dst: /opt/app/bin/run.sh, mode: "0700", owner: app}
folders:
  - {path: /var/lib/app, owner: app, group: adm, mode: "0750"}
service: {exec: [/usr/bin/alpha], user: svc}
image: {root: ext4}
EOF
GOOD=("$D/alpha.deb" "$D/beta.deb" "$D/gamma.deb" "$D/delta.deb" "$D/epsilon.deb")

build() { # outdir fs [extra env...]
    local out=$1 fs=$2
    shift 2
    env "$@" "$JEOS" rootfs -t "$fs" -d "$out" "$R/t.yaml" "${GOOD[@]}" >"$out.log" 2>&1
}

for fs in ext4 squashfs; do
    mkdir -p "$T_TMP/a"
    if ! build "$T_TMP/a" "$fs"; then
        failf "rootfs_build_$fs" "$(tail -5 "$T_TMP/a.log")"
        continue
    fi
    pass "rootfs_build_$fs"
    if out=$(python3 "$HERE/check_image.py" "$fs" "$T_TMP/a/root.$fs" "$T_TMP/a/manifest.txt" 2>&1); then
        pass "rootfs_${fs}_listing_matches_manifest ($out)"
    else
        failf "rootfs_${fs}_listing_matches_manifest" "$(echo "$out" | head -10)"
    fi
done

if out=$(e2fsck -fn "$T_TMP/a/root.ext4" 2>&1); then
    pass rootfs_e2fsck_clean
else
    failf rootfs_e2fsck_clean "$(echo "$out" | tail -8)"
fi

# What the manifest must say, written out by hand from the test packages and recipe.
M=$T_TMP/a/manifest.txt
sha() { printf '%b' "$1" | sha256sum | cut -d' ' -f1; }
expect=(
    "/bin symlink 0777 0:0 0 usr/bin"
    "/lib64 symlink 0777 0:0 0 usr/lib64"
    "/usr/bin/alpha-bin file 0755 0:0 8 $(sha 'in /bin\n')"
    "/usr/lib64/ld-test.so.2 file 0755 0:0 7 $(sha 'loader\n')"
    "/usr/bin/su-alpha file 4755 0:0 13 $(sha 'setuid alpha\n')"
    "/usr/bin/sgid file 2755 0:6 7 $(sha 'setgid\n')"
    "/usr/bin/alpha-hard hardlink 0755 0:0 13 /usr/bin/alpha"
    "/usr/bin/alpha-link symlink 0777 0:0 0 alpha"
    "/dev/null2 chr 0666 0:0 0 1,3"
    "/dev/sda9 blk 0660 0:6 0 8,9"
    "/dev/big chr 0600 0:0 0 259,300"
    "/run/gamma.fifo fifo 0644 0:0 0 -"
    "/srv/sticky dir 1777 0:0 0 -"
    "/var/www dir 0750 33:33 0 -"
    "/var/www/index.html file 0640 33:33 12 $(sha '<h1>hi</h1>\n')"
    "/etc/shared.conf file 0644 0:0 10 $(sha 'from beta\n')"
    "/usr/share/locale/de/LC_MESSAGES/alpha.mo file 0644 0:0 7 $(sha 'german\n')"
    "/usr/share/epsilon/data file 0644 0:0 25 $(sha 'gzip-compressed data.tar\n')"
    "/usr/bin/editor symlink 0777 0:0 0 /etc/alternatives/editor"
    "/etc/alternatives/editor symlink 0777 0:0 0 /usr/bin/delta"
    "/srv/site/index.html file 0644 1500:33 6 $(sha 'hello\n')"
    "/srv/site/sub/a.txt file 0644 1500:33 1 $(sha 'x')"
    "/usr/local/bin/tool.sh file 0750 0:0 20 $(sha '#!/bin/sh\necho tool\n')"
    "/opt/app dir 0700 1500:0 0 -"
    "/opt/app/bin dir 0700 1500:0 0 -"
    "/opt/app/bin/run.sh file 0700 1500:0 20 $(sha '#!/bin/sh\necho tool\n')"
    "/var/lib/app dir 0750 1500:4 0 -"
    "/var/run symlink 0777 0:0 0 /run"
    "/tmp dir 1777 0:0 0 -"
    "/root dir 0700 0:0 0 -"
)
bad=
for line in "${expect[@]}"; do
    grep -qxF -- "$line" "$M" || bad="$bad; missing: $line (have: $(grep -F "${line%% *} " "$M" | head -1))"
done
for gone in /usr/share/doc/alpha /usr/share/locale/fr /usr/lib/alpha/drop.me /bin/alpha-bin; do
    grep -q "^$gone " "$M" && bad="$bad; should be absent: $gone"
done
if [ -z "$bad" ]; then pass rootfs_manifest_expected_entries; else failf rootfs_manifest_expected_entries "${bad#; }"; fi

# users, groups, identity files, as read back from the ext4 image
img=$T_TMP/a/root.ext4
pw=$(debugfs -R 'cat /etc/passwd' "$img" 2>/dev/null)
gr=$(debugfs -R 'cat /etc/group' "$img" 2>/dev/null)
osr=$(debugfs -R 'cat /etc/os-release' "$img" 2>/dev/null)
bad=
grep -qx 'www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin' <<<"$pw" || bad="$bad www-data"
grep -qx 'app:x:1500:1500:app:/nonexistent:/usr/sbin/nologin' <<<"$pw" || bad="$bad app"
grep -qE '^svc:x:1[0-9][0-9]:1[0-9][0-9]:' <<<"$pw" || bad="$bad svc(system range)"
grep -qx 'adm:x:4:app' <<<"$gr" || bad="$bad adm-member"
grep -qx 'NAME="testbox"' <<<"$osr" || bad="$bad os-release"
[ "$(debugfs -R 'cat /etc/hostname' "$img" 2>/dev/null)" = testbox ] || bad="$bad hostname"
if [ -z "$bad" ]; then pass rootfs_users_and_identity; else failf rootfs_users_and_identity "wrong:$bad"; fi

# xattrs and holes in ext4; xattrs in squashfs (extracting security.* needs root)
ea=$(debugfs -R 'ea_list /usr/bin/ping2' "$img" 2>/dev/null)
blocks=$(debugfs -R 'stat /usr/lib/alpha/sparse.bin' "$img" 2>/dev/null | sed -n 's/.*Blockcount: \([0-9]*\).*/\1/p')
if grep -q 'security.capability (20) = 01 00 00 02 00 20' <<<"$ea" && [ "$blocks" = 8 ]; then
    pass rootfs_ext4_xattr_and_hole
else
    failf rootfs_ext4_xattr_and_hole "ea_list: $ea; sparse.bin blockcount $blocks (expected 8: one 4 KiB block, the rest a hole)"
fi
if [ "$(id -u)" = 0 ]; then
    rm -rf "$T_TMP/x"
    unsquashfs -q -d "$T_TMP/x" "$T_TMP/a/root.squashfs" >/dev/null 2>&1
    cap=$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "security.capability").hex())' "$T_TMP/x/usr/bin/ping2" 2>&1)
    if [ "$cap" = 0100000200200000000000000000000000000000 ]; then
        pass rootfs_squashfs_xattr
    else
        failf rootfs_squashfs_xattr "security.capability read back as: $cap"
    fi
else
    echo "SKIP rootfs_squashfs_xattr: extracting security.* xattrs needs root"
fi

rep=$T_TMP/a/rootfs-report.txt
if grep -qF '/usr/lib/alpha/drop.*: 1 files, 25 bytes' "$rep" && grep -qxF '  gamma: postinst' "$rep" &&
    grep -qF '/usr/share/doc/* (default): 2 files, 500 bytes' "$rep" &&
    grep -qF 'alternative /usr/bin/editor -> /etc/alternatives/editor -> /usr/bin/delta (priority 80)' "$rep"; then
    pass rootfs_report
else
    failf rootfs_report "$(cat "$rep")"
fi

# The kernel itself reads both images (needs root and loop devices; SKIPPED otherwise).
mnt=$T_TMP/mnt
mkdir -p "$mnt"
if [ "$(id -u)" = 0 ] && timeout 20 mount -o loop,ro "$T_TMP/a/root.ext4" "$mnt" 2>/dev/null; then
    ok=1
    for fs in ext4 squashfs; do
        if [ $fs = squashfs ] && ! timeout 20 mount -o loop,ro "$T_TMP/a/root.squashfs" "$mnt" 2>"$T_TMP/mount.err"; then
            ok=0
            failf rootfs_kernel_mount "the kernel refuses the squashfs image: $(cat "$T_TMP/mount.err")"
            break
        fi
        got=$(stat -c '%A %u:%g %s' "$mnt/usr/bin/su-alpha" "$mnt/var/www/index.html" 2>&1; sha256sum <"$mnt/etc/shared.conf" | cut -c1-16; stat -c '%t,%T' "$mnt/dev/sda9")
        umount "$mnt"
        want=$(printf '%s\n' '-rwsr-xr-x 0:0 13' '-rw-r----- 33:33 12' "$(sha 'from beta\n' | cut -c1-16)" '8,9')
        [ "$got" = "$want" ] || { ok=0; failf rootfs_kernel_mount "$fs as mounted: $got"; }
    done
    [ $ok = 1 ] && pass "rootfs_kernel_mount (ext4 and squashfs, loop, read-only)"
else
    echo "SKIP rootfs_kernel_mount: needs root and loop devices"
fi

# Byte-identical rebuilds (wall clock moves on in between), and SOURCE_DATE_EPOCH is honoured.
sleep 1
mkdir -p "$T_TMP/b" "$T_TMP/c"
for fs in ext4 squashfs; do
    build "$T_TMP/b" "$fs" || failf "rootfs_rebuild_$fs" "$(tail -3 "$T_TMP/b.log")"
    if cmp -s "$T_TMP/a/root.$fs" "$T_TMP/b/root.$fs"; then
        pass "rootfs_reproducible_$fs"
    else
        failf "rootfs_reproducible_$fs" "two builds differ: $(cmp "$T_TMP/a/root.$fs" "$T_TMP/b/root.$fs")"
    fi
    build "$T_TMP/c" "$fs" SOURCE_DATE_EPOCH=1600000000 || failf "rootfs_epoch_$fs" "build failed"
done
if dumpe2fs -h "$T_TMP/c/root.ext4" 2>/dev/null | grep -q 'Filesystem created: *Sun Sep 13 12:26:40 2020' &&
    unsquashfs -s "$T_TMP/c/root.squashfs" | grep -q 'Sun Sep 13 12:26:40 2020' &&
    debugfs -R 'stat /usr/bin/alpha' "$T_TMP/c/root.ext4" 2>/dev/null | grep -q 'mtime: 0x5f5e1000'; then
    pass rootfs_source_date_epoch
else
    failf rootfs_source_date_epoch "SOURCE_DATE_EPOCH=1600000000 not the creation and clamped file time"
fi

# Bad packages fail with exact messages, and leave no image behind.
bad_case() { # name, message, debs...
    local name=$1 msg=$2
    shift 2
    mkdir -p "$T_TMP/bad-$name"
    "$JEOS" rootfs -t squashfs -d "$T_TMP/bad-$name" "$R/t.yaml" "$@" >"$T_TMP/bad.out" 2>"$T_TMP/bad.err"
    local rc=$?
    if [ $rc -eq 1 ] && grep -qxF -- "$msg" "$T_TMP/bad.err" && [ -z "$(ls -A "$T_TMP/bad-$name")" ]; then
        pass "rootfs_rejects_$name"
    else
        failf "rootfs_rejects_$name" "exit $rc, stderr: $(cat "$T_TMP/bad.err"), left: $(ls "$T_TMP/bad-$name")"
    fi
}
bad_case dotdot "$D/evil-dotdot.deb: data.tar.xz: ./../../etc/evil: path leaves the root (\"..\")" \
    "$D/alpha.deb" "$D/evil-dotdot.deb"
bad_case symlink_escape "$D/evil-symlink.deb: data.tar.xz: ./escape/pwned: a parent folder is a symlink that leads outside the root (or loops)" \
    "$D/evil-symlink.deb"
bad_case overwrite "$D/conflict.deb: trying to overwrite '/usr/bin/alpha', which is also in package alpha (conflict has no Replaces: alpha)" \
    "$D/alpha.deb" "$D/conflict.deb"
sed 's/owner: app, group: www-data/owner: nosuch, group: www-data/' "$R/t.yaml" >"$R/owner.yaml"
mkdir -p "$T_TMP/bad-owner"
if ! "$JEOS" rootfs -d "$T_TMP/bad-owner" "$R/owner.yaml" "${GOOD[@]}" >/dev/null 2>"$T_TMP/bad.err" &&
    grep -qxF "$R/owner.yaml:10:5: files: owner: no user nosuch in the image" "$T_TMP/bad.err" &&
    [ -z "$(ls -A "$T_TMP/bad-owner")" ]; then
    pass rootfs_rejects_unknown_owner
else
    failf rootfs_rejects_unknown_owner "$(cat "$T_TMP/bad.err")"
fi
bad_case old_replaces "$D/oldrep.deb: trying to overwrite '/usr/bin/alpha', which is also in package alpha 1.0 (oldrep replaces only alpha (<< 1.0))" \
    "$D/alpha.deb" "$D/oldrep.deb"
printf 'not a deb' >"$T_TMP/junk.deb"
bad_case junk "$T_TMP/junk.deb: Unrecognized archive format" "$T_TMP/junk.deb"

# A fixed ext4 size: big enough is used as given, too small is refused.
mkdir -p "$T_TMP/s"
if "$JEOS" rootfs -t ext4 --size 48M -d "$T_TMP/s" "$R/t.yaml" "${GOOD[@]}" >/dev/null 2>&1 &&
    [ "$(stat -c %s "$T_TMP/s/root.ext4")" = $((48 << 20)) ] && e2fsck -fn "$T_TMP/s/root.ext4" >/dev/null 2>&1 &&
    ! "$JEOS" rootfs -t ext4 --size 64K -d "$T_TMP/s2" "$R/t.yaml" "${GOOD[@]}" >/dev/null 2>"$T_TMP/s.err" &&
    grep -q "^$T_TMP/s2/root.ext4: size 65536 bytes is too small for the root filesystem (needs about [0-9]*)$" "$T_TMP/s.err" &&
    [ ! -e "$T_TMP/s2/root.ext4" ]; then
    pass rootfs_ext4_fixed_size
else
    failf rootfs_ext4_fixed_size "48M image or the 64K refusal wrong: $(cat "$T_TMP/s.err")"
fi

# Unprivileged: the same images, built as nobody.
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && nobody test -x "$JEOS"; then
    chmod 755 "$T_TMP"
    chmod -R a+rX "$T_TMP"
    mkdir -p "$T_TMP/u" && chmod 777 "$T_TMP/u"
    ok=1
    for fs in ext4 squashfs; do
        if ! nobody env HOME=/nonexistent TMPDIR="$T_TMP/u" \
            "$JEOS" rootfs -t "$fs" -d "$T_TMP/u" "$R/t.yaml" "${GOOD[@]}" >"$T_TMP/u.log" 2>&1; then
            failf rootfs_unprivileged "as nobody: $(tail -3 "$T_TMP/u.log")"
            ok=0
        elif ! cmp -s "$T_TMP/a/root.$fs" "$T_TMP/u/root.$fs"; then
            failf rootfs_unprivileged "$fs built as nobody differs from root's build"
            ok=0
        fi
    done
    [ $ok = 1 ] && pass "rootfs_unprivileged (as uid 65534: same bytes as root's build)"
else
    echo "SKIP rootfs_unprivileged: needs root, setpriv, and $JEOS executable by uid 65534"
fi
exit $fail
