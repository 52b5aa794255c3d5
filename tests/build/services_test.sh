#!/bin/bash
# services_test.sh — real Debian services from plain recipes (recipes/haproxy.yaml, memcached,
# mosquitto, openssh: packages, the stock configuration, one site file; no users, folders or
# scripts by hand), built and booted under QEMU -accel tcg, each checked with its real client from
# the host through port forwards: curl through haproxy's frontend and its stats page; memccp and
# memccat (libmemcached-tools) against memcached running as memcache where its conf says;
# mosquitto_pub and mosquitto_sub; ssh with a key and scp, the host keys made at first boot (the
# same after a reboot of one copy of the image, with its data partition; different in another
# copy); psql against recipes/postgresql.yaml (the cluster its postinst asks for, made by initdb at
# first boot, still there with its rows after a reboot). SKIPPED when the Debian mirror cannot be
# reached or a client is not installed.
set -u
: "${JEOS_SRC:?}" "${T_TMP:?}" "${JEOS:?}"
cd "$JEOS_SRC"
W=$T_TMP
NAMES="services_build services_report haproxy_http_stats memcached_set_get memcached_stock mosquitto_pub_sub ssh_key_scp ssh_host_keys apache2_stock lighttpd_stock postgresql_sql postgresql_reboot"
skip_all() { for t in $NAMES; do echo "SKIP $t: $1"; done; exit 0; }
for t in qemu-system-x86_64 python3 curl mosquitto_pub mosquitto_sub memccp memccat ssh scp \
    ssh-keygen ssh-keyscan psql; do
    command -v $t >/dev/null || skip_all "$t not installed (make deps)"
done
INIT=$JEOS_SRC/${JEOS_OUT:-out}/jeos-init
[ -x "$INIT" ] || INIT=$(dirname "$JEOS")/jeos-init
[ -x "$INIT" ] || skip_all "no jeos-init (run make)"
export JEOS_INIT=$INIT
BOOT_TIMEOUT=${JEOS_BOOT_TIMEOUT:-120}
HOSTCACHE=${JEOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jeos}

# ---- the four builds, from copies of the recipes (the key is the test's own) ----
B=$W/b
mkdir -p "$B/cache" "$B/out"
cp -r recipes/haproxy.yaml recipes/haproxy recipes/memcached.yaml recipes/memcached \
    recipes/mosquitto.yaml recipes/mosquitto recipes/openssh.yaml recipes/openssh \
    recipes/postgresql.yaml recipes/postgresql "$B/"
ssh-keygen -q -t ed25519 -N "" -C jeos-test -f "$W/id" || skip_all "ssh-keygen failed"
cp "$W/id.pub" "$B/openssh/authorized_keys"
PGPASS="jeos-$$-$RANDOM$RANDOM"
echo "$PGPASS" >"$B/postgresql/superuser-password"
# memcached on a 4 GiB disk (its FAT must not follow the disk's size), booted with OVMF when there
sed -i 's/^image: .*/image: {size: 4G, formats: [raw, qcow2]}/' "$B/memcached.yaml"
UEFI=(); [ -r /usr/share/OVMF/OVMF_CODE_4M.fd ] && UEFI=(--uefi)
for d in dists sha256 kernel; do [ -d "$HOSTCACHE/$d" ] && cp -al "$HOSTCACHE/$d" "$B/cache/" 2>/dev/null; done
export SOURCE_DATE_EPOCH=1700000000
build() { (cd "$B" && env HOME="$B" JEOS_CACHE="$B/cache" "$JEOS" build -o "$B/out" "$1.yaml") >"$W/$1.build.log" 2>&1; }
failed=""
# memcached with nothing but the package: Debian's own /etc/memcached.conf (127.0.0.1 only)
sed -e 's/^name: memcached$/name: memcached-stock/' -e '/^files:/d' recipes/memcached.yaml >"$B/memcached-stock.yaml"
# apache2 and lighttpd with nothing but the package: what their postinsts enable (a2enmod,
# a2enconf, a2ensite), the commands apache2ctl runs (coreutils), the perl scripts lighttpd.conf's
# include_shell runs (perl-base), /run/lock for apache2ctl's mktemp
for w in apache2 lighttpd; do
    printf 'name: %s\nkind: appliance\npackages: [%s]\nimage: {formats: [raw]}\n' $w $w >"$B/$w.yaml"
done
for s in haproxy memcached memcached-stock mosquitto openssh apache2 lighttpd postgresql; do
    if ! build $s; then
        if grep -qiE "could not resolve|connect|network is unreachable|timed out" "$W/$s.build.log"; then
            skip_all "the Debian mirror is unreachable"
        fi
        tail -5 "$W/$s.build.log"
        failed="$failed $s"
    fi
