#!/bin/bash
# tests/unikernel/sqlite_test.sh — the sqlite3 shell of SQLite 3.41 (the amalgamation and shell.c
# in Debian's fossil source package, tests/unikernel/sqlite/sqlite3.yaml, no shims) on a file
# database in the writable /tmp, against the same sources built for this host, under QEMU TCG:
#   sqlite3-shell   tests/unikernel/sqlite/script.sql (tables, 5000 rows, an index, committed and
#                   rolled-back transactions: a journal made, synced and removed; window and JSON
#                   functions, CSV and .dump output, integrity_check, VACUUM) prints what it prints
#                   on the host; the database's record locks go through fcntl as on Linux
set -u
UK_TEST=sqlite
. "$JEOS_SRC/tests/unikernel/lib.sh"
uk_setup
[ -x "${JEOS:-}" ] && [ -f /usr/lib/x86_64-linux-musl/libc.a ] ||
    { echo "SKIP sqlite3-shell: jeos or musl-dev missing"; exit 0; }
w=$T_TMP/s
mkdir -p "$w" "$T_TMP/host" "$T_TMP/home"
cp "$JEOS_SRC/tests/unikernel/sqlite/sqlite3.yaml" "$JEOS_SRC/tests/unikernel/sqlite/script.sql" "$w/"
if ! tree=$("$JEOS" source fossil 2>"$T_TMP/source.log" | tail -n 1) || [ ! -f "$tree/extsrc/sqlite3.c" ]; then
    if grep -qiE "could not resolve|connect|unreachable|timed out" "$T_TMP/source.log"; then
        echo "SKIP sqlite3-shell: Debian's source archive unreachable: $(tail -n 1 "$T_TMP/source.log")"
    else
        echo "FAIL sqlite3-shell: jeos source fossil failed: $(tail -n 1 "$T_TMP/source.log")"
    fi
    exit 0
fi
# the host build alongside the unikernel's (each compiles the 8 MB amalgamation)
gcc -O1 -w -DSQLITE_OMIT_LOAD_EXTENSION -I"$tree/extsrc" -o "$T_TMP/hostsql" \
    "$tree/extsrc/sqlite3.c" "$tree/extsrc/shell.c" -lpthread -lm -ldl 2>"$T_TMP/gcc.log" &
gpid=$!
"$JEOS" -q build -o "$w/out" "$w/sqlite3.yaml" >"$T_TMP/build.log" 2>&1
brc=$?
wait $gpid
grc=$?
if [ $brc -ne 0 ]; then
    echo "FAIL sqlite3-shell: jeos build failed:"
    sed 's/^/    /' "$T_TMP/build.log" | head -30
    exit 0
fi
if [ $grc -ne 0 ]; then
    echo "FAIL sqlite3-shell: the host build failed: $(head -c 300 "$T_TMP/gcc.log")"
    exit 0
fi
cp "$w/script.sql" "$T_TMP/host/"
(cd "$T_TMP/host" && HOME=$T_TMP/home timeout 60 "$T_TMP/hostsql" test.db ".read script.sql") \
    >"$T_TMP/host.raw" 2>&1
tr -d '\r' <"$T_TMP/host.raw" >"$T_TMP/host.log" # as uk_boot does the console (CSV ends lines in \r\n)
uk_pvh "$T_TMP/guest.log" "$w/out/sqlite3/sqlite3.elf" ""
if [ "$UK_STATUS" = 0 ] && [ -s "$T_TMP/host.log" ] && cmp -s "$T_TMP/host.log" "$T_TMP/guest.log"; then
    echo "PASS sqlite3-shell ($(wc -l <"$T_TMP/host.log") lines equal)"
else
    echo "FAIL sqlite3-shell: guest status $UK_STATUS; host against guest:"
    diff "$T_TMP/host.log" "$T_TMP/guest.log" | head -n 20 | sed 's/^/    /'
fi
