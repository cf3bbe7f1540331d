#!/bin/sh
# dnstap to a real collector: fstrm_capture takes the Frame Streams
# handshake and writes what the daemon sends, dnstap-ldns decodes it:
# CLIENT_QUERY/RESPONSE (the frontend's) and FORWARDER_QUERY/RESPONSE
# (the resolver's, to a real unbound), a PROXY v2 client's own address;
# a collector that restarts gets the streams back, one that is absent or
# stopped costs dropped frames (counted), never an answer.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools fstrm_capture dnstap-ldns unbound python3
RAW="python3 $TOP/regress/dnsraw.py"
PORT=$(pick_port)
UP=$(pick_port)
TAP=$T_DIR/tap.sock

unbound_conf "$T_DIR/unbound.conf" 127.0.0.2 "$UP" <<EOF
	local-zone: "fwd.test." redirect
	local-data: "fwd.test. 300 A 192.0.2.7"
EOF
bg_start UNBOUND unbound -d -c "$T_DIR/unbound.conf"
answers_on 127.0.0.2 "$UP" www.fwd.test ||
    { not_ok "unbound starts"; done_testing; }

# capture N: a collector on the socket, writing tapN.fstrm
capture() {
	rm -f "$TAP"
	bg_start CAPTURE fstrm_capture -t protobuf:dnstap.Dnstap -u "$TAP" \
	    -w "$T_DIR/tap$1.fstrm"
	poll 10 test -S "$TAP"
}
capture 1 || { not_ok "fstrm_capture listens"; done_testing; }

write_conf "$T_DIR/t.conf" <<EOF
listen on 127.0.0.1 port $PORT
allow from { 127.0.0.0/8 10.0.0.0/8 }
proxy-protocol from 127.0.0.5
dnstap "$TAP"
domain "tap.test"
record "www.tap.test" A 10.0.0.80
forwarder "up" { server 127.0.0.2 port $UP }
match query "fwd.test" forward "up"
EOF
start_daemon "$T_DIR/t.conf" || { not_ok "daemon starts"; done_testing; }

metric() { ctl show metrics | sed -n "s/^vpndnsd_dnstap_$1 //p"; }
connected() {
	[ "$(metric client_connected)" = 1 ] &&
	    [ "$(metric forwarder_connected)" = 1 ]
}
wait_for "both streams are accepted by the collector" 10 connected

is "a forwarded query is answered" "$(dq +short www.fwd.test)" 192.0.2.7
is "over TCP too" "$(dq +tcp +short tcp.fwd.test)" 192.0.2.7
pp=$($RAW pp 10.1.0.1 4000 www.tap.test udp)
like "a client behind a PROXY v2 header is answered" \
    "$($RAW from udp 127.0.0.5 127.0.0.1 "$PORT" "$pp" 1)" "^[0-9]+ 0 1"
# written: 3 queries and 3 answers, 2 forwarded queries and answers
frames() {
	[ "$(metric client_frames_total)" -ge 6 ] &&
	    [ "$(metric forwarder_frames_total)" -ge 4 ]
}
wait_for "the frames are written" 10 frames
bg_stop "$CAPTURE"
dnstap-ldns -r "$T_DIR/tap1.fstrm" >"$T_DIR/tap1.txt" 2>&1
dnstap-ldns -y -r "$T_DIR/tap1.fstrm" >"$T_DIR/tap1.yaml" 2>&1
sed 's/^/# /' "$T_DIR/tap1.txt"
has() { grep -Eq "$2" "$T_DIR/$1"; }
check "CLIENT_QUERY from the client over UDP" \
    has tap1.txt ' CQ 127\.0\.0\.1 UDP [0-9]+b "www\.fwd\.test\." IN A'
check "FORWARDER_QUERY to unbound" \
    has tap1.txt ' FQ 127\.0\.0\.2 UDP [0-9]+b "www\.fwd\.test\." IN A'
check "FORWARDER_RESPONSE from unbound" \
    has tap1.txt ' FR 127\.0\.0\.2 UDP [0-9]+b "www\.fwd\.test\." IN A'
check "CLIENT_RESPONSE to the client" \
    has tap1.txt ' CR 127\.0\.0\.1 UDP [0-9]+b "www\.fwd\.test\." IN A'
check "a TCP client's query and answer" sh -c \
    "grep -q ' CQ 127.0.0.1 TCP .*tcp.fwd.test' '$T_DIR/tap1.txt' &&
    grep -q ' CR 127.0.0.1 TCP .*tcp.fwd.test' '$T_DIR/tap1.txt'"
check "the proxied client's own address, not the proxy's" \
    has tap1.txt ' CQ 10\.1\.0\.1 UDP [0-9]+b "www\.tap\.test\." IN A'
check "and its port" has tap1.yaml 'query_port: 4000'
check "answered from our address and port" \
    has tap1.yaml "response_port: $PORT"
check "times are there" has tap1.yaml 'response_time: !!timestamp 20'
check "identity and version" has tap1.yaml 'version: "vpndnsd '

# the collector is gone: answers go on, frames are counted as dropped
gone() { [ "$(metric client_connected)" = 0 ]; }
wait_for "the closed stream is seen" 10 gone
d0=$(metric client_dropped_total)
is "no collector: still answered" "$(dq +short www.tap.test)" 10.0.0.80
check "and the frames are counted dropped" \
    test "$(metric client_dropped_total)" -gt "$d0"
# it comes back: the daemon reconnects by itself
capture 2 || not_ok "fstrm_capture listens again"
wait_for "a restarted collector gets both streams back" 15 connected
f0=$(metric client_frames_total)
is "answered" "$(dq +short again.fwd.test)" 192.0.2.7
more() { [ "$(metric client_frames_total)" -ge $((f0 + 2)) ]; }
wait_for "written" 10 more

# a collector that stops reading: its queue fills, answers do not wait
kill -STOP "$CAPTURE"
d1=$(metric client_dropped_total)
t0=$(date +%s%N)
is "20000 queries with a stopped collector: all answered" \
    "$($RAW flood 127.0.0.1 "$PORT" 20000 'www.tap.test')" 20000
diag "in $(ms_since "$t0") ms"
check "frames past the queue are dropped and counted" \
    test "$(metric client_dropped_total)" -gt "$d1"
kill -CONT "$CAPTURE"
bg_stop "$CAPTURE"
check "the second capture decodes, with the query after the restart" \
    sh -c "dnstap-ldns -r '$T_DIR/tap2.fstrm' | grep -q 'CQ 127.0.0.1 UDP .*again.fwd.test'"
done_testing
