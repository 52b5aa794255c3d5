# testrepo.sh — sourced by build tests: a small signed Debian repository made here, served over
# HTTP by the test's own server, and an appliance recipe on it, so a whole `jeos build` runs with
# no mirror. The kernel package is a stand-in (a bzImage-sized file and an empty module tree):
# the build writes every stage of a real one; nothing here boots.
#
#   testrepo_make DIR      the repository in DIR/repo (packages jt-app, jt-lib, linux-image-jt, dash),
#                          a throw-away key (DIR/keyring.gpg), DIR/r/jt.yaml; sets TR_DIR
#   testrepo_serve MODE    serves DIR/repo on 127.0.0.1 (TR_PID; testrepo_stop ends it), on TR_PORT
#                          (chosen by the first call, kept after: lock files name the URL).
#                          MODE: ok; drop (every .deb download closes after half its bytes);
#                          drop-once (the first download of each .deb does)
#   testrepo_recipe FILE   writes the recipe for the running server into FILE
#   testrepo_evil_deb OUT  a valid jt-app .deb with one file more (/etc/evil)

testrepo_mkdeb() { # name version dir-with-files [control lines...]
    local name=$1 ver=$2 src=$3; shift 3
    mkdir -p "$src/DEBIAN"
    {
        echo "Package: $name"
        echo "Version: $ver"
        echo "Architecture: amd64"
        echo "Maintainer: jeos tests <tests@jeos.invalid>"
        for l in "$@"; do echo "$l"; done
        echo "Description: jeos test package $name"
    } >"$src/DEBIAN/control"
    dpkg-deb --root-owner-group -Zxz --build "$src" "$TR_DIR/repo/pool/main/${name}_${ver}_amd64.deb" >/dev/null
}

testrepo_make() {
    TR_DIR=$1
    local b=$TR_DIR/src
    mkdir -p "$TR_DIR/repo/pool/main" "$TR_DIR/repo/dists/test/main/binary-amd64" "$TR_DIR/r" \
        "$b/app/usr/bin" "$b/app/usr/share/jt" "$b/lib/usr/lib/jt" "$b/kern/boot" \
        "$b/kern/usr/lib/modules/6.1.0-jt/kernel/drivers"
    printf '#!/bin/sh\necho jt-app\n' >"$b/app/usr/bin/jt-app"
    chmod 755 "$b/app/usr/bin/jt-app"
    # /bin/sh for jt-app's #! line: the closure check adds the package named dash for it, as it
    # would Debian's (a stand-in: nothing here runs)
    mkdir -p "$b/sh/bin"
    printf 'jt stand-in for a shell\n' >"$b/sh/bin/dash"
    chmod 755 "$b/sh/bin/dash"
    ln -s dash "$b/sh/bin/sh"
    # data that does not compress: every stage has real work to do (a few MB)
    head -c 3145728 /dev/urandom >"$b/app/usr/share/jt/blob"
    head -c 1048576 /dev/urandom >"$b/lib/usr/lib/jt/libjt.so"
    head -c 4194304 /dev/urandom >"$b/kern/boot/vmlinuz-6.1.0-jt"
    : >"$b/kern/usr/lib/modules/6.1.0-jt/modules.builtin"
    testrepo_mkdeb jt-lib 1.0 "$b/lib"
    testrepo_mkdeb jt-app 1.0 "$b/app" "Depends: jt-lib"
    testrepo_mkdeb linux-image-jt 6.1 "$b/kern"
    testrepo_mkdeb dash 0.5 "$b/sh"
    local pk=$TR_DIR/repo/dists/test/main/binary-amd64/Packages
    (cd "$TR_DIR/repo" && dpkg-scanpackages -m pool 2>/dev/null) >"$pk"
    xz -k "$pk"
    {
        echo "Origin: jeos-test"
        echo "Suite: test"
        echo "Codename: test"
        echo "Architectures: amd64"
        echo "Components: main"
        echo "SHA256:"
        for f in main/binary-amd64/Packages main/binary-amd64/Packages.xz; do
            printf ' %s %s %s\n' "$(sha256sum <"$TR_DIR/repo/dists/test/$f" | cut -d' ' -f1)" \
                "$(stat -c %s "$TR_DIR/repo/dists/test/$f")" "$f"
        done
    } >"$TR_DIR/repo/dists/test/Release"
    export GNUPGHOME=$TR_DIR/gnupg
    mkdir -p -m 700 "$GNUPGHOME"
    gpg --batch --quiet --passphrase '' --quick-gen-key "jeos test <t@jeos.invalid>" ed25519 sign never 2>/dev/null
    gpg --batch --quiet --export >"$TR_DIR/keyring.gpg"
    gpg --batch --quiet --clearsign -o "$TR_DIR/repo/dists/test/InRelease" "$TR_DIR/repo/dists/test/Release"
}

testrepo_evil_deb() {
    local b=$TR_DIR/src/evil deb=$TR_DIR/repo/pool/main/jt-app_1.0_amd64.deb
    rm -rf "$b"
    cp -a "$TR_DIR/src/app" "$b"
    rm -rf "$b/DEBIAN"
    mkdir -p "$b/etc"
    echo "planted" >"$b/etc/evil"
    cp "$deb" "$TR_DIR/app.deb.orig"
    testrepo_mkdeb jt-app 1.0 "$b" "Depends: jt-lib"
    mv "$deb" "$1"
    mv "$TR_DIR/app.deb.orig" "$deb" # the repository's own, the one its index names
}

testrepo_serve() {
    local mode=${1:-ok}
    rm -f "$TR_DIR/port"
    python3 - "$TR_DIR/repo" "$mode" "$TR_DIR/port" "${TR_PORT:-0}" <<'PY' >"$TR_DIR/server.log" 2>&1 &
import http.server, os, socketserver, sys
root, mode, portfile, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
seen = set()
class H(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **k):
        super().__init__(*a, directory=root, **k)
    def log_message(self, *a):
        sys.stderr.write("%s\n" % self.path)
    def do_GET(self):
        path = os.path.join(root, self.path.lstrip("/"))
        drop = self.path.endswith(".deb") and (mode == "drop" or (mode == "drop-once" and self.path not in seen))
        seen.add(self.path)
        if not drop or not os.path.isfile(path):
            return super().do_GET()
        data = open(path, "rb").read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        self.connection.shutdown(2)  # the connection ends mid-body
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
s = S(("127.0.0.1", port), H)
open(portfile + ".tmp", "w").write(str(s.server_address[1]))
os.rename(portfile + ".tmp", portfile)
s.serve_forever()
PY
    TR_PID=$!
    for _ in $(seq 1 100); do [ -s "$TR_DIR/port" ] && break; sleep 0.05; done
    TR_PORT=$(cat "$TR_DIR/port" 2>/dev/null)
}

testrepo_stop() {
    [ -n "${TR_PID:-}" ] && kill "$TR_PID" 2>/dev/null && wait "$TR_PID" 2>/dev/null
    TR_PID=
}

testrepo_recipe() {
    cat >"$1" <<EOT
name: jt
kind: appliance
debian: {mirror: "http://127.0.0.1:$TR_PORT", suite: test, keyring: $TR_DIR/keyring.gpg}
packages: [jt-app]
kernel: linux-image-jt
service: {exec: [/usr/bin/jt-app]}
image: {formats: [raw, qcow2, vmdk, vhd, ova, gce, openstack]}
EOT
}
