#!/usr/bin/env python3
"""tests/unikernel/http_clients.py — many keep-alive HTTP/1.1 clients at once against a server.

usage: http_clients.py HOST PORT PATH EXPECTED_FILE CONNECTIONS REQUESTS

Opens CONNECTIONS connections, one after the other, each with its first request answered (QEMU's
user network accepts forwarded connections through a listen backlog of one: connections opened
all at once overflow the host's accept queue, outside the guest); then, all of them open, every
connection sends its other REQUESTS-1 GETs of PATH at the same time, one after the other on the
same connection. Every answer is checked: status 200, keep-alive, the body equal to EXPECTED_FILE.
Prints "clients: C connections R requests each: ok" or the first problem of each failing
connection, and exits 0 only when all went well.
"""
import socket
import sys
import threading


def read_response(sock, buf):
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed before the response head")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "-1"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed inside the body")
        rest += chunk
    return status, headers, rest[:length], rest[length:]


def client(host, port, path, want, requests, results, i, opened, start):
    try:
        sock = socket.create_connection((host, port), timeout=60)
        buf = b""
        for k in range(requests):
            if k == 1:
                opened.set()
                start.wait()
            req = "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (path, host)
            sock.sendall(req.encode())
            try:
                status, headers, body, buf = read_response(sock, buf)
            except Exception as e:
                raise RuntimeError("request %d: %s (%d bytes so far)" % (k, e, len(buf)))
            if not status.startswith("HTTP/1.1 200"):
                raise RuntimeError("request %d: %s" % (k, status))
            if headers.get("connection", "").lower() != "keep-alive":
                raise RuntimeError("request %d: Connection: %s" % (k, headers.get("connection")))
            if body != want:
                raise RuntimeError("request %d: body of %d bytes differs" % (k, len(body)))
        sock.close()
        results[i] = None
    except Exception as e:  # any failure is this connection's result
        results[i] = str(e)


def main():
    host, port, path, expected = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    conns, requests = int(sys.argv[5]), int(sys.argv[6])
    with open(expected, "rb") as f:
        want = f.read()
    results = [False] * conns
    start = threading.Event()
    threads = []
    for i in range(conns):
        opened = threading.Event()
        t = threading.Thread(target=client,
                             args=(host, port, path, want, requests, results, i, opened, start))
        t.start()
        threads.append(t)
        while not opened.wait(0.05) and t.is_alive():
            pass
    start.set()
    for t in threads:
        t.join()
    bad = [(i, r) for i, r in enumerate(results) if r is not None]
    if bad:
        for i, r in bad[:5]:
            print("clients: connection %d: %s" % (i, r))
        print("clients: %d of %d connections failed" % (len(bad), conns))
        sys.exit(1)
    print("clients: %d connections %d requests each: ok" % (conns, requests))


if __name__ == "__main__":
    main()
