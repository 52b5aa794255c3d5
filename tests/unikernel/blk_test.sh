#!/bin/bash
# tests/unikernel/blk_test.sh — the block drivers against a raw volume: the blk guest checks the
# host's pattern, writes its own with many requests in flight (64 scattered 4 KiB writes in one
# batch, 1 MiB split into requests, the last sector), reads it back, flushes, discards; then the
# host checks the image file byte by byte (blk_check.py). Under QEMU TCG:
#   blk-pci-msix      q35, virtio-blk-pci on MSI-X, EVENT_IDX, discard=unmap (the range reads zero),
#                     its serial (GET_ID)
#   blk-pci-intx      vectors=0 (INTx), no EVENT_IDX, no discard (refused in the guest: -EOPNOTSUPP)
#   blk-mmio-cmdline  microvm, acpi=off: legacy virtio-mmio from the command line
#   blk-mmio-acpi     microvm with ACPI: virtio-mmio version 2, discard=unmap
#   blk-reset-pci, blk-reset-mmio  the device probed again with requests in flight, other features
#   blk-ro            readonly=on: writes and discards refused with -EROFS, the image unchanged
#   blk-eio           blkdebug fails reads of one sector: -EIO and the device's status printed
#   blk-flush         blkdebug fails flushes to disk: the guest's flush reaches the host's storage
#   blk-nvme          -device nvme on MSI-X (drivers/nvme.c): the controller SeaBIOS left enabled is
#                     reset, Identify's serial, deallocate with discard=unmap (the range reads zero)
#   blk-nvme-reset, blk-pvscsi-reset  the running controller probed again with 4 reads in flight
#                     (the controller or adapter reset), then the whole test on the new blkdev;
#                     pvscsi's INTx line keeps the first instance's handler, which takes the
#                     interrupts (the new blkdev counts none and runs on its poll)
#   blk-nvme-eio, blk-nvme-flush  blkdebug fails a read / the flush: -EIO, the NVMe status code type
#                     and code printed
#   blk-pvscsi        -device pvscsi with a scsi-hd on target 3 (drivers/pvscsi.c), INTx, the unit
#                     serial number page; no discard (the guest's is refused: -EOPNOTSUPP)
#   blk-pvscsi-ro, blk-pvscsi-eio, blk-pvscsi-flush  write protect from MODE SENSE; a read and a
#                     SYNCHRONIZE CACHE failed by blkdebug: CHECK CONDITION, the sense printed
#   blk-hv, blk-hv-ro the same guest on jeos-hv through its hypercall disk (flush: fdatasync),
#                     in its quick mode (8 scattered writes, no 1 MiB one)
set -u
UK_TEST=blk
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
check=$JEOS_SRC/tests/unikernel/blk_check.py
img=$T_TMP/vol.raw
log=$T_TMP/log
size=$((16 << 20))
elf=$UK_GUESTS/blk.elf
[ -f "$elf" ] || { echo "SKIP blk: $elf not built"; exit 0; }

fresh() { python3 "$check" make "$img" "$size"; }

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

drive() { # extra -drive options
    echo "file=$img,format=raw,if=none,id=d0${1:+,$1}"
}

stats='^blk: stats reads [0-9]+ writes 6[69] flushes 2 discards [01] errors 1 max_inflight ([2-9]|[1-9][0-9]+) irqs [1-9]'
done_ok='^blk: ok$'

fresh
uk_boot "$log" -M q35 -kernel "$elf" -drive "$(drive discard=unmap)" \
    -device virtio-blk-pci,drive=d0,serial=data-volume_12345
judge blk-pci-msix rw '^blk: blk0 virtio-blk pci 00:0[0-9a-f]\.0 msix sectors 32768 size 512 ro 0 flush 1 discard 1 .* features \[seg_max blk_size flush discard event_idx\] serial \[data-volume_12345\]$' \
    "$stats" "$done_ok"

fresh
uk_boot "$log" -M q35 -kernel "$elf" -drive "$(drive)" \
    -device virtio-blk-pci,drive=d0,vectors=0,event_idx=off,discard=off
judge blk-pci-intx rw-keep '^blk: blk0 virtio-blk pci 00:0[0-9a-f]\.0 intx gsi [0-9]+ sectors 32768 size 512 ro 0 flush 1 discard 0 .* features \[seg_max blk_size flush\] serial \[\]$' \
    "${stats/discards \[01\]/discards 0}" "$done_ok"

fresh
uk_boot "$log" -M microvm,acpi=off -kernel "$elf" -drive "$(drive)" -device virtio-blk-device,drive=d0
judge blk-mmio-cmdline rw-keep '^blk: blk0 virtio-blk mmio 0x[0-9a-f]+ gsi [0-9]+ legacy sectors 32768 ' \
    "$stats" "$done_ok"

