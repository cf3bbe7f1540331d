#!/usr/bin/env python3
"""WireGuard helpers for the benchmarks.

  wgtool.py peers N FILE [NAMES]  writes a wg setconf fragment of N peers
                                  with random keys, each with a /32 in
                                  10.128.0.0/9 (and, with NAMES, a wg-quick
                                  file naming them p0, p1, ... for
                                  "names from")
  wgtool.py handshake SOCK KEY    the peer's latest handshake from the UAPI
                                  socket, in seconds with nanoseconds
  wgtool.py waitname PORT NAME    asks 127.0.0.1 for NAME every 2 ms until
                                  it answers; prints when, in Unix seconds
"""
import base64
import os
import socket
import sys


def cmd_peers(n, path, names=None):
    n = int(n)
    out = open(path, "w")
    nf = open(names, "w") if names else None
    if nf:
        nf.write("[Interface]\nPrivateKey = unused\n")
    for i in range(n):
        key = base64.b64encode(os.urandom(32)).decode()
        ip = "10.%d.%d.%d" % (128 + (i >> 16), (i >> 8) & 255, i & 255)
        out.write("[Peer]\nPublicKey = %s\nAllowedIPs = %s/32\n" % (key, ip))
        if nf:
            nf.write("\n[Peer]\n# Name = p%d\nPublicKey = %s\n" % (i, key))
    out.close()
    if nf:
        nf.close()


def cmd_handshake(sock, key):
    want = base64.b64decode(key).hex()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    s.sendall(b"get=1\n\n")
    buf = b""
    while not buf.endswith(b"\n\n"):
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        buf += chunk
    cur = sec = nsec = None
    for line in buf.decode().split("\n"):
        k, _, v = line.partition("=")
        if k == "public_key":
            cur = v
        elif cur == want and k == "last_handshake_time_sec":
            sec = int(v)
        elif cur == want and k == "last_handshake_time_nsec":
            nsec = int(v)
    print("%d.%09d" % (sec or 0, nsec or 0))


def cmd_waitname(port, name):
    import struct
    import time
    q = struct.pack(">HHHHHH", 1, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\x00\x00\x01\x00\x01"
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.05)
    deadline = time.time() + 30
    while time.time() < deadline:
        s.sendto(q, ("127.0.0.1", int(port)))
        try:
            r = s.recv(4096)
        except socket.timeout:
            continue
        if struct.unpack(">H", r[6:8])[0] > 0:
            print("%.6f" % time.time())
            return
        time.sleep(0.002)
    print("TIMEOUT")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    {"peers": cmd_peers, "handshake": cmd_handshake,
     "waitname": cmd_waitname}[sys.argv[1]](
        *sys.argv[2:])
