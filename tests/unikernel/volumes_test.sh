#!/bin/bash
# tests/unikernel/volumes_test.sh — a unikernel recipe's volumes: (recipes/README.md):
#   volumes-validate  the loader's errors: a name twice, a mount twice, a size not in sectors or
#                     out of range, a bad name, a files: entry whose src is missing or a files:
#                     that is not a list (file:line:col), volumes: in an appliance
#   volumes-build     jeos build writes NAME.VOLUME.vol (an empty ext4 that e2fsck passes, its
#                     size, sparse: its tables stored, nothing else) and NAME.volumes; a
#                     rebuild keeps a volume the application wrote (same size), a new size starts
#                     it afresh; two builds give the same bytes
#   volumes-files     a volume's files: (a folder with a symlink, a file with mode, owner and
#                     group) is in the fresh ext4: debugfs reads it, e2fsck passes, same bytes
#                     twice (source times differ); files that do not fit: an error naming the
#                     volume
#   volumes-run       jeos run APP.elf attaches the build's volume read-write (the blk guest put in
#                     place of APP.elf writes its pattern; the host checks the volume file), and
#                     --volume NAME=FILE puts another file in its place
set -u
UK_TEST=volumes
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
if [ ! -x "${JEOS:-}" ]; then
    echo "SKIP volumes: jeos not built ($JEOS)"
    exit 0
fi
check=$JEOS_SRC/tests/unikernel/blk_check.py
r=$T_TMP/r
mkdir -p "$r/app"
printf '#include <stdio.h>\nint main(void) { puts("vol app"); return 0; }\n' >"$r/app/main.c"

# --- the loader
bad() { # name yaml expected-message
    printf '%s\n' "name: vt" "kind: unikernel" "sources: [app/main.c]" "$2" >"$r/bad.yaml"
    if "$JEOS" validate "$r/bad.yaml" >"$T_TMP/v.log" 2>&1; then
        echo "FAIL volumes-validate: $1: accepted"
        return 1
    elif ! grep -qF -- "$3" "$T_TMP/v.log"; then
        echo "FAIL volumes-validate: $1: no \"$3\" in:"
        sed 's/^/    /' "$T_TMP/v.log"
        return 1
    fi
}
ok=1
bad twice-name 'volumes: [{name: d, size: 1M, mount: /a}, {name: d, size: 1M, mount: /b}]' \
    'volume name "d" is given twice' || ok=
bad twice-mount 'volumes: [{name: d, size: 1M, mount: /a}, {name: e, size: 1M, mount: /a}]' \
    'volume mount "/a" is given twice' || ok=
bad size 'volumes: [{name: d, size: 1048577, mount: /a}]' 'whole 512-byte sectors' || ok=
bad small 'volumes: [{name: d, size: 64K, mount: /a}]' 'volumes[0].size' || ok=
bad name 'volumes: [{name: Data, size: 1M, mount: /a}]' 'expected a volume name' || ok=
bad long 'volumes: [{name: abcdefghijklmnopqrstu, size: 1M, mount: /a}]' 'expected a volume name' || ok=
bad mount 'volumes: [{name: d, size: 1M, mount: data}]' 'expected an absolute path' || ok=
bad files 'volumes: [{name: d, size: 1M, mount: /a, files: [{src: nope.txt, dst: /x}]}]' \
    'bad.yaml:4:56: volumes[0].files[0].src: "nope.txt" not found' || ok=
bad files-map 'volumes: [{name: d, size: 1M, mount: /a, files: {src: app/main.c, dst: /x}}]' \
    'bad.yaml:4:49: volumes[0].files: expected a list of {src, dst} mappings' || ok=
bad missing 'volumes: [{name: d, size: 1M}]' 'mount' || ok=
printf '%s\n' "name: va" "kind: appliance" "packages: [hello]" \
    "volumes: [{name: d, size: 1M, mount: /a}]" >"$r/app.yaml"
if "$JEOS" validate "$r/app.yaml" >"$T_TMP/v.log" 2>&1; then
    echo "FAIL volumes-validate: volumes: accepted in an appliance"
    ok=
fi
[ -n "$ok" ] && echo "PASS volumes-validate (11 bad recipes refused with their messages)"

# --- the build
recipe() { # data size
    printf '%s\n' "name: vt" "kind: unikernel" "sources: [app/main.c]" "memory: 16M" \
        "volumes:" "  - {name: data, size: $1, mount: /data}" "  - {name: logs, size: 1M, mount: /var/log}" \
        >"$r/vt.yaml"
}
export SOURCE_DATE_EPOCH=1700000000
recipe 16M
d=$T_TMP/out/vt
if ! "$JEOS" -q build -o "$T_TMP/out" "$r/vt.yaml" >"$T_TMP/b.log" 2>&1; then
    echo "FAIL volumes-build: jeos build failed:"
    sed 's/^/    /' "$T_TMP/b.log" | tail -20
    exit 0
