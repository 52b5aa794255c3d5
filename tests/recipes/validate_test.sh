#!/bin/bash
# validate_test.sh — jeos validate and the CLI conventions: examples validate, exit codes, exact messages.
set -u
cd "$JEOS_SRC"
t=$T_TMP

check() { # name, expected-exit, expected-stdout-file, expected-stderr-file, command...
    local name=$1 want_rc=$2 want_out=$3 want_err=$4; shift 4
    "$@" >"$t/out" 2>"$t/err"; local rc=$?
    if [ "$rc" != "$want_rc" ]; then echo "FAIL $name: exit $rc, expected $want_rc"; cat "$t/err"; return; fi
    if [ -n "$want_out" ] && ! diff -u "$want_out" "$t/out" >"$t/diff"; then echo "FAIL $name: stdout differs"; cat "$t/diff"; return; fi
    if [ -n "$want_err" ] && ! diff -u "$want_err" "$t/err" >"$t/diff"; then echo "FAIL $name: stderr differs"; cat "$t/diff"; return; fi
    echo "PASS $name"
}

# Every example recipe validates, files included.
for r in recipes/*.yaml; do echo "$r: ok"; done >"$t/want"
check examples-validate 0 "$t/want" /dev/null "$JEOS" validate recipes/*.yaml

# A recipe on disk naming files that are missing; errors name file:line:col; a good one still says ok.
mkdir -p "$t/r/site"
cat >"$t/r/bad.yaml" <<'Y'
name: web
kind: appliance
packages: [nginx-light]
service: {exec: [/usr/sbin/nginx]}
files:
  - {src: site/, dst: /srv/}
  - {src: nothere/, dst: /srv/x/}
  - {src: site/index.html/, dst: /srv/y/}
Y
touch "$t/r/site/index.html"
printf 'name: ok\nkind: unikernel\nsources: [site/../a.c]\n' >"$t/r/up.yaml"
cp recipes/hello.yaml "$t/r/hello.yaml"
cat >"$t/want" <<W
$t/r/bad.yaml:7:11: files[1].src: "nothere/" not found in $t/r/ (paths are relative to the recipe's folder)
$t/r/bad.yaml:8:11: files[2].src: "site/index.html/" not found in $t/r/ (paths are relative to the recipe's folder)
$t/r/up.yaml:3:11: sources[0]: expected a path relative to the recipe's folder, not leaving it (got "site/../a.c")
$t/r/hello.yaml:4:11: sources[0]: "hello/hello.c" not found in $t/r/ (paths are relative to the recipe's folder)
W
check bad-files 1 /dev/null "$t/want" "$JEOS" validate "$t/r/bad.yaml" "$t/r/up.yaml" "$t/r/hello.yaml"

echo "recipes/nginx.yaml: ok" >"$t/want"
printf '%s: cannot open: No such file or directory\n' "$t/none.yaml" >"$t/want2"
check missing-file 1 "$t/want" "$t/want2" "$JEOS" validate recipes/nginx.yaml "$t/none.yaml"

# Usage errors exit 2; help and version exit 0.
check no-args 2 /dev/null "" "$JEOS"
echo 'jeos: unknown command "frobnicate" (see jeos --help)' >"$t/want"
check unknown-command 2 /dev/null "$t/want" "$JEOS" frobnicate
echo 'jeos: unknown option "--frob" (see jeos --help)' >"$t/want"
check unknown-option 2 /dev/null "$t/want" "$JEOS" --frob validate
check validate-no-files 2 /dev/null "" "$JEOS" validate
echo "jeos $(sed -n 's/^JEOS_VERSION := //p' Makefile)" >"$t/want"
check version 0 "$t/want" /dev/null "$JEOS" --version
check help 0 "" /dev/null "$JEOS" --help
check validate-help 0 "" /dev/null "$JEOS" validate --help
"$JEOS" --help | grep -q 'validate ' && echo "PASS help-lists-validate" || echo "FAIL help-lists-validate: jeos --help does not list validate"

# A malformed SOURCE_DATE_EPOCH is an error, not silently ignored.
echo 'jeos: SOURCE_DATE_EPOCH: not a time (expected seconds since 1970 as a whole number, got "yesterday")' >"$t/want"
check bad-epoch 1 /dev/null "$t/want" env SOURCE_DATE_EPOCH=yesterday "$JEOS" validate recipes/hello.yaml
