#!/bin/sh
# Presence names of OpenVPN clients with a real OpenVPN 2.6: a server
# and three clients in network namespaces (regress/ovpnlab.sh), vpndnsd
# on the server reading its status file.  A connected client answers
# under its common name made a label ("Bob's Phone": bobs-phone), A and
# AAAA from its virtual addresses, PTR for them; a never-connected one
# does not; a zone transfer carries them; a clean disconnect and a
# killed client go within 3 s of the status file's dropping them; a
# server restart (to status-version 2) is survived; and a status file
# rewritten in place, read half written again and again, drops no
# name.
. "$(dirname "$0")/../lib.sh"
require_root
. "$TOP/regress/ovpnlab.sh"

ol_up laptop=laptop phone="Bob's Phone" ghost=ghost ||
    { not_ok "the OpenVPN lab comes up"; done_testing; }
ok "the OpenVPN lab comes up: a server and three clients"

PORT=$(pick_port)
D_NETNS=$(ol_ns srv)
# "slow": a status file this test rewrites as OpenVPN does, slowly
SLOW=$T_DIR/slow.status
A="phone-a:10.68.0.2:fd68::2" B="phone-b:10.68.0.3:fd68::3"
python3 "$TOP/regress/ovpnrewrite.py" "$SLOW" 0 "$A" "$B"
write_conf "$T_DIR/o.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "vpn.test" { ttl 5 negative-ttl 1 offline-names yes }
domain "lab.test" { ttl 5 negative-ttl 1 }
openvpn "office" {
	domain "vpn.test"
	status "$OL_STATUS"
	peer "ghost" id "ghost"
}
openvpn "slow" {
	domain "lab.test"
	status "$SLOW"
	interval 1
}
transfer to 127.0.0.1
EOF
start_daemon "$T_DIR/o.conf" || { not_ok "daemon starts"; done_testing; }

answers() { [ "$(dq +short "$1" "${3:-A}")" = "$2" ]; }
nxdomain() { [ "$(rcode_of "$1")" = NXDOMAIN ]; }

wait_for "the status file is found" 5 \
    grep -q "office: found (OpenVPN status file)" "$D_LOG"

# each client is in the status file within a second of connecting (its
# rewrite), and answers within the next reading
t0=$(date +%s%N)
ol_start laptop
LAPTOP4=$(ol_addr laptop 4) LAPTOP6=$(ol_addr laptop 6)
wait_for "laptop answers" 4 answers laptop.vpn.test "$LAPTOP4"
diag "laptop: $(ms_since "$t0") ms from the start of openvpn to an answer"
is "its AAAA" "$(dq +short laptop.vpn.test AAAA)" "$LAPTOP6"
is "the source's own name for it" "$(dq +short laptop.office.vpn.test)" \
    "$LAPTOP4"
is "PTR of its IPv4 address" "$(dq +short -x "$LAPTOP4")" "laptop.vpn.test."
is "PTR of its IPv6 address" "$(dq +short -x "$LAPTOP6")" "laptop.vpn.test."
ol_start phone
PHONE4=$(ol_addr phone 4)
wait_for "Bob's Phone answers as bobs-phone" 4 \
    answers bobs-phone.vpn.test "$PHONE4"
is "ghost, never connected: NXDOMAIN" "$(rcode_of ghost.vpn.test)" NXDOMAIN
is "and no offline name" "$(rcode_of ghost.offline.vpn.test)" NXDOMAIN
like "show peers: Bob's Phone with its source, kind and common name" \
    "$(ctl show peers)" \
    "office +openvpn +bobs-phone +Bob's Phone +$PHONE4,.* online .* Bob's Phone"
is "show peers -j: the clients of office" \
    "$(ctl -j show peers | python3 -c 'import json, sys
for p in json.load(sys.stdin):
    if p["source"] == "office":
        print(p["vpn"], p["name"], repr(p["display_name"]), p["state"])')" \
    "$(printf "openvpn bobs-phone \"Bob's Phone\" online\nopenvpn laptop 'laptop' online")"

