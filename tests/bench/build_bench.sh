#!/bin/bash
# build_bench.sh — `jeos build recipes/nginx.yaml` from a warm cache (packages, kernel and lock
# already there) beside `mmdebstrap --variant=essential --include=nginx-light,linux-image-cloud-amd64`
# making a tarball from its own warm package cache in the same run (the peer does less: no
# filesystem image, no initramfs, no boot loader, no disk, no formats). Prints the times, jeos's
# raw disk (allocated bytes) and the peer's tarball, and the ratios. Targets: build < 5 s warm,
# raw allocated < 40 MiB. Needs the Debian mirror for the first (untimed) runs; SKIPs without it.
# Then the unikernel object cache: zstd's 40 files cold and warm (and through ccache when installed).
set -u
SRC=${JEOS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
OUT=${JEOS_OUT:-out}
case $OUT in /*) ;; *) OUT=$SRC/$OUT ;; esac
JEOS_BIN=$OUT/jeos
tmp=${T_TMP:-$(mktemp -d)}
[ -x "$JEOS_BIN" ] || { echo "SKIP build_bench: $JEOS_BIN not built"; exit 0; }
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc -l | xargs printf '%.2f'; }
mkdir -p "$tmp/r" && cp -r "$SRC/recipes/nginx.yaml" "$SRC/recipes/nginx" "$tmp/r/"
# Warm: the first build resolves, fetches and extracts the kernel (untimed).
"$JEOS_BIN" -q build -o "$tmp/out" "$tmp/r/nginx.yaml" >/dev/null 2>"$tmp/warm.log" || {
    grep -qiE "resolve|connect|fetch" "$tmp/warm.log" && { echo "SKIP build_bench: the Debian mirror is unreachable"; exit 0; }
    cat "$tmp/warm.log"; echo "FAIL build_bench: jeos build failed"; exit 1; }
best=""
for i in 1 2 3; do
    a=$(now)
    "$JEOS_BIN" -q build -o "$tmp/out" "$tmp/r/nginx.yaml" >/dev/null || { echo "FAIL build_bench: jeos build"; exit 1; }
    t=$(secs "$a" "$(now)")
    echo "jeos build (warm) run $i: $t s"
    [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ] && best=$t
done
raw=$tmp/out/nginx/nginx.raw
alloc=$(( $(stat -c %b "$raw") * $(stat -c %B "$raw") ))
echo "jeos: best warm build $best s; nginx.raw $(stat -c %s "$raw") bytes, $alloc bytes allocated" \
     "($(echo "$alloc / 1048576" | bc -l | xargs printf '%.1f') MiB; target < 40 MiB)"
sed -n '/^time per stage:/,/^$/p' "$tmp/out/nginx/build-report.txt"

# What checking the cache on every use costs: hashing the bytes a warm build checks (the lock's
# .debs; of the extracted kernel, vmlinuz and the modules the image holds — the rest of its
# files are checked by name and size only; a locked build reads no index) with the same library
# (OpenSSL's sha256), against the warm build it is part of.
cache=${JEOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jeos}
files=()
for sha in $(awk '/^SHA256:/{print $2}' "$tmp/r/nginx.yaml.lock"); do
    f=$cache/sha256/${sha:0:2}/$sha
    [ -f "$f" ] && files+=("$f")
done
for ksha in $(awk '/^Package: /{k=($2 ~ /^linux-image-/)} k&&/^SHA256:/{print $2}' "$tmp/r/nginx.yaml.lock"); do
    kd=$cache/kernel/$ksha
    [ -d "$kd" ] || continue
    files+=("$kd"/boot/vmlinuz-*)
    for m in $(awk '$1 ~ /^\/usr\/lib\/modules\/.*\.ko/ {sub("^/usr/lib/modules/", ""); print $1}' "$tmp/out/nginx/manifest.txt"); do
        for d in lib usr/lib; do [ -f "$kd/$d/modules/$m" ] && files+=("$kd/$d/modules/$m"); done
    done
done
bytes=$(cat "${files[@]}" | wc -c)
a=$(now)
printf '%s\0' "${files[@]}" | xargs -0 openssl dgst -sha256 >/dev/null
th=$(secs "$a" "$(now)")
echo "cache checks: ${#files[@]} files, $(echo "$bytes / 1048576" | bc -l | xargs printf '%.1f') MiB hashed in $th s" \
     "= $(echo "100 * $th / $best" | bc -l | xargs printf '%.1f') % of the warm build (target < 5 %)"

# The unikernel object cache (builder/unikernel/objcache.h): tests/unikernel/zstd/zstd.yaml (40
# files of Debian's libzstd source) built cold (every file compiled and stored) and warm (every
# object from the cache), in a cache folder of its own; the warm ELF must be the cold one's bytes.
# With Debian's ccache installed, the same compiles through it (cold, then warm) beside ours.
zc=$tmp/objcache-bench
mkdir -p "$tmp/z/data" && cp "$SRC/tests/unikernel/zstd/zstd.yaml" "$tmp/z/" && echo bench >"$tmp/z/data/x"
if JEOS_CACHE=$zc "$JEOS_BIN" -q source "$(sed -n 's/^ *debian: *//p' "$tmp/z/zstd.yaml")" >/dev/null 2>"$tmp/zsrc.log"; then
    a=$(now)
    JEOS_CACHE=$zc "$JEOS_BIN" build -o "$tmp/zc" "$tmp/z/zstd.yaml" 2>"$tmp/zc.log" >/dev/null
    tc=$(secs "$a" "$(now)")
    a=$(now)
    JEOS_CACHE=$zc "$JEOS_BIN" build -o "$tmp/zw" "$tmp/z/zstd.yaml" 2>"$tmp/zw.log" >/dev/null
    tw=$(secs "$a" "$(now)")
    same=$(cmp -s "$tmp/zc/zstd/zstd.elf" "$tmp/zw/zstd/zstd.elf" && echo "the same bytes" || echo "DIFFERENT bytes")
    echo "objcache: zstd cold $tc s ($(sed -n 's/^jeos: objects: //p' "$tmp/zc.log" | sed 's/ (.*//')) |" \
         "warm $tw s ($(sed -n 's/^jeos: objects: //p' "$tmp/zw.log" | sed 's/ (.*//')) |" \
         "ratio warm/cold $(echo "$tw / $tc" | bc -l | xargs printf '%.3f'); zstd.elf: $same"
    if command -v ccache >/dev/null; then
        mkdir -p "$tmp/ccbin" && ln -sf "$(command -v ccache)" "$tmp/ccbin/gcc"
        for run in cold warm; do
            a=$(now)
            CCACHE_DIR=$tmp/ccache PATH=$tmp/ccbin:$PATH JEOS_OBJCACHE=off JEOS_CACHE=$zc \
                "$JEOS_BIN" -q build -o "$tmp/zcc" "$tmp/z/zstd.yaml" >/dev/null 2>&1
            echo "ccache (peer): zstd $run $(secs "$a" "$(now)") s"
        done
    else
        echo "SKIP build_bench_ccache: Debian's ccache is not installed (the peer figure)"
    fi
else
    echo "SKIP build_bench_objcache: the zstd source package could not be fetched: $(tail -n 1 "$tmp/zsrc.log")"
fi

if ! command -v mmdebstrap >/dev/null; then
    echo "SKIP build_bench_peer: mmdebstrap is not installed (make deps)"; exit 0
fi
S=("deb http://deb.debian.org/debian bookworm main" "deb http://deb.debian.org/debian bookworm-updates main"
    "deb http://deb.debian.org/debian-security bookworm-security main")
mm=$OUT/bench-cache/mmdebstrap-kernel
mkdir -p "$mm"
INC=nginx-light,linux-image-cloud-amd64
if [ "$(ls "$mm" | grep -c '\.deb$')" -lt 60 ]; then # warm its package cache once, untimed
    mmdebstrap --quiet --variant=essential --include=$INC --skip=download/empty \
        --customize-hook="sync-out /var/cache/apt/archives $mm" \
        bookworm "$tmp/warm.tar" "${S[@]}" >/dev/null 2>&1 ||
        { echo "SKIP build_bench_peer: mmdebstrap could not fetch"; exit 0; }
    rm -f "$tmp/warm.tar"
fi
a=$(now)
mmdebstrap --quiet --variant=essential --include=$INC \
    --setup-hook='mkdir -p "$1"/var/cache/apt/archives' \
    --setup-hook="sync-in $mm /var/cache/apt/archives" \
    bookworm "$tmp/mm.tar" "${S[@]}" >/dev/null 2>&1 || { echo "FAIL build_bench: mmdebstrap failed"; exit 1; }
tm=$(secs "$a" "$(now)")
sm=$(stat -c %s "$tmp/mm.tar")
npk=$(tar -xOf "$tmp/mm.tar" ./var/lib/dpkg/status 2>/dev/null | grep -c '^Package:')
echo "mmdebstrap --variant=essential --include=$INC: $tm s, $npk packages, tarball $sm bytes" \
     "($(echo "$sm / 1048576" | bc -l | xargs printf '%.0f') MiB; includes its apt update)"
ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }
echo "time: jeos $best s | mmdebstrap $tm s | ratio jeos/peer $(ratio "$best" "$tm") ($(ratio "$tm" "$best")x faster)"
echo "size: jeos raw allocated $alloc | mmdebstrap tarball $sm | ratio jeos/peer $(ratio "$alloc" "$sm")"
