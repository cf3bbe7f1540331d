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

answers() { [ "$(dq +short nas.vpn.test)" = "$1" ]; }
refused() { [ "$(rcode_of nas.vpn.test)" = REFUSED ]; }

conf 10.0.0.10
start_daemon "$T_DIR/r.conf" || { not_ok "daemon starts"; done_testing; }
is "the first answer" "$(dq +short nas.vpn.test)" "10.0.0.10"
pids=$(ctl show status | grep '^pid')

broken
kill -HUP "$D_PID"
wait_for "a broken file on SIGHUP: the reload fails" 5 \
    grep -q "reload failed, the running configuration stays" "$D_LOG"
is "the old answer stays" "$(dq +short nas.vpn.test)" "10.0.0.10"
like "the log says where the file is broken" "$(cat "$D_LOG")" \
    "r\\.conf:6: record \"nas\\.vpn\\.test\\.\" A: \"10\\.0\\.0\\.300\" is not an IPv4 address"

conf 10.0.0.20
kill -HUP "$D_PID"
wait_for "a good file on SIGHUP changes the answer" 5 answers 10.0.0.20

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
wait_for "the answer changes" 5 answers 10.0.0.30
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
is "reload with a narrower ACL" "$(ctl reload)" "configuration reloaded"
wait_for "it applies" 5 refused

is "log verbose" "$(ctl log verbose)" "log verbose"
like "the frontend logs it" "$(cat "$D_LOG")" "log level now verbose"
is "log brief" "$(ctl log brief)" "log brief"
stop_daemon
like "the log says it terminated" "$(tail -n 1 "$D_LOG")" "terminated"
done_testing
