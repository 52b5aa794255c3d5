# tests/runtime/lib.sh — sourced by the runtime tests that run one program on the host and as a
# unikernel (posix_test.sh, signals_test.sh, sockets_test.sh); after tests/unikernel/lib.sh.
#
# rt_host_build SRC OUT NAME   gcc -O1 -pthread SRC (with check.h's folder) into OUT, or prints
#                              FAIL NAME-host and returns 1
# rt_build RECIPE OUT NAME     jeos build of RECIPE into OUT, or prints FAIL NAME-build with the
#                              build's output and returns 1
# rt_compare HOSTLOG GUESTLOG  for every check either log names (PASS/FAIL/SKIP NAME lines):
#                              PASS rt-NAME when it passed on both, SKIP when the host skipped it,
#                              else FAIL rt-NAME saying on which side and why

rt_host_build() {
    if ! gcc -O1 -pthread -I"$JEOS_SRC/tests/runtime/src" -o "$2" "$1" 2>"$T_TMP/gcc.log"; then
        echo "FAIL $3-host: the host build failed: $(head -c 300 "$T_TMP/gcc.log")"
        return 1
    fi
}

rt_build() {
    if ! "$JEOS" -q build -o "$2" "$1" >"$T_TMP/build.log" 2>&1; then
        echo "FAIL $3-build: jeos build failed:"
        sed 's/^/    /' "$T_TMP/build.log" | head -30
        return 1
    fi
}

rt_compare() {
    local name h g
    for name in $(sed -n 's/^\(PASS\|FAIL\|SKIP\) \([a-z0-9_-]*\).*/\2/p' "$1" "$2" | sort -u); do
        h=$(grep -m1 -E "^(PASS|FAIL|SKIP) $name(:|$)" "$1")
        g=$(grep -m1 -E "^(PASS|FAIL|SKIP) $name(:|$)" "$2")
        if [ "${h%% *}" = PASS ] && [ "${g%% *}" = PASS ]; then
            echo "PASS rt-$name"
        elif [ "${h%% *}" = SKIP ]; then
            echo "SKIP rt-$name: on the host: ${h#* }"
        elif [ "${h%% *}" != PASS ]; then
            echo "FAIL rt-$name: on the host (Linux) itself: ${h:-not run}"
        else
            echo "FAIL rt-$name: in the unikernel: ${g:-not run}"
        fi
    done
}
