#!/usr/bin/env python3
"""check_image.py ext4|squashfs IMAGE MANIFEST — compares an image, as the ecosystem's own tools
(debugfs, unsquashfs) list it, against jeos's manifest: every path, type, mode, owner, size,
symlink target, device numbers and (both) every regular file's sha256, so a file stored empty
or truncated is caught. Prints "ok N entries" or the differences, and exits 1 on any."""
import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

kind, image, manifest = sys.argv[1:4]
TYPES = {"d": "dir", "-": "file", "l": "symlink", "c": "chr", "b": "blk", "p": "fifo", "s": "sock"}


def unesc(s):
    return s.replace("\\040", " ").replace("\\n", "\n").replace("\\\\", "\\")


def load_manifest():
    m = {}
    for line in open(manifest, encoding="utf-8"):
        f = line.rstrip("\n").split(" ", 5)
        path, typ, mode, owner, size, extra = f
        m[unesc(path)] = dict(type=typ, mode=int(mode, 8), owner=owner, size=int(size),
                              extra=unesc(extra))
    return m


def perm_bits(s):
    """'rwsr-xr-t' -> mode bits."""
    bits = 0
    for i, (ch, b) in enumerate(zip(s, [0o400, 0o200, 0o100, 0o40, 0o20, 0o10, 4, 2, 1])):
        if ch in "rwx":
            bits |= b
        if i == 2 and ch in "sS":
            bits |= 0o4000 | (b if ch == "s" else 0)
        if i == 5 and ch in "sS":
            bits |= 0o2000 | (b if ch == "s" else 0)
        if i == 8 and ch in "tT":
            bits |= 0o1000 | (b if ch == "t" else 0)
    return bits


def squashfs_listing():
    out = subprocess.run(["unsquashfs", "-lln", image], check=True, capture_output=True,
                         text=True).stdout
    got = {}
    rx = re.compile(r"^(\S)(\S{9}) (\d+)/(\d+)\s+(\d+|\d+,\s*\d+) \S+ \S+ squashfs-root(.*)$")
    for line in out.splitlines():
        mm = rx.match(line)
        if not mm:
            continue
        t, perms, uid, gid, size, rest = mm.groups()
        path, target = rest, None
        if t == "l":
            path, target = rest.split(" -> ", 1)
        e = dict(type=TYPES[t], mode=perm_bits(perms), owner=f"{uid}:{gid}", target=target)
        if t in "cb":
            # unsquashfs 4.5.1 lists the raw 32-bit rdev as (raw >> 8, raw & 0xff): decode it
            # as the kernel's new_decode_dev (extraction makes the right node)
            lm, lmi = (int(x) for x in size.replace(" ", "").split(","))
            raw = (lm << 8) | lmi
            e["dev"] = f"{(raw >> 8) & 0xfff},{(raw & 0xff) | ((raw >> 12) & 0xfff00)}"
        elif t == "-":
            e["size"] = int(size)
        got[path or "/"] = e
    return got


def debugfs(cmds):
    with tempfile.NamedTemporaryFile("w", suffix=".cmds", delete=False) as f:
        f.write("\n".join(cmds) + "\n")
    try:
        return subprocess.run(["debugfs", "-f", f.name, image], check=True, capture_output=True,
                              text=True, errors="replace").stdout
    finally:
        os.unlink(f.name)


