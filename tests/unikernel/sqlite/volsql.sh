# tests/unikernel/sqlite/volsql.sh — sourced by tests/unikernel/ext4_test.sh (ext4-sqlite, QEMU) and
# tests/hypervisor/nested_test.sh (nested-ext4-sqlite, jeos-hv on nested AMD-V): the host's side of
# volsql.c's volume test.
#
# volsql_check NAME SECOND VOL TMP   the host's sqlite3 on /test.db taken out of the volume VOL
#                                    with debugfs runs volsql.c's queries (read from its source)
#                                    and must print what the guest's second run printed (the file
#                                    SECOND); then e2fsck -fn must find VOL clean. Prints FAIL NAME:
#                                    why and returns 1 otherwise; sets VOLSQL_LINES (lines compared).
#                                    Scratch files in TMP.
# shellcheck shell=bash
volsql_check() {
    local name=$1 second=$2 vol=$3 tmp=$4 queries
    mapfile -t queries < <(sed -n '/queries\[\] = {/,/^};/s/^ *"\(.*\)",$/\1/p' \
        "$JEOS_SRC/tests/unikernel/sqlite/volsql.c")
    rm -f "$tmp/host.db"
    debugfs -R "dump /test.db $tmp/host.db" "$vol" >/dev/null 2>&1
    sqlite3 "$tmp/host.db" "${queries[@]}" >"$tmp/hostsql.log" 2>&1
    if [ ${#queries[@]} -lt 2 ] || ! cmp -s "$second" "$tmp/hostsql.log"; then
        echo "FAIL $name: the host's sqlite3 on the database taken out with debugfs (${#queries[@]} queries from volsql.c) differs:"
        diff "$second" "$tmp/hostsql.log" | head -10 | sed 's/^/    /'
        return 1
    fi
    if ! e2fsck -fn "$vol" >"$tmp/volsql-fsck.log" 2>&1; then
        echo "FAIL $name: e2fsck -fn after the runs:"
        sed 's/^/    /' "$tmp/volsql-fsck.log" | head -20
        return 1
    fi
    # shellcheck disable=SC2034 # read by the callers
    VOLSQL_LINES=$(wc -l <"$tmp/hostsql.log")
}
