#!/bin/sh
# TCP clients that abuse the table or the daemon's memory.  A thousand
# idle connections from a hundred addresses fill the 512-connection
# table: the longest idle makes room, so a new client always gets in.
# Five hundred connections ask for 60 KB answers and never read them:
# what is queued for them is bounded (a connection, all of them), the
# daemon stays small and UDP clients are answered at once meanwhile.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools kdig

PORT=$(pick_port)
S200=$(printf '%0200d' 0 | tr 0 x)
{
	echo "listen on 127.0.0.1 port $PORT"
	echo "tcp idle-timeout 60"
	echo 'domain "vpn.test"'
	echo 'record "nas.vpn.test" A 10.0.0.10'
	for i in $(seq 290); do
		echo "record \"big.vpn.test\" TXT \"$i\" \"$S200\""
	done
} | write_conf "$T_DIR/a.conf"
start_daemon "$T_DIR/a.conf" || { not_ok "daemon starts"; done_testing; }
status() { ctl -j show status | python3 -c 'import json, sys
print(json.load(sys.stdin)[sys.argv[1]][sys.argv[2]])' "$@"; }
Q=$($DNSRAW query nas.vpn.test 1)

# 1,000 idle connections, 10 from each of 100 addresses
$DNSRAW crowd 127.0.0.1 "$PORT" 10 100 120 >"$T_DIR/idle" &
CROWD=$!
T_PIDS="$T_PIDS $CROWD"
idle_open() { [ -s "$T_DIR/idle" ]; }
wait_for "1,000 idle connections made" 60 idle_open
is "every one was accepted" "$(cat "$T_DIR/idle")" 1000
is "the table holds 512 of them" "$(status frontend tcp_open)" 512
is "the other 488 made room by closing the longest idle" \
    "$(status frontend tcp_evicted) $(status frontend tcp_refused)" "488 0"
like "a TCP client from a fresh address is answered at once" \
    "$($DNSRAW from tcp 127.0.0.9 127.0.0.1 "$PORT" \
    "$(printf '%04x' $((${#Q} / 2)))$Q")" "^4660 0 1$"
like "the log says why connections went" "$(cat "$D_LOG")" \
    "closed: the longest idle when the table was full"
bg_stop "$CROWD"
conns_gone() { [ "$(status frontend tcp_open)" = 0 ]; }
wait_for "they are all gone" 10 conns_gone

# a table of connections that are not idle (each owes a query, half
# sent) keeps them: then a new one is refused
stop_daemon
write_conf "$T_DIR/b.conf" <<EOF
listen on 127.0.0.1 port $PORT
tcp max-connections 3
tcp message-timeout 30
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.10
EOF
start_daemon "$T_DIR/b.conf" || { not_ok "daemon starts"; done_testing; }
for i in 1 2 3; do
	bg_start DRIP python3 "$TOP/regress/dnsraw.py" drip 127.0.0.1 "$PORT" \
	    nas.vpn.test 5
done
three_open() { [ "$(status frontend tcp_open)" = 3 ]; }
wait_for "three connections half way through a query" 10 three_open
is "a fourth finds none idle and is refused" \
    "$($DNSRAW conns 127.0.0.1 "$PORT" 1 nas.vpn.test 127.0.0.9)" closed
is "counted as refused, none evicted" \
    "$(status frontend tcp_refused) $(status frontend tcp_evicted)" "1 0"
stop_daemon

# 500 connections from 50 addresses, 32 pipelined 60 KB answers each
# (a GB owed), nothing read
start_daemon "$T_DIR/a.conf" || { not_ok "daemon starts"; done_testing; }
rss_kb() {
	_kb=0
	for _p in $(ctl show status | sed -n 's/^pid *//p' | tr -dc '0-9 '); do
		_kb=$((_kb + $(awk '/^VmHWM/ { print $2 }' "/proc/$_p/status")))
	done
	echo "$_kb"
}
$DNSRAW crowd 127.0.0.1 "$PORT" 10 50 120 big.vpn.test 16 32 \
    >"$T_DIR/noread" &
CROWD=$!
T_PIDS="$T_PIDS $CROWD"
noread_open() { [ -s "$T_DIR/noread" ]; }
wait_for "500 connections asked and read nothing" 60 noread_open
# every query taken, answered or its connection closed
answered_all() {
	[ "$(status frontend tcp_queries)" -ge 16000 ] &&
	    [ "$(status frontend tcp_open)" -le 500 ]
}
wait_for "the daemon took all 16,000 queries" 60 answered_all
# udp_ms: a UDP query's time as kdig measured it, in whole ms; 999 when
# it was not answered with the address
udp_ms() {
	kdig @127.0.0.1 -p "$PORT" +timeout=1 +retry=0 nas.vpn.test 2>&1 |
	    awk '/10\.0\.0\.10/ { ok = 1 } / in [0-9.]+ ms/ {
		ms = $(NF - 1) } END { print ok ? int(ms) : 999 }'
}
max=0 slow=0 worst=0
for i in $(seq 20); do
	r=$(rss_kb)
	[ "$r" -gt "$max" ] && max=$r
	ms=$(udp_ms)
	[ "$ms" -gt "$worst" ] && worst=$ms
	[ "$ms" -ge 100 ] && slow=$((slow + 1))
	sleep 0.1
done
diag "slowest UDP answer meanwhile: $worst ms"
diag "the four processes' peak RSS (VmHWM) together: $max kB"
if sanitized; then
	skip_by_design "the 64 MB bound: ASan keeps freed memory aside"
else
	check "the daemon stays under 64 MB ($max kB)" test "$max" -le 65536
fi
is "UDP answered within 100 ms throughout" "$slow" 0
check "connections that did not read were closed ($(status frontend \
    tcp_unread))" test "$(status frontend tcp_unread)" -gt 0
like "the log says why" "$(cat "$D_LOG")" "closed: answers not read"
like "metrics count them" "$(ctl show metrics)" \
    "vpndnsd_tcp_closed_total\\{reason=\"unread\"\\} [1-9]"
bg_stop "$CROWD"
is "a reader afterwards gets its big answer" \
    "$($DNSRAW bulk 127.0.0.1 "$PORT" 1 1 big.vpn.test 16)" 1
check "the daemon stops cleanly" stop_daemon
done_testing
