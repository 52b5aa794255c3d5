#!/usr/bin/env python3
"""tests/unikernel/net_peer.py — the host side of the network tests, run in the test's network
namespace: ICMP echo to the guest (the first one retried while ARP resolves), a burst of UDP
datagrams of every size up to a full frame that must all come back intact, then "quit".

usage: net_peer.py GUEST-IP [UDP-COUNT]
prints "peer: icmp N/N udp N/N quit bye" and exits 0, or says what went wrong and exits 1.
With --flood SECONDS it instead keeps WINDOW datagrams in flight for that long and prints
"peer: flood N echoes in S s = R frames/s" (benchmarks).
"""
import os
import socket
import struct
import sys
import time


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ping(ip, seq, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(timeout)
    ident = os.getpid() & 0xFFFF
    payload = b"jeos-ping-%04d" % seq + bytes(range(40))
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    pkt = struct.pack("!BBHHH", 8, 0, csum(hdr + payload), ident, seq) + payload
    s.sendto(pkt, (ip, 0))
    end = time.time() + timeout
    while time.time() < end:
        try:
            data, addr = s.recvfrom(4096)
        except socket.timeout:
            break
        ihl = (data[0] & 15) * 4
        icmp = data[ihl:]
        if addr[0] == ip and icmp[0] == 0 and struct.unpack("!HH", icmp[4:8]) == (ident, seq):
            ok = icmp[8:] == payload and csum(icmp) == 0
            s.close()
            return ok
    s.close()
    return False


def udp_burst(ip, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.settimeout(10)
    sizes = [1 + (i * 1471) // max(count - 1, 1) for i in range(count)]
    want = {}
    for i, n in enumerate(sizes):
        p = (b"%05d:" % i + bytes((i * 7 + k) & 255 for k in range(n)))[:max(n, 6)]
        want[p] = i
        s.sendto(p, (ip, 7777))
    got = 0
    try:
        while want:
            data, _ = s.recvfrom(2048)
            if data in want:
                del want[data]
                got += 1
    except socket.timeout:
        pass
    s.sendto(b"quit", (ip, 7777))
    bye = False
    try:
        bye = s.recvfrom(64)[0] == b"bye!"
    except socket.timeout:
        pass
    return got, bye


def flood(ip, seconds, window=32):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    s.settimeout(2)
    payload = b"x" * 64
    for _ in range(window):
        s.sendto(payload, (ip, 7777))
    n, t0 = 0, time.time()
    try:
        while time.time() - t0 < seconds:
            s.recvfrom(2048)
            n += 1
            s.sendto(payload, (ip, 7777))
    except socket.timeout:
        pass
    t = time.time() - t0
    s.sendto(b"quit", (ip, 7777))
    print(f"peer: flood {n} echoes in {t:.2f} s = {n / t:.0f} frames/s")
    return 0 if n else 1


def main():
    ip = sys.argv[1]
    if len(sys.argv) > 3 and sys.argv[2] == "--flood":
        if not ping_until(ip, 20):
            print("peer: no ICMP echo reply within 20 s")
            return 1
        return flood(ip, float(sys.argv[3]))
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 32
    if not ping_until(ip, 20):
        print("peer: no ICMP echo reply within 20 s")
        return 1
    pings = 1 + sum(ping(ip, seq, 5) for seq in range(1, 4))
    got, bye = udp_burst(ip, count)
    print(f"peer: icmp {pings}/4 udp {got}/{count} quit {'bye' if bye else 'unanswered'}")
    return 0 if pings == 4 and got == count and bye else 1


def ping_until(ip, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if ping(ip, 0, 1):
            return True
    return False


sys.exit(main())
