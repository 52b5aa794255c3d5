"""spdxcheck.py — what check_sbom.py and check_uksbom.py share: the schema check, a deb822
reader, the licenses a machine-readable Debian copyright file names (with this module's own name
table), and the ok:/bad: lines the tests report from."""
import json, re

import jsonschema

bad = []


def say(ok, what, why=""):
    if ok:
        print("ok: " + what)
    else:
        bad.append(what)
        print("bad: %s: %s" % (what, why))


def validate(doc, schema_path):
    """The "schema" check: doc against the SPDX JSON schema at schema_path."""
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


SPDX = {"Zlib": "Zlib", "zlib": "Zlib", "Apache-2.0": "Apache-2.0", "Artistic": "Artistic-1.0-Perl",
        "GPL-1+": "GPL-1.0-or-later", "GPL-2": "GPL-2.0-only", "GPL-2+": "GPL-2.0-or-later",
        "GPL-3+": "GPL-3.0-or-later", "LGPL-2.1+": "LGPL-2.1-or-later", "LGPL-2.1": "LGPL-2.1-only",
        "BSD-2-clause": "BSD-2-Clause", "BSD-3-clause": "BSD-3-Clause", "BSD-3-Clause": "BSD-3-Clause",
        "Expat": "MIT", "MIT": "MIT", "ISC": "ISC"}


def copyright_licenses(text):
    """The SPDX names of the License lines of a copyright file's Files paragraphs, or None when
    the file is not machine-readable (no copyright-format 1.0 Format: line)."""
    paras = stanzas(text)
    if not paras or not re.search(r"copyright-format/1\.0", paras[0].get("Format", "")):
        return None
    names = set()
    for para in paras:
        if "Files" in para and "License" in para:
            first = para["License"].split("\n")[0]
            for part in re.split(r",|\s+or\s+|\s+and\s+", first):
                part = part.strip()
                if part:
                    names.add(SPDX.get(part, "LicenseRef-" + re.sub(r"[^A-Za-z0-9.-]", "-",
                                                                      part.replace("+", "-plus"))))
    return names


def declared_names(expr):
    """The license names of an SPDX expression."""
    return set(re.findall(r"[A-Za-z0-9.+-]+", expr)) - {"AND", "OR", "WITH"}
