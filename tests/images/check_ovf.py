#!/usr/bin/env python3
"""check_ovf.py OVA RAW bios|uefi — reads an OVA the way an importer does and checks what the OVF
1.0 specification (DMTF DSP0243) and ESXi/VirtualBox need, field by field: the tar (ustar, the
.ovf first, then the files it references, then the .mf), the manifest's SHA256 lines, the
envelope's namespaces, References (every File there, its size), DiskSection (capacity = the raw
disk's size, populatedSize = its non-zero 64 KiB grains, fileRef resolves, the VMDK format URI),
NetworkSection, the VirtualSystem (id, Info, OperatingSystemSection with a CIM id, the
VirtualHardwareSection: vmx- type, unique InstanceIDs, rasd elements in the CIM schema's order,
CPU, memory, the controller — pvscsi VirtualSCSI for BIOS, SATA AHCI for UEFI —, the disk on it,
a vmxnet3 NIC on a declared network, firmware=efi exactly when UEFI). Prints "ok: ..." or each
problem, and exits 1 on any."""
import hashlib
import sys
import tarfile
import xml.etree.ElementTree as ET

ova, raw, fw = sys.argv[1:4]
OVF = "http://schemas.dmtf.org/ovf/envelope/1"
RASD = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
VSSD = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
VMW = "http://www.vmware.com/schema/ovf"
bad = []


def need(cond, what):
    if not cond:
        bad.append(what)
    return cond


def q(ns, tag):
    return "{%s}%s" % (ns, tag)


tf = tarfile.open(ova)
members = tf.getmembers()
names = [m.name for m in members]
need(all(m.isfile() for m in members), "a member is not a regular file")
with open(ova, "rb") as f:
    need(f.read(512)[257:263] == b"ustar\0", "not a POSIX ustar archive (OVF 1.0 asks for one)")
need(names and names[0].endswith(".ovf"), "the first member is not the .ovf: %s" % names)
need(names and names[-1].endswith(".mf"), "the last member is not the .mf: %s" % names)
data = {m.name: tf.extractfile(m).read() for m in members}
ovf_name = names[0]

# the manifest: one "SHA256(NAME)= HEX" line for each other member, each digest right
mf = data.get(names[-1], b"").decode()
listed = {}
for line in mf.splitlines():
    head, _, hexd = line.partition(")= ")
    need(head.startswith("SHA256(") and len(hexd) == 64, "manifest line %r" % line)
    listed[head[7:]] = hexd
need(set(listed) == set(names[:-1]), "manifest lists %s, archive has %s" % (sorted(listed), names))
for n, h in listed.items():
    need(n in data and hashlib.sha256(data[n]).hexdigest() == h, "manifest digest of %s" % n)

root = ET.fromstring(data[ovf_name])
need(root.tag == q(OVF, "Envelope"), "root element %s" % root.tag)
kids = list(root)
need([k.tag for k in kids[:1]] == [q(OVF, "References")], "References is not the first child")
need(kids and kids[-1].tag == q(OVF, "VirtualSystem"), "the last child is not the VirtualSystem")

files = {}
for fe in root.findall(q(OVF, "References") + "/" + q(OVF, "File")):
    href, fid, size = (fe.get(q(OVF, a)) for a in ("href", "id", "size"))
    need(href in data, "File %s is not in the archive" % href)
    need(href in data and size == str(len(data[href])), "File %s size %s" % (href, size))
    files[fid] = href
need(set(files.values()) == set(names[1:-1]), "References %s" % sorted(files.values()))

rawb = open(raw, "rb").read()
G = 64 << 10
populated = sum(min(G, len(rawb) - o) for o in range(0, len(rawb), G) if rawb[o:o + G].strip(b"\0"))
ds = root.find(q(OVF, "DiskSection"))
disks = {}
if need(ds is not None, "no DiskSection"):
    need(ds.find(q(OVF, "Info")) is not None, "DiskSection has no Info")
    for d in ds.findall(q(OVF, "Disk")):
        a = {k.split("}")[1]: v for k, v in d.attrib.items() if k.startswith("{%s}" % OVF)}
        disks[a.get("diskId")] = a
        need(a.get("fileRef") in files, "Disk fileRef %s" % a.get("fileRef"))
        need(a.get("capacity") == str(len(rawb)) and a.get("capacityAllocationUnits") == "byte",
             "Disk capacity %s %s (raw %d)" % (a.get("capacity"), a.get("capacityAllocationUnits"),
                                                len(rawb)))
        need(a.get("populatedSize") == str(populated),
             "populatedSize %s, the raw disk's non-zero grains %d" % (a.get("populatedSize"), populated))
        need(a.get("format") == "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized",
             "Disk format %s" % a.get("format"))