done
if [ -n "$failed" ]; then
    echo "FAIL services_build: jeos build failed for:$failed"
    for t in $NAMES; do [ $t = services_build ] || echo "SKIP $t: a build failed"; done
    exit 0
fi
echo "PASS services_build (haproxy, memcached, mosquitto, openssh, apache2, lighttpd, postgresql from plain recipes)"

# ---- what the reports say the builder did for them ----
rep() { cat "$B/out/$1/build-report.txt"; }
man() { cat "$B/out/$1/manifest.txt"; }
bad=""
rep haproxy | grep -q "user haproxy uid [0-9]* gid [0-9]* (haproxy postinst)" || bad="$bad haproxy-user"
rep haproxy | grep -q "tmpfiles.d haproxy.conf:1: /run/haproxy: made by init at boot" || bad="$bad haproxy-run"
rep haproxy | grep -q "haproxy: /usr/lib/systemd/system/haproxy.service (haproxy), type notify" || bad="$bad haproxy-unit"
rep memcached | grep -q "user memcache uid [0-9]* gid [0-9]* (memcached postinst)" || bad="$bad memcache-user"
rep memcached | grep -q "cp /usr/share/memcached/memcached.conf.default -> /etc/memcached.conf" || bad="$bad memcached-conf"
rep mosquitto | grep -q "ExecStartPre=/bin/mkdir -m 740 -p /var/log/mosquitto: /bin/mkdir is not in the image" || bad="$bad mosquitto-mkdir"
rep openssh | grep -q "user sshd uid [0-9]* gid 65534 (openssh-server postinst)" || bad="$bad sshd-user"
rep openssh | grep -q "ucf /usr/share/openssh/sshd_config -> /etc/ssh/sshd_config (absent: copied)" || bad="$bad sshd_config"
rep openssh | grep -q "pam-auth-update: /etc/pam.d/common-auth" || bad="$bad pam"
rep openssh | grep -q "first boot: /usr/bin/ssh-keygen (makes /etc/ssh/ssh_host_ed25519_key" || bad="$bad hostkeys"
rep openssh | grep -q "users: root exists (base-passwd): shell /bin/bash -> /bin/sh" || bad="$bad root-shell"
rep openssh | grep -qE "^  (added dash|dash \(from the lock\)): /bin/sh, which /usr/sbin/sshd runs commands with" || bad="$bad dash"
rep openssh | grep -q "xauth (recommended by openssh-server)" || bad="$bad recommends"
man openssh | grep -q "^/root/.ssh dir 0700 0:0 " || bad="$bad ssh-folder-mode"
man openssh | grep -q "^/etc/ssh/ssh_host_" && bad="$bad host-keys-baked-in"
rep postgresql | grep -q "pg_createcluster 15 main: a per-instance database, made by init at first boot" || bad="$bad pg-cluster"
rep postgresql | grep -q "added coreutils: command install on line [0-9]* of /usr/share/perl5/PgCommon.pm" || bad="$bad pg-coreutils"
man postgresql | grep -q "^/var/lib/postgresql/15/main" && bad="$bad pg-cluster-baked-in"
if [ -z "$bad" ]; then
    echo "PASS services_report (users with the package that asked, tmpfiles.d, ucf and cp copies, PAM, first-boot host keys and PostgreSQL cluster, dash for sshd, coreutils for pg_createcluster's perl, Recommends left out, /root/.ssh 0700)"
else
    echo "FAIL services_report: missing:$bad"
fi

# ---- boots ----
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
RPID=""
RUNOPTS=()
start() { # LOG IMAGE PORT-FORWARDS... (RUNOPTS: more jeos run options)
    local log=$1 img=$2; shift 2
    local fw=(); for p in "$@"; do fw+=(--port "$p"); done
    "$JEOS" run --accel tcg ${RUNOPTS[@]+"${RUNOPTS[@]}"} "${fw[@]}" "$img" >"$log" 2>&1 </dev/null &
    RPID=$!
    local i
    for i in $(seq 1 $((BOOT_TIMEOUT * 5))); do
        grep -qa "jeos: ready" "$log" && return 0
        kill -0 "$RPID" 2>/dev/null || return 1
        sleep 0.2
    done
    return 1
}
stop() {
    kill -TERM "$RPID" 2>/dev/null
    for _ in $(seq 1 300); do kill -0 "$RPID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$RPID" 2>/dev/null && kill -KILL "$RPID"
    wait "$RPID"
}
show() { tr -d '\r' <"$1" | grep -av '^\s*$' | tail -15; }
clean() { grep -qa "jeos: filesystems unmounted cleanly" "$1"; }

