#!/usr/bin/env python3
"""mkdebs.py OUTDIR — builds the test packages for rootfs_test.sh.

Ordinary packages go through `dpkg-deb --build --root-owner-group`; the ones
dpkg-deb cannot make as a plain user (device nodes, other owners, xattrs) or
must not make (path traversal) get their data.tar from python's tarfile and
are assembled as ar archives here.
"""
import io
import os
import subprocess
import sys
import tarfile

OUT = sys.argv[1]
MTIME = 1700000000


def control(name, extra=""):
    return (f"Package: {name}\nVersion: 1.0\nArchitecture: amd64\n"
            f"Maintainer: jeos tests <t@example.org>\nDescription: test package {name}\n{extra}")


def dpkg_build(name, files, extra="", comp="xz", scripts=None):
    root = os.path.join(OUT, "src", name)
    os.makedirs(os.path.join(root, "DEBIAN"), exist_ok=True)
    with open(os.path.join(root, "DEBIAN", "control"), "w") as f:
        f.write(control(name, extra))
    for sname, text in (scripts or {}).items():
        p = os.path.join(root, "DEBIAN", sname)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, 0o755)
    for path, kind, mode, arg in files:
        p = os.path.join(root, path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if kind == "f":
            with open(p, "wb") as f:
                f.write(arg)
            os.chmod(p, mode)
        elif kind == "d":
            os.makedirs(p, exist_ok=True)
            os.chmod(p, mode)
        elif kind == "l":
            os.symlink(arg, p)
        elif kind == "h":
            os.link(os.path.join(root, arg), p)
    for dirpath, dirs, fnames in os.walk(root):
        for n in dirs + fnames:
            q = os.path.join(dirpath, n)
            if not os.path.islink(q):
                os.utime(q, (MTIME, MTIME))
    deb = os.path.join(OUT, name + ".deb")
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(MTIME))
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Z" + comp, "--build", root, deb],
                   check=True, stdout=subprocess.DEVNULL, env=env)
    return deb


