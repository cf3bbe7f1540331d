#!/bin/sh
# Overload: floods of shared and of unique names while the only upstream
# holds every query, so the held queries time out together and their
# SERVFAILs come out at once, more than the resolver's channel to the
# frontend takes.  Nothing may wait for that channel (the resolver once
# called poll(2) there and died of its seccomp filter): answers are
# dropped and counted, a TCP connection that lost one is closed, and
# afterwards local names are answered at once by the same processes.
# Two free rounds first; then one where the frontend is stopped while
# the held queries time out, so the channel surely fills before the TCP
# clients' answers come (sent last, and their group's timeout is the
# longer).
. "$(dirname "$0")/../lib.sh"
require_root
require_tools kdig

PORT=$(pick_port)
UP=$(pick_port)
bg_start PY python3 "$TOP/regress/upstream.py" 127.0.0.30 "$UP" \
    "$T_DIR/up.log" --mode silent
write_conf "$T_DIR/o.conf" <<EOF
listen on 127.0.0.1 port $PORT
allow from { 127.0.0.0/8 }
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.10
forwarder "hold" { server 127.0.0.30 port $UP timeout 3000 }
forwarder "tcphold" { server 127.0.0.30 port $UP timeout 4500 }
match query "tstorm.test" forward "tcphold"
match forward "hold"
EOF
start_daemon "$T_DIR/o.conf" || { not_ok "daemon starts"; done_testing; }
pids() { ctl show status | sed -n 's/^pid *//p'; }
status_field() { ctl -j show status | python3 -c 'import json, sys
print(json.load(sys.stdin)[sys.argv[1]][sys.argv[2]])' "$1" "$2"; }
before=$(pids)
check "four processes to watch ($before)" test -n "$before"

# dq_ms NAME: the answer, then how long it took in ms, as kdig saw it
dq_ms() {
	kdig @127.0.0.1 -p "$PORT" +timeout=2 +retry=0 "$1" 2>&1 |
	    awk '/^[^;].*[ \t]A[ \t]/ { a = $NF } / in [0-9.]+ ms/ {
		ms = $(NF - 1) } END { print (a ? a : "-"), int(ms) }'
}

# storm NAMES: 300,000 queries over NAMES names from 200 addresses, then
# 100 TCP connections of 32 queries each
storm() {
	set -- $($DNSRAW storm 127.0.0.1 "$PORT" 300000 "$1" 200 6 100)
	diag "round $r: sent $1, answered $2; TCP complete $3, closed $4," \
	    "waiting $5"
	is "round $r: no TCP connection left waiting" "$5" 0
	kill -0 "$D_PID" 2>/dev/null || { not_ok "round $r: alive"; return 1; }
	is "round $r: the same four processes" "$(pids)" "$before"
	set -- $(dq_ms nas.vpn.test)
	is "round $r: a local name answered afterwards" "$1" 10.0.0.10
	check "round $r: within 100 ms ($2 ms)" test "$2" -lt 100
}

# shared names (64 clients a query at most), then unique ones
r=1
storm 4000
r=2
storm 300000

# cpu_of PID: its user and system time, in ticks
cpu_of() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# resolver_done T0: the TCP queries sent by T0 have timed out (4.5 s)
# and the resolver has worked through them: its CPU time stands still.
# (The frontend stays stopped that long, well within the 10 s after
# which the parent takes a silent child for a stuck one.)
resolver_done() {
	[ "$(date +%s%N)" -gt $(($1 + 5000000000)) ] || return 1
	_c=$(cpu_of "$rpid")
	sleep 0.3
	[ "$(cpu_of "$rpid")" = "$_c" ]
}
r=3
fpid=$(child_pid frontend)
rpid=$(child_pid resolver)
STORM_SENT=$T_DIR/sent $DNSRAW storm 127.0.0.1 "$PORT" 300000 4000 200 15 \
    100 >"$T_DIR/storm3" &
SPID=$!
T_PIDS="$T_PIDS $SPID"
wait_for "round 3: the flood is sent" 30 test -f "$T_DIR/sent"
# sent is not yet read: on a busy machine the frontend may still hold
# TCP queries, which stopped there would be answered late, not dropped.
# Control requests follow the queries down the same channel, so once
# the resolver counts 3,200 for "tcphold" it holds every one of them.
tcp_held() { [ "$(ctl -j show forwarders | python3 -c 'import json, sys
print([g["queries"] for g in json.load(sys.stdin)
    if g["forwarder"] == "tcphold"][0])')" -ge 3200 ]; }
wait_for "round 3: the resolver holds the TCP queries" 30 tcp_held
t0=$(date +%s%N)
kill -STOP "$fpid"
wait_for "round 3: the resolver is done while the frontend is stopped" 30 \
    resolver_done "$t0"
kill -CONT "$fpid"
wait "$SPID"
set -- $(cat "$T_DIR/storm3")
diag "round 3: sent $1, answered $2; TCP complete $3, closed $4, waiting $5"
is "round 3: no TCP connection left waiting" "$5" 0
check "round 3: TCP connections were closed ($4)" test "$4" -gt 0
check "round 3: the daemon is alive" kill -0 "$D_PID"
is "round 3: the same four processes" "$(pids)" "$before"
set -- $(dq_ms nas.vpn.test)
is "round 3: a local name answered afterwards" "$1" 10.0.0.10
check "round 3: within 100 ms ($2 ms)" test "$2" -lt 100

check "answers were dropped: the channel was full" \
    test "$(status_field resolver dropped)" -gt 0
check "TCP connections that lost an answer were closed" \
    test "$(status_field frontend tcp_lost)" -gt 0
like "the log says so" "$(cat "$D_LOG")" \
    "the frontend's channel is full: answers dropped"
metrics=$(ctl show metrics)
like "metrics count the dropped answers" "$metrics" \
    "^vpndnsd_answers_dropped_total [1-9]"
like "and the connections closed" "$metrics" \
    "^vpndnsd_tcp_closed_total\\{reason=\"lost-answer\"\\} [1-9]"
is "no child died" "$(grep -c 'killed by signal\|exited with status' \
    "$D_LOG")" 0
check "the daemon stops cleanly" stop_daemon
done_testing