fi
why=
[ "$(stat -c %s "$d/vt.data.vol" 2>/dev/null)" = 16777216 ] || why="$why vt.data.vol not 16 MiB;"
[ "$(stat -c %s "$d/vt.logs.vol" 2>/dev/null)" = 1048576 ] || why="$why vt.logs.vol not 1 MiB;"
# sparse: an empty ext4 of 16 MiB stores its tables only (under 1 MiB)
[ "$(($(stat -c %b "$d/vt.data.vol" 2>/dev/null || echo 99999) * 512))" -lt 1048576 ] ||
    why="$why vt.data.vol not sparse ($(stat -c %b "$d/vt.data.vol") blocks);"
for v in data logs; do
    e2fsck -fn "$d/vt.$v.vol" >"$T_TMP/fsck.log" 2>&1 || why="$why vt.$v.vol: e2fsck -fn: $(tail -n 1 "$T_TMP/fsck.log");"
done
[ "$(dumpe2fs -h "$d/vt.data.vol" 2>/dev/null | sed -n 's/^Filesystem volume name: *//p')" = data ] ||
    why="$why vt.data.vol is not labelled data;"
printf 'data 16777216 /data\nlogs 1048576 /var/log\n' >"$T_TMP/want.volumes"
cmp -s "$d/vt.volumes" "$T_TMP/want.volumes" || why="$why vt.volumes differs: $(tr '\n' '|' <"$d/vt.volumes");"
"$JEOS" -q build -o "$T_TMP/out2" "$r/vt.yaml" >>"$T_TMP/b.log" 2>&1
for f in vt.elf vt-hv.elf vt.volumes vt.data.vol vt.logs.vol; do
    cmp -s "$d/$f" "$T_TMP/out2/vt/$f" || why="$why $f differs between two builds;"
done
# what the application wrote survives a rebuild; a volume of another size starts afresh (the
# mark goes in the last 4 KiB of the 16 MiB, a block the empty ext4 leaves free)
mark=$(((16 << 20) - 4096))
printf 'kept' | dd of="$d/vt.data.vol" bs=1 seek=$mark conv=notrunc status=none
"$JEOS" -q build -o "$T_TMP/out" "$r/vt.yaml" >>"$T_TMP/b.log" 2>&1
[ "$(dd if="$d/vt.data.vol" bs=1 skip=$mark count=4 status=none)" = kept ] ||
    why="$why a rebuild lost what was written to vt.data.vol;"
recipe 32M
"$JEOS" -q build -o "$T_TMP/out" "$r/vt.yaml" >>"$T_TMP/b.log" 2>&1
[ "$(stat -c %s "$d/vt.data.vol")" = 33554432 ] &&
    [ "$(dd if="$d/vt.data.vol" bs=1 skip=$mark count=4 status=none | tr -d '\0')" = "" ] ||
    why="$why a volume resized to 32M is not fresh;"
if [ -z "$why" ]; then
    echo "PASS volumes-build (vt.data.vol and vt.logs.vol empty ext4, sparse, e2fsck clean, vt.volumes in recipe order, same bytes twice, kept across a rebuild)"
else
    echo "FAIL volumes-build:$why"
    sed 's/^/    /' "$T_TMP/b.log" | tail -10
fi

# --- files: on a volume
mkdir -p "$r/seed/sub"
printf 'seeded\n' >"$r/seed/hello.txt"
printf 'deep\n' >"$r/seed/sub/deep.txt"
ln -s hello.txt "$r/seed/link"
printf 'one\n' >"$r/one.txt"
printf '%s\n' "name: vf" "kind: unikernel" "sources: [app/main.c]" "memory: 16M" "volumes:" \
    "  - name: data" "    size: 8M" "    mount: /data" "    files:" "      - {src: seed/, dst: /}" \
    '      - {src: one.txt, dst: /etc/, mode: "0600", owner: "1000", group: "100"}' >"$r/vf.yaml"
why=
if ! "$JEOS" -q build -o "$T_TMP/fa" "$r/vf.yaml" >"$T_TMP/f.log" 2>&1; then
    why=" jeos build failed: $(tail -n 3 "$T_TMP/f.log" | tr '\n' ' ')"
