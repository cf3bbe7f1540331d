#!/bin/sh
# Privilege separation, read from /proc: every child unprivileged,
# capability-less, chrooted to the empty directory, no-new-privs and under
# a seccomp filter; the parent the only root process.  Also: one instance
# per pidfile, a missing user named clearly, a dying child takes the
# daemon down.
. "$(dirname "$0")/../lib.sh"
require_root

PORT=$(pick_port)
write_conf "$T_DIR/p.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.10
EOF
start_daemon "$T_DIR/p.conf" || { not_ok "daemon starts"; done_testing; }

status_field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }

is "the parent runs as root" "$(status_field "$D_PID" Uid)" \
    "$(printf '0\t0\t0\t0')"
nobody_uid=$(id -u nobody)
nobody_gid=$(id -g nobody)
for child in frontend resolver wgwatch; do
	pid=$(child_pid "$child")
	if [ -z "$pid" ] || [ ! -d "/proc/$pid" ]; then
		not_ok "$child: found"
		continue
	fi
	is "$child is a child of the parent" \
	    "$(awk '{ print $4 }' "/proc/$pid/stat")" "$D_PID"
	is "$child: uid is nobody's" "$(status_field "$pid" Uid)" \
	    "$(printf '%s\t%s\t%s\t%s' "$nobody_uid" "$nobody_uid" \
	    "$nobody_uid" "$nobody_uid")"
	is "$child: gid is nobody's" "$(status_field "$pid" Gid)" \
	    "$(printf '%s\t%s\t%s\t%s' "$nobody_gid" "$nobody_gid" \
	    "$nobody_gid" "$nobody_gid")"
	is "$child: only nobody's group" \
	    "$(status_field "$pid" Groups | tr -d ' ')" "$nobody_gid"
	for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
		is "$child: $cap is empty" "$(status_field "$pid" $cap)" \
		    "0000000000000000"
	done
	is "$child: NoNewPrivs" "$(status_field "$pid" NoNewPrivs)" 1
	is "$child: seccomp filter mode" "$(status_field "$pid" Seccomp)" 2
	is "$child: root is the empty chroot" \
	    "$(readlink "/proc/$pid/root")" "$T_DIR/empty"
	is "$child: working directory is its root" \
	    "$(readlink "/proc/$pid/cwd")" "$T_DIR/empty"
	# stdio and sockets only: no file or directory held open
	files=$(for fd in /proc/"$pid"/fd/*; do
		t=$(readlink "$fd")
		case "${fd##*/}:$t" in
		[012]:*|*:socket:*|*:pipe:*|*:anon_inode:*) ;;
		*) echo "$t" ;;
		esac
	done)
	is "$child: no files or directories open" "$files" ""
	is "$child: re-executed, not just forked" \
	    "$(readlink "/proc/$pid/exe")" "$(readlink -f "$VPNDNSD")"
done
is "the query path works under the sandbox" \
    "$(dq +short nas.vpn.test)" "10.0.0.10"
kids=$(pgrep -P "$D_PID")
is "the parent has three children" "$(echo $kids | wc -w)" 3
is "none of them runs as root" \
    "$(for p in $kids; do status_field "$p" Uid; done | grep -c "^0")" "0"

# a second instance on the same pidfile is refused
out=$("$VPNDNSD" -d -f "$T_DIR/p.conf" -s "$T_DIR/second.sock" 2>&1)
rc=$?
check "a second instance exits non-zero" test "$rc" -ne 0
like "it says which pid holds the lock" "$out" \
    "already running \\(pid $D_PID"
check "the first instance still answers" \
    test "$(dq +short nas.vpn.test)" = "10.0.0.10"

# the control socket is the parent's, mode 0600
is "control socket mode" "$(stat -c %a "$D_SOCK")" "600"

# kill the frontend: the daemon exits non-zero at once and says so (5 s:
# a bound for a loaded machine; it waits for nothing)
fpid=$(child_pid frontend)
rpid=$(child_pid resolver)
wpid=$(child_pid wgwatch)
check "the children are known" test -n "$fpid" -a -n "$rpid" -a -n "$wpid"
kill -KILL "$fpid"
gone() { ! kill -0 "$D_PID" 2>/dev/null; }
wait_for "the daemon exits once it loses its frontend" 5 gone
wait "$D_PID"
rc=$?
check "with a non-zero status" test "$rc" -ne 0
like "the log names the child and the signal" "$(cat "$D_LOG")" \
    "frontend \\(pid $fpid\\) was killed by signal 9"
check "the resolver is gone too" test ! -d "/proc/$rpid"
check "wgwatch is gone too" test ! -d "/proc/$wpid"
T_PIDS=""
D_PID=""
check "the pidfile is removed" test ! -e "$T_DIR/vpndnsd.pid"

# a user that does not exist is named at start-up
sed 's/^user .*/user "no-such-user-vpndnsd"/' "$T_DIR/p.conf" \
    >"$T_DIR/nouser.conf"
out=$("$VPNDNSD" -d -f "$T_DIR/nouser.conf" -s "$T_DIR/nouser.sock" 2>&1)
rc=$?
check "a missing user stops the start" test "$rc" -ne 0
like "and is named" "$out" 'user "no-such-user-vpndnsd" does not exist'

# a control socket path that is not a socket is left alone
echo "precious" >"$T_DIR/victim"
out=$("$VPNDNSD" -d -f "$T_DIR/p.conf" -s "$T_DIR/victim" 2>&1)
rc=$?
check "a control socket path holding a file stops the start" test "$rc" -ne 0
like "and says so" "$out" "exists and is not a socket"
is "the file is untouched" "$(cat "$T_DIR/victim")" "precious"

# the chroot must be empty
touch "$T_DIR/empty/junk"
out=$("$VPNDNSD" -d -f "$T_DIR/p.conf" -s "$T_DIR/junk.sock" 2>&1)
rc=$?
rm -f "$T_DIR/empty/junk"
check "a non-empty chroot stops the start" test "$rc" -ne 0
like "and is named" "$out" "must be empty.*junk"
done_testing