fresh
uk_boot "$log" -M microvm -global virtio-mmio.force-legacy=false -kernel "$elf" \
    -drive "$(drive discard=unmap)" -device virtio-blk-device,drive=d0
judge blk-mmio-acpi rw '^blk: blk0 virtio-blk mmio 0x[0-9a-f]+ gsi [0-9]+ sectors 32768 size 512 ro 0 flush 1 discard 1 ' \
    "$stats" "$done_ok"

fresh
uk_boot "$log" -M q35 -kernel "$elf" -append reset -drive "$(drive)" -device virtio-blk-pci,drive=d0
judge blk-reset-pci rw-keep '^reset: 4 reads left in flight$' \
    '^reset: blk: blk1 virtio-blk pci 00:0[0-9a-f]\.0 msix .* features \[seg_max blk_size flush discard\] serial \[\]$' \
    "$stats" "$done_ok"

fresh
uk_boot "$log" -M microvm,acpi=off -kernel "$elf" -append reset -drive "$(drive)" \
    -device virtio-blk-device,drive=d0
judge blk-reset-mmio rw-keep '^reset: 4 reads left in flight$' \
    '^reset: blk: blk1 virtio-blk mmio 0x[0-9a-f]+ gsi [0-9]+ legacy .* features \[seg_max blk_size flush discard\] serial \[\]$' \
    "$stats" "$done_ok"

fresh
uk_boot "$log" -M q35 -kernel "$elf" -drive "$(drive readonly=on)" -device virtio-blk-pci,drive=d0
judge blk-ro ro '^blk: blk0 virtio-blk pci .* ro 1 ' '^blk: write on a read-only disk: -30$' \
    '^blk: ro ok reads 8 errors 2$'

# blkdebug: QEMU's error injection between the device and the file
blkdebug() { # config text
    printf '%b' "$1" >"$T_TMP/blkdebug.cfg"
    echo "driver=raw,if=none,id=d0,werror=report,rerror=report,file.driver=blkdebug,file.config=$T_TMP/blkdebug.cfg,file.image.filename=$img"
}
fresh
uk_boot "$log" -M q35 -kernel "$elf" -append eio=100 \
    -drive "$(blkdebug '[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "100"\n')" \
    -device virtio-blk-pci,drive=d0
judge blk-eio ro '^virtio pci 00:0[0-9a-f]\.0 msix: read of 1 sectors at 100: device says I/O error \(VIRTIO_BLK_S_IOERR\)$' \
    '^blk: read of sector 100: -5$' '^blk: errors 1$'

fresh
uk_boot "$log" -M q35 -kernel "$elf" -append eflush \
    -drive "$(blkdebug '[inject-error]\nevent = "flush_to_disk"\nerrno = "5"\n')" \
    -device virtio-blk-pci,drive=d0
judge blk-flush rw-one '^virtio pci 00:0[0-9a-f]\.0 msix: flush of 0 sectors at 0: device says I/O error' \
    '^blk: flush: -5$'

# NVMe (drivers/nvme.c)
fresh
uk_boot "$log" -M q35 -kernel "$elf" -drive "$(drive discard=unmap)" -device nvme,serial=nvme-vol-7,drive=d0
judge blk-nvme rw '^nvme 00:0[0-9a-f]\.0: left enabled \(CC 0x[0-9a-f]+ CSTS 0x[0-9a-f]+\): reset$' \
    '^blk: blk0 nvme pci 00:0[0-9a-f]\.0 msix ns 1 sectors 32768 size 512 ro 0 flush 1 discard 1 .* serial \[nvme-vol-7\]$' \
    "${stats/discards \[01\]/discards 1}" "$done_ok"

fresh
uk_boot "$log" -M q35 -kernel "$elf" -append reset -drive "$(drive)" -device nvme,serial=r,drive=d0
judge blk-nvme-reset rw-keep '^reset: 4 reads left in flight$' \
    '^nvme 00:0[0-9a-f]\.0: left enabled \(CC 0x[0-9a-f]+ CSTS 0x[0-9a-f]+\): reset$' \
    '^reset: blk: blk1 nvme pci 00:0[0-9a-f]\.0 msix ns 1 sectors 32768 .* serial \[r\]$' \
    "$stats" '^reset: old queue completed [0-4] requests after the reset$' "$done_ok"

fresh
uk_boot "$log" -M q35 -kernel "$elf" -append eio=100 \
    -drive "$(blkdebug '[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "100"\n')" \
    -device nvme,serial=e,drive=d0
judge blk-nvme-eio ro \
    '^nvme 00:0[0-9a-f]\.0: read of 1 sectors at 100: device says Unrecovered Read Error \(SCT 2 SC 0x81\)$' \
    '^blk: read of sector 100: -5$' '^blk: errors 1$'

