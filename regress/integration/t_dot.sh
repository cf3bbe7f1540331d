#!/bin/sh
# DNS over TLS to upstreams against a real unbound serving DoT with a CA
# and certificate made here: right answers, a wrong name or an unknown CA
# SERVFAIL (once logged, shown in show forwarders), failover past a
# server that fails its handshake, 200 queries in a row over at most 2
# connections (tcpdump counts the SYNs), nothing in plain text on the
# wire (every connection to it begins with a TLS handshake record,
# unbound counts every query as TLS), and a restarted server reconnected
# to.  Against regress/dotpeer.py, a server misbehaving on purpose: 1000
# queries at once answered in reverse order over two connections, a
# server closing with queries on the connection, a late answer to a
# query given up never taken for a later query's, a server that reads
# nothing taken for dead, and a tls-ca with no certificate read SERVFAIL
# with the resolver alive (libtls would read the system's store: seccomp).
# dnstap (fstrm_capture, dnstap-ldns): the forwarder messages say DoT.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools unbound unbound-control openssl kdig tcpdump python3 \
    fstrm_capture dnstap-ldns
PORT=$(pick_port)
DOT=$(pick_port)
REV=$(pick_port)
CLOSE=$(pick_port)
RESET=$(pick_port)
HOLD=$(pick_port)
DEAF=$(pick_port)
TAP=$T_DIR/tap.sock
CERTS=$T_DIR/certs
mkdir -p "$CERTS"

dot_certs "$CERTS" ||
    { not_ok "openssl makes the certificates"; done_testing; }

# unbound serving DoT only, on 127.0.0.1 and .2, a zone of its own
unbound_conf "$T_DIR/unbound.conf" 127.0.0.1 "$DOT" <<EOF
	interface: 127.0.0.2@$DOT
	tls-port: $DOT
	tls-service-key: "$CERTS/srv.key"
	tls-service-pem: "$CERTS/srv.pem"
	extended-statistics: yes
	local-zone: "dot.test." redirect
	local-data: "dot.test. 300 A 192.0.2.53"
remote-control:
	control-enable: yes
	control-use-cert: no
	control-interface: "$T_DIR/unbound.ctl"
EOF
ustat() {
	unbound-control -c "$T_DIR/unbound.conf" stats_noreset 2>/dev/null |
	    sed -n "s/^$1=//p"
}
kq() {
	kdig +tls +tls-ca="$CERTS/ca.pem" +tls-hostname=dot.test \
	    +timeout=1 +retry=0 +short @127.0.0.2 -p "$DOT" "$@" 2>/dev/null
}
kq_ok() { [ "$(kq www.dot.test)" = 192.0.2.53 ]; }
unbound_start() {
	bg_start UNBOUND unbound -d -c "$T_DIR/unbound.conf"
	poll 10 kq_ok
}
unbound_start || { not_ok "unbound serves DoT"; done_testing; }
ok "kdig gets an answer from unbound over TLS"
bg_start PEER python3 "$TOP/regress/dotpeer.py" "$CERTS/srv.pem" \
    "$CERTS/srv.key" reverse:"$REV" close:"$CLOSE" \
    reset:"$RESET" hold:"$HOLD" deaf:"$DEAF"
peer_up() { grep -q "^ready" "$T_DIR/bg.log"; }
poll 10 peer_up || { not_ok "dotpeer.py listens"; done_testing; }

# a CA file over the 4 MB the resolver reads: no certificate read
{ cat "$CERTS/ca.pem"; python3 -c 'print("# filler\n" * 600000, end="")'; } \
    >"$T_DIR/big.pem"
echo "no certificate here" >"$T_DIR/garbage.pem"

# every packet to and from the DoT port, flushed as it comes
bg_start TCPDUMP tcpdump -i lo -U --immediate-mode -n -s 0 -w "$T_DIR/dot.pcap" \
    "tcp port $DOT"
tcpdump_up() { grep -q "listening on lo" "$T_DIR/bg.log"; }
poll 10 tcpdump_up || { not_ok "tcpdump captures"; done_testing; }

# a dnstap collector: the forwarder's messages name DoT
bg_start CAPTURE fstrm_capture -t protobuf:dnstap.Dnstap -u "$TAP" \
    -w "$T_DIR/tap.fstrm"
