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
  be NOASSERTION; its supplier is its control file's Maintainer and its sourceInfo its Source;
- every package's downloadLocation is the lock's Source-URI/Filename; one in the image has a
  supplier;
- the files jeos added: each with SHA1 and SHA256, /init's the SHA256 of $JEOS_INIT; the
  creation time is $SOURCE_DATE_EPOCH.
"""
import hashlib, io, json, os, re, subprocess, sys, tarfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spdxcheck import bad, copyright_licenses, declared_names, say, validate, stanzas

schema_path, sbom_path, lock_path, report_path, cache = sys.argv[1:6]
check_pkgs = sys.argv[6:]


doc = json.load(open(sbom_path))
validate(doc, schema_path)


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

# Where each package came from, who supplied it; the files jeos added; the creation time.
lock_by = {s["Package"]: s for s in lock}
wrong = [(p["name"], p.get("downloadLocation"), p.get("supplier")) for p in pkgs
         if p.get("downloadLocation") != "%s/%s" % (lock_by.get(p["name"], {}).get("Source-URI"),
                                                    lock_by.get(p["name"], {}).get("Filename"))
         or (p["name"] in contained and not re.match(r"(Person|Organization): \S", p.get("supplier", "")))]
say(not wrong, "downloadLocation the lock's Source-URI/Filename for all %d, a supplier for those in "
    "the image" % len(pkgs),
    "%s" % wrong[:3])
files = {f["fileName"]: f for f in doc.get("files", [])}
algs = [sorted(c["algorithm"] for c in f["checksums"]) for f in files.values()]
init = hashlib.sha256(open(os.environ["JEOS_INIT"], "rb").read()).hexdigest()
init_sums = [c["checksumValue"] for c in files.get("./init", {}).get("checksums", [])]
created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(os.environ["SOURCE_DATE_EPOCH"])))
say(files and all(a == ["SHA1", "SHA256"] for a in algs) and init in init_sums and
    doc["creationInfo"]["created"] == created,
    "%d files jeos added, each with SHA1 and SHA256, /init jeos-init's; created %s" % (len(files), created),
    "checksums %s, /init %s (jeos-init %s), created %s" % (algs[:2], init_sums, init, doc["creationInfo"]))

# The licenses, read from the .debs themselves.
by_name = {p["name"]: p for p in pkgs}
for name in check_pkgs:
    p = by_name.get(name)
    s = next((s for s in lock if s["Package"] == name), None)
    if not p or not s:
        say(False, "license of %s" % name, "not in the SBOM and the lock")
        continue
    deb = "%s/sha256/%s/%s" % (cache, s["SHA256"][:2], s["SHA256"])
    tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", deb], capture_output=True, check=True).stdout
    ctl = subprocess.run(["dpkg-deb", "-f", deb, "Maintainer", "Source"], capture_output=True,
                         text=True, check=True).stdout
    maint = re.search(r"^Maintainer: (.*?) <(.*)>$", ctl, re.M)
    src = re.search(r"^Source: (\S+)", ctl, re.M)
    sup = "%s (%s)" % (maint.group(1), maint.group(2))
    srcname = src.group(1) if src else name
    say(re.sub(r"^(Person|Organization): ", "", p.get("supplier", "")) == sup and
        p.get("sourceInfo", "").startswith(
        "built from the Debian source package %s " % srcname),
        "supplier and source of %s: %s; %s" % (name, sup, srcname),
        "the SBOM says %s; %s" % (p.get("supplier"), p.get("sourceInfo")))
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        m = t.getmember("./usr/share/doc/%s/copyright" % name)
        text = t.extractfile(m).read().decode("utf-8", "replace")
    names = copyright_licenses(text)
    if names is None:
        say(p["licenseDeclared"] == "NOASSERTION", "license of %s: not machine-readable, so "
            "NOASSERTION" % name, "got %s" % p["licenseDeclared"])
        continue
    say(declared_names(p["licenseDeclared"]) == names,
        "license of %s: %s" % (name, p["licenseDeclared"]), "the copyright file names %s" % sorted(names))

sys.exit(1 if bad else 0)
