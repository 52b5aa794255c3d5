#!/usr/bin/env python3
"""tests/unikernel/pci_check.py — boots the pci guest under QEMU TCG with a QMP socket, waits for
its listing, asks QEMU for its own (query-pci) while the guest idles, and compares them function
by function: ids, class, interrupt pin and line, and every BAR (kind, address, size).

usage: pci_check.py NAME ELF QEMU-ARGS...   prints PASS NAME or FAIL NAME: why (exit 0 either way)
"""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time


def fail(name, why):
    print(f"FAIL {name}: {why}")
    sys.exit(0)


def qmp_pci(sock_path):
    s = socket.socket(socket.AF_UNIX)
    for _ in range(100):
        try:
            s.connect(sock_path)
            break
        except OSError:
            time.sleep(0.05)
    f = s.makefile("rw")
    f.readline()  # greeting

    def call(cmd):
        f.write(json.dumps({"execute": cmd}) + "\n")
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "return" in r or "error" in r:
                return r

    call("qmp_capabilities")
    buses = call("query-pci")["return"]
    call("quit")
    return buses


def flatten(devices, out):
    for d in devices:
        out.append(d)
        if "pci_bridge" in d:
            flatten(d["pci_bridge"].get("devices", []), out)


def qemu_view(d):
    bars = {}
    for r in d.get("regions", []):
        if r["bar"] == 6:
            continue  # the expansion ROM: not a BAR the kernel sizes
        if r["type"] == "io":
            kind = "io"
        else:
            kind = ("mem64" if r.get("mem_type_64") else "mem32") + (",pref" if r.get("prefetch") else "")
        bars[r["bar"]] = (kind, r["address"], r["size"])
    pin = d.get("irq_pin", 0)
    return {
        "ids": (d["id"]["vendor"], d["id"]["device"]),
        "class": d["class_info"]["class"],
        "pin": pin,
        "line": d.get("irq") if pin else None,
        "bars": bars,
    }


LINE = re.compile(r"^pci ([0-9a-f]{2}):([0-9a-f]{2})\.([0-7]) ([0-9a-f]{4}):([0-9a-f]{4}) class ([0-9a-f]{6})(.*)$")
BAR = re.compile(r" bar([0-5]) (io|mem32|mem64)(,pref)? 0x([0-9a-f]+)\+0x([0-9a-f]+)")


def guest_view(rest, cls):
    m = re.search(r" int([a-d]) line (\d+)", rest)
    bars = {int(b[0]): (b[1] + b[2], int(b[3], 16), int(b[4], 16)) for b in BAR.findall(rest)}
    return {
        "class": cls >> 8,
        "pin": "abcd".index(m.group(1)) + 1 if m else 0,
        "line": int(m.group(2)) if m else None,
        "bars": bars,
    }


def main():
    name, elf, qemu_args = sys.argv[1], sys.argv[2], sys.argv[3:]
    tmp = tempfile.mkdtemp(prefix="pcicheck.")
    sock = os.path.join(tmp, "qmp")
    cmd = ["qemu-system-x86_64", "-accel", "tcg", "-m", "128", "-display", "none", "-monitor", "none",
           "-serial", "stdio", "-no-reboot", "-qmp", f"unix:{sock},server=on,wait=off",
           "-kernel", elf, "-append", "wait"] + qemu_args
    q = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    lines, guest = [], {}
    deadline = time.time() + 60
    access = None
    for raw in q.stdout:
        line = raw.rstrip("\r\n")
        lines.append(line)
        if line.startswith("pci: access "):
            access = line.split()[-1]
        m = LINE.match(line)
        if m:
            key = (int(m.group(1), 16), int(m.group(2), 16), int(m.group(3)))
            v = guest_view(m.group(7), int(m.group(6), 16))
            v["ids"] = (int(m.group(4), 16), int(m.group(5), 16))
            guest[key] = v
        if re.match(r"^pci: \d+ functions$", line) or time.time() > deadline:
            break
    if not any(re.match(r"^pci: \d+ functions$", l) for l in lines):
        q.kill()
        fail(name, "no listing; output: " + " | ".join(lines[-10:]))
    try:
        buses = qmp_pci(sock)
    except (OSError, ValueError, KeyError) as e:
        q.kill()
        fail(name, f"QMP query-pci: {e}")
    q.wait(timeout=30)
    devices = []
    for b in buses:
        flatten(b.get("devices", []), devices)
    qemu = {(d["bus"], d["slot"], d["function"]): qemu_view(d) for d in devices}
    want_access = os.environ.get("PCI_ACCESS")
    if want_access and access != want_access:
        fail(name, f"config access {access}, expected {want_access}")
    if set(qemu) != set(guest):
        fail(name, f"functions differ: QEMU has {sorted(qemu)}, the guest listed {sorted(guest)}")
    for key in sorted(qemu):
        if qemu[key] != guest[key]:
            fail(name, f"{key[0]:02x}:{key[1]:02x}.{key[2]}: QEMU says {qemu[key]}, the guest {guest[key]}")
    extra = os.environ.get("PCI_EXPECT")
    if extra and not any(re.search(extra, l) for l in lines):
        fail(name, f"output lacks /{extra}/: " + " | ".join(lines[-12:]))
    print(f"PASS {name}")


main()