poll 10 test -S "$TAP" || { not_ok "fstrm_capture listens"; done_testing; }

write_conf "$T_DIR/d.conf" <<EOF
listen on 127.0.0.1 port $PORT
allow from 127.0.0.0/8
dnstap "$TAP" { client no forwarder yes }
forwarder "dot" {
	server 127.0.0.1 port $DOT tls "dot.test"
	tls-ca "$CERTS/ca.pem"
}
forwarder "badname" {
	server 127.0.0.2 port $DOT tls "wrong.test"
	tls-ca "$CERTS/ca.pem"
}
forwarder "unknownca" {
	server 127.0.0.2 port $DOT tls "dot.test"
	tls-ca "$CERTS/other.pem"
}
forwarder "failover" {
	server 127.0.0.2 port $DOT tls "wrong.test"
	server 127.0.0.1 port $DOT tls "dot.test"
	tls-ca "$CERTS/ca.pem"
}
# its peer answers a burst a millisecond apart, the first query last:
# a thousand take seconds on a slow (sanitizer) build, not a failure
forwarder "rev" {
	server 127.0.0.1 port $REV tls "dot.test"
	tls-ca "$CERTS/ca.pem"
	timeout 15000
}
forwarder "close" {
	server 127.0.0.1 port $CLOSE tls "dot.test"
	tls-ca "$CERTS/ca.pem"
}
forwarder "reset" {
	server 127.0.0.1 port $RESET tls "dot.test"
	tls-ca "$CERTS/ca.pem"
}
forwarder "hold" {
	server 127.0.0.1 port $HOLD tls "dot.test"
	tls-ca "$CERTS/ca.pem"
	timeout 1000
}
forwarder "deaf" {
	server 127.0.0.1 port $DEAF tls "dot.test"
	tls-ca "$CERTS/ca.pem"
	timeout 60000
}
forwarder "noca" {
	server 127.0.0.1 port $DOT tls "dot.test"
	tls-ca "$T_DIR/big.pem"
}
forwarder "garbage" {
	server 127.0.0.1 port $DOT tls "dot.test"
	tls-ca "$T_DIR/garbage.pem"
}
domain "local.test"
record "www.local.test" A 10.0.0.1
match query "rev.test" forward "rev"
match query "close.test" forward "close"
match query "reset.test" forward "reset"
match query "hold.test" forward "hold"
match query "deaf.test" forward "deaf"
match query "noca.test" forward "noca"
match query "garbage.test" forward "garbage"
match query "badname.dot.test" forward "badname"
match query "unknownca.dot.test" forward "unknownca"
match query "failover.dot.test" forward "failover"
match query "dot.test" forward "dot"
EOF
start_daemon "$T_DIR/d.conf" || { not_ok "daemon starts"; done_testing; }

is "a query goes over TLS and gets unbound's answer" \
    "$(dq +short www.dot.test)" 192.0.2.53
is "over TCP too" "$(dq +tcp +short tcp.dot.test)" 192.0.2.53
tapped() {
	[ "$(ctl show metrics |
	    sed -n 's/^vpndnsd_dnstap_forwarder_frames_total //p')" -ge 4 ]
}
poll 10 tapped
bg_stop "$CAPTURE"
dnstap-ldns -r "$T_DIR/tap.fstrm" >"$T_DIR/tap.txt" 2>&1
sed 's/^/# /' "$T_DIR/tap.txt"
# Debian 12's dnstap-ldns knows no DOT: it prints "?", not UDP or TCP
check "dnstap: FORWARDER_QUERY to the server over DoT" grep -Eq \
    ' FQ 127\.0\.0\.1 \? [0-9]+b "www\.dot\.test\." IN A' "$T_DIR/tap.txt"
check "dnstap: FORWARDER_RESPONSE, a TCP client's too" sh -c \
    "grep -Eq ' FR 127\.0\.0\.1 \? [0-9]+b \"www\.dot\.test\.\" IN A' \
    '$T_DIR/tap.txt' && grep -q ' FR 127.0.0.1 ? .*tcp.dot.test' '$T_DIR/tap.txt'"

