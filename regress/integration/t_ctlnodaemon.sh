#!/bin/sh
# vpndnsctl without a daemon to talk to: one line on standard error that
# names the socket and the reason, nothing on standard output, exit 1.
. "$(dirname "$0")/../lib.sh"

# ctl_fails WHY SOCKET REGEX [RUNNER...]: the three promises, for SOCKET
ctl_fails() {
	_why=$1 _sock=$2 _re=$3; shift 3
	"$@" "$VPNDNSCTL" -s "$_sock" show status >"$T_DIR/out" \
	    2>"$T_DIR/err"
	is "$_why: exit status 1" "$?" 1
	is "$_why: nothing on standard output" "$(cat "$T_DIR/out")" ""
	is "$_why: one line" "$(wc -l <"$T_DIR/err")" 1
	like "$_why: it names the socket and the reason" \
	    "$(cat "$T_DIR/err")" "^vpndnsctl: .*$_sock: $_re"
}

ctl_fails "no socket" "$T_DIR/none.sock" "No such file or directory"
# a socket left behind by a daemon that died
python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])' "$T_DIR/stale.sock"
check "a stale socket is there" test -S "$T_DIR/stale.sock"
ctl_fails "a stale socket" "$T_DIR/stale.sock" "Connection refused"
like "a stale socket: it says the daemon is not running" \
    "$(cat "$T_DIR/err")" "vpndnsd is not running"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	# the daemon's socket is root's, mode 0600
	python3 -c 'import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o600); s.listen(1)
import signal; os.write(1, b"x"); signal.pause()' "$T_DIR/root.sock" \
	    >"$T_DIR/listening" &
	T_PIDS="$T_PIDS $!"
	poll 10 test -s "$T_DIR/listening"
	ctl_fails "as another user" "$T_DIR/root.sock" "Permission denied" \
	    setpriv --reuid=nobody --regid=nogroup --clear-groups
else
	skip_by_design "as another user: needs root and setpriv"
fi
done_testing