# half-written files: slow rewrites in place until the daemon has read
# three files half written (the counter says so); both names answer at
# every check meanwhile
incomplete() {
	ctl -j show status | python3 -c 'import json, sys
print([s for s in json.load(sys.stdin)["openvpn"]
    if s["name"] == "slow"][0]["incomplete"])'
}
both() { answers phone-a.lab.test 10.68.0.2 && answers phone-b.lab.test 10.68.0.3; }
check "both of the slow file's clients answer" both
is "a zone transfer publishes them like WireGuard peers" \
    "$(in_netns kdig -p "$PORT" @127.0.0.1 +timeout=2 AXFR lab.test 2>&1 |
    awk '$4 == "A" || $4 == "AAAA" { print $1, $4, $5 }' | sort)" \
    "phone-a.lab.test. A 10.68.0.2
phone-a.lab.test. AAAA fd68::2
phone-a.slow.lab.test. A 10.68.0.2
phone-a.slow.lab.test. AAAA fd68::2
phone-b.lab.test. A 10.68.0.3
phone-b.lab.test. AAAA fd68::3
phone-b.slow.lab.test. A 10.68.0.3
phone-b.slow.lab.test. AAAA fd68::3"
i0=$(incomplete)
: >"$T_DIR/dropped"
both_while_torn() {
	both || echo "$(date +%T.%N)" >>"$T_DIR/dropped"
	[ "$(incomplete)" -ge $((i0 + 3)) ]
}
bg_start WRITER python3 "$TOP/regress/ovpnrewrite.py" "$SLOW" 60 "$A" "$B"
wait_for "three files read half written, none taken" 40 both_while_torn
bg_stop "$WRITER"
is "both names answered at every check meanwhile" \
    "$(wc -l <"$T_DIR/dropped")" 0
like "show status: some readings mid-rewrite" "$(ctl show status)" \
    "openvpn slow: read, 2 peers, [0-9]+ polls \\(0 failed, some mid-rewrite\\)"
check "both still answer" both

# a clean disconnect (exit notification: the server drops it 5 s later)
# and a kill (the server's ping-restart, 12 s), at once.  Ours is the
# time from the status file's dropping a client (the server rewrites it
# seconds after its log says the client went) to NXDOMAIN: two whole
# readings without it (the grace), a second apart.
unlisted() {
	[ "$(tail -n 1 "$OL_STATUS")" = END ] &&
	    ! grep -q "^CLIENT_LIST[,	]$1[,	]" "$OL_STATUS"
}
t0=$(date +%s%N)
ol_stop phone TERM
ol_stop laptop KILL
wait_for "the status file drops Bob's Phone (exit notification)" 15 \
    unlisted "Bob's Phone"
t1=$(date +%s%N)
wait_for "Bob's Phone's clean disconnect: gone within 3 s of the file's" \
    3 nxdomain bobs-phone.vpn.test
diag "Bob's Phone: $(ms_since "$t0") ms from SIGTERM to NXDOMAIN," \
    "$(ms_since "$t1") ms from the status file's dropping it"
is "its offline name answers its last address" \
    "$(dq +short bobs-phone.offline.vpn.test)" "$PHONE4"
wait_for "the status file drops laptop (ping-restart)" 30 unlisted laptop
t1=$(date +%s%N)
wait_for "laptop killed: gone within 3 s of the file's dropping it" 3 \
    nxdomain laptop.vpn.test
diag "laptop: $(ms_since "$t0") ms from kill -9 to NXDOMAIN," \
    "$(ms_since "$t1") ms from the status file's dropping it"
wait_for "the transitions are logged" 2 grep -q \
    "peer \"laptop\" (laptop) on office, .*: offline: disconnected" "$D_LOG"

# the server restarts, writing version 2 now; the clients come back,
# perhaps each with the other's address: asked anew at every try
at_own() {
	_a=$(ol_addr "$2" 4)
	[ -n "$_a" ] && answers "$1.vpn.test" "$_a"
}
both_own() { at_own laptop laptop && at_own bobs-phone phone; }
ol_start laptop
ol_start phone
wait_for "both back" 5 both_own
ol_stop srv TERM
OL_STATUS_VERSION=2
ol_server_conf
ol_start srv
check "the new server writes version 2" grep -q "^TITLE," "$OL_STATUS"
wait_for "after the server's restart, laptop answers again" 15 \
    at_own laptop laptop
wait_for "and Bob's Phone" 5 at_own bobs-phone phone
check "the daemon is still running" kill -0 "$D_PID"
stop_daemon
done_testing
