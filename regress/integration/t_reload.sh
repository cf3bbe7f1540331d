#!/bin/sh
# Reloads by SIGHUP and by vpndnsctl: a broken file changes nothing, a good
# one changes the answers, and the processes stay the same.
. "$(dirname "$0")/../lib.sh"
require_root

PORT=$(pick_port)
conf() {
	write_conf "$T_DIR/r.conf" <<EOF
listen on 127.0.0.1 port $PORT
allow from { 127.0.0.0/8 }
domain "vpn.test"
record "nas.vpn.test" A $1
EOF
}

broken() {
	write_conf "$T_DIR/r.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.300
EOF
}

# wait_answer WANT: the answer changes within two seconds
wait_answer() {
	for i in $(seq 40); do
		[ "$(dq +short nas.vpn.test)" = "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

conf 10.0.0.10
start_daemon "$T_DIR/r.conf" || { not_ok "daemon starts"; done_testing; }
is "the first answer" "$(dq +short nas.vpn.test)" "10.0.0.10"
pids=$(ctl show status | grep '^pid')

broken
kill -HUP "$D_PID"
sleep 0.3
is "a broken file on SIGHUP: the old answer stays" \
    "$(dq +short nas.vpn.test)" "10.0.0.10"
like "the log says where the file is broken" "$(cat "$D_LOG")" \
    "r\\.conf:6: record \"nas\\.vpn\\.test\\.\" A: \"10\\.0\\.0\\.300\" is not an IPv4 address"
like "and that the running configuration stays" "$(cat "$D_LOG")" \
    "reload failed, the running configuration stays"

conf 10.0.0.20
kill -HUP "$D_PID"
check "a good file on SIGHUP changes the answer" wait_answer 10.0.0.20

broken
out=$(ctl reload 2>&1)
rc=$?
check "vpndnsctl reload of a broken file fails" test "$rc" -ne 0
like "and says where" "$out" "r\\.conf:6: .*not an IPv4 address"
is "the answer stays" "$(dq +short nas.vpn.test)" "10.0.0.20"

conf 10.0.0.30
out=$(ctl reload 2>&1)
rc=$?
check "vpndnsctl reload of a good file succeeds" test "$rc" -eq 0
is "and says so" "$out" "configuration reloaded"
check "the answer changes" wait_answer 10.0.0.30
like "show records has the new data" "$(ctl show records)" \
    "nas\\.vpn\\.test\\.[[:space:]]+30[[:space:]]+IN[[:space:]]+A[[:space:]]+10\\.0\\.0\\.30"
is "the processes are the same ones" "$(ctl show status | grep '^pid')" \
    "$pids"

# an ACL change applies on reload
write_conf "$T_DIR/r.conf" <<EOF
listen on 127.0.0.1 port $PORT
allow from 127.0.0.9
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.30
EOF
ctl reload >/dev/null
is "a narrower ACL applies after reload" "$(rcode_of nas.vpn.test)" \
    "REFUSED"

is "log verbose" "$(ctl log verbose)" "log verbose"
like "the frontend logs it" "$(cat "$D_LOG")" "log level now verbose"
is "log brief" "$(ctl log brief)" "log brief"
stop_daemon
check "stops with status 0" test $? -eq 0
like "the log says it terminated" "$(tail -n 1 "$D_LOG")" "terminated"
done_testing
