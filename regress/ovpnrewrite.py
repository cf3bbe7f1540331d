#!/usr/bin/env python3
"""Rewrite an OpenVPN status file in place the way OpenVPN does (seen
with strace: lseek to 0, one write(2) a line, ftruncate at the end),
slowly, so that a reader catches it half written: for SECONDS, two
versions of the same clients in turn, their rows in another order (as
OpenVPN writes them).  Each rewrite stops for 300 ms after its first
client row, then goes on; between rewrites, 200 to 600 ms.

    ovpnrewrite.py FILE SECONDS CN:ADDR4:ADDR6...

The CNs and addresses should be of one length: then the new head over
the old tail leaves whole lines, a file that ends in END and parses
line by line but lists a client twice and another not at all.  At the
end, or on SIGTERM, the first version is left whole."""
import os
import random
import signal
import sys
import time


def version(clients, t):
    lines = ["TITLE\tOpenVPN 2.6.14 x86_64-pc-linux-gnu",
             "TIME\t2026-12-03 03:00:%02d\t%d" % (t % 60, 1796266800 + t),
             "HEADER\tCLIENT_LIST\tCommon Name\tReal Address\t"
             "Virtual Address\tVirtual IPv6 Address\tBytes Received\t"
             "Bytes Sent\tConnected Since\tConnected Since (time_t)\t"
             "Username\tClient ID\tPeer ID\tData Channel Cipher"]
    for i, (cn, a4, a6) in enumerate(clients):
        lines.append("CLIENT_LIST\t%s\t203.0.113.%d:1194\t%s\t%s\t2031\t"
                     "2098\t2026-12-03 03:00:39\t1796266839\tUNDEF\t%d\t%d\t"
                     "AES-256-GCM" % (cn, 10 + i, a4, a6, i, i))
    lines.append("HEADER\tROUTING_TABLE\tVirtual Address\tCommon Name\t"
                 "Real Address\tLast Ref\tLast Ref (time_t)")
    for i, (cn, a4, a6) in enumerate(clients):
        for a in (a6, a4):
            lines.append("ROUTING_TABLE\t%s\t%s\t203.0.113.%d:1194\t"
                         "2026-12-03 03:00:39\t1796266839" % (a, cn, 10 + i))
    lines += ["GLOBAL_STATS\tMax bcast/mcast queue length\t0",
              "GLOBAL_STATS\tdco_enabled\t0", "END"]
    return [(l + "\n").encode() for l in lines]


def whole(fd, clients):
    data = b"".join(version(clients, 0))
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, data)
    os.ftruncate(fd, len(data))


def main():
    path, seconds = sys.argv[1], float(sys.argv[2])
    clients = [tuple(c.split(":", 2)) for c in sys.argv[3:]]
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    signal.signal(signal.SIGTERM,
                  lambda s, f: (whole(fd, clients), os._exit(0)))
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        order = clients if n % 2 == 0 else clients[::-1]
        os.lseek(fd, 0, os.SEEK_SET)
        for line in version(order, n % 2):
            os.write(fd, line)
            if line.startswith(b"CLIENT_LIST"):
                time.sleep(0.3 if order[0][0] in line.decode() else 0)
        os.ftruncate(fd, os.lseek(fd, 0, os.SEEK_CUR))
        n += 1
        time.sleep(random.uniform(0.2, 0.6))
    whole(fd, clients)
    os.close(fd)


main()
