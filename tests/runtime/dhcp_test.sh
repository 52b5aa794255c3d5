#!/bin/bash
# dhcp_test.sh — runtime/init's DHCPv4 client against a small fake server, over a veth pair in a
# private network namespace: DISCOVER/OFFER/REQUEST/ACK, the address and route applied, a renewal
# (REQUEST from the held address, no server-id/requested-address options) ACKed, one NAKed.
set -u
: "${JEOS_SRC:?}" "${T_TMP:?}"
cd "$JEOS_SRC"
W=$T_TMP
for t in unshare ip python3 cc; do
    command -v $t >/dev/null || { echo "SKIP dhcp_exchange: $t not installed"; echo "SKIP dhcp_renew: $t not installed"; exit 0; }
done
if [ "$(id -u)" != 0 ] || ! unshare -n true 2>/dev/null; then
    echo "SKIP dhcp_exchange: needs root for a network namespace"; echo "SKIP dhcp_renew: needs root"; exit 0
fi
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I. -o "$W/dhcpc" tests/runtime/dhcp_client.c \
    runtime/init/net.c || { echo "FAIL dhcp_exchange: cannot build the client"; exit 1; }

cat >"$W/server.py" <<'PY'
import socket, struct, sys
log = open(sys.argv[1], "w", buffering=1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s.setsockopt(socket.SOL_SOCKET, 25, b"v0")  # SO_BINDTODEVICE
s.bind(("0.0.0.0", 67))
print("ready", flush=True)
requests = 0
ip = socket.inet_aton
while True:
    data, _ = s.recvfrom(2048)
    xid, flags, ciaddr = struct.unpack("!I2xH4s", data[4:16])
    chaddr = data[28:44]
    opts, o, i = data[240:], {}, 0
    while i < len(opts) and opts[i] != 255:
        if opts[i] == 0:
            i += 1
            continue
        o[opts[i]] = opts[i + 2:i + 2 + opts[i + 1]]
        i += 2 + opts[i + 1]
    t = o.get(53, b"\0")[0]
    log.write("type=%d ciaddr=%s opt50=%d opt54=%d\n" % (t, socket.inet_ntoa(ciaddr), 50 in o, 54 in o))
    if t == 1:
        reply, secs = 2, 40
    elif t == 3:
        requests += 1
        reply, secs = (6 if requests == 3 else 5), (40 if requests == 1 else 80)
    else:
        continue
    pkt = struct.pack("!BBBBIHH4s4s4s4s", 2, 1, 6, 0, xid, 0, flags, ciaddr, ip("10.9.0.50"),
                      ip("10.9.0.1"), bytes(4)) + chaddr + bytes(192) + b"\x63\x82\x53\x63"
    pkt += bytes([53, 1, reply, 54, 4]) + ip("10.9.0.1")
    if reply != 6:
        pkt += bytes([51, 4]) + struct.pack("!I", secs) + bytes([1, 4]) + ip("255.255.255.0")
        pkt += bytes([3, 4]) + ip("10.9.0.1") + bytes([6, 4]) + ip("10.9.0.53")
    s.sendto(pkt + bytes([255]), ("255.255.255.255", 68))
PY

# The server gets a namespace of its own (its end of the veth moves there), so that its
# address is a real neighbour of the client's, not a local one.
cat >"$W/server.sh" <<'SH'
W=$1
for i in $(seq 50); do ip link show v0 >/dev/null 2>&1 && break; sleep 0.1; done
ip link set lo up
ip addr add 10.9.0.1/24 dev v0
ip link set v0 up
exec python3 "$W/server.py" "$W/server.log" >"$W/server.out" 2>&1
SH
cat >"$W/run.sh" <<'SH'
W=$1
ip link set lo up
ip link add v0 type veth peer name v1
unshare -n bash "$W/server.sh" "$W" &
SERVER=$!
for i in $(seq 50); do   # until the server's unshare has happened
    [ "$(readlink /proc/$SERVER/ns/net)" != "$(readlink /proc/$$/ns/net)" ] && break; sleep 0.05
done
ip link set v0 netns $SERVER
ip link set v1 up
for i in $(seq 50); do grep -q ready "$W/server.out" 2>/dev/null && break; sleep 0.1; done
timeout 20 "$W/dhcpc" v1 >"$W/client.out" 2>&1 || echo "client exit $?" >>"$W/client.out"
ip -4 addr show dev v1 >"$W/addr.out"
ip route show default >"$W/route.out"
kill $SERVER
wait $SERVER 2>/dev/null
SH
timeout 60 unshare -n bash "$W/run.sh" "$W" 2>"$W/ns.err"

if grep -q "lease ip=10.9.0.50 mask=255.255.255.0 router=10.9.0.1 server=10.9.0.1 dns=10.9.0.53 secs=40" "$W/client.out" \
   && grep -q "apply rc=0" "$W/client.out" \
   && grep -q "inet 10.9.0.50/24 brd 10.9.0.255" "$W/addr.out" \
   && grep -q "default via 10.9.0.1 dev v1" "$W/route.out" \
   && [ "$(sed -n 1,2p "$W/server.log" | tr '\n' ' ')" = "type=1 ciaddr=0.0.0.0 opt50=0 opt54=0 type=3 ciaddr=0.0.0.0 opt50=1 opt54=1 " ]; then
    echo "PASS dhcp_exchange"
else
    cat "$W/ns.err" "$W/client.out" "$W/addr.out" "$W/route.out" "$W/server.log" 2>/dev/null
    echo "FAIL dhcp_exchange: lease, address, route or the messages sent differ"
fi
if [ "$(grep -c '^renew rc=' "$W/client.out")" = 2 ] \
   && grep -q "^renew rc=0" "$W/client.out" && grep -q "renewed ip=10.9.0.50 .* secs=80" "$W/client.out" \
   && grep -q "^renew rc=-2" "$W/client.out" \
   && [ "$(sed -n 3p "$W/server.log")" = "type=3 ciaddr=10.9.0.50 opt50=0 opt54=0" ]; then
    echo "PASS dhcp_renew"
else
    cat "$W/client.out" "$W/server.log" 2>/dev/null
    echo "FAIL dhcp_renew: renewal not ACKed/NAKed as the server answered"
fi
