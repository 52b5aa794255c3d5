#!/bin/bash
# qemu_boot_test.sh — the boot pieces together, without the resolver: Debian's cloud kernel,
# an initramfs with runtime/init, a tiny root holding a static test service, GRUB BIOS+UEFI on
# one hybrid GPT disk (and an MBR disk with a squashfs root and a data partition), booted under
# qemu-system-x86_64 -accel tcg with SeaBIOS and with OVMF, waiting for "jeos: ready" on the
# serial console; then an ACPI power-off must end in a clean unmount and QEMU exiting 0. And the
# NoCloud path: a CIDATA seed disk sets the host name and installs the allowed user's ssh key.
set -u
: "${JEOS_SRC:?}" "${T_TMP:?}"
OUT=${JEOS_SAN_OUT:-out/san}
cd "$JEOS_SRC"
KIT=$OUT/tests/boot/bootkit
INIT=${JEOS_OUT:-out}/jeos-init
[ -x "$INIT" ] || INIT=$OUT/jeos-init
CACHE=${JEOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/jeos}/kernel
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
BOOT_TIMEOUT=${JEOS_BOOT_TIMEOUT:-90}

skip_all() {
    for t in bios_gpt_ext4 ready_when_listening acpi_poweroff uefi_gpt_ext4 bios_mbr_squashfs_data static_net_http ctrl_alt_del_reboot jeos_run vmdk_pvscsi_vmxnet3 nocloud_seed nocloud_no_seed; do echo "SKIP $t: $1"; done
    exit 0
}
for tool in qemu-system-x86_64 mkfs.ext4 mksquashfs dpkg-deb gcc; do
    command -v $tool >/dev/null || skip_all "$tool not installed"
done
[ -x "$KIT" ] && [ -x "$INIT" ] || skip_all "build first ($KIT, $INIT)"

