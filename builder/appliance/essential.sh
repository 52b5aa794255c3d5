#!/bin/sh
# essential.sh — writes builder/appliance/essential.c: the commands of Debian's Essential: yes
# packages (in /bin, /sbin, /usr/bin, /usr/sbin) and the package of each, read from this host's
# dpkg database (Debian 12, the release jeos builds from). No package depends on those, so the
# closure check (closure.c) adds the one a service's script runs when the image lacks it.
# Run on a Debian 12 host after a point release: sh builder/appliance/essential.sh
set -eu
out=${1:-builder/appliance/essential.c}
pkgs=$(dpkg-query -W -f='${Package} ${Essential}\n' | awk '$2 == "yes" {print $1}')
{
    echo "/* essential.c — written by essential.sh from the dpkg database of a Debian 12 host: the"
    echo " * commands of the Essential: yes packages ($(echo $pkgs | wc -w) packages) and the package of each. */"
    echo '#include "builder/appliance/essential.h"'
    echo
    echo '#include <stdlib.h>'
    echo '#include <string.h>'
    echo
    echo 'static const struct {'
    echo '    const char *name, *pkg;'
    echo '} commands[] = {'
    for p in $pkgs; do
        dpkg-query -L "$p" | grep -E '^/(usr/)?s?bin/[^/]+$' | sed "s|.*/||; s|\$| $p|"
    done | LC_ALL=C sort -u | awk '{printf "    {\"%s\", \"%s\"},\n", $1, $2}'
    echo '};'
    echo
    echo 'static int cmp(const void *key, const void *elt)'
    echo '{'
    echo '    return strcmp(key, *(const char *const *)elt);'
    echo '}'
    echo
    echo 'const char *essential_provider(const char *name)'
    echo '{'
    echo '    const char *const *e ='
    echo '        bsearch(name, commands, sizeof(commands) / sizeof(commands[0]), sizeof(commands[0]), cmp);'
    echo '    return e ? e[1] : NULL;'
    echo '}'
} >"$out"
