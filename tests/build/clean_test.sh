#!/bin/bash
# clean_test.sh — jeos clean removes jeos's output folders (by name, or all) and what killed builds
# left, never a folder it did not make; jeos cache says what the cache holds; jeos cache prune
# empties the quarantine, removes least recently used entries down to --max-size, and keeps what
# the given lock files name.
set -u
: "${JEOS_SRC:?}" "${T_TMP:?}" "${JEOS:?}"
cd "$JEOS_SRC"
W=$T_TMP
for t in dpkg-deb dpkg-scanpackages gpg xz python3 qemu-img; do
    command -v $t >/dev/null || { echo "SKIP clean: $t not installed (make deps)"; echo "SKIP cache_prune: $t not installed"; exit 0; }
done
. tests/build/testrepo.sh
testrepo_make "$W/tr"
testrepo_serve ok
trap 'testrepo_stop' EXIT
export JEOS_CACHE=$W/cache JEOS_INIT=$JEOS_SRC/${JEOS_OUT:-out}/jeos-init SOURCE_DATE_EPOCH=1700000000
R=$W/tr/r/jt.yaml
testrepo_recipe "$R"
sed -i 's/^image: .*/image: {formats: [raw]}/' "$R"
OUT=$W/out
"$JEOS" -q build -o "$OUT" "$R" >"$W/b.log" 2>&1 || { cat "$W/b.log"; echo "FAIL clean: build"; exit 0; }
mkdir -p "$OUT/mine" && echo keep >"$OUT/mine/notes.txt"      # not jeos's
mkdir -p "$OUT/.jt.build.Dead01" && : >"$OUT/.jt.build.Dead01.owner" # a killed build's
errs=""
"$JEOS" clean -o "$OUT" nosuch >"$W/c0.log" 2>&1 && [ -d "$OUT/jt" ] || errs+="clean of another name removed jt; "
"$JEOS" clean -o "$OUT" ../x >/dev/null 2>&1; [ $? = 2 ] || errs+="a path as NAME accepted; "
"$JEOS" clean -o "$OUT" >"$W/c1.log" 2>&1 || errs+="clean failed: $(cat "$W/c1.log"); "
[ ! -e "$OUT/jt" ] && [ ! -e "$OUT/.jt.build.Dead01" ] && [ ! -e "$OUT/.jt.build.Dead01.owner" ] ||
    errs+="left: $(ls -A "$OUT" | tr '\n' ' '); "
[ "$(cat "$OUT/mine/notes.txt" 2>/dev/null)" = keep ] || errs+="removed a folder it did not make; "
grep -qx "removed $OUT/jt" "$W/c1.log" && grep -q "MiB freed in $OUT$" "$W/c1.log" || errs+="said: $(cat "$W/c1.log"); "
[ -z "$errs" ] && echo "PASS clean (jeos's folder and a killed build's gone, another folder kept)" || echo "FAIL clean: $errs"

# cache: a second package set, so prune has something least recently used to take
"$JEOS" -q build -o "$OUT" "$R" >/dev/null 2>&1
mkdir -p "$JEOS_CACHE/quarantine" && head -c 100000 /dev/urandom >"$JEOS_CACHE/quarantine/bad.1"
errs=""
"$JEOS" cache >"$W/u.log" 2>&1 && grep -q "^  packages (.deb) *4 " "$W/u.log" &&
    grep -q "^  extracted kernels *1 " "$W/u.log" && grep -q "^  quarantine " "$W/u.log" ||
    errs+="report: $(cat "$W/u.log"); "
# keep what the lock names, no size limit: the quarantine and the indexes go, the .debs and the
# kernel stay
"$JEOS" cache prune "$R.lock" >"$W/p1.log" 2>&1 || errs+="prune: $(cat "$W/p1.log"); "
[ ! -e "$JEOS_CACHE/quarantine" ] || errs+="quarantine kept; "
for sha in $(awk '/^SHA256:/{print $2}' "$R.lock"); do
    [ -e "$JEOS_CACHE/sha256/${sha:0:2}/$sha" ] || errs+="removed $sha which the lock names; "
done
grep -q "^  package indexes" "$W/p1.log" && errs+="indexes kept: $(cat "$W/p1.log"); "
# nothing kept, 1 byte allowed: everything removable goes; the next build fetches it again
"$JEOS" cache prune --max-size 1 >"$W/p2.log" 2>&1 || errs+="prune 2: $(cat "$W/p2.log"); "
[ -z "$(find "$JEOS_CACHE/sha256" -type f 2>/dev/null)" ] || errs+="files left under sha256/; "
"$JEOS" cache prune --max-size big >/dev/null 2>&1; [ $? = 2 ] || errs+="--max-size big accepted; "
"$JEOS" -q build --locked -o "$W/out2" "$R" >"$W/b2.log" 2>&1 && cmp -s "$W/out2/jt/jt.raw" "$OUT/jt/jt.raw" ||
    errs+="the build after prune: $(tail -1 "$W/b2.log"); "
[ -z "$errs" ] && echo "PASS cache_prune (quarantine emptied, what the lock names kept, down to --max-size, rebuilt the same)" ||
    echo "FAIL cache_prune: $errs"
