#!/bin/sh
# The real client address: PROXY protocol v2 from trusted proxies over UDP
# and TCP (dnsdist's captured headers, broken ones, ours), ECS from
# trusted senders, and a real dnsdist in front.  The ACL and the match
# rules must see the client the header or the option names.
. "$(dirname "$0")/../lib.sh"
require_root
RAW="python3 $TOP/regress/dnsraw.py"
PORT=$(pick_port)

write_conf "$T_DIR/p.conf" <<EOF
listen on 127.0.0.1 port $PORT
listen on ::1 port $PORT
log queries
allow from { 127.0.0.0/8 ::1 10.0.0.0/8 }
proxy-protocol from { 127.0.0.5 ::1 }
client-subnet from 127.0.0.6
domain "pp.test"
record "www.pp.test" A 192.0.2.1
record "tlv.pp.test" A 192.0.2.2
record "v6.pp.test" A 192.0.2.3
record "one.pp.test" A 192.0.2.4
record "two.pp.test" A 192.0.2.5
match from 10.1.0.0/16 query "pol.test" local-only
match from 127.0.0.10 query "pol.test" local-only
EOF
start_daemon "$T_DIR/p.conf" || { not_ok "daemon starts"; done_testing; }
status_field() { ctl show status | sed -n "s/.* $1 \([0-9]*\).*/\1/p"; }

# from SRC udp|tcp HEX [N]: "ID RCODE ANCOUNT" per reply
from() { $RAW from "$2" "$1" 127.0.0.1 "$PORT" "$3" ${4:-1}; }

# dnsdist 1.7.3's own headers (../shared/vectors), from a trusted proxy
P1=0d0a0d0a000d0a515549540a2112000c7f0000017f000001c3df14b4000001200001000000000001037777770270700474657374000001000100002904d0000000000000
P2=0d0a0d0a000d0a515549540a2111000c7f0000017f000001903b14b40028000001200001000000000001037777770270700474657374000001000100002904d0000000000000
P3=0d0a0d0a000d0a515549540a2000000003890100000100000000000001610c726f6f742d73657276657273036e65740000010001
P4=0d0a0d0a000d0a515549540a211200207f0000017f000001b53114b4e0000b646e73646973742d746c76e1000301020301000120000100000000000103746c760270700474657374000001000100002904d0000000000000
P5=0d0a0d0a000d0a515549540a212200240000000000000000000000000000000100000000000000000000000000000001d36814b40000012000010000000000010276360270700474657374000001000100002904d0000000000000
P7=0d0a0d0a000d0a515549540a2111000c7f0000017f000001ae7314b4\
0028000001200001000000000001036f6e650270700474657374000001000100002904d0000000000000\
00280001012000010000000000010374776f0270700474657374000001000100002904d0000000000000
is "P1 UDP: answered" "$(from 127.0.0.5 udp $P1)" "0 0 1"
is "P4 UDP with TLVs: answered" "$(from 127.0.0.5 udp $P4)" "256 0 1"
is "P5 UDP, an IPv6 client through IPv4: answered" \
    "$(from 127.0.0.5 udp $P5)" "0 0 1"
is "P3 the LOCAL health check: answered, not SERVFAIL" \
    "$(from 127.0.0.5 udp $P3)" "905 5 0"
is "P2 TCP: answered" "$(from 127.0.0.5 tcp $P2)" "0 0 1"
is "P7 TCP, two queries after one header" "$(from 127.0.0.5 tcp $P7 2)" \
    "0 0 1
1 0 1"
is "P6 TCP over IPv6 from a trusted ::1" \
    "$($RAW from tcp ::1 ::1 "$PORT" 0d0a0d0a000d0a515549540a212100240000000000000000000000000000000100000000000000000000000000000001ab2314b400270000012000010000000000010276360270700474657374000001000100002904d0000000000000)" \
    "0 0 1"
taken=$(status_field proxied)
check "show status counts the headers taken ($taken)" test "${taken:-0}" -ge 7

# broken headers from a trusted proxy: dropped, counted
bad() {
	is "$1: dropped" "$(from 127.0.0.5 udp "$2")" TIMEOUT
}
r0=$(status_field proxy-refused)
bad "truncated header" 0d0a0d0a000d0a515549540a2112000c7f000001
bad "wrong family (UNIX)" "$(echo $P1 | sed 's/^\(.\{26\}\)12/\132/')"
bad "a stream header in a datagram" "$(echo $P1 | sed 's/^\(.\{26\}\)12/\111/')"
bad "length past the datagram" "$(echo $P1 | sed 's/^\(.\{28\}\)000c/\10100/')"
bad "a TLV longer than the header" "$(echo $P4 | sed 's/^\(.\{58\}\)000b/\100ff/')"
bad "a header over 512 bytes" \
    "0d0a0d0a000d0a515549540a21120200$(printf '%01024d' 0)"
bad "a version 1 text header" \
    "$(printf 'PROXY UDP4 127.0.0.1 127.0.0.1 1 53\r\n' | od -An -tx1 | tr -d ' \n')$(echo $P1 | cut -c57-)"
bad "plain DNS without a header" "$(echo $P1 | cut -c57-)"
is "each counted as refused" "$(status_field proxy-refused)" $((r0 + 8))
like "and logged, with the reason" "$(cat "$D_LOG")" \
    "datagram from proxy 127.0.0.5 port [0-9]+ refused: header longer than the datagram"
is "a bad header over TCP closes the connection" \
    "$(from 127.0.0.5 tcp "$(echo $P2 | sed 's/^\(.\{26\}\)11/\112/')")" CLOSED
is "a header from an untrusted source is not honoured: DNS, NOTIMP" \
    "$(from 127.0.0.1 udp $P1)" "3338 4 0"