# ---- the kernel: linux-image-cloud-amd64's dependency, cached outside the tree ----
fetch_kernel() {
    mkdir -p "$CACHE" || return 1
    local meta dep
    dep=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/ {print $2; exit}')
    [ -n "$dep" ] || return 1
    if ! ls "$CACHE"/"$dep"_*.deb >/dev/null 2>&1; then
        (cd "$CACHE" && timeout 120 apt-get download "$dep" >/dev/null 2>&1) || return 1
    fi
    local deb; deb=$(ls "$CACHE"/"$dep"_*.deb | head -1)
    if [ ! -d "$CACHE/$dep/lib/modules" ]; then
        rm -rf "$CACHE/$dep.tmp" && dpkg-deb -x "$deb" "$CACHE/$dep.tmp" && mv "$CACHE/$dep.tmp" "$CACHE/$dep" || return 1
    fi
    echo "$CACHE/$dep"
}
KDIR=$(fetch_kernel) || skip_all "cannot fetch linux-image-cloud-amd64 (no Debian mirror?)"
VMLINUZ=$(ls "$KDIR"/boot/vmlinuz-* | head -1)
MODROOT=$(ls -d "$KDIR"/lib/modules/* | head -1)

# ---- the pieces ----
W=$T_TMP
"$KIT" initramfs "$INIT" "$MODROOT" "$W/initrd.img" >"$W/initramfs.txt" 2>&1 || {
    cat "$W/initramfs.txt"; echo "FAIL bios_gpt_ext4: initramfs"; exit 1; }

cat >"$W/svc.c" <<'EOF'
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
static volatile sig_atomic_t stop;
static void on_term(int s) { (void)s; stop = 1; }
int main(int argc, char **argv)
{
    /* "gate": a oneshot the service is after (the squashfs root's init.conf): it takes a second */
    if (argc > 1 && strcmp(argv[1], "gate") == 0) {
        usleep(1000 * 1000);
        close(open("/run/gate-done", O_CREAT | O_WRONLY, 0644));
        printf("svc: gate done\n");
        return 0;
    }
    if (access("/dev/shm/svc-ran", F_OK) != 0)
        printf("svc: first start, gate-done=%d\n", access("/run/gate-done", F_OK) == 0);
    /* The first run fails on purpose, to see init restart it. */
    if (access("/dev/shm/svc-ran", F_OK) != 0) {
        close(open("/dev/shm/svc-ran", O_CREAT | O_WRONLY, 0644));
        printf("svc: first run, failing\n");
        return 3;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_term; /* no SA_RESTART: accept() returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    char host[64] = "";
    gethostname(host, sizeof(host));
    printf("svc: hello uid=%d gid=%d host=%s GREETING=%s arg=%s cwd-ok=%d\n", (int)getuid(),
           (int)getgid(), host, getenv("GREETING") ? getenv("GREETING") : "(unset)",
           argc > 1 ? argv[1] : "(none)", access(".", R_OK) == 0);
    fflush(stdout);
    /* What the NoCloud seed gave this user (the nocloud_seed boot) */
    FILE *k = fopen("/home/svc/.ssh/authorized_keys", "r");
    if (k) {
        char key[512] = "";
        struct stat st;
        fstat(fileno(k), &st);
        if (!fgets(key, sizeof(key), k))
            key[0] = 0;
        printf("svc: key mode=%o uid=%d %s", (unsigned)(st.st_mode & 0777), (int)st.st_uid, key);
        fclose(k);
        fflush(stdout);
    }
    /* An orphan: a grandchild reparented to PID 1 that exits; init must reap it. */
    pid_t child = fork();
    if (child == 0) {
        if (fork() == 0) {
            usleep(200 * 1000);
            _exit(0);
        }
        _exit(0);
    }
    waitpid(child, NULL, 0);
    usleep(800 * 1000);
    int zombies = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char path[300], stat[512] = "";
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (fgets(stat, sizeof(stat), f) && strstr(stat, ") Z "))
            zombies++;
        fclose(f);
    }
    printf("svc: zombies=%d\n", zombies);
    fflush(stdout);
    /* A tiny HTTP answer on :8080, for the host to reach through a port forward. */
    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(8080)};
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 8) < 0)
        perror("svc: listen");
    while (!stop) {
        int c = accept(s, NULL, NULL);
        if (c < 0)
            continue;
        char req[512];
        (void)!read(c, req, sizeof(req));
        const char *r = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\njeos-svc-ok\n";
        (void)!write(c, r, strlen(r));
        close(c);
    }
    printf("svc: got SIGTERM\n");
    return 0;
}
EOF
gcc -static -O2 -o "$W/svc" "$W/svc.c" || { echo "FAIL bios_gpt_ext4: cannot build the test service"; exit 1; }

make_root() { # folder net-line [services before svc's, each a line of init.conf]
    local r=$1 net=$2 before=${3:-}
    mkdir -p "$r"/{dev,proc,sys,run,tmp,etc/jeos,usr/bin,home/svc}
    cp "$W/svc" "$r/usr/bin/svc"
    printf 'root:x:0:0:root:/root:/bin/sh\nsvc:x:1000:1000:svc:/home/svc:/usr/sbin/nologin\n' >"$r/etc/passwd"
    printf 'root:x:0:\nsvc:x:1000:\n' >"$r/etc/group"
    cat >"$r/etc/jeos/init.conf" <<EOF
jeos-init 1
hostname jeos-test
$net
${before}service svc
exec /usr/bin/svc
arg two words
user svc
workdir /home/svc
env GREETING=hi there
restart always
${before:+after gate}
EOF
    chown 1000:1000 "$r/home/svc" 2>/dev/null || true
}
make_root "$W/root" "net dhcp"
make_root "$W/root-static" "net static 10.0.2.15/24 10.0.2.2" \
    $'service gate\ntype oneshot\nexec /usr/bin/svc\narg gate\nrestart no\n'
# (the squashfs root: svc starts after gate, a oneshot that takes a second)
make_root "$W/root-cloud" $'net none\ncloud nocloud\ncloud-ssh-user svc'
mkfs.ext4 -q -F -L root -d "$W/root-cloud" "$W/root-cloud.ext4" 16M >/dev/null 2>&1 || { echo "FAIL nocloud_seed: mkfs.ext4"; exit 1; }
mkfs.ext4 -q -F -L root -d "$W/root" "$W/root.ext4" 16M >/dev/null 2>&1 || { echo "FAIL bios_gpt_ext4: mkfs.ext4"; exit 1; }
mksquashfs "$W/root-static" "$W/root.sqfs" -all-root -noappend -quiet >/dev/null 2>&1 || { echo "FAIL bios_mbr_squashfs_data: mksquashfs"; exit 1; }

