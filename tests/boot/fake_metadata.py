#!/usr/bin/env python3
"""fake_metadata.py MODE TOKEN LOG HOSTNAME KEYFILE — one HTTP exchange on stdin/stdout (QEMU's user
network runs it for each connection the guest makes to 169.254.169.254:80, guestfwd=...-cmd:),
as EC2's IMDSv2 (MODE ec2) or GCE's metadata server (MODE gce) answer; each request is appended to
LOG with what was wrong with it, so the test can tell the token dance or the flavor header was
skipped. EC2: PUT /latest/api/token needs X-aws-ec2-metadata-token-ttl-seconds and gives TOKEN;
every GET without X-aws-ec2-metadata-token: TOKEN is 401. GCE: every request without
Metadata-Flavor: Google is 403; answers carry it."""
import sys

mode, token, log, hostname, keyfile = sys.argv[1:6]
key = open(keyfile).read().strip()
rd, wr = sys.stdin.buffer, sys.stdout.buffer
line = rd.readline().decode("latin-1").strip()
headers = {}
while True:
    h = rd.readline().decode("latin-1")
    if h in ("\r\n", "\n", ""):
        break
    k, _, v = h.partition(":")
    headers[k.strip().lower()] = v.strip()
if "content-length" in headers:
    rd.read(int(headers["content-length"]))
method, path = (line.split(" ") + ["", ""])[:2]
status, body, note = 404, "not found", ""
if mode == "ec2":
    if method == "PUT" and path == "/latest/api/token":
        if "x-aws-ec2-metadata-token-ttl-seconds" in headers:
            status, body = 200, token
        else:
            status, body, note = 400, "missing ttl", "no ttl header"
    elif headers.get("x-aws-ec2-metadata-token") != token:
        status, body, note = 401, "unauthorized", "no token"
    elif method != "GET":
        status, body = 405, "method"
    elif path == "/latest/meta-data/local-hostname":
        status, body = 200, hostname + ".ec2.internal"
    elif path == "/latest/meta-data/public-keys/":
        status, body = 200, "0=test-key"
    elif path == "/latest/meta-data/public-keys/0/openssh-key":
        status, body = 200, key + "\n"
else:
    if headers.get("metadata-flavor") != "Google":
        status, body, note = 403, "missing flavor", "no flavor header"
    elif path == "/computeMetadata/v1/instance/hostname":
        status, body = 200, hostname + ".c.jeos-test.internal"
    elif path == "/computeMetadata/v1/instance/attributes/ssh-keys":
        status, body = 200, "svc:%s\nother:%s\n" % (key, key)
with open(log, "a") as f:
    f.write("%s %s %d %s\n" % (method, path, status, note))
b = body.encode()
head = "HTTP/1.0 %d X\r\nContent-Length: %d\r\n" % (status, len(b))
if mode == "gce":
    head += "Metadata-Flavor: Google\r\n"
wr.write(head.encode() + b"\r\n" + b)
wr.flush()
