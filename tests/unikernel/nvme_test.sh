#!/bin/bash
# tests/unikernel/nvme_test.sh — the NVMe driver under the blk guest (guests/blk.c) on a raw
# volume, the image then checked on the host byte by byte (blk_check.py). Under QEMU TCG, q35:
#   nvme-msix   -device nvme on MSI-X: the controller SeaBIOS left enabled is reset, Identify's
#               serial, 64 writes in flight, flush (volatile write cache), deallocate with
#               discard=unmap (the range reads back zero)
#   nvme-eio    blkdebug fails reads of one sector: -EIO, the NVMe status (SCT 2 SC 0x81) printed
#   nvme-flush  blkdebug fails flushes to disk: the guest's flush fails with the device's status
set -u
UK_TEST=nvme
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
check=$JEOS_SRC/tests/unikernel/blk_check.py
img=$T_TMP/vol.raw
log=$T_TMP/log
elf=$UK_GUESTS/blk.elf
[ -f "$elf" ] || { echo "SKIP nvme: $elf not built"; exit 0; }

fresh() { python3 "$check" make "$img" $((16 << 20)); }

# judge NAME MODE PATTERN...: the guest ended with 0, printed every pattern, and the image is right
judge() {
    local name=$1 mode=$2
    shift 2
    if [ "$UK_STATUS" != 0 ]; then
        echo "FAIL $name: guest status $UK_STATUS (QEMU $UK_RC); output:"
        sed 's/^/    /' "$log" | tail -n 30
        return
    fi
    uk_expect "$name" "$log" "$@" || return
    local verdict
    if ! verdict=$(python3 "$check" check "$img" "$mode"); then
        echo "FAIL $name: $verdict"
        return
    fi
    echo "PASS $name ($(grep -m1 -o 'max_inflight [0-9]* irqs [0-9]*' "$log"); $verdict)"
}

blkdebug() { # config text
    printf '%b' "$1" >"$T_TMP/blkdebug.cfg"
    echo "driver=raw,if=none,id=d0,werror=report,rerror=report,file.driver=blkdebug,file.config=$T_TMP/blkdebug.cfg,file.image.filename=$img"
}

where='pci 00:0[0-9a-f]\.0 msix ns 1'
fresh
uk_boot "$log" -M q35 -kernel "$elf" -drive "file=$img,format=raw,if=none,id=d0,discard=unmap" \
    -device nvme,serial=nvme-vol-7,drive=d0
judge nvme-msix rw '^nvme 00:0[0-9a-f]\.0: left enabled \(CC 0x[0-9a-f]+ CSTS 0x[0-9a-f]+\): reset$' \
    "^blk: blk0 nvme $where sectors 32768 size 512 ro 0 flush 1 discard 1 .* serial \[nvme-vol-7\]$" \
    '^blk: stats reads [0-9]+ writes 69 flushes 2 discards 1 errors 1 max_inflight ([2-9]|[1-9][0-9]+) irqs [1-9]' \
    '^blk: ok$'

fresh
uk_boot "$log" -M q35 -kernel "$elf" -append eio=100 \
    -drive "$(blkdebug '[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "100"\n')" \
    -device nvme,serial=e,drive=d0
judge nvme-eio ro \
    '^nvme 00:0[0-9a-f]\.0: read of 1 sectors at 100: device says Unrecovered Read Error \(SCT 2 SC 0x81\)$' \
    '^blk: read of sector 100: -5$' '^blk: errors 1$'

fresh
uk_boot "$log" -M q35 -kernel "$elf" -append eflush \
    -drive "$(blkdebug '[inject-error]\nevent = "flush_to_disk"\nerrno = "5"\n')" \
    -device nvme,serial=f,drive=d0
judge nvme-flush rw-one '^nvme 00:0[0-9a-f]\.0: flush of 0 sectors at 0: device says Write Fault \(SCT 2 SC 0x80\)$' \
    '^blk: flush: -5$'
