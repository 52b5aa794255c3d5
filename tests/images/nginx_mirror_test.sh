#!/bin/bash
# nginx_mirror_test.sh — recipes/nginx.yaml's root filesystem from the real Debian mirror's
# nginx-light closure: every file checked against the manifest in both images, and `nginx -t`
# run inside it (chroot as root, else a user namespace). SKIPPED when the mirror is unreachable.
set -u
case $JEOS_OUT in /*) cache=$JEOS_OUT ;; *) cache=$JEOS_SRC/$JEOS_OUT ;; esac
cache=$cache/test-cache/nginx-debs
if ! mapfile -t debs < <("$JEOS_SRC/tests/images/nginx_debs.sh" "$cache") || [ ${#debs[@]} -lt 30 ]; then
    echo "SKIP rootfs_nginx_mirror: the Debian mirror is unreachable (apt-get download failed)"
    exit 0
fi
fail=0
out=$T_TMP/nginx
for fs in squashfs ext4; do
    if ! "$JEOS" rootfs -t "$fs" --comp zstd -d "$out" "$JEOS_SRC/recipes/nginx.yaml" "${debs[@]}" >"$T_TMP/log" 2>&1; then
        echo "FAIL rootfs_nginx_$fs: $(tail -5 "$T_TMP/log")"
        exit 1
    fi
    if r=$(python3 "$JEOS_SRC/tests/images/check_image.py" "$fs" "$out/root.$fs" "$out/manifest.txt" 2>&1); then
        echo "PASS rootfs_nginx_${fs}_matches_manifest ($r, ${#debs[@]} packages, $(stat -c %s "$out/root.$fs") bytes)"
    else
        echo "FAIL rootfs_nginx_${fs}_matches_manifest: $(echo "$r" | head -5)"
        fail=1
    fi
done
e2fsck -fn "$out/root.ext4" >/dev/null 2>&1 && echo "PASS rootfs_nginx_e2fsck" ||
    { echo "FAIL rootfs_nginx_e2fsck: $(e2fsck -fn "$out/root.ext4" 2>&1 | tail -3)"; fail=1; }
grep -q '^/usr/share/doc/' "$out/manifest.txt" && { echo "FAIL rootfs_nginx_trimmed: /usr/share/doc left"; fail=1; }
root=$T_TMP/root
unsquashfs -q -d "$root" "$out/root.squashfs" >/dev/null 2>&1
# /lib64 -> usr/lib64, whose loader link points at /lib/..., i.e. /usr/lib/...: all in the manifest
m=$out/manifest.txt
if grep -qx '/lib64 symlink 0777 0:0 0 usr/lib64' "$m" &&
    grep -qx '/usr/lib64/ld-linux-x86-64.so.2 symlink 0777 0:0 0 /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' "$m" &&
    grep -qx '/lib symlink 0777 0:0 0 usr/lib' "$m" &&
    grep -q '^/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 file 0755 0:0 ' "$m"; then
    echo "PASS rootfs_nginx_merged_usr_loader"
else
    echo "FAIL rootfs_nginx_merged_usr_loader: $(grep -E '^/lib64 |ld-linux' "$m")"
    fail=1
fi
if [ "$(id -u)" = 0 ]; then
    if r=$(chroot "$root" /usr/sbin/nginx -t 2>&1); then
        echo "PASS rootfs_nginx_t (chroot: $(echo "$r" | tail -1))"
    else
        echo "FAIL rootfs_nginx_t: $r"
        fail=1
    fi
elif unshare --user --map-root-user true 2>/dev/null; then
    # unprivileged: nginx -t would chown its temp folders to www-data, which a
    # one-uid namespace cannot map; -v still proves the dynamic linker finds everything.
    if r=$(unshare --user --map-root-user chroot "$root" /usr/sbin/nginx -v 2>&1); then
        echo "PASS rootfs_nginx_runs ($r)"
        echo "SKIP rootfs_nginx_t: nginx -t chowns to www-data, which needs root or subuids"
    else
        echo "FAIL rootfs_nginx_runs: $r"
        fail=1
    fi
else
    echo "SKIP rootfs_nginx_t: neither root nor unprivileged user namespaces"
fi
exit $fail