# haproxy: a page through the frontend, the stats page, the request logged through /dev/log
P1=$(free_port) P2=$(free_port)
if start "$W/haproxy.log" "$B/out/haproxy/haproxy.qcow2" "$P1:80" "$P2:8404"; then
    page=$(curl -s -m 10 "http://127.0.0.1:$P1/")
    stats=$(curl -s -m 10 "http://127.0.0.1:$P2/stats")
    sleep 0.5
    stop; rc=$?
    if [ "$page" = "hello from haproxy" ] && grep -q "Statistics Report for HAProxy" <<<"$stats" &&
       grep -qa "jeos: service haproxy ready: READY=1 (sd_notify)" "$W/haproxy.log" &&
       grep -qaE "^haproxy: haproxy\[[0-9]+\]: .* \"GET / HTTP/1.1\"" "$W/haproxy.log" &&
       [ $rc = 0 ] && clean "$W/haproxy.log"; then
        echo "PASS haproxy_http_stats (curl through the frontend and the stats page; ready on READY=1; the chrooted worker's log line on the console)"
    else
        show "$W/haproxy.log"; echo "FAIL haproxy_http_stats: page \"$page\", stats $(wc -c <<<"$stats") bytes, exit $rc"
    fi
else
    stop; show "$W/haproxy.log"; echo "FAIL haproxy_http_stats: no \"jeos: ready\""
fi

# memcached: set and get with libmemcached's tools, the server as memcache where its conf says
P=$(free_port)
echo "value from the host $$" >"$W/jeos-key"
RUNOPTS=(${UEFI[@]+"${UEFI[@]}"})
disk=$(stat -c %s "$B/out/memcached/memcached.raw")
if start "$W/memcached.log" "$B/out/memcached/memcached.qcow2" "$P:11211"; then
    RUNOPTS=()
    (cd "$W" && memccp --servers="127.0.0.1:$P" jeos-key) >"$W/memccp.log" 2>&1
    got=$(memccat --servers="127.0.0.1:$P" jeos-key 2>&1)
    stop; rc=$?
    if [ "$got" = "$(cat "$W/jeos-key")" ] &&
       grep -qaE "jeos: service memcached ready: listening on tcp 0.0.0.0:11211 \(pid [0-9]+, user memcache\)" "$W/memcached.log" &&
       [ $rc = 0 ] && clean "$W/memcached.log" && [ "$disk" = 4294967296 ]; then
        echo "PASS memcached_set_get (memccp/memccat; listening on 0.0.0.0:11211 as memcache, as its conf says; a 4 GiB disk${UEFI[@]+, booted with OVMF})"
    else
        show "$W/memcached.log"; cat "$W/memccp.log"; echo "FAIL memcached_set_get: got \"$got\", exit $rc, disk $disk bytes"
    fi
else
    RUNOPTS=()
    stop; show "$W/memcached.log"; echo "FAIL memcached_set_get: no \"jeos: ready\""
fi

# memcached from the bare package: as memcache, on 127.0.0.1 only, as Debian's stock conf says —
# so the port forwarded from the host (to the guest's 10.0.2.15) reaches nothing
P=$(free_port)
if start "$W/memcached-stock.log" "$B/out/memcached-stock/memcached-stock.qcow2" "$P:11211"; then
    got=$(memccat --servers="127.0.0.1:$P" jeos-key 2>&1)
    stop; rc=$?
    if grep -qaE "jeos: service memcached ready: listening on tcp 127.0.0.1:11211 \(pid [0-9]+, user memcache\)" "$W/memcached-stock.log" &&
       ! grep -q "value from the host" <<<"$got" && [ $rc = 0 ] && clean "$W/memcached-stock.log"; then
        echo "PASS memcached_stock (no site file: Debian's memcached.conf, listening on 127.0.0.1:11211 as memcache; nothing reachable from outside)"
    else
        show "$W/memcached-stock.log"; echo "FAIL memcached_stock: memccat said \"$got\", exit $rc"
    fi
else
    stop; show "$W/memcached-stock.log"; echo "FAIL memcached_stock: no \"jeos: ready\""
fi

