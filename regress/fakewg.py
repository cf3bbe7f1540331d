#!/usr/bin/env python3
"""A userspace WireGuard as vpndnsd sees it: the UAPI socket, for tests
that need peers under their control, not real tunnels.

  fakewg.py SOCK STATE

serves get=1 on SOCK.  Each reply is made from STATE, read anew, a line
per peer: "KEY ADDRESS MODE" (KEY in base64, MODE "active": its received
bytes grow at every reply; "silent": they stand still).  A peer that
leaves the file is gone from the interface."""
import base64
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "bench"))
from wgtool import uapi_serve  # noqa: E402

rx = {}


def reply(state):
    out = ["private_key=%s\nlisten_port=51820\n" % ("0" * 64)]
    try:
        lines = open(state).read().split("\n")
    except OSError:
        lines = []
    for line in lines:
        f = line.split()
        if len(f) != 3:
            continue
        key, addr, mode = f
        if mode == "active" or key not in rx:
            rx[key] = rx.get(key, 0) + 148
        out.append("public_key=%s\nprotocol_version=1\n"
                   "last_handshake_time_sec=0\nlast_handshake_time_nsec=0\n"
                   "tx_bytes=0\nrx_bytes=%d\n"
                   "persistent_keepalive_interval=0\nallowed_ip=%s/32\n" %
                   (base64.b64decode(key).hex(), rx[key], addr))
    out.append("errno=0\n\n")
    return "".join(out).encode()


def main(sock, state):
    if os.path.exists(sock):
        os.unlink(sock)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock)
    srv.listen(4)
    while True:
        conn, _ = srv.accept()
        uapi_serve(conn, lambda: reply(state))
        conn.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
