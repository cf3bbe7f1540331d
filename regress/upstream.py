#!/usr/bin/env python3
"""A DNS server for the forwarding tests, on UDP and TCP, that logs every
query and can misbehave on purpose.

  upstream.py ADDR PORT LOG [options]
    --answer IP     the A record it gives (default 192.0.2.1)
    --ttl N         its TTL (default 60)
    --delay MS      wait before answering (default 0)
    --mode MODE     normal     answers; AA set
                    tc         UDP replies with TC and nothing else
                    hostile    per UDP query: a reply with another id,
                               one for another question, the right reply
                               from another port, one with a compression
                               loop, one cut in its last record, then the
                               right one
                    garbage    only the compression loop, never a good one
                    silent     reads and never replies
                    servfail   answers SERVFAIL
  Names: slow* is never answered; nx.* is NXDOMAIN with an SOA (TTL 60, MINIMUM 30); big.* is a
  TXT RRset of about 2 KB; badvers.* and badcookie.* get those extended
  rcodes (16, 23: the upper bits in the OPT); hugettl.* A has TTL
  0xffffffff; A is answered; other types get NODATA + SOA.
  LOG gets one line per query: "udp|tcp SPORT QNAME QTYPE DO ID".
"""
import argparse
import select
import socket
import struct
import threading
import time


def parse_query(msg):
    qid, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", msg[:12])
    pos, labels = 12, []
    while msg[pos]:
        labels.append(msg[pos + 1:pos + 1 + msg[pos]])
        pos += 1 + msg[pos]
    qname_wire = msg[12:pos + 1]
    qtype, qclass = struct.unpack(">HH", msg[pos + 1:pos + 5])
    dobit = 0
    if ar and len(msg) >= pos + 5 + 11:
        ttl = struct.unpack(">I", msg[pos + 5 + 5:pos + 5 + 9])[0]
        dobit = 1 if ttl & 0x8000 else 0
    name = b".".join(labels).decode(errors="replace")
    return qid, flags, qname_wire, name, qtype, qclass, dobit


def rr(name_ptr, rtype, ttl, rdata):
    return name_ptr + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


def soa(ttl):
    rdata = (b"\x02ns\xc0\x0c" + b"\x01h\xc0\x0c" +
             struct.pack(">IIIII", 1, 3600, 600, 86400, 30))
    return rr(b"\xc0\x0c", 6, ttl, rdata)


def answer(msg, args, qid=None, qname_wire=None):
    oid, flags, oqname, name, qtype, qclass, dobit = parse_query(msg)
    qid = oid if qid is None else qid
    qname_wire = oqname if qname_wire is None else qname_wire
    rcode, an, ns = 0, [], []
    first = name.split(".")[0].lower()
    if first == "nx":
        rcode, ns = 3, [soa(60)]
    elif first in ("badvers", "badcookie"):
        rcode = 16 if first == "badvers" else 23
    elif first == "hugettl" and qtype == 1:
        an.append(rr(b"\xc0\x0c", 1, 0xffffffff,
                     socket.inet_aton(args.answer)))
    elif first == "big" and qtype == 16:
        for i in range(8):
            an.append(rr(b"\xc0\x0c", 16, args.ttl,
                         bytes([250]) + (b"%d" % i) * 250))
    elif qtype == 1:
        an.append(rr(b"\xc0\x0c", 1, args.ttl,
                     socket.inet_aton(args.answer)))
    else:
        ns = [soa(60)]
    if args.mode == "servfail":
        rcode, an, ns = 2, [], []
    hflags = 0x8000 | 0x0400 | (flags & 0x0110) | (rcode & 0xf)
    hdr = struct.pack(">HHHHHH", qid, hflags, 1, len(an), len(ns), 1)
    opt = b"\x00" + struct.pack(">HHIH", 41, 1232, (rcode >> 4) << 24 |
                                (0x8000 if dobit else 0), 0)
    return (hdr + qname_wire + struct.pack(">HH", qtype, qclass) +
            b"".join(an) + b"".join(ns) + opt)


def loop_reply(msg):
    """The right id and question, an answer whose name points at itself."""
    qid, flags, qname_wire, _, qtype, qclass, _ = parse_query(msg)
    hdr = struct.pack(">HHHHHH", qid, 0x8180, 1, 1, 0, 0)
    body = qname_wire + struct.pack(">HH", qtype, qclass)
    off = 12 + len(body)
    return hdr + body + struct.pack(">H", 0xc000 | off) + \
        struct.pack(">HHIH", 1, 1, 60, 4) + b"\x0a\x00\x00\x01"


def unanswered(msg):
    return parse_query(msg)[3].lower().startswith("slow")


def log(args, proto, sport, msg):
    qid, _, _, name, qtype, _, dobit = parse_query(msg)
    with args.lock:
        with open(args.log, "a") as f:
            f.write("%s %d %s %d %d %d\n" % (proto, sport, name, qtype,
                                            dobit, qid))


def serve_udp(args, s, other):
    while True:
        msg, peer = s.recvfrom(65535)
        log(args, "udp", peer[1], msg)
        if args.mode == "silent" or unanswered(msg):
            continue
        time.sleep(args.delay / 1000.0)
        if args.mode == "tc":
            qid, flags, qname_wire, _, qtype, qclass, _ = parse_query(msg)
            s.sendto(struct.pack(">HHHHHH", qid, 0x8000 | 0x0200 |
                                 (flags & 0x0100), 1, 0, 0, 0) +
                     qname_wire + struct.pack(">HH", qtype, qclass), peer)
        elif args.mode == "hostile":
            good = answer(msg, args)
            s.sendto(answer(msg, args, qid=(parse_query(msg)[0] + 1) &
                            0xffff), peer)
            s.sendto(answer(msg, args, qname_wire=b"\x05other\x00"), peer)
            other.sendto(good, peer)
            s.sendto(loop_reply(msg), peer)
            s.sendto(good[:-5], peer)
            s.sendto(good, peer)
        elif args.mode == "garbage":
            s.sendto(loop_reply(msg), peer)
        else:
            s.sendto(answer(msg, args), peer)


def serve_tcp_conn(args, c, peer):
    c.settimeout(10)
    try:
        while True:
            hdr = c.recv(2)
            if len(hdr) < 2:
                return
            n = struct.unpack(">H", hdr)[0]
            msg = b""
            while len(msg) < n:
                chunk = c.recv(n - len(msg))
                if not chunk:
                    return
                msg += chunk
            log(args, "tcp", peer[1], msg)
            if args.mode == "silent" or unanswered(msg):
                continue
            time.sleep(args.delay / 1000.0)
            reply = loop_reply(msg) if args.mode == "garbage" else \
                answer(msg, args)
            c.sendall(struct.pack(">H", len(reply)) + reply)
    except OSError:
        return
    finally:
        c.close()


def serve_tcp(args, s):
    while True:
        c, peer = s.accept()
        threading.Thread(target=serve_tcp_conn, args=(args, c, peer),
                         daemon=True).start()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("log")
    p.add_argument("--answer", default="192.0.2.1")
    p.add_argument("--ttl", type=int, default=60)
    p.add_argument("--delay", type=int, default=0)
    p.add_argument("--mode", default="normal")
    args = p.parse_args()
    args.lock = threading.Lock()
    open(args.log, "a").close()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((args.addr, args.port))
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind((args.addr, 0))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((args.addr, args.port))
    t.listen(64)
    threading.Thread(target=serve_tcp, args=(args, t), daemon=True).start()
    serve_udp(args, u, other)


if __name__ == "__main__":
    main()
