#!/bin/bash
# essential_test.sh — builder/appliance/essential.c (the command -> Essential package table the
# closure check uses) against this host's dpkg database: each entry is a file of that package in a
# bin folder, and every command of the host's Essential packages is in the table. SKIPPED off Debian
# 12 (the table is bookworm's).
set -u
: "${JEOS_SRC:?}"
cd "$JEOS_SRC"
command -v dpkg-query >/dev/null || { echo "SKIP essential_table: no dpkg-query (not a Debian host)"; exit 0; }
ver=$(cut -d. -f1 /etc/debian_version 2>/dev/null)
[ "$ver" = 12 ] || { echo "SKIP essential_table: the table is Debian 12's; this host is ${ver:-not Debian}"; exit 0; }
T=${T_TMP:-$(mktemp -d)}
# what the table says: "name pkg"
sed -n 's/^    {"\([^"]*\)", "\([^"]*\)"},$/\1 \2/p' builder/appliance/essential.c | sort >"$T/table"
# what the host's Essential packages install in bin folders
for p in $(dpkg-query -W -f='${Package} ${Essential}\n' | awk '$2 == "yes" {print $1}'); do
    dpkg-query -L "$p" | grep -E '^/(usr/)?s?bin/[^/]+$' | sed "s|.*/||; s|\$| $p|"
done | sort -u >"$T/host"
n=$(wc -l <"$T/table")
if [ "$n" -lt 200 ]; then
    echo "FAIL essential_table: only $n entries read from essential.c"
elif ! diff -u "$T/host" "$T/table" >"$T/diff"; then
    head -20 "$T/diff"
    echo "FAIL essential_table: essential.c differs from this host's dpkg database (run sh builder/appliance/essential.sh)"
else
    echo "PASS essential_table ($n commands of $(cut -d' ' -f2 "$T/table" | sort -u | wc -l) Essential packages, as the dpkg database has them)"
fi
