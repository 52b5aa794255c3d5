#!/usr/bin/env python3
"""tests/unikernel/net_services.py — the host side of tests/unikernel/netstack_test.sh, run in its
network namespace:

  dns ADDR NAME=IP...          a DNS server on ADDR:53 (UDP): A records for the names given,
                               NXDOMAIN for other names, no records for other types
  reset ADDR PORT BYTES        a TCP server that sends BYTES bytes to each client, then resets
                               the connection (SO_LINGER 0)
  synflood SRC_NET DST PORT N  N SYNs to DST:PORT from spoofed addresses SRC_NET.50-.249 that
                               nobody answers for (raw socket): half-open connections
  idle DST PORT N SECONDS      N connections that send nothing, held SECONDS
  rstclient DST PORT PATH N    GET PATH, read N bytes of the answer, reset the connection
Each prints one line saying what it did and exits 0 when it did it.
"""
import random
import socket
import struct
import sys
import time


def dns(addr, records):
    table = {}
    for r in records:
        name, _, ip = r.partition("=")
        table[name.lower().rstrip(".")] = socket.inet_aton(ip)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    print("dns: serving %d names on %s:53" % (len(table), addr), flush=True)
    while True:
        q, peer = s.recvfrom(512)
        if len(q) < 17:
            continue
        ident, flags, qd = struct.unpack("!HHH", q[:6])
        i, labels = 12, []
        while i < len(q) and q[i]:
            labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
            i += 1 + q[i]
        qtype, _ = struct.unpack("!HH", q[i + 1:i + 5])
        question = q[12:i + 5]
        name = ".".join(labels).lower()
        ip = table.get(name)
        rcode = 0 if ip else 3
        answers = b""
        if ip and qtype == 1:
            answers = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + ip
        head = struct.pack("!HHHHHH", ident, 0x8180 | rcode, 1, 1 if answers else 0, 0, 0)
        s.sendto(head + question + answers, peer)


def reset(addr, port, nbytes):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(8)
    print("reset: listening on %s:%d" % (addr, port), flush=True)
    while True:
        c, _ = s.accept()
        c.sendall(bytes(range(256)) * (nbytes // 256))
        time.sleep(0.2)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def synflood(src_net, dst, port, n):
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    base = src_net.rsplit(".", 1)[0]
    dst_b = socket.inet_aton(dst)
    for k in range(n):
        src = "%s.%d" % (base, 50 + k % 200)
        src_b = socket.inet_aton(src)
        sport = random.randint(1024, 65535)
        tcp = struct.pack("!HHIIBBHHH", sport, port, random.getrandbits(32), 0, 5 << 4, 0x02,
                          64240, 0, 0)
        pseudo = src_b + dst_b + struct.pack("!BBH", 0, 6, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), k & 0xFFFF, 0, 64, 6, 0, src_b,
                         dst_b)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        raw.sendto(ip + tcp, (dst, 0))
    print("synflood: %d SYNs to %s:%d" % (n, dst, port), flush=True)


def idle(dst, port, n, seconds):
    conns = []
    for _ in range(n):
        c = socket.create_connection((dst, port), timeout=10)
        conns.append(c)
    print("idle: %d connections open" % len(conns), flush=True)
    time.sleep(seconds)
    for c in conns:
        c.close()


def rstclient(dst, port, path, n):
    c = socket.create_connection((dst, port), timeout=20)
    c.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, dst)).encode())
    got = 0
    while got < n:
        chunk = c.recv(65536)
        if not chunk:
            break
        got += len(chunk)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    print("rstclient: read %d bytes, then reset" % got, flush=True)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "dns":
        dns(args[0], args[1:])
    elif cmd == "reset":
        reset(args[0], int(args[1]), int(args[2]))
    elif cmd == "synflood":
        synflood(args[0], args[1], int(args[2]), int(args[3]))
    elif cmd == "idle":
        idle(args[0], int(args[1]), int(args[2]), float(args[3]))
    elif cmd == "rstclient":
        rstclient(args[0], int(args[1]), args[2], int(args[3]))
    else:
        sys.exit("usage: see the docstring")


if __name__ == "__main__":
    main()
