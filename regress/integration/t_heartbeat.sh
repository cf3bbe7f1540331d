#!/bin/sh
# A child that stops answering (SIGSTOP from a process of its own user,
# or stuck) takes the daemon down like a dead one, within the heartbeat
# timeout (10 s), with a line naming it; a pause shorter than that does
# not.
. "$(dirname "$0")/../lib.sh"
require_root

PORT=$(pick_port)
write_conf "$T_DIR/h.conf" <<EOF2
listen on 127.0.0.1 port $PORT
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.10
EOF2
start_daemon "$T_DIR/h.conf" || { not_ok "daemon starts"; done_testing; }
wpid=$(child_pid wgwatch)
check "wgwatch is running ($wpid)" test -n "$wpid"
# a short pause: 3 s stopped, then on
kill -STOP "$wpid"
t0=$(date +%s%N)
poll 3 false
kill -CONT "$wpid"
check "a child paused for 3 s: the daemon goes on" kill -0 "$D_PID"
is "and answers" "$(dq +short nas.vpn.test)" 10.0.0.10
ms_waited() { echo $(( ($(date +%s%N) - t0) / 1000000 )); }

for child in wgwatch resolver frontend; do
	pid=$(child_pid "$child")
	kill -STOP "$pid"
	t0=$(date +%s%N)
	gone() { ! kill -0 "$D_PID" 2>/dev/null; }
	wait_for "$child stopped: the daemon goes down" 20 gone
	t=$(ms_waited)
	check "after the 10 s timeout, not before ($t ms)" \
	    test "$t" -ge 9000 -a "$t" -le 13000
	wait "$D_PID"
	is "with status 1" "$?" 1
	like "saying which and why" "$(cat "$D_LOG")" \
	    "$child \\(pid $pid\\) has not answered for 10 s: stopped or stuck"
	is "the stopped child is gone too" "$(ps -o stat= -p "$pid")" ""
	T_PIDS=$(echo "$T_PIDS" | sed "s/ $D_PID\$//; s/ $D_PID / /")
	D_PID=""
	[ "$child" = frontend ] ||
	    start_daemon "$T_DIR/h.conf" || { not_ok "restarts"; break; }
done
done_testing
