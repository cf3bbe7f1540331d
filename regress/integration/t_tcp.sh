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
done_testing
