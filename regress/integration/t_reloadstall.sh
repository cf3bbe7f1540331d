#!/bin/sh
# A reload is built beside the running state and swapped in: with a
# million-name blocklist, five reloads while a local name is asked every
# 10 ms lose no answer and stall none.  (Each reload once stalled
# answers for 200 to 500 ms.)  The issue's 50 ms is a figure of a quiet
# machine (make bench: b_reloadstall.sh); here, where other tests and a
# CPU load may hold the daemon from its core for tens of milliseconds
# (61 ms seen under stress-ng --cpu 2), a stall is an answer slower than
# STALL_MS, 150 by default: still below the shortest stall of the old
# code, which on a busy core only grows.
. "$(dirname "$0")/../lib.sh"
require_root
require_unsanitized "the bound is for the real build's speed"

STALL_MS=${STALL_MS:-150}
PORT=$(pick_port)
awk 'BEGIN { for (i = 0; i < 1000000; i++)
	printf "n%d.x%d.blocked%d.test\n", i, i % 977, i % 13 }' \
    >"$T_DIR/list"
write_conf "$T_DIR/r.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.10
blocklist "big" { file "$T_DIR/list" }
match block "big" local-only
EOF
start_daemon "$T_DIR/r.conf" || { not_ok "daemon starts"; done_testing; }
loads() { ctl -j show blocklists | python3 -c 'import json, sys
print(json.load(sys.stdin)[0]["loads"])'; }
loaded() { [ "$(loads)" -ge "$1" ]; }
wait_for "the list is loaded" 60 loaded 1
is "a listed name is blocked" "$(rcode_of n5.x5.blocked5.test)" NXDOMAIN

$DNSRAW probe 127.0.0.1 "$PORT" nas.vpn.test 300 "$T_DIR/stop" \
    >"$T_DIR/probe" &
PROBE=$!
T_PIDS="$T_PIDS $PROBE"
for i in 1 2 3 4 5; do
	ctl reload >/dev/null
	wait_for "reload $i: the list is loaded again" 60 loaded $((i + 1))
done
touch "$T_DIR/stop"
wait "$PROBE"
set -- $(cat "$T_DIR/probe")
diag "probes: $1 sent, $2 lost, slowest $3 ms"
check "probes ran throughout ($1)" test "$1" -gt 50
is "no probe lost" "$2" 0
check "none slower than $STALL_MS ms ($3 ms)" test "$3" -le "$STALL_MS"
is "the list still blocks" "$(rcode_of n7.x7.blocked7.test)" NXDOMAIN
is "and the local name answers" "$(dq +short nas.vpn.test)" 10.0.0.10
check "the daemon stops cleanly" stop_daemon
done_testing
