#!/bin/bash
# faults_test.sh — builds under faults, on a repository and HTTP server of the test's own
# (testrepo.sh): a build killed (SIGKILL, SIGTERM) at 20 points spread over its stages leaves the
# previous output byte for byte, and the next build leaves no staging folder; a tampered and a
# truncated cached .deb are noticed, moved aside and fetched again; a server that drops the
# connection mid-download is retried, and one that always does ends in one clear line; a full
# disk at each stage (a tmpfs too small), a read-only output folder, a missing tool and a tool
# killed by a signal each give one line naming the stage and the cause, and leave nothing.
set -u
: "${JEOS_SRC:?}" "${T_TMP:?}" "${JEOS:?}"
cd "$JEOS_SRC"
W=$T_TMP
NAMES="faults_kill faults_tampered faults_truncated faults_kernel faults_retry faults_drop faults_full faults_readonly faults_tool faults_killed_tool"
for t in dpkg-deb dpkg-scanpackages gpg xz python3 qemu-img; do
    command -v $t >/dev/null || { for n in $NAMES; do echo "SKIP $n: $t not installed (make deps)"; done; exit 0; }
done
. tests/build/testrepo.sh
testrepo_make "$W/tr"
testrepo_serve ok
trap 'testrepo_stop' EXIT
export JEOS_CACHE=$W/cache JEOS_INIT=$JEOS_SRC/${JEOS_OUT:-out}/jeos-init SOURCE_DATE_EPOCH=1700000000
R=$W/tr/r/jt.yaml
testrepo_recipe "$R"
OUT=$W/out
# every file's bytes, but the report's timings
listing() { (cd "$1" && find . -type f ! -name build-report.txt | sort | xargs -r sha256sum); }
stages_left() { ls -A "$1" 2>/dev/null | grep -c '^\.jt\.build\.'; }

if ! "$JEOS" -q build -o "$OUT" "$R" >"$W/first.log" 2>&1; then
    cat "$W/first.log"
    for n in $NAMES; do echo "FAIL $n: the first build failed"; done
    exit 0
fi
good=$(listing "$OUT/jt")

# ---- recipes/nginx.yaml killed at 20 points: SIGKILL and SIGTERM in turn, spread over a
#      build's length (its packages from the host's cache; SKIP when neither it nor the mirror) ----
kill_test() {
    local out=$1 recipe=$2 name=$3 len_ms t0 errs="" termed=0 killed=0 good
    good=$(listing "$out/$name")
    # the build's length: the shorter of two runs (the points must fall while it runs)
    len_ms=
    for _ in 1 2; do
        t0=$(date +%s%N)
        "$JEOS" -q build --locked -o "$W/timing" "$recipe" >/dev/null 2>&1
        local t=$((($(date +%s%N) - t0) / 1000000))
        [ -z "$len_ms" ] || [ $t -lt $len_ms ] && len_ms=$t
    done
    for i in $(seq 1 20); do
        local sig=KILL at=$((len_ms * i / 21)) pid landed=0
        [ $((i % 2)) = 0 ] && sig=TERM
        # a build that ended before its point is run again with the point a little earlier
        for _ in 1 2 3 4; do
            "$JEOS" -q build --locked -o "$out" "$recipe" >"$W/kill.log" 2>&1 &
            pid=$!
            sleep "$(printf '%d.%03d' $((at / 1000)) $((at % 1000)))"
            kill -$sig $pid 2>/dev/null && landed=1
            wait $pid 2>/dev/null
            [ $landed = 1 ] && break
            at=$((at * 4 / 5))
        done
        [ $landed = 1 ] || errs+="the build kept ending before ${at} ms; "
        [ $sig = KILL ] && killed=$((killed + landed)) || termed=$((termed + landed))
        [ "$(listing "$out/$name")" = "$good" ] || errs+="after SIG$sig at ${at} ms the output changed; "
        # SIGTERM cleans up at once; SIGKILL cannot, and the build after this one does
        if [ $sig = TERM ] && [ "$(ls -A "$out" | grep -c "^\.$name\.build\.")" != 0 ]; then
            errs+="SIGTERM at ${at} ms left $(ls -A "$out" | tr '\n' ' '); "
        fi
        # the tools of a killed build die with it: nothing writes into its staging folder after
        sleep 0.2
        pgrep -f "$out/\.$name\.build" >/dev/null && errs+="SIG$sig at ${at} ms: a tool outlived the build; "
    done
    "$JEOS" -q build --locked -o "$out" "$recipe" >"$W/after.log" 2>&1 || errs+="the build after: $(tail -1 "$W/after.log"); "
    [ "$(ls -A "$out" | grep -c "^\.$name\.build\.")" = 0 ] || errs+="after the next build: $(ls -A "$out" | tr '\n' ' '); "
    [ "$(listing "$out/$name")" = "$good" ] || errs+="the next build differs; "
    [ -z "$errs" ] && echo "PASS faults_kill ($name: $killed SIGKILL and $termed SIGTERM over a ${len_ms} ms build: output unchanged each time, no tool left, no staging folder after the next build)" \
        || echo "FAIL faults_kill: $errs"
}
N=$W/nginx
mkdir -p "$N/cache"
cp -r recipes/nginx.yaml recipes/nginx "$N/"
HOSTCACHE=${JEOS_CACHE_HOST:-${XDG_CACHE_HOME:-$HOME/.cache}/jeos}
# hard links: the host's objects are only read or renamed here, never written
for d in dists sha256 kernel; do [ -d "$HOSTCACHE/$d" ] && cp -al "$HOSTCACHE/$d" "$N/cache/"; done
if JEOS_CACHE=$N/cache "$JEOS" -q build -o "$N/out" "$N/nginx.yaml" >"$N/first.log" 2>&1; then
    JEOS_CACHE=$N/cache kill_test "$N/out" "$N/nginx.yaml" nginx