fresh
uk_boot "$log" -M q35 -kernel "$elf" -append eflush \
    -drive "$(blkdebug '[inject-error]\nevent = "flush_to_disk"\nerrno = "5"\n')" \
    -device nvme,serial=f,drive=d0
judge blk-nvme-flush rw-one \
    '^nvme 00:0[0-9a-f]\.0: flush of 0 sectors at 0: device says Write Fault \(SCT 2 SC 0x80\)$' \
    '^blk: flush: -5$'

# pvscsi (drivers/pvscsi.c): a scsi-hd on the adapter's bus
scsi() { # scsi-hd options
    echo "-device pvscsi,id=s0 -device scsi-hd,drive=d0,bus=s0.0${1:+,$1}"
}
pvscsi_at='pvscsi pci 00:0[0-9a-f]\.0 intx gsi [0-9]+ target'
fresh
# shellcheck disable=SC2046
uk_boot "$log" -M q35 -kernel "$elf" -drive "$(drive)" $(scsi scsi-id=3,serial=scsi-vol-3)
judge blk-pvscsi rw-keep "^blk: blk0 $pvscsi_at 3 sectors 32768 size 512 ro 0 flush 1 discard 0 .* serial \[scsi-vol-3\]\$" \
    "${stats/discards \[01\]/discards 0}" "$done_ok"

fresh
# shellcheck disable=SC2046
uk_boot "$log" -M q35 -kernel "$elf" -drive "$(drive readonly=on)" $(scsi)
judge blk-pvscsi-ro ro "^blk: blk0 $pvscsi_at 0 .* ro 1 " '^blk: write on a read-only disk: -30$' \
    '^blk: ro ok reads 8 errors 1$'

fresh
# shellcheck disable=SC2046
uk_boot "$log" -M q35 -kernel "$elf" -append reset -drive "$(drive)" $(scsi)
judge blk-pvscsi-reset rw-keep '^reset: [0-4] reads left in flight$' \
    "^reset: blk: blk1 $pvscsi_at 0 sectors 32768 .* serial \[\]\$" \
    "$(echo "${stats/discards \[01\]/discards 0}" | sed 's/irqs \[1-9\]/irqs [0-9]/')" \
    '^reset: old queue completed [0-4] requests after the reset$' "$done_ok"

sense='CHECK CONDITION, sense key 0x[0-9a-f] \([A-Z ]+\) ASC 0x[0-9a-f]{2} ASCQ 0x[0-9a-f]{2}$'
fresh
# shellcheck disable=SC2046
uk_boot "$log" -M q35 -kernel "$elf" -append eio=100 \
    -drive "$(blkdebug '[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "100"\n')" $(scsi)
judge blk-pvscsi-eio ro "^pvscsi 00:0[0-9a-f]\.0 target 0: read of 1 sectors at 100: $sense" \
    '^blk: read of sector 100: -5$' '^blk: errors 1$'

fresh
# shellcheck disable=SC2046
uk_boot "$log" -M q35 -kernel "$elf" -append eflush \
    -drive "$(blkdebug '[inject-error]\nevent = "flush_to_disk"\nerrno = "5"\n')" $(scsi)
judge blk-pvscsi-flush rw-one "^pvscsi 00:0[0-9a-f]\.0 target 0: flush of 0 sectors at 0: $sense" \
    '^blk: flush: -5$'

# jeos-hv: the same guest source linked with the hv platform
hv=$UK_OUTDIR/jeos-hv
if [ ! -x "$hv" ] || [ ! -f "$UK_OUTDIR/unikernel/guests-hv/blk.elf" ]; then
    echo "SKIP blk-hv: $hv or the hv guests not built"
    echo "SKIP blk-hv-ro: $hv or the hv guests not built"
elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
    echo "SKIP blk-hv: /dev/kvm not usable"
    echo "SKIP blk-hv-ro: /dev/kvm not usable"
else
    hvrun() { # disk option; quick: every guest instruction is emulated on this host's KVM
        timeout 120 env ASAN_OPTIONS=detect_leaks=0 "$hv" --disk "$1" \
            "$UK_OUTDIR/unikernel/guests-hv/blk.elf" quick >"$log" 2>&1 </dev/null
        UK_STATUS=$?
        UK_RC=$UK_STATUS
    }
    fresh
    hvrun "$img"
    judge blk-hv quick '^blk: blk0 jeos-hv hv 0 sectors 32768 size 512 ro 0 flush 1 discard 0 ' \
        '^blk: stats reads [0-9]+ writes 9 flushes 2 discards 0 errors 1 max_inflight 1 ' "$done_ok"
    fresh
    hvrun "$img,ro"
    judge blk-hv-ro ro '^blk: blk0 jeos-hv hv 0 sectors 32768 size 512 ro 1 ' \
        '^blk: write on a read-only disk: -30$' '^blk: ro ok reads 8 errors 1$'
fi