"$KIT" disk "$VMLINUZ" "$W/initrd.img" "$W/root.ext4" ext4 gpt both "$W/gpt.raw" >"$W/disk.txt" 2>&1 \
    || { cat "$W/disk.txt"; echo "FAIL bios_gpt_ext4: disk"; exit 1; }
"$KIT" disk "$VMLINUZ" "$W/initrd.img" "$W/root.sqfs" squashfs mbr bios "$W/mbr.raw" 8 >>"$W/disk.txt" 2>&1 \
    || { cat "$W/disk.txt"; echo "FAIL bios_mbr_squashfs_data: disk"; exit 1; }
"$KIT" disk "$VMLINUZ" "$W/initrd.img" "$W/root-cloud.ext4" ext4 gpt bios "$W/cloud.raw" >>"$W/disk.txt" 2>&1 \
    || { cat "$W/disk.txt"; echo "FAIL nocloud_seed: disk"; exit 1; }
cat "$W/disk.txt"
echo "initramfs: $(stat -c %s "$W/initrd.img") bytes; $(head -1 "$W/initramfs.txt" | wc -w) modules"

# ---- booting ----
# boot NAME DISK|- [qemu args...]: starts QEMU in the background, serial to $W/NAME.log,
# monitor on $W/NAME.mon; waits for "jeos: ready". Sets QPID and READY_S.
boot() {
    local name=$1 disk=$2; shift 2
    local log=$W/$name.log
    : >"$log"
    local start=$(date +%s%N)
    qemu-system-x86_64 -accel tcg -m 512 -display none -no-reboot \
        -serial "file:$log" -monitor "unix:$W/$name.mon,server,nowait" \
        $([ "$disk" = - ] || echo "-drive file=$disk,format=raw,if=virtio -nic $NIC") "$@" &
    QPID=$!
    local i=0
    while [ $i -lt $((BOOT_TIMEOUT * 10)) ]; do
        grep -qE "jeos: ready|; halting|Kernel panic" "$log" 2>/dev/null && break
        kill -0 $QPID 2>/dev/null || break
        sleep 0.1; i=$((i + 1))
    done
    local ms=$(( ($(date +%s%N) - start) / 1000000 ))
    READY_S=$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))
    grep -q "jeos: ready" "$log"
}
NIC=user,model=virtio-net-pci
monitor() { # name command
    python3 -c 'import socket,sys,time
s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); time.sleep(0.2); s.recv(4096)
s.sendall((sys.argv[2]+"\n").encode()); time.sleep(0.3); s.close()' "$W/$1.mon" "$2"
}
stop_qemu() { kill "$QPID" 2>/dev/null; wait "$QPID" 2>/dev/null; }
wait_for() { # log pattern seconds
    local i=0
    while [ $i -lt $(($3 * 10)) ]; do grep -q "$2" "$1" && return 0; sleep 0.1; i=$((i + 1)); done
    return 1
}
show() { echo "---- $1 (serial, last lines) ----"; tr -d '\r' <"$1" | grep -av '^\s*$' | tail -25; echo "----"; }
check_lines() { # log -> prints the first missing expectation, returns 1 if any
    local log=$1; shift
    for pat in "$@"; do
        tr -d '\r' <"$log" | grep -qa -- "$pat" || { echo "missing \"$pat\""; return 1; }
    done
}

EXPECT=("jeos: service svc started (pid"
        "svc: first run, failing"
        "jeos: service svc exited with status 3; restarting in 1 s"
        "svc: hello uid=1000 gid=1000 host=jeos-test GREETING=hi there arg=two words cwd-ok=1"
        "svc: zombies=0")
DHCP="jeos: network eth0 10.0.2.15/24 via 10.0.2.2 (dhcp, lease"
STATIC="^jeos: network eth0 10.0.2.15/24 via 10.0.2.2$"