else
    fv=$T_TMP/fa/vf/vf.data.vol
    e2fsck -fn "$fv" >"$T_TMP/fsck.log" 2>&1 || why="$why e2fsck -fn: $(tail -n 1 "$T_TMP/fsck.log");"
    [ "$(debugfs -R 'cat /hello.txt' "$fv" 2>/dev/null)" = seeded ] || why="$why /hello.txt not read;"
    [ "$(debugfs -R 'cat /sub/deep.txt' "$fv" 2>/dev/null)" = deep ] || why="$why /sub/deep.txt not read;"
    debugfs -R 'stat /link' "$fv" 2>/dev/null | grep -q 'Fast link dest: "hello.txt"' || why="$why /link is not a symlink to hello.txt;"
    st=$(debugfs -R 'stat /etc/one.txt' "$fv" 2>/dev/null | tr '\n' ' ')
    case $st in
    *"Mode:  0600"*"User:  1000   Group:   100 "*"mtime: 0x6553f100:"*) ;;
    *) why="$why /etc/one.txt: not mode 0600, 1000:100, mtime SOURCE_DATE_EPOCH: ${st:0:200};" ;;
    esac
    touch "$r/seed/hello.txt" "$r/seed/sub"
    "$JEOS" -q build -o "$T_TMP/fb" "$r/vf.yaml" >>"$T_TMP/f.log" 2>&1
    cmp -s "$fv" "$T_TMP/fb/vf/vf.data.vol" || why="$why vf.data.vol differs between two builds;"
    head -c $((2 << 20)) /dev/zero >"$r/big.bin"
    sed -i 's/size: 8M/size: 1M/; s|{src: one.txt, dst: /etc/,|{src: big.bin, dst: /etc/,|' "$r/vf.yaml"
    if "$JEOS" -q build -o "$T_TMP/fc" "$r/vf.yaml" >"$T_TMP/fc.log" 2>&1; then
        why="$why 2 MiB of files: on a 1 MiB volume built;"
    elif ! grep -q 'vf.yaml:6:5: volume data: its files: do not fit in its 1048576 bytes' "$T_TMP/fc.log"; then
        why="$why files that do not fit: no message naming the volume: $(tail -n 2 "$T_TMP/fc.log" | tr '\n' ' ');"
    fi
fi
if [ -z "$why" ]; then
    echo "PASS volumes-files (the volume's files: in its fresh ext4: debugfs reads them, e2fsck clean, same bytes twice; too big: $(grep -m1 -o 'volume data.*' "$T_TMP/fc.log" | head -c 120))"
else
    echo "FAIL volumes-files:$why"
fi

# --- jeos run: the blk guest in place of vt.elf sees the build's first volume as blk0
recipe 16M
"$JEOS" -q build -o "$T_TMP/out3" "$r/vt.yaml" >>"$T_TMP/b.log" 2>&1
d=$T_TMP/out3/vt
cp "$UK_GUESTS/blk.elf" "$d/vt.elf"
python3 "$check" make "$d/vt.data.vol" $((16 << 20))
timeout "$UK_TIMEOUT" "$JEOS" run --accel tcg --memory 128M "$d/vt.elf" >"$T_TMP/run.raw" 2>&1
rc=$?
tr -d '\r' <"$T_TMP/run.raw" >"$T_TMP/run.log"
if [ "$rc" != 0 ]; then
    echo "FAIL volumes-run: jeos run exited $rc:"
    sed 's/^/    /' "$T_TMP/run.log" | tail -20
elif ! uk_expect volumes-run "$T_TMP/run.log" '^blk: blk0 virtio-blk pci .* serial \[data\]$' \
    '^blk: blk1 virtio-blk pci .* sectors 2048 .* serial \[logs\]$' '^jeos: jeos run: volume data: ' \
    '^blk: ok$'; then
    :
elif ! verdict=$(python3 "$check" check "$d/vt.data.vol" rw); then
    echo "FAIL volumes-run: the build's volume after the run: $verdict"
else
    python3 "$check" make "$T_TMP/other.raw" $((16 << 20))
    timeout "$UK_TIMEOUT" "$JEOS" run --accel tcg --memory 128M --volume "data=$T_TMP/other.raw" \
        "$d/vt.elf" >"$T_TMP/run2.log" 2>&1
    if ! verdict=$(python3 "$check" check "$T_TMP/other.raw" rw); then
        echo "FAIL volumes-run: --volume data=FILE: $verdict"
        sed 's/^/    /' "$T_TMP/run2.log" | tail -10
    else
        echo "PASS volumes-run (the build's volumes attached by serial and order; --volume replaces one)"
    fi
fi
