#!/bin/sh
# DNS over TLS to upstreams against a real unbound serving DoT with a CA
# and certificate made here: right answers, a wrong name or an unknown CA
# SERVFAIL (once logged, shown in show forwarders), failover past a
# server that fails its handshake, 200 queries in a row over at most 2
# connections (tcpdump counts the SYNs), nothing in plain text on the
# wire (the capture holds no name in wire form, unbound counts every
# query as TLS), and a restarted server reconnected to.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools unbound unbound-control openssl kdig tcpdump python3
PORT=$(pick_port)
DOT=$(pick_port)
CERTS=$T_DIR/certs
mkdir -p "$CERTS"

# a CA, the server's certificate for dot.test from it, and another CA
mkcert() {
	cd "$CERTS" || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout ca.key -out ca.pem -days 2 \
	    -subj /CN=vpndnsd-test-ca &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout srv.key -out srv.csr -subj /CN=dot.test &&
	printf 'subjectAltName=DNS:dot.test\nbasicConstraints=CA:FALSE\n' \
	    >ext.cnf &&
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -out srv.pem -days 2 -extfile ext.cnf &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout other.key -out other.pem -days 2 \
	    -subj /CN=other-ca
}
(mkcert) >"$T_DIR/openssl.log" 2>&1 ||
    { not_ok "openssl makes the certificates"; done_testing; }

# unbound serving DoT only, on 127.0.0.1 and .2, a zone of its own
cat >"$T_DIR/unbound.conf" <<EOF
server:
	interface: 127.0.0.1@$DOT
	interface: 127.0.0.2@$DOT
	tls-port: $DOT
	tls-service-key: "$CERTS/srv.key"
	tls-service-pem: "$CERTS/srv.pem"
	do-daemonize: no
	chroot: ""
	username: ""
	pidfile: ""
	directory: "$T_DIR"
	use-syslog: no
	logfile: ""
	do-ip6: no
	num-threads: 1
	access-control: 127.0.0.0/8 allow
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

# every packet to and from the DoT port, flushed as it comes
bg_start TCPDUMP tcpdump -i lo -U --immediate-mode -n -s 0 -w "$T_DIR/dot.pcap" \
    "tcp port $DOT"
tcpdump_up() { grep -q "listening on lo" "$T_DIR/bg.log"; }
poll 10 tcpdump_up || { not_ok "tcpdump captures"; done_testing; }

write_conf "$T_DIR/d.conf" <<EOF
listen on 127.0.0.1 port $PORT
allow from 127.0.0.0/8
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
match query "badname.dot.test" forward "badname"
match query "unknownca.dot.test" forward "unknownca"
match query "failover.dot.test" forward "failover"
match query "dot.test" forward "dot"
EOF
start_daemon "$T_DIR/d.conf" || { not_ok "daemon starts"; done_testing; }

is "a query goes over TLS and gets unbound's answer" \
    "$(dq +short www.dot.test)" 192.0.2.53
is "over TCP too" "$(dq +tcp +short tcp.dot.test)" 192.0.2.53

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

# no plaintext: the wire form of "dot.test" is nowhere in the capture
wire_names() {
	python3 -c 'import sys
print(open(sys.argv[1], "rb").read().count(b"\x03dot\x04test\x00"))' \
	    "$T_DIR/dot.pcap"
}
is "no name in plain text on the wire" "$(wire_names)" 0
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

# the capture could have seen plain text: a plain TCP query to the port
kdig +tcp +timeout=1 +retry=0 @127.0.0.1 -p "$DOT" plain.dot.test \
    >/dev/null 2>&1
seen() { [ "$(wire_names)" -gt 0 ]; }
wait_for "(the capture shows a plain query when there is one)" 5 seen
bg_stop "$TCPDUMP"
done_testing