# the carried client is the client: rules, the ACL
pp() { $RAW pp "$1" 4000 "$2" "$3"; }
is "a client 10.1.0.1 behind the proxy: its rule (local-only)" \
    "$(from 127.0.0.5 udp "$(pp 10.1.0.1 x.pol.test udp)")" "16962 3 0"
is "the proxy's own address has no rule: REFUSED" \
    "$(from 127.0.0.5 udp "$(pp 127.0.0.5 x.pol.test udp)")" "16962 5 0"
is "over TCP too" "$(from 127.0.0.5 tcp "$(pp 10.1.0.1 x.pol.test tcp)")" \
    "16962 3 0"
a0=$(status_field refused-acl)
is "a client outside the ACL behind an allowed proxy: REFUSED" \
    "$(from 127.0.0.5 udp "$(pp 192.168.1.1 www.pp.test udp)")" "16962 5 0"
is "by the ACL" "$(status_field refused-acl)" $((a0 + 1))

# ECS names the client, from a trusted sender only
is "ECS 10.1.0.0/24 from a trusted sender: its rule" \
    "$(rcode_of -b 127.0.0.6 +subnet=10.1.0.0/24 x.pol.test)" NXDOMAIN
is "the same ECS from anyone else is ignored" \
    "$(rcode_of -b 127.0.0.7 +subnet=10.1.0.0/24 x.pol.test)" REFUSED
is "ECS outside the ACL: REFUSED" \
    "$(rcode_of -b 127.0.0.6 +subnet=192.168.0.0/16 www.pp.test)" REFUSED
is "an ECS with bits past its prefix: FORMERR" \
    "$(from 127.0.0.6 udp 4242010000010000000000010377777702707004746573740000010001000029100000000000000c000800080001180a01000107)" \
    "16962 1 0"
check "show status counts ECS clients" test "$(status_field ecs)" -ge 2
like "the query log shows the proxied client and its proxy" "$(cat "$D_LOG")" \
    "query 10\\.1\\.0\\.1#4000 via proxy 127\\.0\\.0\\.5 x\\.pol\\.test\\. A: local-only, NXDOMAIN"
like "and the ECS client and its sender" "$(cat "$D_LOG")" \
    "query 10\\.1\\.0\\.0/24 via ECS from 127\\.0\\.0\\.6 x\\.pol\\.test\\. A: local-only, NXDOMAIN"
is "a proxied ECS sender's option names the client" \
    "$(from 127.0.0.5 udp "$($RAW pp 127.0.0.6 5300 x.pol.test udp \
    10.1.0.0/24)" | cut -d' ' -f2)" 3
like "and the log shows the client, the sender and the proxy" \
    "$(cat "$D_LOG")" \
    "query 10\\.1\\.0\\.0/24 via ECS from 127\\.0\\.0\\.6#5300 via proxy 127\\.0\\.0\\.5 x\\.pol\\.test\\. A: local-only, NXDOMAIN"
like "and the frontend's own refusals" "$(cat "$D_LOG")" \
    "frontend: query 192\\.168\\.1\\.1#4000 via proxy 127\\.0\\.0\\.5 www\\.pp\\.test\\. A: refused by the ACL, REFUSED"

# a real dnsdist in front, headers over UDP and TCP, its health checks
if command -v dnsdist >/dev/null; then
	DPORT=$(pick_port)
	cat >"$T_DIR/dnsdist.conf" <<EOF
setLocal("127.0.0.8:$DPORT")
setACL({"127.0.0.0/8"})
newServer{address="127.0.0.1:$PORT", source="127.0.0.5", useProxyProtocol=true, checkInterval=1}
EOF
	bg_start DNSDIST dnsdist --supervised --disable-syslog \
	    -C "$T_DIR/dnsdist.conf"
	answers_on 127.0.0.8 "$DPORT" www.pp.test
	ddq() { dig @127.0.0.8 -p "$DPORT" +time=2 +tries=1 "$@"; }
	ddrc() { ddq "$@" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'; }
	is "through dnsdist: answered" "$(ddq +short www.pp.test)" 192.0.2.1
	is "a client at 127.0.0.10 gets its own rule" \
	    "$(ddrc -b 127.0.0.10 x.pol.test)" NXDOMAIN
	is "one at 127.0.0.11 does not" "$(ddrc -b 127.0.0.11 x.pol.test)" \
	    REFUSED
	is "over TCP: the same" "$(ddrc +tcp -b 127.0.0.10 x.pol.test)" NXDOMAIN
	is "over TCP, the other client" "$(ddrc +tcp -b 127.0.0.11 x.pol.test)" \
	    REFUSED
	like "the query log shows the client behind dnsdist" "$(cat "$D_LOG")" \
	    "query 127\\.0\\.0\\.10#[0-9]+ via proxy 127\\.0\\.0\\.5 x\\.pol\\.test\\. A: local-only"
	# its health checks (checkInterval 1): a.root-servers.net behind a
	# LOCAL header, each a line in the query log
	checks() { grep -c " a\.root-servers\.net\. A: " "$D_LOG"; }
	h0=$(checks)
	more_checks() { [ "$(checks)" -ge $((h0 + 3)) ]; }
	wait_for "dnsdist's health checks go on (3 more)" 10 more_checks
	check "dnsdist is still running" kill -0 "$DNSDIST" 2>/dev/null
	like "it marked the backend up" "$(cat "$T_DIR/bg.log")" \
	    "Marking downstream 127\\.0\\.0\\.1:$PORT as 'up'"
	is "and never down" "$(grep -c "as 'down'" "$T_DIR/bg.log")" 0
	bg_stop "$DNSDIST"
else
	skip "dnsdist is not installed"
fi
check "the daemon is still running" kill -0 "$D_PID"
stop_daemon
done_testing
