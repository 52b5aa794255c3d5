#!/usr/bin/env python3
"""layers.py ROOT — checks the layering of jeos's host code from its #include lines.

The dependency rule (builder/README.md):
    builder/core <- builder/recipe <- {builder/debian, images/, boot/} <- builder/output
        <- {builder/appliance, builder/unikernel, builder/inspect} <- builder/cli
A file may include its own layer's headers and those of the layers its layer builds on.
images/ and boot/ take plain spec structs: of builder/recipe they may include only axis.h
(the choice tables they implement), never the recipe header. The guest trees (unikernel/,
runtime/) include nothing of the builder, and no header takes part in an include cycle.
Prints one line per violation ("FILE:LINE: includes X: why") and exits 1 if there is any.
"""
import os, re, sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else "."

# layer: the layers it may include (itself included)
ALLOWED = {
    "core": {"core"},
    "recipe": {"core", "recipe"},
    "debian": {"core", "recipe", "debian"},
    "images": {"core", "recipe", "images"},
    "boot": {"core", "recipe", "images", "boot"},
    "output": {"core", "recipe", "images", "boot", "output"},
    "appliance": {"core", "recipe", "debian", "images", "boot", "output", "appliance"},
    "unikernel-build": {"core", "recipe", "debian", "images", "boot", "output", "unikernel-build"},
    "inspect": {"core", "recipe", "debian", "images", "boot", "output", "inspect"},
    "cli": {"core", "recipe", "debian", "images", "boot", "output", "appliance",
            "unikernel-build", "inspect", "cli"},
}
# of builder/recipe, what images/ and boot/ may see: the axis declarations only
SPEC_ONLY = {"images", "boot"}
RECIPE_OK_FOR_SPEC = {"builder/recipe/axis.h"}


def layer_of(path):
    parts = path.split("/")
    if parts[0] == "builder" and len(parts) > 2:
        return "unikernel-build" if parts[1] == "unikernel" else parts[1]
    if parts[0] in ("images", "boot"):
        return parts[0]
    return None


def sources():
    for top in ("builder", "images", "boot", "unikernel", "runtime", "hypervisor"):
        for d, _, files in os.walk(os.path.join(ROOT, top)):
            for f in sorted(files):
                if f.endswith((".c", ".h", ".S")):
                    yield os.path.relpath(os.path.join(d, f), ROOT)


INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
bad = []
graph = {}
for path in sorted(sources()):
    with open(os.path.join(ROOT, path), errors="replace") as f:
        lines = f.readlines()
    me = layer_of(path)
    graph[path] = []
    for n, line in enumerate(lines, 1):
        m = INCLUDE.match(line)
        if not m:
            continue
        inc = m.group(1)
        graph[path].append(inc)
        top = path.split("/")[0]
        if top in ("unikernel", "runtime", "hypervisor"):
            if inc.split("/")[0] in ("builder", "images", "boot"):
                bad.append("%s:%d: includes %s: guest and hypervisor code include nothing of the "
                           "builder" % (path, n, inc))
            continue
        them = layer_of(inc)
        if them is None:
            bad.append("%s:%d: includes %s: not a header of a builder layer" % (path, n, inc))
        elif them not in ALLOWED[me]:
            bad.append("%s:%d: includes %s: %s may not depend on %s" % (path, n, inc, me, them))
        elif me in SPEC_ONLY and them == "recipe" and inc not in RECIPE_OK_FOR_SPEC:
            bad.append("%s:%d: includes %s: %s takes plain spec structs, not the recipe "
                       "(only builder/recipe/axis.h)" % (path, n, inc, me))

# Include cycles among the builder's headers (a header that, through others, includes itself).
headers = {p: [i for i in incs if i in graph] for p, incs in graph.items() if p.endswith(".h")}
state = {}


def visit(h, stack):
    state[h] = 1
    stack.append(h)
    for i in headers.get(h, []):
        if state.get(i) == 1:
            bad.append("%s: include cycle: %s" % (h, " -> ".join(stack[stack.index(i):] + [i])))
        elif i not in state:
            visit(i, stack)
    stack.pop()
    state[h] = 2


for h in sorted(headers):
    if h not in state:
        visit(h, [])

for b in bad:
    print(b)
sys.exit(1 if bad else 0)