need(len(disks) == 1, "%d disks" % len(disks))

nets = [n.get(q(OVF, "name")) for n in root.iter(q(OVF, "Network"))]
ns = root.find(q(OVF, "NetworkSection"))
need(ns is not None and ns.find(q(OVF, "Info")) is not None and nets, "NetworkSection")

vs = root.find(q(OVF, "VirtualSystem"))
need(vs.get(q(OVF, "id")), "VirtualSystem has no ovf:id")
need(vs.find(q(OVF, "Info")) is not None, "VirtualSystem has no Info")
osec = vs.find(q(OVF, "OperatingSystemSection"))
if need(osec is not None, "no OperatingSystemSection"):
    need((osec.get(q(OVF, "id")) or "").isdigit(), "OperatingSystemSection ovf:id")
    need(osec.find(q(OVF, "Info")) is not None, "OperatingSystemSection has no Info")
    need(osec.get(q(VMW, "osType"), "").endswith("Linux64Guest"), "vmw:osType %s" % osec.get(q(VMW, "osType")))
hw = vs.find(q(OVF, "VirtualHardwareSection"))
items = {}
if need(hw is not None, "no VirtualHardwareSection"):
    need(hw.find(q(OVF, "Info")) is not None, "VirtualHardwareSection has no Info")
    sysv = hw.find(q(OVF, "System"))
    vst = sysv.find(q(VSSD, "VirtualSystemType")).text if sysv is not None else ""
    need(vst.startswith("vmx-") and vst[4:].isdigit() and int(vst[4:]) >= 13, "VirtualSystemType %s" % vst)
    tags = [c.tag.split("}")[1] for c in sysv] if sysv is not None else []
    need(tags == sorted(tags), "vssd elements out of the schema's order: %s" % tags)
    for it in hw.findall(q(OVF, "Item")):
        tags = [c.tag.split("}")[1] for c in it]
        need(all(c.tag.startswith("{%s}" % RASD) for c in it), "an Item holds a non-rasd element")
        need(tags == sorted(tags), "rasd elements out of the schema's order: %s" % tags)
        f = {t: c.text for t, c in zip(tags, it)}
        need("ElementName" in f and "ResourceType" in f, "Item without ElementName/ResourceType")
        need(f.get("InstanceID") not in items, "InstanceID %s twice" % f.get("InstanceID"))
        items[f.get("InstanceID")] = f
    by = {}
    for f in items.values():
        by.setdefault(f.get("ResourceType"), []).append(f)
    cpu, mem = by.get("3", [{}])[0], by.get("4", [{}])[0]
    need(cpu.get("VirtualQuantity") == "2", "CPUs %s (bootkit asks for 2)" % cpu.get("VirtualQuantity"))
    need(mem.get("VirtualQuantity") == "256" and mem.get("AllocationUnits") == "byte * 2^20",
         "memory %s %s" % (mem.get("VirtualQuantity"), mem.get("AllocationUnits")))
    want = ("20", "vmware.sata.ahci") if fw == "uefi" else ("6", "VirtualSCSI")
    ctl = by.get(want[0], [])
    need(len(ctl) == 1 and ctl[0].get("ResourceSubType") == want[1],
         "%s: no %s controller (ResourceType %s): %s" % (fw, want[1], want[0], ctl))
    other = "6" if fw == "uefi" else "20"
    need(not by.get(other), "%s: a controller of ResourceType %s too" % (fw, other))
    dk = by.get("17", [])
    need(len(dk) == 1 and ctl and dk[0].get("Parent") == ctl[0].get("InstanceID"),
         "the disk is not on the controller")
    need(dk and dk[0].get("HostResource") in ["ovf:/disk/%s" % d for d in disks], "disk HostResource")
    nic = by.get("10", [])
    need(len(nic) == 1 and nic[0].get("ResourceSubType") == "VmxNet3", "no vmxnet3 NIC: %s" % nic)
    need(nic and nic[0].get("Connection") in nets, "the NIC's network is not declared")
    cfg = {c.get(q(VMW, "key")): c.get(q(VMW, "value")) for c in hw.findall(q(VMW, "Config"))}
    need(cfg.get("firmware") == ("efi" if fw == "uefi" else None), "%s: vmw:Config %s" % (fw, cfg))

if bad:
    print("\n".join(bad))
    sys.exit(1)
print("ok: %s, %d members, %d items, populatedSize %d of %d" % (fw, len(names), len(items), populated, len(rawb)))