# 1. SeaBIOS, hybrid GPT, ext4 root; then ACPI power-off.
if boot bios_gpt "$W/gpt.raw"; then
    wait_for "$W/bios_gpt.log" "svc: zombies" 15
    if why=$(check_lines "$W/bios_gpt.log" "${EXPECT[@]}" "$DHCP" "jeos: root /dev/vda3 (ext4)"); then
        echo "PASS bios_gpt_ext4 (ready after ${READY_S}s)"
    else
        show "$W/bios_gpt.log"; echo "FAIL bios_gpt_ext4: $why"
    fi
    # "jeos: ready" only once the service is: after its failed first run, when it listens; the
    # failing run's last line comes before init reports its end
    order=$(tr -d '\r' <"$W/bios_gpt.log" | awk '
        /^svc: first run, failing/ {a = NR} /^jeos: service svc exited with status 3/ {b = NR}
        /^jeos: service svc ready: listening on tcp 0.0.0.0:8080 \(pid [0-9]+, user svc\)/ {c = NR}
        /^jeos: ready$/ {d = NR} END {print (a && a < b && b < c && c < d) ? "ok" : a " " b " " c " " d}')
    if [ "$order" = ok ]; then
        echo "PASS ready_when_listening (ready after the crashed first run, at the service's listening socket)"
    else
        show "$W/bios_gpt.log"; echo "FAIL ready_when_listening: line numbers (failing, exit, ready, jeos: ready): $order"
    fi
    monitor bios_gpt system_powerdown
    for i in $(seq 1 300); do kill -0 $QPID 2>/dev/null || break; sleep 0.1; done
    if kill -0 $QPID 2>/dev/null; then
        stop_qemu; show "$W/bios_gpt.log"; echo "FAIL acpi_poweroff: QEMU still running 30 s after system_powerdown"
    else
        wait $QPID; rc=$?
        if [ $rc -eq 0 ] && why=$(check_lines "$W/bios_gpt.log" "jeos: power button pressed" \
                "svc: got SIGTERM" "jeos: filesystems unmounted cleanly" "jeos: powering off"); then
            echo "PASS acpi_poweroff"
        else
            show "$W/bios_gpt.log"; echo "FAIL acpi_poweroff: qemu exit $rc; ${why:-}"
        fi
    fi
else
    stop_qemu; show "$W/bios_gpt.log"; echo "FAIL bios_gpt_ext4: no \"jeos: ready\" within ${BOOT_TIMEOUT}s"
    echo "SKIP ready_when_listening: the boot failed"
    echo "SKIP acpi_poweroff: the boot before it failed"
fi

# 2. OVMF, the same disk (a copy: the first boot wrote to it).
if [ -r "$OVMF_CODE" ]; then
    cp "$OVMF_VARS" "$W/vars.fd"
    if boot uefi_gpt "$W/gpt.raw" -drive "if=pflash,format=raw,readonly=on,file=$OVMF_CODE" \
            -drive "if=pflash,format=raw,file=$W/vars.fd"; then
        wait_for "$W/uefi_gpt.log" "svc: zombies" 15
        if why=$(check_lines "$W/uefi_gpt.log" "${EXPECT[@]}" "$DHCP" "jeos: root /dev/vda3 (ext4)"); then
            echo "PASS uefi_gpt_ext4 (ready after ${READY_S}s)"
        else
            show "$W/uefi_gpt.log"; echo "FAIL uefi_gpt_ext4: $why"
        fi
    else
        show "$W/uefi_gpt.log"; echo "FAIL uefi_gpt_ext4: no \"jeos: ready\" within ${BOOT_TIMEOUT}s"
    fi
    stop_qemu
else
    echo "SKIP uefi_gpt_ext4: OVMF not installed (package ovmf)"
fi

# 3. SeaBIOS, MBR-only table, squashfs root with an ext4 data partition as the overlay, a
#    static address, and the host reaching the service on it through a port forward.
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
NIC="user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:$PORT-:8080"
if boot bios_mbr "$W/mbr.raw"; then
    wait_for "$W/bios_mbr.log" "svc: zombies" 15
    if why=$(check_lines "$W/bios_mbr.log" "${EXPECT[@]}" "$STATIC" \
            "jeos: root /dev/vda2 (squashfs, overlay on /dev/vda3)" \
            "jeos: service svc starts after gate" "svc: gate done" \
            "svc: first start, gate-done=1"); then
        echo "PASS bios_mbr_squashfs_data (ready after ${READY_S}s; svc started after the oneshot gate had finished)"
    else
        show "$W/bios_mbr.log"; echo "FAIL bios_mbr_squashfs_data: $why"
    fi
    # The static address works end to end: the host reaches the service through a port forward.
    got=$(python3 -c 'import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=10).read().decode().strip())' "$PORT" 2>&1)
    [ "$got" = jeos-svc-ok ] && echo "PASS static_net_http (port $PORT answered)" \
        || echo "FAIL static_net_http: got \"$got\""
    # Ctrl-Alt-Del reaches init as SIGINT: the same clean stop, then a reboot (QEMU runs with
    # -no-reboot, so it exits).
    monitor bios_mbr "sendkey ctrl-alt-delete"
    for i in $(seq 1 300); do kill -0 $QPID 2>/dev/null || break; sleep 0.1; done
    if ! kill -0 $QPID 2>/dev/null && why=$(check_lines "$W/bios_mbr.log" "svc: got SIGTERM" \
            "jeos: filesystems unmounted cleanly" "jeos: rebooting"); then
        echo "PASS ctrl_alt_del_reboot"
    else
        show "$W/bios_mbr.log"; echo "FAIL ctrl_alt_del_reboot: ${why:-QEMU still running}"
    fi
else
    show "$W/bios_mbr.log"; echo "FAIL bios_mbr_squashfs_data: no \"jeos: ready\" within ${BOOT_TIMEOUT}s"
    echo "SKIP static_net_http: the boot before it failed"
    echo "SKIP ctrl_alt_del_reboot: the boot before it failed"
fi
stop_qemu

NIC=user,model=virtio-net-pci

# 5. jeos run: the GPT disk with a port forward; SIGTERM to jeos run powers the guest off
#    cleanly and jeos run exits 0 with it.
JEOS_BIN=${JEOS:-$OUT/jeos}
if [ -x "$JEOS_BIN" ]; then
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$JEOS_BIN" run --accel tcg --port "$PORT:8080" "$W/gpt.raw" >"$W/run.log" 2>&1 </dev/null &
    RPID=$!
    wait_for "$W/run.log" "svc: zombies" "$BOOT_TIMEOUT"
    got=$(python3 -c 'import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=10).read().decode().strip())' "$PORT" 2>&1)
    kill -TERM $RPID
    for i in $(seq 1 300); do kill -0 $RPID 2>/dev/null || break; sleep 0.1; done
    if kill -0 $RPID 2>/dev/null; then
        kill -TERM $RPID; sleep 1; kill -KILL $RPID 2>/dev/null
        show "$W/run.log"; echo "FAIL jeos_run: still running 30 s after SIGTERM"
    else
        wait $RPID; rc=$?
        if [ $rc -eq 0 ] && [ "$got" = jeos-svc-ok ] && why=$(check_lines "$W/run.log" \
                "jeos run: asking the guest to power off" "jeos: power button pressed" \
                "jeos: filesystems unmounted cleanly"); then
            echo "PASS jeos_run (HTTP through --port, clean power-off on SIGTERM)"
        else
            show "$W/run.log"; echo "FAIL jeos_run: exit $rc, HTTP \"$got\" ${why:-}"
        fi
    fi
else
    echo "SKIP jeos_run: no jeos binary"
fi

# 4. The ESXi path: the GPT disk as a streamOptimized VMDK on VMware's paravirtual SCSI
#    (vmw_pvscsi + sd_mod from the initramfs) with a vmxnet3 NIC, under SeaBIOS.
if "$KIT" convert "$W/gpt.raw" vmdk "$W" gpt >"$W/vmdk.txt" 2>&1; then
    # -snapshot: QEMU cannot write into a streamOptimized VMDK (ESXi imports it first).
    if boot vmdk_pvscsi - -snapshot -drive "file=$W/gpt.vmdk,format=vmdk,if=none,id=d0" \
            -device pvscsi,id=scsi0 -device scsi-hd,drive=d0,bus=scsi0.0,bootindex=0 \
            -nic user,model=vmxnet3; then
        wait_for "$W/vmdk_pvscsi.log" "svc: zombies" 15
        if why=$(check_lines "$W/vmdk_pvscsi.log" "${EXPECT[@]}" "$DHCP" "jeos: root /dev/sda3 (ext4)"); then
            echo "PASS vmdk_pvscsi_vmxnet3 (ready after ${READY_S}s)"
        else
            show "$W/vmdk_pvscsi.log"; echo "FAIL vmdk_pvscsi_vmxnet3: $why"
        fi
    else
        show "$W/vmdk_pvscsi.log"; echo "FAIL vmdk_pvscsi_vmxnet3: no \"jeos: ready\" within ${BOOT_TIMEOUT}s"
    fi
    stop_qemu
else
    cat "$W/vmdk.txt"; echo "FAIL vmdk_pvscsi_vmxnet3: conversion"
fi

# 6. NoCloud: init.conf says "cloud nocloud" and "cloud-ssh-user svc" (image.cloud_init,
#    image.cloud_ssh_user); a FAT seed labelled CIDATA (as cloud-localds -f vfat makes it) on a
#    second virtio disk names the host and gives svc a key. Without the seed the boot goes on
#    after init's 3 s look, with the recipe's host name.
KEY="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJeosNoCloudTestKeyOnly0123456789abcdefgh test@jeos"
if command -v mkfs.vfat >/dev/null && command -v mcopy >/dev/null; then
    printf 'instance-id: iid-jeos-1\nlocal-hostname: seeded-host\n' >"$W/meta-data"
    printf '#cloud-config\nssh_authorized_keys:\n  - %s\n' "$KEY" >"$W/user-data"
    rm -f "$W/seed.img"
    mkfs.vfat -C -n CIDATA "$W/seed.img" 128 >/dev/null &&
        MTOOLS_SKIP_CHECK=1 mcopy -i "$W/seed.img" "$W/meta-data" "$W/user-data" :: ||
        echo "FAIL nocloud_seed: cannot make the seed"
    if boot nocloud "$W/cloud.raw" -snapshot -drive "file=$W/seed.img,format=raw,if=virtio,readonly=on"; then
        wait_for "$W/nocloud.log" "svc: zombies" 15
        if why=$(check_lines "$W/nocloud.log" "jeos: cloud: NoCloud seed /dev/vdb: hostname seeded-host" \
                "jeos: cloud: 1 ssh key for svc in /home/svc/.ssh/authorized_keys" \
                "svc: hello uid=1000 gid=1000 host=seeded-host " "svc: key mode=600 uid=1000 $KEY"); then
            echo "PASS nocloud_seed (the seed's host name and svc's key; ready after ${READY_S}s)"
        else
            show "$W/nocloud.log"; echo "FAIL nocloud_seed: $why"
        fi
    else
        show "$W/nocloud.log"; echo "FAIL nocloud_seed: no \"jeos: ready\" within ${BOOT_TIMEOUT}s"
    fi
    stop_qemu
    if boot nocloud_none "$W/cloud.raw" -snapshot; then
        wait_for "$W/nocloud_none.log" "svc: zombies" 15
        if why=$(check_lines "$W/nocloud_none.log" \
                "jeos: cloud: no NoCloud seed (no disk labelled CIDATA within 3 s); hostname jeos-test" \
                "svc: hello uid=1000 gid=1000 host=jeos-test ") &&
            ! grep -q "svc: key" "$W/nocloud_none.log"; then
            echo "PASS nocloud_no_seed (the recipe's host name, no key; ready after ${READY_S}s)"
        else
            show "$W/nocloud_none.log"; echo "FAIL nocloud_no_seed: ${why:-a key without a seed}"
        fi
    else
        show "$W/nocloud_none.log"; echo "FAIL nocloud_no_seed: no \"jeos: ready\" within ${BOOT_TIMEOUT}s"
    fi
    stop_qemu
else
    echo "SKIP nocloud_seed: mkfs.vfat or mcopy not installed (make deps: dosfstools, mtools)"
    echo "SKIP nocloud_no_seed: mkfs.vfat or mcopy not installed"
fi
exit 0
