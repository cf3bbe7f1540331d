#!/bin/sh
# TCP limits (RFC 7766): the idle timeout, the connection cap, and the
# in-flight cap that holds pipelined queries rather than dropping them.
. "$(dirname "$0")/../lib.sh"
require_root

PORT=$(pick_port)
write_conf "$T_DIR/t.conf" <<EOF
listen on 127.0.0.1 port $PORT
tcp idle-timeout 1
tcp max-connections 3
tcp max-inflight 1
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.10
EOF
start_daemon "$T_DIR/t.conf" || { not_ok "daemon starts"; done_testing; }
# open_conns N: the daemon holds N connections
open_conns() { ctl show status | grep -q "open $1,"; }

t=$($DNSRAW idle 127.0.0.1 "$PORT" 4)
like "an idle connection is closed after about a second" "$t" "^(1|2)\\."

is "three connections, a fourth: the longest idle makes room for it" \
    "$($DNSRAW conns 127.0.0.1 "$PORT" 4 nas.vpn.test | tr '\n' ' ')" \
    "closed answered answered answered "
wait_for "the server sees the four close" 5 open_conns 0
is "once they are gone, a new one is served" \
    "$($DNSRAW conns 127.0.0.1 "$PORT" 1 nas.vpn.test)" "answered"

names=""
for i in $(seq 50); do names="$names nas.vpn.test"; done
# shellcheck disable=SC2086
is "50 pipelined queries with max-inflight 1: all answered, in order" \
    "$($DNSRAW pipeline 127.0.0.1 "$PORT" $names | awk '{ print $1 }' |
    tr '\n' ' ')" "$(seq 1000 1049 | tr '\n' ' ')"
like "status counts the evicted connection" "$(ctl show status)" \
    "refused 0, .*evicted 1"
stop_daemon

# Regression: when the frontend could not take answers as fast as the
# resolver made them, answers were dropped and their TCP connections,
# still owed an answer, stayed open for good.  30 KB answers, 20
# connections of 64 pipelined queries: 38 MB of answers, more than the
# resolver's output may hold at once.
S200=$(printf '%0200d' 0 | tr 0 x)
{
	echo "listen on 127.0.0.1 port $PORT"
	echo "tcp max-connections 64"
	echo "tcp max-per-client 64"
	echo "tcp max-inflight 64"
	echo 'domain "vpn.test"'
	for i in $(seq 150); do
		echo "record \"big.vpn.test\" TXT \"$i\" \"$S200\""
	done
} | write_conf "$T_DIR/big.conf"
start_daemon "$T_DIR/big.conf" || { not_ok "daemon starts"; done_testing; }
is "1280 pipelined 30 KB answers, every one delivered" \
    "$($DNSRAW bulk 127.0.0.1 "$PORT" 20 64 big.vpn.test 16)" 1280
wait_for "and no connection is left open" 5 open_conns 0
like "no query was dropped" "$(ctl show metrics)" "^vpndnsd_dropped_total 0$"
stop_daemon

# Hostile clients: one address opening many connections, a query sent a
# byte at a time, a thousand idle connections.
write_conf "$T_DIR/h.conf" <<EOF
listen on 127.0.0.1 port $PORT
tcp idle-timeout 30
tcp message-timeout 2
tcp max-per-client 3
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.10
EOF
start_daemon "$T_DIR/h.conf" || { not_ok "daemon starts"; done_testing; }
is "three connections from one address are served, its fourth is closed" \
    "$($DNSRAW conns 127.0.0.1 "$PORT" 4 nas.vpn.test 127.0.0.1 |
    tr '\n' ' ')" "answered answered answered closed "
$DNSRAW hold 127.0.0.1 "$PORT" 3 3 127.0.0.1 >"$T_DIR/held" &
HOLD=$!
T_PIDS="$T_PIDS $HOLD"
wait_for "one address holds three connections" 5 open_conns 3
is "while one address holds three, another address is served" \
    "$($DNSRAW conns 127.0.0.1 "$PORT" 1 nas.vpn.test 127.0.0.2)" answered
is "and the first gets no fourth" \
    "$($DNSRAW conns 127.0.0.1 "$PORT" 1 nas.vpn.test 127.0.0.1)" closed
wait "$HOLD"
like "status counts both refusals" "$(ctl show status)" "refused 2,"
like "the log says why" "$(cat "$D_LOG")" \
    "refused: too many connections from it \\(tcp max-per-client\\)"
t=$($DNSRAW drip 127.0.0.1 "$PORT" nas.vpn.test 0.5)
like "a query sent a byte each 0.5 s is cut off by a 2 s message-timeout" \
    "$t" "^(2|3)\\."
like "status counts it" "$(ctl show status)" "too slow 1"
like "and the log says so" "$(cat "$D_LOG")" \
    "a message not whole after 2 s \\(tcp message-timeout\\)"
is "a query sent slowly but within the timeout is answered" \
    "$($DNSRAW drip 127.0.0.1 "$PORT" nas.vpn.test 0.03)" ANSWERED
stop_daemon

write_conf "$T_DIR/idle.conf" <<EOF
listen on 127.0.0.1 port $PORT
tcp idle-timeout 30
tcp max-connections 1010
tcp max-per-client 1010
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.10
EOF
start_daemon "$T_DIR/idle.conf" || { not_ok "daemon starts"; done_testing; }
# (a sanitizer build accepts slowly: the listen queue overflows and
# clients retry their SYN, so allow up to 30 s to get them all open)
# (a file of its own: the first one's "3" could be read before this
# one's shell has emptied it)
$DNSRAW hold 127.0.0.1 "$PORT" 1000 60 >"$T_DIR/held1000" &
HOLD=$!
T_PIDS="$T_PIDS $HOLD"
poll 30 test -s "$T_DIR/held1000"
is "1,000 idle connections open" "$(cat "$T_DIR/held1000")" 1000
wait_for "the daemon holds them" 5 open_conns 1000
# answered, over UDP and over a new connection, well before any of them
# times out (a second: the machine may be loaded; they hold 60 s)
Q=$($DNSRAW query nas.vpn.test 1)
like "meanwhile a UDP client is answered within a second" \
    "$($DNSRAW udp 127.0.0.1 "$PORT" "$Q" 1)" "0a00000a$"
like "and a TCP client too" "$($DNSRAW tcp 127.0.0.1 "$PORT" "$Q" 1)" \
    "0a00000a$"
kill "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null
stop_daemon
done_testing
