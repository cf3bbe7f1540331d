#!/usr/bin/env python3
"""Raw DNS for the tests: what dig and kdig will not send.

  dnsraw.py udp HOST PORT HEX [TIMEOUT]     one datagram; prints the reply
                                            in hex, or TIMEOUT
  dnsraw.py tcp HOST PORT HEX [TIMEOUT]     one length-prefixed message on a
                                            new connection; reply hex,
                                            CLOSED or TIMEOUT
  dnsraw.py pipeline HOST PORT NAME...      every query in one write on one
                                            connection; prints "ID RCODE
                                            ANCOUNT" per answer, in arrival
                                            order
  dnsraw.py flood HOST PORT COUNT NAME [rcodes]
                                            COUNT UDP queries, 64 in flight;
                                            prints how many were answered
                                            (and, with "rcodes", how many
                                            of them were SERVFAIL); {} in
                                            NAME is the query's number;
                                            with the file $FLOOD_STOP it
                                            stops when that appears and
                                            prints "sent answered
                                            servfail"
  dnsraw.py spray HOST PORT COUNT NAME WAIT
                                            COUNT UDP queries without waiting
                                            (200 every 5 ms), then answers
                                            for WAIT seconds (or until all
                                            are answered); prints
                                            "answered servfail"
  dnsraw.py storm HOST PORT COUNT NAMES SOURCES WAIT [CONNS]
                                            COUNT UDP queries as fast as they
                                            go, from SOURCES addresses
                                            (127.0.1.1, ...), for the names
                                            q0.storm.test ... in turn (NAMES
                                            of them); then CONNS TCP
                                            connections send 32 queries
                                            each (q0.tstorm.test ...); then
                                            answers for WAIT
                                            seconds; prints "sent answered",
                                            and with CONNS how many
                                            connections got every answer,
                                            were closed, or still wait; the
                                            file $STORM_SENT, if set, is
                                            made when all are sent
  dnsraw.py burst HOST PORT N HEX...        at the start of a second of
                                            CLOCK_MONOTONIC, each datagram
                                            HEX N times, in turn (ids 0 to
                                            N-1); prints how many were
                                            answered within 1 s and how
                                            many with TC
  dnsraw.py probe HOST PORT NAME SECS [FILE]  A for NAME every 10 ms for SECS
                                            seconds (or until FILE exists),
                                            each waiting up to 1 s; prints
                                            "sent lost slowest_ms"
  dnsraw.py corpus HOST PORT FILE udp|tcp   sends every query of a corpus
                                            (regress/corpus/queries.txt);
                                            prints "WANT GOT DESCRIPTION"
  dnsraw.py idle HOST PORT WAIT             connects and sends nothing;
                                            prints after how many seconds
                                            the server closed, or OPEN
  dnsraw.py conns HOST PORT N NAME [SRC]    opens N connections (from SRC),
                                            then asks NAME on each; prints
                                            "answered" or "closed" per
                                            connection
  dnsraw.py hold HOST PORT N SECS [SRC]     opens up to N connections (from
                                            SRC), prints how many, keeps
                                            them SECS seconds
  dnsraw.py rate HOST PORT QPS SECS NAME [SRC]
                                            A queries for NAME at QPS for
                                            SECS (from SRC); prints
                                            "answered N truncated N silent
                                            N"
  dnsraw.py garbage HOST PORT COUNT udp|tcp SEED [BASES]
                                            COUNT random and mutated queries
                                            (TCP: 100 a connection, some
                                            with a wrong length), from the
                                            hex messages of BASES if given;
                                            prints how many were sent
  dnsraw.py capture PORT [TIMEOUT]          the first datagram to
                                            127.0.0.1 PORT, in hex
  dnsraw.py crowd HOST PORT PER SOURCES SECS [NAME TYPE N]
                                            PER connections from each of
                                            SOURCES addresses (127.0.4.1
                                            ...), idle, or with NAME and
                                            TYPE asked N times pipelined on
                                            each and nothing ever read (a
                                            small receive buffer); prints
                                            how many opened, then keeps
                                            them SECS seconds
  dnsraw.py drip HOST PORT NAME INTERVAL    sends a query over TCP a byte
                                            every INTERVAL seconds; prints
                                            after how many seconds the
                                            server closed, or ANSWERED
  dnsraw.py bulk HOST PORT CONNS N NAME TYPE
                                            CONNS connections at once, N
                                            pipelined queries on each;
                                            prints the answers received
  dnsraw.py query NAME TYPE [EDNSSIZE [FLAGS [DO]]]
                                            prints a query in hex (FLAGS
                                            the header's, in hex; DO 1 sets
                                            the DO bit)
  dnsraw.py pair HOST PORT HEX              at the start of a second of
                                            CLOCK_MONOTONIC, the datagram
                                            HEX twice, one after the other;
                                            prints both replies in hex, a
                                            line each (SLOW if they were
                                            not in the same second)
  dnsraw.py change HOST PORT NAME CMD       at the start of a second, A for
                                            NAME twice, then the shell
                                            command CMD, then A every 5 ms
                                            until the answer changes; prints
                                            the three answers' addresses
                                            and whether the change came in
                                            that second (up to 3 tries, CMD
                                            each time)
  dnsraw.py pp CLIENT PORT NAME udp|tcp [ECS]
                                            prints a PROXY v2 header for a
                                            client at CLIENT:PORT and an A
                                            query for NAME after it (with
                                            its length on tcp; with an ECS
                                            option ADDR/LEN), in hex
  dnsraw.py from udp|tcp SRC HOST PORT HEX [N]
                                            the bytes HEX as they are, from
                                            address SRC, as one datagram or
                                            written to a new connection;
                                            prints "ID RCODE ANCOUNT" per
                                            reply (up to N, default 1),
                                            then TIMEOUT or CLOSED if fewer
"""
import random
import os
import select
import socket
import struct
import sys
import time


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def make_query(name, qtype=1, qid=None, edns=None, flags=0x0100, do=0):
    if qid is None:
        qid = random.randrange(65536)
    arcount = 1 if edns else 0
    msg = struct.pack(">HHHHHH", qid, flags, 1, 0, 0, arcount)
    msg += encode_name(name) + struct.pack(">HH", qtype, 1)
    if edns:
        msg += b"\x00" + struct.pack(">HHIH", 41, edns,
                                      0x8000 if do else 0, 0)
    return msg


