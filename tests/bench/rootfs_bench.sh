#!/bin/bash
# rootfs_bench.sh — warm cache → root filesystem for recipes/nginx.yaml: jeos (squashfs xz,
# squashfs zstd, ext4) beside `mmdebstrap --variant=essential --include=nginx-light` making a
# tarball from the same (pre-fetched) packages in the same run. Prints times, sizes and ratios.
# Needs the Debian mirror (for the first fetch, and for mmdebstrap's indices); SKIPs without it.
set -u
SRC=${JEOS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
OUT=${JEOS_OUT:-out}
case $OUT in /*) ;; *) OUT=$SRC/$OUT ;; esac
JEOS_BIN=$OUT/jeos
cache=$OUT/bench-cache
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x "$JEOS_BIN" ] || { echo "SKIP rootfs_bench: $JEOS_BIN not built"; exit 0; }
if ! mapfile -t debs < <("$SRC/tests/images/nginx_debs.sh" "$cache/nginx-debs") || [ ${#debs[@]} -lt 30 ]; then
    echo "SKIP rootfs_bench: the Debian mirror is unreachable"
    exit 0
fi
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l | xargs printf '%.2f'; }

declare -A t size
for v in "squashfs lz4" "squashfs xz" "squashfs zstd" "ext4 lz4"; do
    set -- $v
    a=$(now)
    "$JEOS_BIN" -q rootfs -t "$1" --comp "$2" -d "$tmp/jeos" "$SRC/recipes/nginx.yaml" "${debs[@]}" >/dev/null ||
        { echo "FAIL rootfs_bench: jeos rootfs $v failed"; exit 1; }
    b=$(now)
    k="$1-$2"
    t[$k]=$(secs "$a" "$b")
    size[$k]=$(stat -c %s "$tmp/jeos/root.$1")
done
used=$(awk '$2 == "file" { s += $5 } END { print s }' "$tmp/jeos/manifest.txt")
n=$(wc -l <"$tmp/jeos/manifest.txt")
echo "jeos: ${#debs[@]} packages -> $n entries, $used bytes of files"
echo "jeos: root.squashfs (lz4, the default) ${t[squashfs-lz4]} s, ${size[squashfs-lz4]} bytes"
echo "jeos: root.squashfs (xz)   ${t[squashfs-xz]} s, ${size[squashfs-xz]} bytes"
echo "jeos: root.squashfs (zstd) ${t[squashfs-zstd]} s, ${size[squashfs-zstd]} bytes"
echo "jeos: root.ext4            ${t[ext4-lz4]} s, ${size[ext4-lz4]} bytes (16 MiB of it free headroom)"

if ! command -v mmdebstrap >/dev/null; then
    echo "SKIP rootfs_bench_peer: mmdebstrap is not installed (make deps)"
    exit 0
fi
S=("deb http://deb.debian.org/debian bookworm main" "deb http://deb.debian.org/debian bookworm-updates main"
    "deb http://deb.debian.org/debian-security bookworm-security main")
mm=$cache/mmdebstrap
mkdir -p "$mm"
if [ "$(ls "$mm" | grep -c '\.deb$')" -lt 60 ]; then # warm its cache once, untimed
    mmdebstrap --quiet --variant=essential --include=nginx-light --skip=download/empty \
        --extract-hook="sync-out /var/cache/apt/archives $mm" \
        --customize-hook="sync-out /var/cache/apt/archives $mm" \
        bookworm "$tmp/warm.tar" "${S[@]}" >/dev/null 2>&1 ||
        { echo "SKIP rootfs_bench_peer: mmdebstrap could not fetch"; exit 0; }
    rm -f "$tmp/warm.tar"
fi
a=$(now)
mmdebstrap --quiet --variant=essential --include=nginx-light \
    --setup-hook="mkdir -p \"\$1\"/var/cache/apt/archives" \
    --setup-hook="sync-in $mm /var/cache/apt/archives" \
    bookworm "$tmp/mm.tar" "${S[@]}" >/dev/null 2>&1 ||
    { echo "FAIL rootfs_bench: mmdebstrap failed"; exit 1; }
b=$(now)
tm=$(secs "$a" "$b")
sm=$(stat -c %s "$tmp/mm.tar")
echo "mmdebstrap --variant=essential --include=nginx-light: $tm s, tarball $sm bytes" \
    "(includes its apt update of the indices)"
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.1f'; }
echo "speed: jeos squashfs(lz4, the default) $(ratio "$tm" "${t[squashfs-lz4]}")x, squashfs(zstd) $(ratio "$tm" "${t[squashfs-zstd]}")x," \
    "squashfs(xz) $(ratio "$tm" "${t[squashfs-xz]}")x, ext4 $(ratio "$tm" "${t[ext4-lz4]}")x faster than mmdebstrap (target >= 5x)"
echo "size: mmdebstrap tarball / jeos squashfs(lz4) = $(ratio "$sm" "${size[squashfs-lz4]}"), (zstd) = $(ratio "$sm" "${size[squashfs-zstd]}"), (xz)" \
    "$(ratio "$sm" "${size[squashfs-xz]}"), / jeos ext4" \
    "= $(ratio "$sm" "${size[ext4-lz4]}") (target >= 4)"
