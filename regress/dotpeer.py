#!/usr/bin/env python3
"""A DNS over TLS server for the tests that misbehaves on purpose.

  dotpeer.py CERT KEY MODE:PORT...   serves each MODE on 127.0.0.1:PORT;
                                     prints "ready" once all listen

Every answer is A 192.0.2.53 (TTL 300), or no record for another type.
Modes:
  reverse  what comes within 20 ms of a first query is answered last
           first, 1 ms apart: pipelining and answers out of order
  close    the first connection takes what comes within 200 ms of its
           first query and closes (close_notify) without answering; the
           others as reverse
  reset    the same, but the close is a TCP reset, no close_notify
  hold     the first query for a name whose first label is "hold" is not
           answered, until a query with its id comes (its answer, A
           192.0.2.66, then goes first: the late answer an id given out
           again would take) or a query for "release..." (all of them go
           first); the rest answered at once
  deaf     reads nothing after the handshake and sends an answer no
           one asked for (id 0xfff0) every 200 ms: the connection is
           alive, the server answers no query
"""
import socket
import ssl
import struct
import sys
import threading
import time

lock = threading.Lock()
conns = {}      # mode: connections accepted


def question(msg):
    """(id, qname in wire form, the question's bytes) of a query."""
    off = 12
    while msg[off] != 0:
        off += 1 + msg[off]
    qname = msg[12:off + 1]
    return struct.unpack(">H", msg[:2])[0], qname, msg[12:off + 5]


def answer(msg, addr="192.0.2.53"):
    qid, _, q = question(msg)
    qtype = struct.unpack(">H", q[-4:-2])[0]
    an = 1 if qtype == 1 else 0
    out = struct.pack(">HHHHHH", qid, 0x8180 | (msg[2] & 1) << 8, 1, an,
                      0, 0) + q
    if an:
        out += struct.pack(">HHHIH", 0xc00c, 1, 1, 300, 4)
        out += socket.inet_aton(addr)
    return struct.pack(">H", len(out)) + out


def frames(buf):
    """The whole messages at the start of buf, and what is left."""
    msgs = []
    while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
        n = struct.unpack(">H", buf[:2])[0]
        msgs.append(buf[2:2 + n])
        buf = buf[2 + n:]
    return msgs, buf


def gather(s, buf, ms):
    """Queries: what is there, and what else comes within ms of it."""
    msgs, buf = frames(buf)
    s.settimeout(ms / 1000)
    deadline = time.monotonic() + ms / 1000
    while time.monotonic() < deadline:
        try:
            d = s.recv(65536)
        except (socket.timeout, ssl.SSLWantReadError):
            break
        if not d:
            break
        m, buf = frames(buf + d)
        msgs += m
    s.settimeout(None)
    return msgs, buf


def serve_reverse(s):
    buf = b""
    while True:
        d = s.recv(65536)
        if not d:
            return
        msgs, buf = gather(s, buf + d, 20)
        for m in reversed(msgs):
            s.sendall(answer(m))
            time.sleep(0.001)


def serve_close(s, n, reset):
    if n > 1:
        serve_reverse(s)
        return
    d = s.recv(65536)
    gather(s, d, 200)
    if reset:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        return
    s.settimeout(1)
    try:
        s.unwrap()
    except (OSError, ssl.SSLError):
        pass


def serve_hold(s, seen):
    buf = b""
    held = {}
    while True:
        d = s.recv(65536)
        if not d:
            return
        msgs, buf = frames(buf + d)
        for m in msgs:
            qid, qname, _ = question(m)
            out = b""
            if qid in held:
                out += held.pop(qid)
            if qname[1:qname[0] + 1] == b"release":
                out += b"".join(held.values())
                held.clear()
            if qname[1:qname[0] + 1] == b"hold" and qname not in seen:
                seen.add(qname)
                held[qid] = answer(m, "192.0.2.66")
            else:
                out += answer(m)
            s.sendall(out)


def serve_deaf(s):
    stray = struct.pack(">HHHHHHH", 12, 0xfff0, 0x8180, 0, 0, 0, 0)
    while True:
        s.sendall(stray)
        time.sleep(0.2)


def serve(mode, s, n, seen):
    try:
        if mode == "reverse":
            serve_reverse(s)
        elif mode in ("close", "reset"):
            serve_close(s, n, mode == "reset")
        elif mode == "hold":
            serve_hold(s, seen)
        else:
            serve_deaf(s)
    except (OSError, ssl.SSLError):
        pass
    finally:
        s.close()


def listen(ctx, mode, port):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    seen = set()

    def loop():
        while True:
            c, _ = ls.accept()
            try:
                s = ctx.wrap_socket(c, server_side=True)
            except (OSError, ssl.SSLError):
                c.close()
                continue
            with lock:
                conns[mode] = conns.get(mode, 0) + 1
                n = conns[mode]
            threading.Thread(target=serve, args=(mode, s, n, seen),
                             daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()


def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[1], sys.argv[2])
    for arg in sys.argv[3:]:
        mode, port = arg.split(":")
        if mode not in ("reverse", "close", "reset", "hold", "deaf"):
            sys.exit("dotpeer.py: no mode " + mode)
        listen(ctx, mode, int(port))
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