def tar_bytes(entries, comp):
    bio = io.BytesIO()
    mode = {"gz": "w:gz", "xz": "w:xz", "bz2": "w:bz2", "none": "w"}[comp]
    with tarfile.open(fileobj=bio, mode=mode, format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            ti = tarfile.TarInfo(e["name"])
            ti.type = e.get("type", tarfile.REGTYPE)
            ti.mode = e.get("mode", 0o644)
            ti.uid, ti.gid = e.get("uid", 0), e.get("gid", 0)
            ti.uname = ti.gname = ""
            ti.mtime = MTIME
            ti.linkname = e.get("link", "")
            ti.devmajor, ti.devminor = e.get("dev", (0, 0))
            if "xattrs" in e:
                ti.pax_headers = {"SCHILY.xattr." + k: v for k, v in e["xattrs"].items()}
            data = e.get("data", b"")
            ti.size = len(data) if ti.type == tarfile.REGTYPE else 0
            t.addfile(ti, io.BytesIO(data) if ti.type == tarfile.REGTYPE else None)
    return bio.getvalue()


def ar_member(name, data):
    hdr = f"{name:<16}{MTIME:<12}{0:<6}{0:<6}{'100644':<8}{len(data):<10}`\n".encode()
    return hdr + data + (b"\n" if len(data) % 2 else b"")


def raw_build(name, entries, comp="xz", extra="", scripts=None):
    ctl = [{"name": "./control", "data": control(name, extra).encode()}]
    for sname, text in (scripts or {}).items():
        ctl.append({"name": "./" + sname, "data": text.encode(), "mode": 0o755})
    ext = "" if comp == "none" else "." + comp
    deb = os.path.join(OUT, name + ".deb")
    with open(deb, "wb") as f:
        f.write(b"!<arch>\n")
        f.write(ar_member("debian-binary", b"2.0\n"))
        f.write(ar_member("control.tar.gz", tar_bytes(ctl, "gz")))
        f.write(ar_member("data.tar" + ext, tar_bytes(entries, comp)))
    return deb


os.makedirs(OUT, exist_ok=True)
zeros = b"\0" * 65536 + b"end\n"
dpkg_build("alpha", [
    ("usr/bin/alpha", "f", 0o755, b"alpha binary\n"),
    ("usr/bin/su-alpha", "f", 0o4755, b"setuid alpha\n"),
    ("usr/bin/alpha-link", "l", 0, "alpha"),
    ("usr/bin/alpha-hard", "h", 0, "usr/bin/alpha"),
    ("etc/shared.conf", "f", 0o644, b"from alpha\n"),
    ("bin/alpha-bin", "f", 0o755, b"in /bin\n"),
    ("lib64/ld-test.so.2", "f", 0o755, b"loader\n"),
    ("usr/share/doc/alpha/README", "f", 0o644, b"docs " * 100),
    ("usr/share/locale/de/LC_MESSAGES/alpha.mo", "f", 0o644, b"german\n"),
    ("usr/share/locale/fr/LC_MESSAGES/alpha.mo", "f", 0o644, b"french!\n"),
    ("usr/lib/alpha/sparse.bin", "f", 0o644, zeros),
    ("usr/lib/alpha/drop.me", "f", 0o644, b"dropped by a recipe rule\n"),
], comp="xz")
dpkg_build("beta", [("etc/shared.conf", "f", 0o644, b"from beta\n")],
           extra="Replaces: alpha (<< 2.0)\n", comp="zstd")
raw_build("gamma", [
    {"name": "./", "type": tarfile.DIRTYPE, "mode": 0o755},
    {"name": "./dev/", "type": tarfile.DIRTYPE, "mode": 0o755},
    {"name": "./dev/null2", "type": tarfile.CHRTYPE, "mode": 0o666, "dev": (1, 3)},
    {"name": "./dev/sda9", "type": tarfile.BLKTYPE, "mode": 0o660, "gid": 6, "dev": (8, 9)},
    {"name": "./dev/big", "type": tarfile.CHRTYPE, "mode": 0o600, "dev": (259, 300)},
    {"name": "./run/", "type": tarfile.DIRTYPE, "mode": 0o755},
    {"name": "./run/gamma.fifo", "type": tarfile.FIFOTYPE, "mode": 0o644},
    {"name": "./usr/bin/ping2", "mode": 0o755, "data": b"ping with caps\n",
     "xattrs": {"security.capability": "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00"
                "\x00\x00\x00\x00\x00\x00\x00\x00"}},
    {"name": "./usr/bin/sgid", "mode": 0o2755, "gid": 6, "data": b"setgid\n"},
    {"name": "./usr/bin/gamma-ed", "mode": 0o755, "data": b"gamma editor\n"},
    {"name": "./var/www/", "type": tarfile.DIRTYPE, "mode": 0o750, "uid": 33, "gid": 33},
    {"name": "./var/www/index.html", "mode": 0o640, "uid": 33, "gid": 33, "data": b"<h1>hi</h1>\n"},
    {"name": "./srv/sticky/", "type": tarfile.DIRTYPE, "mode": 0o1777},
], comp="bz2", scripts={"postinst": "#!/bin/sh\nset -e\nif [ \"$1\" = configure ]; then\n"
                       "  update-alternatives --install /usr/bin/editor editor /usr/bin/gamma-ed 50 \\\n"
                       "    --slave /usr/bin/ed-help ed-help /usr/bin/gamma-ed\nfi\n"})
dpkg_build("delta", [("usr/bin/delta", "f", 0o755, b"delta editor\n")], comp="none",
           scripts={"postinst": "#!/bin/sh\nupdate-alternatives --install /usr/bin/editor "
                    "editor /usr/bin/delta 80\n"})
big = bytes(range(256)) * 4096 + b"\0" * (1 << 20) + b"tail" * 1000  # data, a hole, data
many = [{"name": f"./usr/share/epsilon/many/f{i:04d}-{'x' * (i % 40)}", "data": b"%d\n" % i}
        for i in range(1500)]  # a folder of many blocks (expanded while linking)
raw_build("epsilon", [{"name": "./usr/share/epsilon/data", "data": b"gzip-compressed data.tar\n"},
                      {"name": "./usr/share/epsilon/big.bin", "data": big},
                      {"name": "./usr/share/epsilon/slow-link", "type": tarfile.SYMTYPE,
                       "link": "/usr/share/epsilon/" + "long-target-" * 8 + "data"},
                      {"name": "./usr/share/epsilon/" + "deep-folder-name/" * 7 + "file-with-a-long-path",
                       "data": b"long path\n"},
                      {"name": "./usr/share/epsilon/rel-link", "type": tarfile.SYMTYPE,
                       "link": "../../../usr/share/epsilon/" + "deep-folder-name/" * 7 + "file-with-a-long-path"}] + many,
          comp="gz")
# failing inputs
raw_build("evil-dotdot", [{"name": "./../../etc/evil", "data": b"x\n"}])
raw_build("evil-symlink", [
    {"name": "./escape", "type": tarfile.SYMTYPE, "link": "../../../../tmp"},
    {"name": "./escape/pwned", "data": b"x\n"},
])
dpkg_build("conflict", [("usr/bin/alpha", "f", 0o755, b"not alpha\n")])
dpkg_build("oldrep", [("usr/bin/alpha", "f", 0o755, b"not alpha\n")],
           extra="Replaces: alpha (<< 1.0)\n")