# mosquitto: a subscriber and a publisher from the host
P=$(free_port)
if start "$W/mosquitto.log" "$B/out/mosquitto/mosquitto.qcow2" "$P:1883"; then
    timeout 20 mosquitto_sub -h 127.0.0.1 -p "$P" -t jeos/test -C 1 -W 15 >"$W/sub.out" 2>&1 &
    SPID=$!
    got=""
    for _ in $(seq 1 50); do
        mosquitto_pub -h 127.0.0.1 -p "$P" -t jeos/test -m "hello over mqtt" 2>/dev/null
        sleep 0.2
        kill -0 $SPID 2>/dev/null || break
    done
    wait $SPID; got=$(head -1 "$W/sub.out")
    stop; rc=$?
    if [ "$got" = "hello over mqtt" ] && grep -qa "jeos: service mosquitto ready: READY=1" "$W/mosquitto.log" &&
       [ $rc = 0 ] && clean "$W/mosquitto.log"; then
        echo "PASS mosquitto_pub_sub (mosquitto_sub got what mosquitto_pub sent; ready on READY=1)"
    else
        show "$W/mosquitto.log"; echo "FAIL mosquitto_pub_sub: got \"$got\", exit $rc"
    fi
else
    stop; show "$W/mosquitto.log"; echo "FAIL mosquitto_pub_sub: no \"jeos: ready\""
fi

# openssh: two copies of the image; a reboot of the first keeps its host keys (data partition)
cp "$B/out/openssh/openssh.qcow2" "$W/ssh-a.qcow2"
cp "$B/out/openssh/openssh.qcow2" "$W/ssh-b.qcow2"
O=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=10
   -o LogLevel=ERROR -i "$W/id")
hostkey() { ssh-keyscan -T 10 -t ed25519 -p "$1" 127.0.0.1 2>/dev/null | awk '{print $3}'; }
keys=()
P=$(free_port)
if start "$W/ssh-a1.log" "$W/ssh-a.qcow2" "$P:22"; then
    keys+=("$(hostkey "$P")")
    out=$(ssh "${O[@]}" -p "$P" root@127.0.0.1 'echo "hello from $0 as $USER"' 2>&1)
    echo "a file for scp $$" >"$W/payload"
    scp "${O[@]}" -P "$P" "$W/payload" root@127.0.0.1:/root/payload >"$W/scp.log" 2>&1
    back=$(ssh "${O[@]}" -p "$P" root@127.0.0.1 'read x </root/payload; echo "$x"' 2>&1)
    stop; rc=$?
    if [ "$out" = "hello from sh as root" ] && [ "$back" = "$(cat "$W/payload")" ] && [ $rc = 0 ] &&
       grep -qa "jeos: first boot: /usr/bin/ssh-keygen made /etc/ssh/ssh_host_ed25519_key: done" "$W/ssh-a1.log" &&
       grep -qaE "^ssh: sshd\[[0-9]+\]: Accepted publickey for root" "$W/ssh-a1.log"; then
        echo "PASS ssh_key_scp (ssh with a key ran /bin/sh as root; scp copied a file there and back)"
    else
        show "$W/ssh-a1.log"; cat "$W/scp.log"; echo "FAIL ssh_key_scp: ssh said \"$out\", read back \"$back\", exit $rc"
    fi
else
    stop; show "$W/ssh-a1.log"; echo "FAIL ssh_key_scp: no \"jeos: ready\""
fi
for img in a2:ssh-a b:ssh-b; do
    P=$(free_port)
    if start "$W/ssh-${img%%:*}.log" "$W/${img#*:}.qcow2" "$P:22"; then
        keys+=("$(hostkey "$P")")
    else
        keys+=("(no boot)")
    fi
    stop >/dev/null
done
if [ -n "${keys[0]}" ] && [ "${keys[0]}" = "${keys[1]}" ] && [ "${keys[0]}" != "${keys[2]}" ] &&
   [ -n "${keys[2]}" ] && ! grep -qa "jeos: first boot: /usr/bin/ssh-keygen" "$W/ssh-a2.log"; then
    echo "PASS ssh_host_keys (copy A: the same key after a reboot, kept on its data partition; copy B: another)"
else
    show "$W/ssh-a2.log"; echo "FAIL ssh_host_keys: A ${keys[0]:-none}, A again ${keys[1]:-none}, B ${keys[2]:-none}"
fi

