#!/usr/bin/env python3
"""tests/unikernel/blk_check.py — the host side of the blk guest's layout (guests/blk.c).

  blk_check.py make IMAGE SIZE        writes IMAGE: SIZE bytes of the host pattern
  blk_check.py check IMAGE MODE       checks IMAGE after the guest ran; MODE is
      rw          the guest's writes present, the discarded range zero, the rest the host's
      rw-keep     the same, but the discarded range kept the host pattern (the device ignored it)
      ro          nothing changed
      rw-one      only the first sector of the scattered writes written (the flush test)
      quick       8 scattered writes and the last sector (the guest's quick mode), no discard
Prints one line saying what differs (the first wrong byte of each region), exits 1 then.
"""
import sys

SCATTER_AT, SCATTER_N, SCATTER_STEP = 2048, 64, 24
BIG_AT, BIG_SECTORS = 8192, 2048
DISCARD_AT, DISCARD_COUNT = 16384, 128

# byte o of the host pattern is (o*7 + (o>>9)*13 + 0x5a) & 0xff: in sector s, byte i is
# (7i + 13s + 0x5a) & 0xff (512 * 7 is a multiple of 256); the guest's (o*31 + (o>>12)) ^ 0xa5
# is (31i + (s>>3)) ^ 0xa5 in the same way.
HOST = [bytes((7 * i + k) & 0xff for i in range(512)) for k in range(256)]
GUEST = [bytes(((31 * i + k) & 0xff) ^ 0xa5 for i in range(512)) for k in range(256)]


def host_sector(s):
    return HOST[(13 * s + 0x5a) & 0xff]


def guest_sector(s):
    return GUEST[(s >> 3) & 0xff]


def make(path, size):
    with open(path, "wb") as f:
        f.write(b"".join(host_sector(s) for s in range(size // 512)))


def check(path, mode):
    data = open(path, "rb").read()
    n = len(data) // 512
    expect = {}  # sector -> what it must hold (else the host pattern)
    if mode == "rw-one":
        expect[SCATTER_AT] = guest_sector(SCATTER_AT)
    elif mode != "ro":
        for i in range(8 if mode == "quick" else SCATTER_N):
            for s in range(SCATTER_AT + i * SCATTER_STEP, SCATTER_AT + i * SCATTER_STEP + 8):
                expect[s] = guest_sector(s)
        for s in range(BIG_AT, BIG_AT + BIG_SECTORS) if mode != "quick" else ():
            expect[s] = guest_sector(s)
        expect[n - 1] = guest_sector(n - 1)
        for s in range(DISCARD_AT, DISCARD_AT + DISCARD_COUNT):
            expect[s] = bytes(512) if mode == "rw" else host_sector(s)
    bad = []
    for s in range(n):
        want = expect.get(s, host_sector(s))
        got = data[s * 512:(s + 1) * 512]
        if got != want:
            i = next(k for k in range(512) if got[k] != want[k])
            kind = "zero" if want == bytes(512) else "guest" if want == guest_sector(s) else "host"
            bad.append(f"sector {s} byte {i}: 0x{got[i]:02x}, expected 0x{want[i]:02x} ({kind} pattern)")
            if len(bad) >= 3:
                break
    if bad:
        print("image differs: " + "; ".join(bad))
        return 1
    print(f"image ok: {n} sectors, mode {mode}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "make":
        make(sys.argv[2], int(sys.argv[3]))
        sys.exit(0)
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], sys.argv[3]))
    sys.exit(__doc__)