elif grep -qiE "could not resolve|connect|network is unreachable|timed out" "$N/first.log"; then
    echo "SKIP faults_kill: the Debian mirror is unreachable and the cache has no nginx"
else
    tail -3 "$N/first.log"; echo "FAIL faults_kill: the first nginx build failed"
fi

# ---- a cached .deb replaced by another valid one, and one cut short ----
deb_sha=$(awk '/^Package: jt-app/{p=1} p&&/^SHA256:/{print $2; exit}' "$R.lock")
cached=$JEOS_CACHE/sha256/${deb_sha:0:2}/$deb_sha
testrepo_evil_deb "$W/evil.deb"
for kind in tampered truncated; do
    if [ $kind = tampered ]; then cp "$W/evil.deb" "$cached"
    else head -c 2000 "$W/evil.deb" >"$cached"; fi
    if "$JEOS" -q build --locked -o "$W/out-$kind" "$R" >"$W/$kind.log" 2>&1 &&
       grep -q "^jeos: cache: $cached (.*jt-app_1.0_amd64.deb): its sha256 is [0-9a-f]*, not $deb_sha: moved aside to $JEOS_CACHE/quarantine/" "$W/$kind.log" &&
       ! grep -q "/etc/evil" "$W/out-$kind/jt/manifest.txt" &&
       cmp -s "$W/out-$kind/jt/jt.raw" "$OUT/jt/jt.raw" &&
       [ "$(sha256sum <"$cached" | cut -d' ' -f1)" = "$deb_sha" ]; then
        echo "PASS faults_$kind (noticed, moved aside, fetched again: the same disk, no /etc/evil)"
    else
        cat "$W/$kind.log" | tail -5
        echo "FAIL faults_$kind: not noticed, or the image is not the good one"
    fi
done

