#!/bin/bash
# tests/unikernel/boot_test.sh — hello through the PVH entry (qemu -kernel): its line, its exit status,
# the boot source it reports, and the ELF's three entries (multiboot2 header, PVH note, e_entry).
set -u
UK_TEST=boot
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
log=$T_TMP/log
elf=$UK_GUESTS/hello.elf

uk_pvh "$log" "$elf" 42
if uk_expect pvh-hello "$log" '^Hello from the jeos unikernel \(boot: pvh\)$'; then
    if [ "$UK_STATUS" -eq 42 ]; then echo "PASS pvh-hello"; else echo "FAIL pvh-hello: status $UK_STATUS (QEMU $UK_RC), expected 42"; fi
fi

uk_pvh "$log" "$elf" ""
if [ "$UK_STATUS" -eq 0 ] && grep -q '^Hello from' "$log"; then echo "PASS pvh-status-0"; else echo "FAIL pvh-status-0: status $UK_STATUS (QEMU $UK_RC)"; fi

# the ELF carries all three entries: e_entry = _start (jeos-hv), a PVH note naming pvh_entry, and a
# multiboot2 header in the first 32 KiB whose entry-address tag names mb2_entry
syms=$(nm "$elf" | awk '$3 == "_start" || $3 == "pvh_entry" || $3 == "mb2_entry" {print $3 "=" $1}')
python3 - "$elf" $syms <<'PY'
import struct, sys
path, syms = sys.argv[1], dict(a.split("=") for a in sys.argv[2:])
syms = {k: int(v, 16) for k, v in syms.items()}
data = open(path, "rb").read()
entry, phoff = struct.unpack_from("<QQ", data, 24)
phentsize, phnum = struct.unpack_from("<HH", data, 54)
def report(name, ok, why):
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why)))
report("entry-is-jeos-hv", entry == syms.get("_start"), "e_entry %#x, _start %#x" % (entry, syms.get("_start", 0)))
pvh = None
for i in range(phnum):
    ptype, _, off, _, _, filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phentsize)
    if ptype != 4:  # PT_NOTE
        continue
    p = off
    while p + 12 <= off + filesz:
        namesz, descsz, ntype = struct.unpack_from("<III", data, p)
        name = data[p + 12:p + 12 + namesz].rstrip(b"\0")
        dp = p + 12 + ((namesz + 3) & ~3)
        if name == b"Xen" and ntype == 18:
            pvh = struct.unpack_from("<I", data, dp)[0]
        p = dp + ((descsz + 3) & ~3)
report("pvh-note", pvh is not None and pvh == syms.get("pvh_entry"), "XEN_ELFNOTE_PHYS32_ENTRY %r, pvh_entry %#x" % (pvh, syms.get("pvh_entry", 0)))
mb = None
for off in range(0, min(len(data), 32768) - 16, 8):
    magic, arch, length, csum = struct.unpack_from("<IIII", data, off)
    if magic == 0xE85250D6 and (magic + arch + length + csum) & 0xFFFFFFFF == 0:
        t = off + 16
        while t + 8 <= off + length:
            ttype, _, tsize = struct.unpack_from("<HHI", data, t)
            if ttype == 3:
                mb = struct.unpack_from("<I", data, t + 8)[0]
            if ttype == 0 or tsize < 8:
                break
            t += (tsize + 7) & ~7
        break
report("multiboot2-header", mb is not None and mb == syms.get("mb2_entry"), "entry tag %r, mb2_entry %#x" % (mb, syms.get("mb2_entry", 0)))
PY

# size budget: hello stripped within 64 KiB. The NVMe, pvscsi and vmxnet3 drivers (about 17 KB) are
# linked only into programs with volumes or a network (uk-link.sh --drivers): hello has none of
# their code, the blk guest (--drivers=blk) NVMe's and pvscsi's, the net guest vmxnet3's.
strip -o "$T_TMP/hello.stripped" "$elf"
size=$(stat -c %s "$T_TMP/hello.stripped")
if [ "$size" -le 65536 ]; then echo "PASS hello-size"; else echo "FAIL hello-size: $size bytes stripped (budget 65536)"; fi
drv() { nm "$1" 2>/dev/null | grep -oE ' [tT] (nvme|pvscsi|vmxnet3)_probe_all$' | awk '{print $2}' | tr '\n' ' '; }
got="hello: [$(drv "$elf")] blk: [$(drv "$UK_GUESTS/blk.elf")] net: [$(drv "$UK_GUESTS/net.elf")]"
if [ "$got" = "hello: [] blk: [nvme_probe_all pvscsi_probe_all ] net: [vmxnet3_probe_all ]" ]; then
    echo "PASS optional-drivers ($got)"
else
    echo "FAIL optional-drivers: $got"
fi
echo "hello.elf stripped: $size bytes"
