#!/usr/bin/env python3
"""WireGuard helpers for the benchmarks.

  wgtool.py peers N FILE [NAMES]  writes a wg setconf fragment of N peers
                                  with random keys, each with a /32 in
                                  10.128.0.0/9 (and, with NAMES, a wg-quick
                                  file naming them p0, p1, ... for
                                  "names from")
  wgtool.py uapi SOCK N NAMES     plays a userspace WireGuard of N peers
                                  on the UAPI socket SOCK (named p0, p1,
                                  ... in the wg-quick file NAMES), every
                                  peer active: each reply has its
                                  rx_bytes grown by a keepalive, its
                                  handshake renewed every 120 s
  wgtool.py handshake SOCK KEY    the peer's latest handshake from the UAPI
                                  socket, in seconds with nanoseconds
  wgtool.py waitname PORT NAME [READY]
                                  asks 127.0.0.1 for NAME every 2 ms until
                                  it answers; prints when, in Unix seconds;
                                  makes the file READY once the first
                                  probe is answered
  wgtool.py probe PORT NAME SECS  asks for NAME once a second, on the
                                  clock, for SECS seconds; prints the
                                  probes, those answered, and the second
                                  of each that was not ("-" for none)
  wgtool.py waitgone PORT NAME MAX [READY]
                                  asks every 20 ms until NAME is NXDOMAIN,
                                  at most MAX seconds; prints when, in Unix
                                  seconds, or TIMEOUT; READY as above
"""
import base64
import os
import socket
import struct
import sys
import time


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


def uapi_serve(conn, reply):
    """get=1 requests on one connection; anything else ends it, as
    wireguard-go does."""
    buf = b""
    while True:
        chunk = conn.recv(4096)
        if not chunk:
            return
        buf += chunk
        while b"\n\n" in buf:
            req, _, buf = buf.partition(b"\n\n")
            if req != b"get=1":
                return
            conn.sendall(reply())


def cmd_uapi(sock, n, names):
    n = int(n)
    keys = [os.urandom(32) for _ in range(n)]
    with open(names, "w") as nf:
        nf.write("[Interface]\nPrivateKey = unused\n")
        for i, k in enumerate(keys):
            nf.write("\n[Peer]\n# Name = p%d\nPublicKey = %s\n" %
                     (i, base64.b64encode(k).decode()))
    # what does not change, around the handshake and the counters
    heads = ["public_key=%s\nprotocol_version=1\n"
             "endpoint=192.0.2.%d:51820\nlast_handshake_time_sec=" %
             (k.hex(), 2 + i % 250) for i, k in enumerate(keys)]
    tails = ["persistent_keepalive_interval=25\n"
             "allowed_ip=10.%d.%d.%d/32\n" %
             (128 + (i >> 16), (i >> 8) & 255, i & 255) for i in range(n)]
    start = int(time.time())
    replies = [0]

    def reply():
        replies[0] += 1
        now = int(time.time())
        rx = 148 * replies[0]
        # peer i renews its handshake every 120 s, a second after peer i-1
        out = ["private_key=%s\nlisten_port=51820\n" % ("0" * 64)]
        out += ["%s%d\nlast_handshake_time_nsec=0\ntx_bytes=%d\n"
                "rx_bytes=%d\n%s" % (heads[i], now - (now - start - i) % 120,
                                     rx, rx, tails[i]) for i in range(n)]
        out.append("errno=0\n\n")
        return "".join(out).encode()

    if os.path.exists(sock):
        os.unlink(sock)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock)
    srv.listen(4)
    while True:
        conn, _ = srv.accept()
        uapi_serve(conn, reply)
        conn.close()


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


def query(name):
    """An A query for NAME, id 1, RD."""
    q = struct.pack(">HHHHHH", 1, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00\x00\x01\x00\x01"


def ask(s, port, q, tries):
    """(rcode, answers) of one query, a timeout a try; None if unanswered."""
    for _ in range(tries):
        s.sendto(q, ("127.0.0.1", int(port)))
        try:
            r = s.recv(4096)
        except socket.timeout:
            continue
        return r[3] & 0x0f, struct.unpack(">H", r[6:8])[0]
    return None


def ready_after(r, ready):
    """READY is made once the first probe is answered: the caller times
    from then, not from this interpreter's start (hundreds of ms on a
    busy machine)."""
    if r is not None and ready:
        open(ready, "w").close()
        return None
    return ready


def cmd_waitname(port, name, ready=None):
    q = query(name)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.05)
    deadline = time.time() + 30
    while time.time() < deadline:
        r = ask(s, port, q, 1)
        ready = ready_after(r, ready)
        if r is not None and r[1] > 0:
            print("%.6f" % time.time())
            return
        time.sleep(0.002)
    print("TIMEOUT")


def cmd_probe(port, name, secs):
    """A lost datagram is asked again (it says nothing of presence); a
    probe passes with NOERROR and records, fails with anything else or
    no answer in three tries."""
    q = query(name)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.3)
    t0 = time.time()
    n = answered = 0
    failed = []
    while n < int(secs):
        r = ask(s, port, q, 3)
        if r is not None and r[0] == 0 and r[1] > 0:
            answered += 1
        else:
            failed.append(str(n))
        n += 1
        time.sleep(max(0.0, t0 + n - time.time()))
    print(n, answered, ",".join(failed) or "-")


def cmd_waitgone(port, name, most, ready=None):
    q = query(name)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.05)
    deadline = time.time() + float(most)
    while time.time() < deadline:
        r = ask(s, port, q, 1)
        ready = ready_after(r, ready)
        if r is not None and r[0] == 3:
            print("%.6f" % time.time())
            return
        time.sleep(0.02)
    print("TIMEOUT")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    {"peers": cmd_peers, "uapi": cmd_uapi, "handshake": cmd_handshake,
     "waitname": cmd_waitname, "probe": cmd_probe,
     "waitgone": cmd_waitgone}[sys.argv[1]](
        *sys.argv[2:])