# ---- the extracted kernel in the cache: a changed file, then a file added ----
kdir=$(ls -d "$JEOS_CACHE"/kernel/*/ | head -1)
errs=""
for change in vmlinuz added; do
    if [ $change = vmlinuz ]; then printf 'X' | dd of="$kdir/boot/vmlinuz-6.1.0-jt" bs=1 seek=100 conv=notrunc status=none
    else echo x >"$kdir/usr/lib/modules/6.1.0-jt/kernel/drivers/extra.ko"; fi
    kdir=${kdir%/}
    "$JEOS" -q build --locked -o "$W/out-k$change" "$R" >"$W/k$change.log" 2>&1 ||
        errs+="$change: the build failed: $(tail -1 "$W/k$change.log"); "
    grep -q "^jeos: cache: $kdir (.*): .*: moved aside to $JEOS_CACHE/quarantine/" "$W/k$change.log" ||
        errs+="$change: not noticed: $(cat "$W/k$change.log"); "
    cmp -s "$W/out-k$change/jt/jt.raw" "$OUT/jt/jt.raw" || errs+="$change: another disk; "
    kdir=$kdir/
done
[ -z "$errs" ] && echo "PASS faults_kernel (a changed vmlinuz and an added module noticed, the kernel extracted again: the same disk)" ||
    echo "FAIL faults_kernel: $errs"

# ---- a server that drops the connection mid-download: once (retried), always (one line) ----
testrepo_stop
testrepo_serve drop-once
if "$JEOS" -q build --locked -o "$W/out-retry" "$R" >"$W/retry.log" 2>&1 &&
   JEOS_CACHE=$W/cache-retry "$JEOS" -q build --locked -o "$W/out-retry2" "$R" >>"$W/retry.log" 2>&1 &&
   cmp -s "$W/out-retry2/jt/jt.raw" "$OUT/jt/jt.raw" && [ "$(grep -c 'jt-app_1.0_amd64.deb' "$W/tr/server.log")" -ge 2 ]; then
    echo "PASS faults_retry (each .deb's first download cut short: retried, the same disk)"
else
    tail -5 "$W/retry.log"; echo "FAIL faults_retry: not retried to success"
fi
testrepo_stop
testrepo_serve drop
JEOS_CACHE=$W/cache-drop "$JEOS" -q build --locked -o "$W/out-drop" "$R" >"$W/drop.log" 2>&1
rc=$?
if [ $rc = 1 ] && [ "$(wc -l <"$W/drop.log")" = 1 ] &&
   grep -qE "^fetch: http://127.0.0.1:$TR_PORT/pool/main/jt-[a-z]+_1.0_amd64.deb: .*\(tried 3 times\)$" "$W/drop.log" &&
   [ -z "$(ls -A "$W/out-drop" 2>/dev/null)" ]; then
    echo "PASS faults_drop ($(cat "$W/drop.log"))"
else
    cat "$W/drop.log"; echo "FAIL faults_drop: exit $rc, expected one line naming the URL and 3 tries"
fi
testrepo_stop
testrepo_serve ok

# ---- a full disk at each stage: a tmpfs too small, sizes spread from nothing to almost enough ----
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
    need_kb=$(du -sk "$OUT/jt" | cut -f1)
    errs="" seen=""
    for pct in 2 20 35 50 65 80 95; do
        kb=$((need_kb * pct / 100 + 64))
        mkdir -p "$W/small"
        unshare -m sh -c "mount -t tmpfs -o size=${kb}k tmpfs '$W/small' && '$JEOS' -q build --locked -o '$W/small/out' '$R' >'$W/full.log' 2>&1; echo \$? >'$W/full.rc'; ls -A '$W/small/out' >'$W/full.left' 2>/dev/null; true"
        rc=$(cat "$W/full.rc")
        line=$(cat "$W/full.log")
        if [ "$rc" = 0 ]; then continue; fi # it fitted after all
        stage=${line%%:*}
        seen+=" $stage(${kb}k)"
        [ "$rc" = 1 ] && [ "$(wc -l <"$W/full.log")" = 1 ] &&
            [[ $line == *": no space left on device in $W/small/out/.jt.build."*"MiB were free when the build began, it needs about "*" MiB" ]] ||
            errs+="${kb}k: exit $rc: $line; "
        [ -s "$W/full.left" ] && errs+="${kb}k left: $(tr '\n' ' ' <"$W/full.left"); "
    done
    [ -z "$errs" ] && [ -n "$seen" ] && echo "PASS faults_full (one line, nothing left, at:$seen)" \
        || echo "FAIL faults_full: $errs (at:$seen)"
else
    echo "SKIP faults_full: needs root and a mount namespace (unshare -m) for a small tmpfs"
fi

# ---- a read-only output folder, a missing tool, a tool killed by a signal ----
mkdir -p "$W/ro"
chmod 555 "$W/ro"
if [ "$(id -u)" = 0 ]; then
    # root writes anywhere: a read-only bind mount in a mount namespace instead
    unshare -m sh -c "mount --bind '$W/ro' '$W/ro' && mount -o remount,bind,ro '$W/ro' && '$JEOS' -q build --locked -o '$W/ro' '$R'" >"$W/ro.log" 2>&1
else
    "$JEOS" -q build --locked -o "$W/ro" "$R" >"$W/ro.log" 2>&1
fi
rc=$?
ro=$(cat "$W/ro.log")
if [ $rc = 1 ] && { [ "$ro" = "$W/ro: the output folder cannot be written: Read-only file system" ] ||
                    [ "$ro" = "$W/ro: the output folder cannot be written: Permission denied" ]; }; then
    echo "PASS faults_readonly ($ro)"
else
    echo "FAIL faults_readonly: exit $rc: $ro"
fi

mkdir -p "$W/bin"
# a PATH with every tool but mcopy
for d in $(echo "$PATH" | tr ':' ' '); do
    for f in "$d"/*; do [ -x "$f" ] && [ ! -e "$W/bin/$(basename "$f")" ] && ln -s "$f" "$W/bin/" 2>/dev/null; done
done
rm -f "$W/bin/mcopy"
PATH=$W/bin "$JEOS" -q build --locked -o "$W/out-tool" "$R" >"$W/tool.log" 2>&1
rc=$?
[ $rc = 1 ] && [ "$(head -1 "$W/tool.log")" = "disk: mcopy: not installed (Debian package mtools; make deps)" ] &&
    [ -z "$(ls -A "$W/out-tool" 2>/dev/null)" ] &&
    echo "PASS faults_tool ($(head -1 "$W/tool.log"))" || echo "FAIL faults_tool: exit $rc: $(cat "$W/tool.log")"

printf '#!/bin/sh\nkill -9 $$\n' >"$W/bin/qemu-img.fake"
chmod 755 "$W/bin/qemu-img.fake"
rm -f "$W/bin/qemu-img"
ln -s "$W/bin/qemu-img.fake" "$W/bin/qemu-img"
ln -sf "$(command -v mcopy)" "$W/bin/mcopy"
PATH=$W/bin "$JEOS" -q build --locked -o "$W/out-killed" "$R" >"$W/killed.log" 2>&1
rc=$?
[ $rc = 1 ] && grep -qx "formats: qemu-img killed by signal 9" "$W/killed.log" &&
    [ -z "$(ls -A "$W/out-killed" 2>/dev/null)" ] &&
    echo "PASS faults_killed_tool (formats: qemu-img killed by signal 9)" || echo "FAIL faults_killed_tool: exit $rc: $(cat "$W/killed.log")"
exit 0