def ext4_listing():
    got = {"/": None}
    level = ["/"]
    while level:
        out = debugfs([f'ls -p "{d}"' for d in level])
        nxt, cur = [], None
        for line in out.splitlines():
            if line.startswith("debugfs: ls -p "):
                cur = line[len('debugfs: ls -p "'):-1]
                continue
            f = line.split("/")
            if len(f) < 7 or f[5] in (".", ".."):
                continue
            _, ino, mode, uid, gid, name, size = f[:7]
            if cur == "/" and name == "lost+found":
                continue
            path = (cur.rstrip("/") + "/" + name)
            mode = int(mode, 8)
            t = {stat.S_IFDIR: "dir", stat.S_IFREG: "file", stat.S_IFLNK: "symlink",
                 stat.S_IFCHR: "chr", stat.S_IFBLK: "blk", stat.S_IFIFO: "fifo",
                 stat.S_IFSOCK: "sock"}[stat.S_IFMT(mode)]
            got[path] = dict(type=t, mode=stat.S_IMODE(mode), owner=f"{uid}:{gid}", ino=int(ino),
                             size=int(size) if size else 0)
            if t == "dir":
                nxt.append(path)
        level = nxt
    special = [p for p, e in got.items() if e and e["type"] in ("symlink", "chr", "blk")]
    if special:
        out = debugfs([f'stat "{p}"' for p in special])
        for chunk in out.split("debugfs: stat ")[1:]:
            p = chunk.split("\n", 1)[0].strip('"')
            mm = re.search(r'Fast link dest: "(.*)"', chunk)
            if mm:
                got[p]["target"] = mm.group(1)
            mm = re.search(r"Device major/minor number: (\d+):(\d+)", chunk)
            if mm:
                got[p]["dev"] = f"{int(mm.group(1))},{int(mm.group(2))}"
        slow = [p for p in special if got[p]["type"] == "symlink" and "target" not in got[p]]
        for p in slow:
            got[p]["target"] = subprocess.run(["debugfs", "-R", f'cat "{p}"', image],
                                              capture_output=True, text=True).stdout
    root = debugfs(['stat "/"'])
    mm = re.search(r"Mode:\s+0?(\d+)\s+.*?User:\s+(\d+)\s+Group:\s+(\d+)", root, re.S)
    got["/"] = dict(type="dir", mode=int(mm.group(1), 8), owner=f"{mm.group(2)}:{mm.group(3)}")
    return got


def contents(files):
    """sha256 of each regular file as read back out of the image."""
    tmp = tempfile.mkdtemp()
    sums = {}
    try:
        if kind == "squashfs":
            d = os.path.join(tmp, "x")
            subprocess.run(["unsquashfs", "-no-xattrs", "-d", d, image], check=True,
                           capture_output=True)
            for p in files:
                with open(d + p, "rb") as f:
                    sums[p] = hashlib.sha256(f.read()).hexdigest()
        else:
            cmds = [f'dump "{p}" "{tmp}/{i}"' for i, p in enumerate(files)]
            debugfs(cmds)
            for i, p in enumerate(files):
                with open(f"{tmp}/{i}", "rb") as f:
                    sums[p] = hashlib.sha256(f.read()).hexdigest()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return sums


want = load_manifest()
got = squashfs_listing() if kind == "squashfs" else ext4_listing()
bad = []
for p in sorted(set(want) | set(got)):
    w, g = want.get(p), got.get(p)
    if not w or not g:
        bad.append(f"{p}: {'only in the image' if not w else 'missing from the image'}")
        continue
    wt = "file" if w["type"] == "hardlink" else w["type"]
    if wt != g["type"]:
        bad.append(f"{p}: type {g['type']}, manifest {wt}")
        continue
    if w["mode"] != g["mode"]:
        bad.append(f"{p}: mode {g['mode']:04o}, manifest {w['mode']:04o}")
    if w["owner"] != g["owner"]:
        bad.append(f"{p}: owner {g['owner']}, manifest {w['owner']}")
    if wt == "file" and g.get("size") != w["size"]:
        bad.append(f"{p}: size {g.get('size')}, manifest {w['size']}")
    if wt == "symlink" and g.get("target") != w["extra"]:
        bad.append(f"{p}: target {g.get('target')!r}, manifest {w['extra']!r}")
    if wt in ("chr", "blk") and g.get("dev") != w["extra"]:
        bad.append(f"{p}: device {g.get('dev')}, manifest {w['extra']}")
    if w["type"] == "hardlink" and kind == "ext4":
        first = got.get(w["extra"])
        if not first or first.get("ino") != g.get("ino"):
            bad.append(f"{p}: not the same inode as {w['extra']}")
files = [p for p, w in want.items() if w["type"] == "file" and p in got]
sums = contents(files)
for p in files:
    if sums.get(p) != want[p]["extra"]:
        bad.append(f"{p}: content sha256 {sums.get(p)}, manifest {want[p]['extra']}")
if bad:
    print("\n".join(bad[:40]))
    sys.exit(1)
print(f"ok {len(want)} entries, {len(files)} file contents")