def next_second():
    """Sleeps into the next second of CLOCK_MONOTONIC; returns it."""
    now = time.monotonic()
    time.sleep(int(now) + 1.01 - now)
    return int(time.monotonic())


def ask(sock, msg):
    sock.send(msg)
    try:
        return sock.recv(65535)
    except socket.timeout:
        return b""


def cmd_pair(host, port, hexmsg):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.settimeout(1.0)
    s.connect((host, int(port)))
    msg = bytes.fromhex(hexmsg)
    for _ in range(3):
        sec = next_second()
        a, b = ask(s, msg), ask(s, msg)
        if int(time.monotonic()) == sec:
            print(a.hex())
            print(b.hex())
            return
    print("SLOW")


def a_of(reply):
    """The last A record's address of a reply without an OPT, or -."""
    if len(reply) < 16 or reply[6:8] == b"\x00\x00":
        return "-"
    return socket.inet_ntoa(reply[-4:])


def cmd_change(host, port, name, cmd):
    import subprocess
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.settimeout(1.0)
    s.connect((host, int(port)))
    msg = make_query(name, 1, qid=0x4321)
    for _ in range(3):
        sec = next_second()
        first, second = a_of(ask(s, msg)), a_of(ask(s, msg))
        subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL,
                       check=False)
        last = second
        while last == second and time.monotonic() < sec + 3:
            time.sleep(0.005)
            last = a_of(ask(s, msg))
        when = "in time" if int(time.monotonic()) == sec else "late"
        if when == "in time":
            break
    print(first, second, last, when)


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def recv_exact(sock, n, deadline):
    buf = b""
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            chunk = sock.recv(n - len(buf))
        except socket.timeout:
            return None
        if not chunk:
            return b""
        buf += chunk
    return buf


