#!/bin/sh
# The parent (root, the one process without a sandbox) under valgrind
# through start-up, queries, two reloads and a stop: no error, no
# definite leak.  The children run as usual: valgrind follows no exec.
# Regression: match rules' blocklist names went to the resolver with
# uninitialised bytes after the name.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools valgrind
require_unsanitized "valgrind cannot run it"

PORT=$(pick_port)
UP=$(pick_port)
printf 'ad1.example\nad2.example\n' >"$T_DIR/ads"
printf '# Client: laptop\n[Peer]\nPublicKey = %s\n' \
    "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=" >"$T_DIR/wg0.conf"
# conf ADDRESS: nas.vpn.test's, so that each reload shows it happened
conf() {
	write_conf "$T_DIR/v.conf" <<EOF
listen on 127.0.0.1 port $PORT
allow from { 127.0.0.0/8 ::1 }
proxy-protocol from 127.0.0.9
tcp max-per-client 4
rate-limit 1000
domain "vpn.test" { offline-names yes }
record "nas.vpn.test" A $1
record "www.vpn.test" CNAME "nas.vpn.test"
record "vpn.test" TXT "valgrind"
wireguard "wg0" {
	socket "$T_DIR/missing.sock"
	peer "phone" key "HrjhTRV6X5xtmZ0YPlVpVmkQt7tfJ7Z1D2OHv+F5eyE="
	names from "$T_DIR/wg0.conf"
}
blocklist "ads" { file "$T_DIR/ads" allow "ok.example" }
forwarder "up" { server 127.0.0.2 port $UP timeout 500 }
match from 127.0.0.0/8 query "example" block "ads" forward "up"
match refuse
EOF
}
conf 10.0.0.10
D_WRAP="valgrind --leak-check=full --errors-for-leak-kinds=definite
    --error-exitcode=99 --log-file=$T_DIR/valgrind.log"
start_daemon "$T_DIR/v.conf" || { not_ok "daemon starts"; done_testing; }
is "answers under valgrind" "$(dq +short nas.vpn.test)" 10.0.0.10
is "a listed name is blocked" "$(rcode_of ad1.example)" NXDOMAIN
conf 10.0.0.11
is "a reload by vpndnsctl" "$(ctl reload)" "configuration reloaded"
is "takes effect" "$(dq +short www.vpn.test | tail -n 1)" 10.0.0.11
conf 10.0.0.12
kill -HUP "$D_PID"
answers() { [ "$(dq +short www.vpn.test | tail -n 1)" = "$1" ]; }
wait_for "and one by SIGHUP" 10 answers 10.0.0.12
ctl show status >/dev/null
ctl show peers >/dev/null 2>&1
stop_daemon
rc=$?
is "valgrind found no error and no definite leak in the parent" "$rc" 0
[ "$rc" -eq 0 ] && grep -q "ERROR SUMMARY: 0 errors" "$T_DIR/valgrind.log" ||
    sed 's/^/#   /' "$T_DIR/valgrind.log" | grep -v "^#   ==[0-9]*== *$" |
    head -60
like "valgrind's summary" "$(cat "$T_DIR/valgrind.log")" \
    "ERROR SUMMARY: 0 errors from 0 contexts"

# Regression: a status request that reached the resolver before its
# channel to wgwatch (the parent, under valgrind, is slow to pass it)
# killed the daemon ("wgwatch channel: No buffer space available").
# Asked from the first moment, without start_daemon's wait.
loads=$(grep -c 'configuration loaded' "$D_LOG")
$D_WRAP "$VPNDNSD" -d -f "$T_DIR/v.conf" -s "$D_SOCK" >>"$D_LOG" 2>&1 &
D_PID=$!
T_PIDS="$T_PIDS $D_PID"
asked=0
early_status() {
	ctl show status >/dev/null 2>&1 && asked=$((asked + 1))
	! kill -0 "$D_PID" 2>/dev/null ||
	    [ "$(grep -c 'configuration loaded' "$D_LOG")" -gt "$loads" ]
}
poll 60 early_status
check "status asked while it starts ($asked answers)" test "$asked" -gt 0
check "the daemon lives through it" kill -0 "$D_PID"
check "and stops cleanly" stop_daemon
done_testing