# 200 names in a row, none cached
seq 200 | sed 's/.*/q&.dot.test/' >"$T_DIR/names"
is "200 queries in a row are answered" "$(dq +short -f "$T_DIR/names" |
    grep -c '^192\.0\.2\.53$')" 200
syns() {
	tcpdump -r "$T_DIR/dot.pcap" -n \
	    "dst host $1 and dst port $DOT and tcp[tcpflags] & tcp-syn != 0" \
	    2>/dev/null | wc -l
}
# the kernel hands packets over in blocks: wait for the first SYN
some_syn() { [ "$(syns 127.0.0.1)" -ge 1 ]; }
poll 10 some_syn
n=$(syns 127.0.0.1)
check "202 queries took at most 2 TCP connections ($n)" \
    test "$n" -ge 1 -a "$n" -le 2
fwd() {
	ctl -j show forwarders | python3 -c 'import json, sys
for g in json.load(sys.stdin):
    if g["forwarder"] == sys.argv[1]:
        s = g["servers"][int(sys.argv[2])]
        print(" ".join(str(s.get(f)) for f in sys.argv[3:]))' "$@"
}
is "show forwarders: tls, up, one connection open, 202 answers" \
    "$(fwd dot 0 transport up connection connections_open answers)" \
    "tls True open 1 202"

total=$(ustat total.num.queries)
is "unbound counts every query it got as TLS ($total)" \
    "$(ustat num.query.tls)" "$total"

# a certificate that does not verify: SERVFAIL, logged once, shown
for i in 1 2 3 4; do
	is "wrong name $i: SERVFAIL" "$(rcode_of www$i.badname.dot.test)" \
	    SERVFAIL
done
is "the failure is logged once" \
    "$(grep -c 'tls "wrong.test"): TLS handshake' "$D_LOG")" 1
like "show forwarders tells the TLS error" \
    "$(fwd badname 0 up connection tls_failures tls_error)" \
    "^False failing [1-9][0-9]* TLS handshake: name .wrong.test. not present"
is "an unknown CA: SERVFAIL" "$(rcode_of www.unknownca.dot.test)" \
    SERVFAIL
like "show forwarders says why" "$(fwd unknownca 0 tls_error)" \
    "certificate verification failed"
is "failover past the server whose name does not verify" \
    "$(dq +short www.failover.dot.test)" 192.0.2.53

# the server restarts: its connection closes, a new one is made
bg_stop "$UNBOUND"
closed() { [ "$(fwd dot 0 connections_open)" = 0 ]; }
wait_for "the closed connection is seen" 10 closed
unbound_start || not_ok "unbound starts again"
answered() { [ "$(dq +short +time=1 again$1.dot.test)" = 192.0.2.53 ]; }
wait_for "a restarted server is connected to again" 10 answered 1

# many queries at once, answered last first: matched by id, whatever the
# order; past DOT_BUSY in flight a second connection opens
set -- $(python3 "$TOP/regress/dnsraw.py" spray 127.0.0.1 "$PORT" 1000 \
    'q{}.rev.test' 20)
is "1000 queries at once answered out of order: all, none SERVFAIL" \
    "$1 $2" "1000 0"
is "over two connections, none failed" \
    "$(fwd rev 0 connections connection_failures)" "2 0"

# the server closes with queries on the connection: sent again on another
is "queries under a close are sent again and answered" \
    "$(python3 "$TOP/regress/dnsraw.py" pipeline 127.0.0.1 "$PORT" \
    c1.close.test c2.close.test c3.close.test | sort)" \
    "1000 0 1
1001 0 1
1002 0 1"
is "on a second connection, the close no failure" \
    "$(fwd close 0 connections connection_failures)" "2 0"
# or resets it, without a word: the same, but a failure
is "queries under a reset are sent again and answered" \
    "$(python3 "$TOP/regress/dnsraw.py" pipeline 127.0.0.1 "$PORT" \
    c1.reset.test c2.reset.test c3.reset.test | sort)" \
    "1000 0 1
1001 0 1
1002 0 1"
is "on a second connection, the reset a failure" \
    "$(fwd reset 0 connections connection_failures)" "2 1"