def cmd_udp(host, port, hexmsg, timeout=1.0):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.settimeout(float(timeout))
    s.sendto(bytes.fromhex(hexmsg), (host, int(port)))
    try:
        print(s.recv(65535).hex())
    except socket.timeout:
        print("TIMEOUT")


def cmd_tcp(host, port, hexmsg, timeout=2.0):
    msg = bytes.fromhex(hexmsg)
    s = socket.create_connection((host, int(port)), timeout=float(timeout))
    s.sendall(struct.pack(">H", len(msg)) + msg)
    deadline = time.monotonic() + float(timeout)
    hdr = recv_exact(s, 2, deadline)
    if hdr is None:
        print("TIMEOUT")
        return
    if len(hdr) < 2:
        print("CLOSED")
        return
    body = recv_exact(s, struct.unpack(">H", hdr)[0], deadline)
    print(body.hex() if body else "CLOSED")


def cmd_pp(client, port, name, transport, ecs=None):
    v6 = ":" in client
    fam = (0x20 if v6 else 0x10) | (0x01 if transport == "tcp" else 0x02)
    addrs = socket.inet_pton(family(client), client) * 2
    block = addrs + struct.pack(">HH", int(port), 53)
    hdr = (b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, fam]) +
           struct.pack(">H", len(block)) + block)
    q = make_query(name, qid=0x4242)
    if ecs:
        addr, plen = ecs.split("/")
        a = socket.inet_pton(family(addr), addr)[:(int(plen) + 7) // 8]
        opt = struct.pack(">HHHBB", 8, 4 + len(a), 2 if ":" in addr else 1,
                          int(plen), 0) + a
        q = q[:10] + b"\x00\x01" + q[12:] + b"\x00" + struct.pack(
            ">HHIH", 41, 1232, 0, len(opt)) + opt
    if transport == "tcp":
        q = struct.pack(">H", len(q)) + q
    print((hdr + q).hex())


def cmd_from(transport, src, host, port, hexmsg, n=1):
    n = int(n)
    data = bytes.fromhex(hexmsg)
    kind = socket.SOCK_STREAM if transport == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(family(host), kind)
    s.bind((src, 0))
    s.settimeout(2)
    deadline = time.monotonic() + 2
    replies = []
    try:
        if transport == "tcp":
            s.connect((host, int(port)))
            s.sendall(data)
            while len(replies) < n:
                hdr = recv_exact(s, 2, deadline)
                if hdr is None or len(hdr) < 2:
                    break
                body = recv_exact(s, struct.unpack(">H", hdr)[0], deadline)
                if not body:
                    break
                replies.append(body)
        else:
            s.sendto(data, (host, int(port)))
            replies.append(s.recv(65535))
    except (socket.timeout, ConnectionError):
        pass
    for r in replies:
        print(struct.unpack(">H", r[:2])[0], r[3] & 0xf,
              struct.unpack(">H", r[6:8])[0])
    if len(replies) < n:
        print("TIMEOUT" if time.monotonic() >= deadline - 0.01
              else "CLOSED")


def cmd_pipeline(host, port, *names):
    s = socket.create_connection((host, int(port)), timeout=5)
    data = b""
    for i, name in enumerate(names):
        q = make_query(name, qid=1000 + i)
        data += struct.pack(">H", len(q)) + q
    s.sendall(data)
    deadline = time.monotonic() + 5
    for _ in names:
        hdr = recv_exact(s, 2, deadline)
        if not hdr or len(hdr) < 2:
            print("CLOSED")
            return
        body = recv_exact(s, struct.unpack(">H", hdr)[0], deadline)
        qid, flags, _, ancount = struct.unpack(">HHHH", body[:8])
        print(qid, flags & 0xf, ancount)


def cmd_flood(host, port, count, name, rcodes=None):
    count = int(count)
    servfail = 0
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.setblocking(False)
    sent = answered = 0
    stop = os.environ.get("FLOOD_STOP")
    while answered < count:
        if stop and os.path.exists(stop):
            count = sent
            if answered >= count:
                break
        while sent < count and sent - answered < 64:
            s.sendto(make_query(name.replace("{}", str(sent)),
                                qid=sent & 0xffff), (host, int(port)))
            sent += 1
        r, _, _ = select.select([s], [], [], 1.0)
        if not r:
            break   # lost answers: the count shows it
        while True:
            try:
                r = s.recv(65535)
            except BlockingIOError:
                break
            answered += 1
            if len(r) >= 4 and r[3] & 0xf == 2:
                servfail += 1
    if stop:
        print(sent, answered, servfail)
    else:
        print(answered, servfail) if rcodes else print(answered)


def cmd_spray(host, port, count, name, wait):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.setblocking(False)
    answered = servfail = 0

    def drain():
        nonlocal answered, servfail
        while True:
            try:
                r = s.recv(65535)
            except BlockingIOError:
                return
            answered += 1
            if len(r) >= 4 and r[3] & 0xf == 2:
                servfail += 1
    for i in range(int(count)):
        s.sendto(make_query(name.replace("{}", str(i)), qid=i & 0xffff),
                 (host, int(port)))
        if i % 200 == 199:
            time.sleep(0.005)
            drain()
    deadline = time.monotonic() + float(wait)
    while time.monotonic() < deadline and answered < int(count):
        select.select([s], [], [], 0.1)
        drain()
    print(answered, servfail)


def storm_tcp(host, port, conns):
    tcp = []
    for i in range(conns):
        t = connect_from(host, port, "127.0.3.%d" % (i % 250 + 1))
        msgs = [make_query("q%d.tstorm.test" % (i * 32 + j), qid=j)
                for j in range(32)]
        t.sendall(b"".join(struct.pack(">H", len(m)) + m for m in msgs))
        t.setblocking(False)
        tcp.append([t, b"", 0, "waiting"])
    return tcp


def storm_tcp_read(tcp):
    for c in tcp:
        while c[3] == "waiting":
            try:
                d = c[0].recv(65536)
            except BlockingIOError:
                break
            except ConnectionError:
                d = b""
            if not d:
                c[3] = "closed"
                break
            c[1] += d
            while len(c[1]) >= 2 and len(c[1]) >= 2 + struct.unpack(
                    ">H", c[1][:2])[0]:
                c[1] = c[1][2 + struct.unpack(">H", c[1][:2])[0]:]
                c[2] += 1
            if c[2] == 32:
                c[3] = "complete"


def cmd_storm(host, port, count, names, sources, wait, conns=0):
    socks, tcp = [], []
    for i in range(int(sources)):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind(("127.0.1.%d" % (i % 250 + 1) if i < 250 else
                "127.0.2.%d" % (i % 250 + 1), 0))
        s.setblocking(False)
        socks.append(s)
    queries = [make_query("q%d.storm.test" % n, qid=n & 0xffff)
               for n in range(int(names))]
    answered = sent = 0

    def drain(timeout):
        nonlocal answered
        r, _, _ = select.select(socks, [], [], timeout)
        for s in r:
            while True:
                try:
                    s.recv(65535)
                except BlockingIOError:
                    break
                answered += 1
    for i in range(int(count)):
        try:
            socks[i % len(socks)].sendto(queries[i % len(queries)],
                                         (host, int(port)))
            sent += 1
        except BlockingIOError:
            pass
        if i % 1000 == 999:
            drain(0)
    tcp = storm_tcp(host, int(port), int(conns))
    if os.environ.get("STORM_SENT"):
        open(os.environ["STORM_SENT"], "w").close()
    deadline = time.monotonic() + float(wait)
    while time.monotonic() < deadline:
        drain(0.1)
        storm_tcp_read(tcp)
    if tcp:
        print(sent, answered, *(sum(1 for c in tcp if c[3] == state)
                                for state in ("complete", "closed",
                                              "waiting")))
    else:
        print(sent, answered)


def cmd_burst(host, port, n, *hexmsgs):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.settimeout(0.1)
    msgs = []
    for h in hexmsgs:
        data = bytes.fromhex(h)
        at = data.find(b"\x42\x42") if data.startswith(b"\r\n\r\n") \
            else 0
        msgs.append((data, at))
    next_second()
    for i in range(int(n)):
        for data, at in msgs:
            s.sendto(data[:at] + struct.pack(">H", i) + data[at + 2:],
                     (host, int(port)))
    answered = truncated = 0
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline:
        try:
            r = s.recv(65535)
        except socket.timeout:
            continue
        answered += 1
        truncated += 1 if r[2] & 0x02 else 0
    print(answered, truncated)


def cmd_probe(host, port, name, secs, stopfile=None):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    end = time.monotonic() + float(secs)
    sent = lost = 0
    slowest = 0.0
    while time.monotonic() < end and not (stopfile and
                                          os.path.exists(stopfile)):
        t0 = time.monotonic()
        qid = sent & 0xffff
        s.sendto(make_query(name, qid=qid), (host, int(port)))
        sent += 1
        s.settimeout(1.0)
        try:
            while True:
                r = s.recv(65535)
                if struct.unpack(">H", r[:2])[0] == qid:
                    break
            slowest = max(slowest, time.monotonic() - t0)
        except socket.timeout:
            lost += 1
        left = 0.01 - (time.monotonic() - t0)
        if left > 0:
            time.sleep(left)
    print(sent, lost, int(slowest * 1000))


def classify(query, reply):
    """What the daemon made of a query, in the corpus's words."""
    if reply is None:
        return "drop"
    if len(reply) < 12 or reply[:2] != query[:2] or not reply[2] & 0x80:
        return "badreply"
    rcode = reply[3] & 0xf
    # the extended rcode sits in an OPT, which ends the reply when present
    if len(reply) >= 23 and reply[-11] == 0 and reply[-10:-8] == b"\x00\x29":
        rcode |= reply[-6] << 4
    return {0: "ok", 3: "ok", 5: "ok", 1: "formerr", 4: "notimp",
            16: "badvers"}.get(rcode, "rcode%d" % rcode)


def exchange(host, port, msg, transport):
    if transport == "udp":
        s = socket.socket(family(host), socket.SOCK_DGRAM)
        s.settimeout(0.3)
        s.sendto(msg, (host, int(port)))
        try:
            return s.recv(65535)
        except socket.timeout:
            return None
        finally:
            s.close()
    s = socket.create_connection((host, int(port)), timeout=2)
    try:
        s.sendall(struct.pack(">H", len(msg)) + msg)
        deadline = time.monotonic() + 2
        hdr = recv_exact(s, 2, deadline)
        if not hdr or len(hdr) < 2:
            return None     # closed: the TCP form of silence
        return recv_exact(s, struct.unpack(">H", hdr)[0], deadline)
    finally:
        s.close()


def cmd_corpus(host, port, path, transport):
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        want, hexmsg, what = line.rstrip("\n").split("\t", 2)
        msg = bytes.fromhex("" if hexmsg == "-" else hexmsg)
        print(want, classify(msg, exchange(host, port, msg, transport)),
              what)


def cmd_idle(host, port, wait):
    s = socket.create_connection((host, int(port)), timeout=5)
    start = time.monotonic()
    s.settimeout(float(wait))
    try:
        data = s.recv(1)
    except socket.timeout:
        print("OPEN")
        return
    except ConnectionResetError:
        data = b""
    print("%.1f" % (time.monotonic() - start) if not data else "DATA")


def connect_from(host, port, src=None, timeout=2):
    return socket.create_connection((host, int(port)), timeout=timeout,
                                    source_address=(src, 0) if src else None)


def cmd_conns(host, port, n, name, src=None):
    socks = [connect_from(host, port, src) for _ in range(int(n))]
    time.sleep(0.3)
    for s in socks:
        q = make_query(name)
        try:
            s.sendall(struct.pack(">H", len(q)) + q)
            hdr = recv_exact(s, 2, time.monotonic() + 2)
        except (ConnectionResetError, BrokenPipeError):
            hdr = b""
        print("answered" if hdr and len(hdr) == 2 else "closed")


def cmd_hold(host, port, n, secs, src=None):
    socks = []
    for _ in range(int(n)):
        try:
            socks.append(connect_from(host, port, src, timeout=10))
        except OSError:
            break
    print(len(socks), flush=True)
    time.sleep(float(secs))


def cmd_crowd(host, port, per, sources, secs, name=None, qtype=1, n=0):
    socks = []
    data = b""
    if name:
        q = make_query(name, int(qtype))
        data = (struct.pack(">H", len(q)) + q) * int(n)
    for i in range(int(per) * int(sources)):
        try:
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            t.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            t.bind(("127.0.4.%d" % (i % int(sources) + 1), 0))
            t.settimeout(10)
            t.connect((host, int(port)))
            if data:
                t.sendall(data)
            socks.append(t)
        except OSError:
            continue
    print(len(socks), flush=True)
    time.sleep(float(secs))


def cmd_drip(host, port, name, interval):
    q = make_query(name)
    s = connect_from(host, port)
    start = time.monotonic()
    for b in struct.pack(">H", len(q)) + q:
        try:
            s.sendall(bytes([b]))
        except (ConnectionResetError, BrokenPipeError):
            break
        r, _, _ = select.select([s], [], [], float(interval))
        if r:
            try:
                data = s.recv(2)
            except ConnectionResetError:
                data = b""
            if data:
                print("ANSWERED")
                return
            break
    else:
        print("ANSWERED")
        return
    print("%.1f" % (time.monotonic() - start))


def cmd_rate(host, port, qps, secs, name, src=None):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    if src:
        s.bind((src, 0))
    s.setblocking(False)
    qps, total = float(qps), int(float(qps) * float(secs))
    answered = truncated = 0
    start = time.monotonic()
    sent = 0
    while True:
        now = time.monotonic()
        while sent < total and sent <= (now - start) * qps:
            s.sendto(make_query(name, qid=sent & 0xffff), (host, int(port)))
            sent += 1
        if sent >= total and now - start > total / qps + 1:
            break
        r, _, _ = select.select([s], [], [], 0.002)
        while r:
            try:
                reply = s.recv(65535)
            except BlockingIOError:
                break
            if len(reply) >= 12 and reply[2] & 0x02:
                truncated += 1
            elif len(reply) >= 12:
                answered += 1
    print("answered %d truncated %d silent %d" %
          (answered, truncated, total - answered - truncated))


def mutant(rng, base):
    """A query damaged one of several ways, or random bytes."""
    m = bytearray(base)
    how = rng.randrange(6)
    if how == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
    if how == 1:
        return bytes(m[:rng.randrange(len(m))])
    if how == 2:
        for _ in range(rng.randrange(1, 8)):
            m[rng.randrange(len(m))] ^= 1 << rng.randrange(8)
    elif how == 3:
        for _ in range(rng.randrange(1, 4)):
            m[rng.randrange(len(m))] = rng.randrange(256)
    elif how == 4:
        m += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
    else:
        # a label length or count field pointed anywhere
        m[rng.choice([4, 5, 6, 7, 10, 11, 12])] = rng.randrange(256)
    return bytes(m)


def cmd_garbage(host, port, count, transport, seed, bases_file=None):
    rng = random.Random(int(seed))
    bases = [make_query(n, t, edns=e) for n in
             ("nas.vpn.test", "x.y.vpn.test", "example.org")
             for t in (1, 28, 255) for e in (None, 1232)]
    if bases_file:
        bases = [bytes.fromhex(l) for l in open(bases_file) if l.strip()]
    count, sent = int(count), 0
    if transport == "udp":
        s = socket.socket(family(host), socket.SOCK_DGRAM)
        for i in range(count):
            s.sendto(mutant(rng, rng.choice(bases)), (host, int(port)))
            sent += 1
            if i % 64 == 63:
                time.sleep(0.002)
    else:
        while sent < count:
            try:
                c = socket.create_connection((host, int(port)), timeout=2)
                for _ in range(min(100, count - sent)):
                    m = mutant(rng, rng.choice(bases))
                    n = len(m) if rng.randrange(4) else rng.randrange(65536)
                    c.sendall(struct.pack(">H", n) + m)
                    sent += 1
                c.close()
            except OSError:
                pass
    print(sent)


def cmd_capture(port, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", int(port)))
    s.settimeout(float(timeout))
    try:
        print(s.recv(65535).hex())
    except socket.timeout:
        print("TIMEOUT")


def bulk_one(host, port, n, name, qtype, counts, i):
    s = socket.create_connection((host, int(port)), timeout=30)
    data = b""
    for j in range(n):
        q = make_query(name, qtype=qtype, qid=j)
        data += struct.pack(">H", len(q)) + q
    s.sendall(data)
    deadline = time.monotonic() + 30
    got = 0
    for _ in range(n):
        hdr = recv_exact(s, 2, deadline)
        if not hdr or len(hdr) < 2:
            break
        body = recv_exact(s, struct.unpack(">H", hdr)[0], deadline)
        if not body:
            break
        got += 1
    s.close()
    counts[i] = got


def cmd_bulk(host, port, conns, n, name, qtype):
    import threading
    conns, n, qtype = int(conns), int(n), int(qtype)
    counts = [0] * conns
    threads = [threading.Thread(target=bulk_one,
                                args=(host, port, n, name, qtype, counts, i))
               for i in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(sum(counts))


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "udp":
        cmd_udp(*args)
    elif cmd == "tcp":
        cmd_tcp(*args)
    elif cmd == "pipeline":
        cmd_pipeline(*args)
    elif cmd == "flood":
        cmd_flood(*args)
    elif cmd == "idle":
        cmd_idle(*args)
    elif cmd == "conns":
        cmd_conns(*args)
    elif cmd == "hold":
        cmd_hold(*args)
    elif cmd == "crowd":
        cmd_crowd(*args)
    elif cmd == "drip":
        cmd_drip(*args)
    elif cmd == "rate":
        cmd_rate(*args)
    elif cmd == "garbage":
        cmd_garbage(*args)
    elif cmd == "capture":
        cmd_capture(*args)
    elif cmd == "bulk":
        cmd_bulk(*args)
    elif cmd == "pp":
        cmd_pp(*args)
    elif cmd == "from":
        cmd_from(*args)
    elif cmd == "spray":
        cmd_spray(*args)
    elif cmd == "burst":
        cmd_burst(*args)
    elif cmd == "probe":
        cmd_probe(*args)
    elif cmd == "storm":
        cmd_storm(*args)
    elif cmd == "corpus":
        cmd_corpus(*args)
    elif cmd == "pair":
        cmd_pair(*args)
    elif cmd == "change":
        cmd_change(*args)
    elif cmd == "query":
        name, qtype = args[0], int(args[1])
        edns = int(args[2]) if len(args) > 2 and args[2] else None
        flags = int(args[3], 16) if len(args) > 3 else 0x0100
        do = len(args) > 4 and args[4] == "1"
        print(make_query(name, qtype, qid=0x1234, edns=edns, flags=flags,
                         do=do).hex())
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
