#!/bin/bash
# tests/unikernel/combo_test.sh — the ESXi and cloud combinations of one unikernel: recipes/httpd.yaml
# plus tests/unikernel/blkcheck_app.c (a block write/read on the disk with serial "data" before
# main) built as NAME.raw (GRUB, BIOS+UEFI GPT), booted by SeaBIOS from that disk under QEMU TCG:
#   combo-pvscsi-vmxnet3  the boot disk and the data disk on one pvscsi controller (targets 0 and
#                         1), a vmxnet3 NIC: the page and a 1 MiB file over HTTP, the block check
#   combo-nvme-virtio     the boot disk and the data disk on two NVMe controllers, virtio-net
# The host checks the data disk's bytes after each run (its pattern kept, the guest's written).
set -u
UK_TEST=combo
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
names="combo-pvscsi-vmxnet3 combo-nvme-virtio"
if [ ! -x "${JEOS:-}" ] || [ ! -f /usr/lib/x86_64-linux-musl/libc.a ] || ! command -v curl >/dev/null; then
    for n in $names; do echo "SKIP $n: jeos, musl-dev or curl missing"; done
    exit 0
fi
for tool in grub-mkimage mkfs.fat sfdisk; do
    if ! command -v "$tool" >/dev/null; then
        for n in $names; do echo "SKIP $n: $tool not installed (make deps)"; done
        exit 0
    fi
done
w=$T_TMP/combo
mkdir -p "$w/httpd"
cp -r "$JEOS_SRC/recipes/httpd/httpd.c" "$JEOS_SRC/recipes/httpd/site" \
    "$JEOS_SRC/tests/unikernel/blkcheck_app.c" "$w/httpd/"
ln -s "$JEOS_SRC/unikernel/drivers" "$w/httpd/drivers" # blkcheck_app.c's drivers/blkdev.h
head -c 1048576 /dev/urandom >"$w/httpd/site/big.bin"
# a volume named data: the block drivers are linked (uk-link.sh --drivers=blk), and jeos run would
# attach it with that serial
sed 's|^sources: .*|sources: [httpd/httpd.c, httpd/blkcheck_app.c]\ninclude: [httpd]\nvolumes: [{name: data, size: 1M, mount: /data}]|; s/^image: .*/image: {formats: [raw]}/' \
    "$JEOS_SRC/recipes/httpd.yaml" >"$w/httpd.yaml"
if ! "$JEOS" -q build -o "$w/out" "$w/httpd.yaml" >"$T_TMP/build.log" 2>&1; then
    for n in $names; do echo "FAIL $n: jeos build failed:"; done
    sed 's/^/    /' "$T_TMP/build.log" | head -30
    exit 0
fi
disk=$w/out/httpd/httpd.raw
site=$w/httpd/site
want=$(sha256sum <"$site/big.bin" | cut -d' ' -f1)
data=$T_TMP/data.raw

# the data disk: 1 MiB of the host's pattern (blkcheck_app.c's host_byte)
fresh_data() {
    python3 -c 'import sys
sys.stdout.buffer.write(bytes((o * 7 + (o >> 9) * 13 + 0x5a) & 255 for o in range(1 << 20)))' >"$data"
}
# data_ok: the host's 32 KiB unchanged, the guest's 128 KiB from sector 64, the rest unchanged
data_ok() {
    python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
host = lambda o: (o * 7 + (o >> 9) * 13 + 0x5a) & 255
guest = lambda o: ((o * 31 + (o >> 12)) ^ 0xa5) & 255
lo, hi = 64 * 512, 320 * 512
for o in range(len(d)):
    want = guest(o) if lo <= o < hi else host(o)
    if d[o] != want:
        print("the data disk differs at byte %d: %d, expected %d" % (o, d[o], want))
        sys.exit(1)' "$data"
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
qpid=
stop() {
    [ -n "$qpid" ] && kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
    qpid=
}
trap stop EXIT

# combo NAME QEMU-ARGS...: boots the disk with a fresh data disk; the page, the 1 MiB file, the
# console lines in $expect (extended regexes) and the data disk's bytes.
combo() {
    local name=$1 log=$T_TMP/$1.log i got
    shift
    fresh_data
    port=$(free_port)
    # the boot disk stays as built (snapshot=on); the data disk is written
    timeout 180 qemu-system-x86_64 -accel tcg -m 64 -display none -monitor none -serial stdio \
        -no-reboot -M q35 -device isa-debug-exit,iobase=0xf4,iosize=4 \
        -drive "file=$disk,format=raw,if=none,id=boot,snapshot=on" \
        -drive "file=$data,format=raw,if=none,id=data,snapshot=off" \
        -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:8080" "$@" </dev/null >"$log" 2>&1 &
    qpid=$!
    for i in $(seq 1800); do
        grep -q '^httpd: serving' "$log" 2>/dev/null && break
        kill -0 "$qpid" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q '^httpd: serving' "$log"; then
        echo "FAIL $name: the server did not start; console:"
        tr -d '\r' <"$log" | sed 's/^/    /' | tail -n 20
        stop
        return
    fi
    if ! curl -sS -m 30 -o "$T_TMP/page" "http://127.0.0.1:$port/" 2>"$T_TMP/curl.err" ||
        ! cmp -s "$T_TMP/page" "$site/index.html"; then
        echo "FAIL $name: the page: $(head -c 200 "$T_TMP/curl.err")"
        stop
        return
    fi
    got=$(curl -sS -m 90 "http://127.0.0.1:$port/big.bin" 2>"$T_TMP/curl.err" | sha256sum | cut -d' ' -f1)
    stop
    tr -d '\r' <"$log" >"$log.txt"
    local why
    if [ "$got" != "$want" ]; then
        echo "FAIL $name: the 1 MiB file: sha256 $got, expected $want; $(head -c 200 "$T_TMP/curl.err")"
    elif uk_expect "$name" "$log.txt" "${expect[@]}"; then
        if why=$(data_ok); then
            echo "PASS $name ($(grep -m1 -o 'blkcheck: ok .*:' "$log.txt"); page and 1 MiB file intact)"
        else
            echo "FAIL $name: $why"
        fi
    fi
}

grub="Booting \`httpd'"
net_line='^jeos: network eth0 10\.0\.2\.15/24 via 10\.0\.2\.2 \(static\)'
expect=("$grub" "$net_line" '^blkcheck: ok blk1 pvscsi pci 00:0[0-9a-f]\.0 intx gsi [0-9]+ target 1: ')
combo combo-pvscsi-vmxnet3 -device pvscsi,id=s0 \
    -device scsi-hd,drive=boot,bus=s0.0,scsi-id=0,bootindex=0 \
    -device scsi-hd,drive=data,bus=s0.0,scsi-id=1,serial=data -device vmxnet3,netdev=n0

expect=("$grub" '^nvme 00:0[0-9a-f]\.0: left enabled .*: reset$' "$net_line" '^blkcheck: ok blk1 nvme pci 00:0[0-9a-f]\.0 msix ns 1: ')
combo combo-nvme-virtio -device nvme,drive=boot,serial=boot,bootindex=0 \
    -device nvme,drive=data,serial=data -device virtio-net-pci,netdev=n0
