#!/usr/bin/python3
"""check_inspect.py NAME OUTDIR FILE JSON — checks jeos inspect --json of OUTDIR/FILE against what
the build wrote: sfdisk's view of NAME.raw (partitions, the root's PARTUUID on the command line),
the SBOM's packages (NAME.spdx.json), manifest.txt's kernel version and largest file. Prints
nothing and exits 0, or prints what differs and exits 1."""
import json, re, subprocess, sys

name, out, fname, jpath = sys.argv[1:5]
d = json.load(open(jpath))
problems = []


def want(cond, what):
    if not cond:
        problems.append(what)


suffix = {".raw": "raw", ".qcow2": "qcow2", ".vmdk": "vmdk", ".vhd": "vhd", ".ova": "ova",
          ".tar.gz": "gce", ".oci.tar": "oci", ".oci": "oci", ".elf": "elf"}
fmt = next(v for k, v in suffix.items() if fname.endswith(k))
want(d["format"] == fmt, "format %s, not %s" % (d["format"], fmt))
sbom = json.load(open("%s/%s.spdx.json" % (out, name)))
ids = {p["SPDXID"] for p in sbom["packages"]}
inside = {r["relatedSpdxElement"] for r in sbom["relationships"]
          if r["relationshipType"] == "CONTAINS" and r["spdxElementId"] == "SPDXRef-Image"}
sb = {(p["name"], p["versionInfo"]) for p in sbom["packages"]
      if p["SPDXID"] in inside and p["SPDXID"] != "SPDXRef-Image"}
got = {(p["name"], p["version"]) for p in d["packages"]}
want(got == sb, "packages differ from the SBOM's: %s" % sorted(got ^ sb)[:4])
if fmt != "elf":
    sf = json.loads(subprocess.run(["sfdisk", "-J", "%s/%s.raw" % (out, name)], check=True,
                                   capture_output=True, text=True).stdout)["partitiontable"]
    parts = [(p["start"] * 512, p["size"] * 512) for p in sf["partitions"]]
    mine = [(p["start"], p["bytes"]) for p in d["partition_table"]["partitions"]]
    want(d["partition_table"]["kind"] == sf["label"], "table %s" % d["partition_table"]["kind"])
    want(mine == parts, "partitions %s, sfdisk says %s" % (mine, parts))
    want(d["boot"]["bios"] and d["boot"]["uefi"], "boot %s" % d["boot"])
    if name == "hello":
        want(d["kernel"]["loader"] == "multiboot2", "loader %s" % d["kernel"]["loader"])
        want(d["kernel"]["path"] == "/boot/hello.elf", "kernel %s" % d["kernel"]["path"])
    else:
        root = [p for p in sf["partitions"] if p.get("name") == "root"][0]
        cmd = d["kernel"]["cmdline"] or ""
        want("root=PARTUUID=%s" % root["uuid"].lower() in cmd, "command line %s" % cmd)
        want(d["root"]["filesystem"] == "squashfs", "root %s" % d["root"])
        man = [l.split(" ") for l in open("%s/manifest.txt" % out)]
        ver = next(re.match(r"/usr/lib/modules/([^/]+)$", l[0]).group(1) for l in man
                   if re.match(r"/usr/lib/modules/[^/]+$", l[0]))
        want(ver in (d["kernel"]["version"] or ""), "kernel %s, modules %s" %
             (d["kernel"]["version"], ver))
        files = sorted(((int(l[4]), l[0]) for l in man if l[1] == "file"), key=lambda x: (-x[0], x[1]))
        top = d["largest_files"][0]
        want((top["bytes"], top["path"]) == files[0], "largest %s, manifest %s" % (top, files[0]))
if problems:
    print("; ".join(problems))
    sys.exit(1)