# A query given up keeps its id while its answer may come: the ids of a
# connection go round in 512 queries, and the answer held back for the
# first query must not pass for the same question's 513th.
is "a query the server does not answer: SERVFAIL" \
    "$(rcode_of hold.hold.test)" SERVFAIL
seq 511 | sed 's/.*/f&.hold.test/' >"$T_DIR/holdnames"
is "511 queries more on the connection" "$(dq +short -f "$T_DIR/holdnames" |
    grep -c '^192\.0\.2\.53$')" 511
is "the same question again gets its own answer, not the late one" \
    "$(dq +short hold.hold.test)" 192.0.2.53
is "the server sends the late answer" "$(dq +short release.hold.test)" \
    192.0.2.53
is "one connection all along" "$(fwd hold 0 connections)" 1
stray1() { [ "$(fwd hold 0 stray)" = 1 ]; }
wait_for "the late answer is counted stray" 5 stray1

# a server that sends something now and then but answers no query is
# dead (the queries wait for a minute: only the connection can tell)
python3 "$TOP/regress/dnsraw.py" spray 127.0.0.1 "$PORT" 100 \
    "q{}.deaf.test" 0 >/dev/null
deaf() { [ "$(fwd deaf 0 tls_error)" = "no answer on the connection" ]; }
wait_for "a server that answers nothing is taken for dead" 15 deaf

# no CA read: never a handshake (libtls would read the system's store,
# which the sandbox forbids), SERVFAIL, the reason shown
is "a tls-ca the resolver cannot read: SERVFAIL" \
    "$(rcode_of www.noca.test)" SERVFAIL
is "the resolver is alive: a local name is answered" \
    "$(dq +short www.local.test)" 10.0.0.1
is "show forwarders says why" "$(fwd noca 0 tls_error tls_failures)" \
    "tls-ca: no certificates read 1"
is "a tls-ca with no certificate in it: SERVFAIL" \
    "$(rcode_of www.garbage.test)" SERVFAIL
is "show forwarders says libtls refused it" "$(fwd garbage 0 tls_error)" \
    "ssl verify memory setup failure"
check "the daemon runs" kill -0 "$D_PID"
# an empty tls-ca is a configuration error: a reload keeps what runs
: >"$T_DIR/big.pem"
kill -HUP "$D_PID"
wait_for "a reload with an empty tls-ca fails" 5 \
    grep -q "reload failed, the running configuration stays" "$D_LOG"
like "the log says where" "$(cat "$D_LOG")" \
    "d\\.conf:[0-9]*: forwarder \"noca\": tls-ca \"[^\"]*\": empty"
is "answers go on" "$(dq +short www.dot.test)" 192.0.2.53

# No plain text: every connection to unbound begins with a TLS handshake
# record (0x16).  A plain TCP query after shows the check sees one.
tcp_starts() {
	python3 - "$T_DIR/dot.pcap" "$DOT" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
port = int(sys.argv[2])
link = struct.unpack("<I", data[20:24])[0]
skip = {1: 14, 113: 16, 276: 20}[link]
first = {}
off = 24
while off + 16 <= len(data):
    incl = struct.unpack("<I", data[off + 8:off + 12])[0]
    pkt = data[off + 16:off + 16 + incl]
    off += 16 + incl
    ip = pkt[skip:]
    if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
        continue
    tcp = ip[(ip[0] & 15) * 4:]
    sport, dport = struct.unpack(">HH", tcp[:4])
    payload = tcp[(tcp[12] >> 4) * 4:]
    flow = (ip[12:16], sport)
    if dport == port and payload and flow not in first:
        first[flow] = payload[0]
print(len(first), sum(1 for b in first.values() if b != 0x16))
PY
}
set -- $(tcp_starts)
check "every connection to the server began with a TLS handshake ($1)" \
    test "$1" -ge 3 -a "$2" = 0
kdig +tcp +timeout=1 +retry=0 @127.0.0.1 -p "$DOT" plain.dot.test \
    >/dev/null 2>&1
one_plain() { set -- $(tcp_starts); [ "$2" = 1 ]; }
wait_for "(the check sees a connection that does not)" 5 one_plain
bg_stop "$TCPDUMP"
done_testing
