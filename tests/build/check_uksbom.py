#!/usr/bin/python3
"""check_uksbom.py SCHEMA SBOM RECIPE_DIR LWIP SOURCE — checks a unikernel's jeos SBOM, printing
one "ok: ..." line per check passed, or "bad: WHAT: why" lines and exit status 1.

- the document validates against the SPDX 2.3 JSON schema;
- it lists the application, jeos-unikernel, jeos-runtime and the host's musl-dev at the version
  dpkg-query gives, each CONTAINed by the image;
- each of the recipe's sources (read from RECIPE_DIR/NAME.yaml) is a file with its SHA256;
- LWIP is "-" when the program does not link the network stack (then no lwip package), else
  the unpacked lwip source tree the build's kit was compiled from: a package lwip at the
  version of its debian/changelog (dpkg-parsechangelog), the tree's folder name (the .dsc's
  sha256) as its SHA256, licenseDeclared naming exactly its debian/copyright's licenses;
- SOURCE is "-" or the unpacked tree of the recipe's source.debian package, checked the same way.
"""
import hashlib, json, os, subprocess, sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spdxcheck import bad, copyright_licenses, declared_names, say, validate

schema_path, sbom_path, recipe_path, lwip, source = sys.argv[1:6]
doc = json.load(open(sbom_path))
validate(doc, schema_path)

recipe = yaml.safe_load(open(recipe_path))
pkgs = {p["name"]: p for p in doc["packages"]}
contained = {r["relatedSpdxElement"] for r in doc["relationships"]
             if r["spdxElementId"] == "SPDXRef-Image" and r["relationshipType"] == "CONTAINS"}


def sha256_of(p):
    return [c["checksumValue"] for c in p.get("checksums", []) if c["algorithm"] == "SHA256"]


musl = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "musl-dev"], capture_output=True,
                      text=True).stdout
want = {"jeos-unikernel", "jeos-runtime", "musl-dev"}
say(want <= set(pkgs) and pkgs["musl-dev"].get("versionInfo") == musl and
    all(pkgs[n]["SPDXID"] in contained for n in want),
    "%s, jeos-unikernel, jeos-runtime and musl-dev %s" % (recipe["name"], musl),
    "packages %s" % sorted((n, p.get("versionInfo")) for n, p in pkgs.items()))

files = {f["fileName"]: f for f in doc.get("files", [])}
for src in recipe.get("sources", []):
    want = hashlib.sha256(open(os.path.join(os.path.dirname(recipe_path), src), "rb").read())
    f = files.get("./" + src)
    say(f is not None and sha256_of(f) == [want.hexdigest()], "source %s" % src,
        "files %s" % sorted(files)[:5])


def check_srcpkg(name, tree):
    p = pkgs.get(name)
    if tree == "-":
        say(p is None, "no %s package" % name, "listed: %s" % p)
        return
    version = subprocess.run(["dpkg-parsechangelog", "-l", tree + "/debian/changelog", "-S",
                              "Version"], capture_output=True, text=True).stdout.strip()
    dsc = os.path.basename(os.path.realpath(tree))
    if p is None:
        say(False, "%s %s" % (name, version), "no %s package: %s" % (name, sorted(pkgs)))
        return
    names = copyright_licenses(open(tree + "/debian/copyright", errors="replace").read())
    got = declared_names(p["licenseDeclared"]) if names is not None else p["licenseDeclared"]
    say(p.get("versionInfo") == version and sha256_of(p) == [dsc] and p["SPDXID"] in contained
        and got == (names if names is not None else "NOASSERTION"),
        "%s %s, .dsc %s..., %s" % (name, version, dsc[:12], p["licenseDeclared"]),
        "got %s %s %s, licenses %s (the copyright file names %s)"
        % (p.get("versionInfo"), sha256_of(p), p["SPDXID"] in contained, got, names))


check_srcpkg("lwip", lwip)
if "source" in recipe:
    check_srcpkg(recipe["source"]["debian"].split("=")[0], source)
sys.exit(1 if bad else 0)
