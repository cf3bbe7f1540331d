#!/bin/sh
# Logs are never lost.  A daemon that is not -d, with a syslog of the
# test's own: a datagram socket at /dev/log in a private mount namespace
# (a tmpfs over /dev there, /dev/null and the random devices bound in;
# the machine's /dev is not touched).  The children's lines reach it
# through the parent; when syslog restarts they reach the new one; a
# child's fatal() line gets out before its death is told; with no syslog
# socket at all, lines go to stderr.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools unshare nsenter

mkdir "$T_DIR/dev"
unshare --mount --propagation private sh -c '
	mount -t tmpfs -o mode=755 tmpfs "$1" || exit 1
	for n in null zero random urandom; do
		: >"$1/$n" && mount --bind "/dev/$n" "$1/$n" || exit 1
	done
	mount --bind "$1" /dev || exit 1
	: >"$2"
	exec sleep 1000000' sh "$T_DIR/dev" "$T_DIR/ns-ready" &
HOLDER=$!
T_PIDS="$T_PIDS $HOLDER"
poll 10 test -e "$T_DIR/ns-ready" || skip_all "cannot make a mount namespace"
in_ns() { nsenter --mount="/proc/$HOLDER/ns/mnt" "$@"; }
check "the namespace has a /dev of its own" in_ns test ! -e /dev/tty
check "the machine's /dev is untouched" test -e /dev/tty

# syslog_start FILE: a syslog at /dev/log, each datagram a line of FILE
syslog_start() {
	in_ns rm -f /dev/log
	# nsenter itself, not in_ns: a function in the background is a
	# subshell, and its pid not the syslog's
	nsenter --mount="/proc/$HOLDER/ns/mnt" python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
out = open(sys.argv[1], "ab", buffering=0)
while True:
    out.write(s.recv(65536) + b"\n")' "$1" &
	SYSLOG=$!
	T_PIDS="$T_PIDS $SYSLOG"
	poll 10 in_ns test -S /dev/log
}
syslog_stop() {
	kill "$SYSLOG" 2>/dev/null
	wait "$SYSLOG" 2>/dev/null
	in_ns rm -f /dev/log
}

PORT=$(pick_port)
write_conf "$T_DIR/s.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.10
EOF
ERR=$T_DIR/stderr.log
T_LOGS="$T_LOGS $ERR"
syslog_start "$T_DIR/syslog1"
# not -d: it daemonizes; its pid is the pidfile's
in_ns "$VPNDNSD" -f "$T_DIR/s.conf" -s "$D_SOCK" >/dev/null 2>"$ERR"
check "vpndnsd starts" test $? -eq 0
DPID=$(cat "$T_DIR/vpndnsd.pid")
T_PIDS="$T_PIDS $DPID"
has() { grep -q "$2" "$1" 2>/dev/null; }
wait_for "the parent's line reaches syslog" 5 \
    has "$T_DIR/syslog1" "vpndnsd\\[$DPID\\]: vpndnsd .* started"
wait_for "the resolver's line too, through the parent" 5 \
    has "$T_DIR/syslog1" "vpndnsd\\[$DPID\\]: resolver: configuration loaded"
like "as syslog(3) writes them: priority, time, tag" \
    "$(grep 'resolver: configuration loaded' "$T_DIR/syslog1")" \
    "^<30>[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]{8} vpndnsd\\[$DPID\\]: "
is "nothing on stderr" "$(cat "$ERR")" ""

# syslogd restarts: a new socket at /dev/log
syslog_stop
syslog_start "$T_DIR/syslog2"
ctl log verbose >/dev/null
ctl reload >/dev/null
wait_for "after syslog restarts, the frontend's lines arrive" 5 \
    has "$T_DIR/syslog2" "frontend: log level now verbose"
wait_for "and the resolver's" 5 \
    has "$T_DIR/syslog2" "resolver: configuration loaded"
is "still nothing on stderr" "$(cat "$ERR")" ""

# no syslog socket at all: stderr, where the daemon was started
syslog_stop
ctl reload >/dev/null
wait_for "without a syslog socket, the lines go to stderr" 5 \
    has "$ERR" "^resolver: configuration loaded"
like "the parent's too" "$(cat "$ERR")" "reloading"
syslog_start "$T_DIR/syslog3"
ctl log brief >/dev/null
wait_for "and to syslog again once it is back" 5 \
    has "$T_DIR/syslog3" "frontend: log level now brief"

# a child's fatal(): the parent stopped, so that the line waits in the
# channel; the frontend killed, so that the resolver dies of fatalx()
dead() { [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]; }
FPID=$(child_pid frontend)
RPID=$(child_pid resolver)
kill -STOP "$DPID"
kill -KILL "$FPID"
poll 10 dead "$RPID"
kill -CONT "$DPID"
wait_for "a child's fatal line reaches syslog" 5 \
    has "$T_DIR/syslog3" "resolver: the frontend closed its channel"
gone() { ! kill -0 "$DPID" 2>/dev/null; }
wait_for "and the daemon goes down" 10 gone
like "its fatal line comes before its death is told" \
    "$(grep -n 'resolver: the frontend closed\|resolver (pid' "$T_DIR/syslog3" |
    head -n 1)" "frontend closed its channel"
syslog_stop
done_testing
