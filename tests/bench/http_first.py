#!/usr/bin/env python3
"""tests/bench/http_first.py — seconds from now until http://127.0.0.1:PORT/PATH first answers.

usage: http_first.py PORT PID [PATH [START]]   (prints the seconds, or NaN when PID ends or 300 s
pass); START: the wall-clock time (date +%s.%N) to count from instead of now, e.g. when QEMU
was started, so Python's own start-up is not left out.

A new request starts every 0.1 s, each in its own thread: while the guest has no network, QEMU's
user network accepts the host side of a forwarded connection and holds it, so one request at a
time would measure in steps of its own timeout, not when the guest answered.
"""
import os
import sys
import threading
import time
import urllib.request

port, pid = sys.argv[1], int(sys.argv[2])
path = sys.argv[3] if len(sys.argv) > 3 else "/"
t0 = time.monotonic()
if len(sys.argv) > 4:
    t0 -= max(0.0, time.time() - float(sys.argv[4]))
done = threading.Event()
first = []


def attempt():
    try:
        urllib.request.urlopen("http://127.0.0.1:%s%s" % (port, path), timeout=10).read()
    except Exception:
        return
    first.append(time.monotonic() - t0)
    done.set()


while time.monotonic() - t0 < 300 and not done.is_set():
    try:
        os.kill(pid, 0)
    except OSError:
        break
    threading.Thread(target=attempt, daemon=True).start()
    done.wait(0.1)
print("%.2f" % min(first) if first else "NaN")
sys.stdout.flush()
os._exit(0)
