#!/usr/bin/env python3
"""latency.py HOST PORT COUNT PREFIX: COUNT queries, one at a time, for
PREFIX0.bench.test, PREFIX1.bench.test, ... (each name new, so nothing is
cached); prints the median and the 99th percentile round trip in
microseconds.  Two runs of it against two servers compare what one adds
over the other: the client's own overhead is the same in both."""
import socket
import struct
import sys
import time


def query(name, qid):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\x00\x00\x01\x00\x01"


def main():
    host, port, count, prefix = sys.argv[1], int(sys.argv[2]), \
        int(sys.argv[3]), sys.argv[4]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((host, port))
    s.settimeout(2)
    rtts = []
    for i in range(count):
        q = query("%s%d.bench.test" % (prefix, i), i & 0xffff)
        t0 = time.perf_counter_ns()
        s.send(q)
        while True:
            r = s.recv(4096)
            if r[:2] == q[:2]:
                break
        rtts.append((time.perf_counter_ns() - t0) / 1000.0)
    rtts.sort()
    print("%.1f %.1f" % (rtts[len(rtts) // 2], rtts[len(rtts) * 99 // 100]))


if __name__ == "__main__":
    main()
