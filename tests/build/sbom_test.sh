#!/bin/bash
# sbom_test.sh — the SPDX 2.3 SBOM of recipes/nginx.yaml and recipes/redis.yaml (NAME.spdx.json):
# valid against the SPDX 2.3 JSON schema (tests/data/spdx/), its packages the lock's, the image
# CONTAINing those the build report kept, DEPENDS_ON as the lock's Parent/Why, three licenses
# checked against the packages' own copyright files and a non-machine-readable one NOASSERTION,
# suppliers and source packages against the .debs' control files, download locations against the
# lock, the files jeos added with their checksums, the creation time (tests/build/check_sbom.py); the copy in the root filesystem (read with unsquashfs) the same
# bytes; a second build gives the same document; hello's and httpd's unikernel SBOMs (httpd's
# with lwIP, tests/build/check_uksbom.py). SKIPPED when the Debian mirror cannot be reached.
set -u
: "${JEOS_SRC:?}" "${T_TMP:?}" "${JEOS:?}"
cd "$JEOS_SRC"
W=$T_TMP
NAMES="nginx_schema nginx_lock nginx_licenses nginx_details nginx_in_root redis_schema redis_lock redis_details sbom_reproducible hello_sbom httpd_sbom"
skip_all() { for t in $NAMES; do echo "SKIP $t: $1"; done; exit 0; }
PY=/usr/bin/python3
[ -x $PY ] && $PY -c 'import jsonschema' 2>/dev/null || skip_all "python3-jsonschema not installed"
for t in unsquashfs dpkg-deb sfdisk; do command -v $t >/dev/null || skip_all "$t not installed"; done
INIT=$JEOS_SRC/${JEOS_OUT:-out}/jeos-init
[ -x "$INIT" ] || skip_all "no jeos-init (run make)"
export JEOS_INIT=$INIT SOURCE_DATE_EPOCH=1700000000
CACHE=${JEOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jeos}
SCHEMA=tests/data/spdx/spdx-schema-2.3.json
mkdir -p "$W/r" "$W/out" "$W/out2"
cp -r recipes/nginx.yaml recipes/nginx recipes/redis.yaml recipes/hello.yaml recipes/hello \
    recipes/httpd.yaml recipes/httpd "$W/r/"

for name in nginx redis; do
    if ! JEOS_CACHE=$CACHE "$JEOS" -q build -o "$W/out" "$W/r/$name.yaml" >"$W/$name.log" 2>&1; then
        grep -qiE "could not resolve|connect|unreachable|timed out" "$W/$name.log" &&
            skip_all "the Debian mirror is unreachable"
        tail -5 "$W/$name.log"
        for t in $NAMES; do echo "FAIL $t: jeos build $name failed: $(tail -1 "$W/$name.log" | cut -c1-200)"; done
        exit 1
    fi
done

# check_sbom.py once per recipe (with the packages whose licenses it checks), then one PASS or
# FAIL per group of its "ok:" lines: report TEST RECIPE PATTERN COUNT
run_check() { # recipe, packages...
    local n=$1; shift
    $PY tests/build/check_sbom.py "$SCHEMA" "$W/out/$n/$n.spdx.json" "$W/r/$n.yaml.lock" \
        "$W/out/$n/build-report.txt" "$CACHE" "$@" >"$W/$n.out" 2>&1
}
report() {
    local t=$1 n=$2 pat=$3 want=$4 got
    got=$(grep -cE "^ok: $pat" "$W/$n.out")
    if [ "$got" -eq "$want" ] && ! grep -qE "^(bad: $pat|Traceback)" "$W/$n.out"; then
        echo "PASS $t: $(grep -E "^ok: $pat" "$W/$n.out" | cut -c5- | paste -sd';' | cut -c1-240)"
    else
        echo "FAIL $t: $got of $want checks; $(grep -E "^(bad: $pat|Traceback)" "$W/$n.out" | head -3 | paste -sd' ')"
    fi
}
LOCK_CHECKS='(packages equal|the image CONTAINS|DEPENDS_ON)'
run_check nginx zlib1g libssl3 nginx-common libc6
report nginx_schema nginx schema 1
report nginx_lock nginx "$LOCK_CHECKS" 3
report nginx_licenses nginx "license of" 4
DETAILS='(downloadLocation|[0-9]+ files jeos added|supplier and source of)'
report nginx_details nginx "$DETAILS" 6

# The copy in the root filesystem: the same bytes as NAME.spdx.json.
start=$(sfdisk -J "$W/out/nginx/nginx.raw" |
    $PY -c 'import json,sys; p=json.load(sys.stdin)["partitiontable"]["partitions"]; print([x["start"] for x in p if x.get("name")=="root"][0])')
unsquashfs -o $((start * 512)) -cat "$W/out/nginx/nginx.raw" usr/share/jeos/sbom.spdx.json \
    >"$W/inroot.json" 2>"$W/unsq.err"
if cmp -s "$W/inroot.json" "$W/out/nginx/nginx.spdx.json"; then
    echo "PASS nginx_in_root: /usr/share/jeos/sbom.spdx.json in the squashfs is nginx.spdx.json ($(wc -c <"$W/inroot.json") bytes)"
else
    echo "FAIL nginx_in_root: the root's /usr/share/jeos/sbom.spdx.json differs from nginx.spdx.json ($(head -c 200 "$W/unsq.err"))"
fi

run_check redis
report redis_schema redis schema 1
report redis_lock redis "$LOCK_CHECKS" 3
report redis_details redis "$DETAILS" 2

# Same recipe, lock and epoch: the same document, namespace included.
if JEOS_CACHE=$CACHE "$JEOS" -q build --locked -o "$W/out2" "$W/r/nginx.yaml" >"$W/again.log" 2>&1 &&
    cmp -s "$W/out/nginx/nginx.spdx.json" "$W/out2/nginx/nginx.spdx.json"; then
    echo "PASS sbom_reproducible: $(grep -o '"documentNamespace":"[^"]*"' "$W/out2/nginx/nginx.spdx.json")"
else
    echo "FAIL sbom_reproducible: a second build's nginx.spdx.json differs ($(tail -1 "$W/again.log"))"
fi

# Unikernels' (tests/build/check_uksbom.py): hello's (no network: no lwIP) and httpd's, whose
# network stack brings lwIP, checked against the lwip source tree the kit was compiled from.
LWIP_TREE=$(dirname "$JEOS")/unikernel/lwip/tree
sed -i 's/^image: .*/image: {formats: [elf]}/' "$W/r/httpd.yaml"
for n in hello httpd; do
    lw=-
    [ $n = httpd ] && lw=$LWIP_TREE
    if ! "$JEOS" -q build -o "$W/out" "$W/r/$n.yaml" >"$W/$n.log" 2>&1; then
        echo "FAIL ${n}_sbom: jeos build $n failed: $(tail -1 "$W/$n.log")"
    elif $PY tests/build/check_uksbom.py "$SCHEMA" "$W/out/$n/$n.spdx.json" "$W/r/$n.yaml" "$lw" - \
        >"$W/$n.out" 2>&1; then
        echo "PASS ${n}_sbom: $(grep '^ok: ' "$W/$n.out" | cut -c5- | paste -sd';' | cut -c1-300)"
    else
        echo "FAIL ${n}_sbom: $(grep -E '^(bad|Traceback)' "$W/$n.out" | head -3 | paste -sd' ' | cut -c1-400)"
    fi
done
