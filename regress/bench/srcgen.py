#!/usr/bin/env python3
"""srcgen.py vici N FILE | status N FILE: inputs for srcparse at scale,
made from what the real servers sent (regress/vectors/):

  vici    strongSwan's answer to list-sas with N IKE SAs: the captured
          list-sa event (every key, its child SA) N times over, each
          with its own uniqueid, remote-id (client-I@vpn.test) and
          remote-vips, then the empty response
  status  an OpenVPN status file (version 3) of N clients: the captured
          file's rows N times over, each with its own common name,
          addresses and routes
"""
import json
import os
import struct
import sys

VEC = os.path.join(os.path.dirname(__file__), "..", "vectors")


def enc_name(n):
    b = n.encode()
    return bytes([len(b)]) + b


def enc_value(v):
    b = v.encode()
    return struct.pack(">H", len(b)) + b


def enc_message(m):
    out = b""
    for k, v in m.items():
        if isinstance(v, dict):
            out += b"\x01" + enc_name(k) + enc_message(v) + b"\x02"
        elif isinstance(v, list):
            out += b"\x04" + enc_name(k)
            for item in v:
                out += b"\x05" + enc_value(item)
            out += b"\x06"
        else:
            out += b"\x03" + enc_name(k) + enc_value(v)
    return out


def packet(ptype, name, body):
    p = bytes([ptype]) + (enc_name(name) if name else b"") + body
    return struct.pack(">I", len(p)) + p


def vici(n, path):
    template = None
    for line in open(os.path.join(VEC, "vici-list-sas.jsonl")):
        d = json.loads(line)
        if d["type"] == "EVENT" and d.get("name") == "list-sa":
            template = d["message"]
            break
    conn = next(iter(template))
    out = packet(5, None, b"") * 3
    for i in range(n):
        sa = json.loads(json.dumps(template[conn]))
        sa["uniqueid"] = str(i + 1)
        sa["remote-id"] = "client-%d@vpn.test" % i
        sa["remote-vips"] = ["10.%d.%d.%d" % (100 + (i >> 16),
                             (i >> 8) & 255, i & 255), "fd66::%x" % (i + 16)]
        out += packet(7, "list-sa", enc_message({conn: sa}))
    out += packet(1, None, b"")
    open(path, "wb").write(out)


def status(n, path):
    lines = open(os.path.join(VEC, "openvpn-status-v3.txt")).read() \
        .splitlines()
    head = [l for l in lines if not l.startswith(("CLIENT_LIST",
            "ROUTING_TABLE", "HEADER\tROUTING", "GLOBAL_STATS", "END"))]
    cl = [l for l in lines if l.startswith("CLIENT_LIST")][0].split("\t")
    rt = [l for l in lines if l.startswith("ROUTING_TABLE")][0].split("\t")
    rth = [l for l in lines if l.startswith("HEADER\tROUTING_TABLE")][0]
    tail = [l for l in lines if l.startswith("GLOBAL_STATS")] + ["END"]
    rows, routes = [], []
    for i in range(n):
        cn = "client %d" % i
        a4 = "10.%d.%d.%d" % (100 + (i >> 16), (i >> 8) & 255, i & 255)
        a6 = "fd67::%x" % (i + 16)
        rows.append("\t".join([cl[0], cn] + cl[2:3] + [a4, a6] + cl[5:]))
        for a in (a6, a4):
            routes.append("\t".join([rt[0], a, cn] + rt[3:]))
    open(path, "w").write("\n".join(head + rows + [rth] + routes + tail) +
                          "\n")


{"vici": vici, "status": status}[sys.argv[1]](int(sys.argv[2]), sys.argv[3])