# apache2 and lighttpd: each package's default page through a port forward
webserver() { # NAME PAGE-FILE-IN-PACKAGE WHAT-THE-REPORT-SAYS
    local n=$1 want=$2 said=$3 P got rc
    P=$(free_port)
    if ! start "$W/$n.log" "$B/out/$n/$n.raw" "$P:80"; then
        stop; show "$W/$n.log"; echo "FAIL ${n}_stock: no \"jeos: ready\""; return
    fi
    got=$(curl -s -m 20 "http://127.0.0.1:$P/" | sha256sum | cut -c1-64)
    stop; rc=$?
    if [ "$got" = "$(sha256sum <"$want" | cut -c1-64)" ] && [ $rc = 0 ] && clean "$W/$n.log" &&
       rep "$n" | grep -q "$said"; then
        echo "PASS ${n}_stock (the package's default page, byte for byte; the build report: $said)"
    else
        show "$W/$n.log"; echo "FAIL ${n}_stock: page sha256 $got, exit $rc; report: $(rep "$n" | grep -c "$said") line(s) \"$said\""
    fi
}
# the pages as the packages ship them, read from the images' own .debs in the cache
pkgfile() { # LOCK PACKAGE PATH OUT
    local sha
    sha=$(awk -v p="$2" '$1 == "Package:" {on = $2 == p} on && $1 == "SHA256:" {print $2; exit}' "$1")
    dpkg-deb --fsys-tarfile "$B/cache/sha256/${sha:0:2}/$sha" | tar -xO ".$3" >"$4"
}
pkgfile "$B/apache2.yaml.lock" apache2-data /usr/share/apache2/default-site/index.html "$W/apache2.page"
pkgfile "$B/lighttpd.yaml.lock" lighttpd /usr/share/lighttpd/index.html "$W/lighttpd.page"
webserver apache2 "$W/apache2.page" "added coreutils: command [a-z]* on line [0-9]* of /usr/sbin/apache2ctl, which a service runs"
webserver lighttpd "$W/lighttpd.page" "added perl-base: interpreter /usr/bin/perl of /usr/share/lighttpd/"

# postgresql: psql from the host creates a table and rows; after a reboot they are there, and the
# cluster was made once (at the first boot only)
pgq() { PGPASSWORD=$PGPASS PGCONNECT_TIMEOUT=20 psql -h 127.0.0.1 -p "$1" -U postgres -d postgres -XAtqc "$2" 2>&1; }
cp "$B/out/postgresql/postgresql.qcow2" "$W/pg.qcow2"
BOOT_TIMEOUT=$((BOOT_TIMEOUT * 2)) # initdb at the first boot: a minute or more under TCG
P=$(free_port)
if start "$W/pg1.log" "$W/pg.qcow2" "$P:5432"; then
    got=$(pgq "$P" "create table t (n int, s text); insert into t select g, md5(g::text) from generate_series(1, 5000) g; select count(*), sum(n), max(s) from t")
    want=$(python3 -c 'import hashlib; print("5000|12502500|" + max(hashlib.md5(str(g).encode()).hexdigest() for g in range(1, 5001)))')
    ver=$(pgq "$P" "show server_version")
    stop; rc=$?
    if [ "$got" = "$want" ] && [ $rc = 0 ] && clean "$W/pg1.log" &&
       grep -qa "jeos: first boot: /usr/bin/pg_createcluster made /etc/postgresql/15/main/postgresql.conf: done" "$W/pg1.log" &&
       grep -qa "jeos: service postgresql@15-main ready" "$W/pg1.log"; then
        echo "PASS postgresql_sql (psql with the recipe's password: 5000 rows written and summed, $want; server $ver; the cluster made at first boot: $(grep -ao 'postgresql.conf: done ([0-9.]* s)' "$W/pg1.log" | grep -o '[0-9.]* s'))"
    else
        show "$W/pg1.log"; echo "FAIL postgresql_sql: psql said \"$got\" (want \"$want\"), exit $rc"
    fi
    P=$(free_port)
    if start "$W/pg2.log" "$W/pg.qcow2" "$P:5432"; then
        again=$(pgq "$P" "select count(*), sum(n), max(s) from t")
        stop; rc=$?
        if [ "$again" = "$want" ] && [ $rc = 0 ] && ! grep -qa "jeos: first boot: /usr/bin/pg_createcluster" "$W/pg2.log"; then
            echo "PASS postgresql_reboot (after a reboot the rows are there, on the data partition; no second initdb)"
        else
            show "$W/pg2.log"; echo "FAIL postgresql_reboot: psql said \"$again\", exit $rc"
        fi
    else
        stop; show "$W/pg2.log"; echo "FAIL postgresql_reboot: no \"jeos: ready\" after the reboot"
    fi
else
    stop; show "$W/pg1.log"; echo "FAIL postgresql_sql: no \"jeos: ready\""
    echo "SKIP postgresql_reboot: the first boot failed"
fi
exit 0
