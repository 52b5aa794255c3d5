#!/usr/bin/python3
"""check_sbom.py SCHEMA SBOM LOCK REPORT CACHE [PKG...] — checks one jeos SBOM, printing one
"ok: ..." line per check passed, or "bad: WHAT: why" lines and exit status 1.

- the document validates against the SPDX 2.3 JSON schema (python3-jsonschema);
- its packages (the image's own left out) are the lock's, with the same versions, architectures
  and .deb sha256;
- the image CONTAINS exactly the lock's packages less those the build report says it left out;
- each PKG's licenseDeclared names exactly the licenses of the License lines of the Files
  paragraphs of its copyright file, read here from its .deb in CACHE (dpkg-deb) with a parser and
  a name table of this script's own; a package whose copyright file is not machine-readable must
  be NOASSERTION.
"""
import io, json, re, subprocess, sys, tarfile

import jsonschema

schema_path, sbom_path, lock_path, report_path, cache = sys.argv[1:6]
check_pkgs = sys.argv[6:]
bad = []


def say(ok, what, why=""):
    if ok:
        print("ok: " + what)
    else:
        bad.append(what)
        print("bad: %s: %s" % (what, why))


doc = json.load(open(sbom_path))
try:
    jsonschema.validate(doc, json.load(open(schema_path)))
    say(True, "schema")
except jsonschema.ValidationError as e:
    say(False, "schema", "%s at %s" % (e.message, "/".join(map(str, e.absolute_path))))


def stanzas(text):
    out = []
    for para in re.split(r"\n\s*\n", text):
        fields, last = {}, None
        for line in para.split("\n"):
            if not line.strip() or line.startswith("#"):
                continue
            if line[0] in " \t" and last:
                fields[last] += "\n" + line
            elif ":" in line:
                last, v = line.split(":", 1)
                fields[last] = v.strip()
        if fields:
            out.append(fields)
    return out


lock = [s for s in stanzas(open(lock_path).read()) if "Package" in s]
pkgs = [p for p in doc["packages"] if p["SPDXID"] != "SPDXRef-Image"]
want = {(s["Package"], s["Version"], s["Architecture"], s["SHA256"]) for s in lock}
got = set()
for p in pkgs:
    arch = re.match(r"architecture (\S+?)(;|$)", p.get("comment", ""))
    sha = [c["checksumValue"] for c in p.get("checksums", []) if c["algorithm"] == "SHA256"]
    got.add((p["name"], p.get("versionInfo"), arch.group(1) if arch else None,
             sha[0] if sha else None))
say(got == want and len(pkgs) == len(lock), "packages equal the lock's (%d)" % len(lock),
    "only in the SBOM: %s; only in the lock: %s" % (sorted(got - want)[:3], sorted(want - got)[:3]))

ids = {p["SPDXID"]: p["name"] for p in pkgs}
contained = {ids[r["relatedSpdxElement"]] for r in doc["relationships"]
             if r["spdxElementId"] == "SPDXRef-Image" and r["relationshipType"] == "CONTAINS"
             and r["relatedSpdxElement"] in ids}
left = set()
for line in open(report_path):
    if line.startswith("  left out:"):
        left = set(line.split(":", 1)[1].split())
in_image = {s["Package"] for s in lock} - left
say(contained == in_image, "the image CONTAINS the lock less what the report left out (%d)"
    % len(in_image), "extra %s, missing %s" % (sorted(contained - in_image), sorted(in_image - contained)))

# every package DEPENDS_ON from its lock parent (or the image for a request), with the Why
parent = {s["Package"]: s["Parent"] for s in lock}
why = {s["Package"]: s["Why"] for s in lock}
name_of = dict(ids, **{"SPDXRef-Image": "-"})
deps = {(name_of.get(r["spdxElementId"]), name_of.get(r["relatedSpdxElement"]), r.get("comment"))
        for r in doc["relationships"] if r["relationshipType"] == "DEPENDS_ON"}
want_deps = {(parent[n], n, why[n]) for n in parent}
say(deps == want_deps, "DEPENDS_ON follows the lock's Parent and Why",
    "differs: %s" % sorted(deps ^ want_deps, key=str)[:3])

# The licenses, read from the .debs themselves.
SPDX = {"Zlib": "Zlib", "zlib": "Zlib", "Apache-2.0": "Apache-2.0", "Artistic": "Artistic-1.0-Perl",
        "GPL-1+": "GPL-1.0-or-later", "GPL-2": "GPL-2.0-only", "GPL-2+": "GPL-2.0-or-later",
        "GPL-3+": "GPL-3.0-or-later", "LGPL-2.1+": "LGPL-2.1-or-later", "LGPL-2.1": "LGPL-2.1-only",
        "BSD-2-clause": "BSD-2-Clause", "BSD-3-clause": "BSD-3-Clause", "Expat": "MIT", "MIT": "MIT",
        "ISC": "ISC"}
by_name = {p["name"]: p for p in pkgs}
for name in check_pkgs:
    p = by_name.get(name)
    s = next((s for s in lock if s["Package"] == name), None)
    if not p or not s:
        say(False, "license of %s" % name, "not in the SBOM and the lock")
        continue
    deb = "%s/sha256/%s/%s" % (cache, s["SHA256"][:2], s["SHA256"])
    tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        m = t.getmember("./usr/share/doc/%s/copyright" % name)
        text = t.extractfile(m).read().decode("utf-8", "replace")
    paras = stanzas(text)
    if not re.search(r"copyright-format/1\.0", paras[0].get("Format", "")):
        say(p["licenseDeclared"] == "NOASSERTION", "license of %s: not machine-readable, so "
            "NOASSERTION" % name, "got %s" % p["licenseDeclared"])
        continue
    names = set()
    for para in paras:
        if "Files" in para and "License" in para:
            first = para["License"].split("\n")[0]
            for part in re.split(r",|\s+or\s+|\s+and\s+", first):
                part = part.strip()
                if part:
                    names.add(SPDX.get(part, "LicenseRef-" + re.sub(r"[^A-Za-z0-9.-]", "-",
                                                                      part.replace("+", "-plus"))))
    declared = set(re.findall(r"[A-Za-z0-9.+-]+", p["licenseDeclared"])) - {"AND", "OR", "WITH"}
    say(declared == names, "license of %s: %s" % (name, p["licenseDeclared"]),
        "the copyright file names %s" % sorted(names))

sys.exit(1 if bad else 0)
