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

t=$($DNSRAW idle 127.0.0.1 "$PORT" 4)
like "an idle connection is closed after about a second" "$t" "^(1|2)\\."

is "three connections are served, the fourth is closed" \
    "$($DNSRAW conns 127.0.0.1 "$PORT" 4 nas.vpn.test | tr '\n' ' ')" \
    "answered answered answered closed "
sleep 0.3	# the server sees the four close
is "once they are gone, a new one is served" \
    "$($DNSRAW conns 127.0.0.1 "$PORT" 1 nas.vpn.test)" "answered"

names=""
for i in $(seq 50); do names="$names nas.vpn.test"; done
# shellcheck disable=SC2086
is "50 pipelined queries with max-inflight 1: all answered, in order" \
    "$($DNSRAW pipeline 127.0.0.1 "$PORT" $names | awk '{ print $1 }' |
    tr '\n' ' ')" "$(seq 1000 1049 | tr '\n' ' ')"
like "status counts the refused connection" "$(ctl show status)" \
    "dropped 1"
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
	echo "tcp max-inflight 64"
	echo 'domain "vpn.test"'
	for i in $(seq 150); do
		echo "record \"big.vpn.test\" TXT \"$i\" \"$S200\""
	done
} | write_conf "$T_DIR/big.conf"
start_daemon "$T_DIR/big.conf" || { not_ok "daemon starts"; done_testing; }
is "1280 pipelined 30 KB answers, every one delivered" \
    "$($DNSRAW bulk 127.0.0.1 "$PORT" 20 64 big.vpn.test 16)" 1280
sleep 0.5
like "and no connection is left open" "$(ctl show status)" "open 0$"
check "nothing was dropped" sh -c "! grep -q dropped '$D_LOG'"
stop_daemon
done_testing
