#!/bin/sh
# Dynamic updates out (RFC 2136) to a real Knot DNS primary that holds
# the company's zone: a real wireguard-go peer coming online appears in
# it, going stale disappears, static records there are left alone; when
# the primary restarts without our records, or misses a change while it
# is down, they are put back.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools knotd kdig
. "$TOP/regress/wglab.sh"

THRESHOLD=10	# p1 stays online while Knot restarts
wg_up p1 || { not_ok "the WireGuard lab comes up"; done_testing; }
PORT=$(pick_port)
KPORT=$(pick_port)
SECRET=$(head -c 32 /dev/urandom | base64)
D_NETNS=$(wg_ns gw)
K=$T_DIR/knot
mkdir -p "$K"
cat >"$T_DIR/corp.test.zone" <<EOF
\$ORIGIN corp.test.
\$TTL 300
@	SOA	ns hostmaster 1 3600 600 86400 60
@	NS	ns
ns	A	192.0.2.53
www	A	192.0.2.80
EOF
cat >"$T_DIR/0.77.10.in-addr.arpa.zone" <<EOF
\$ORIGIN 0.77.10.in-addr.arpa.
\$TTL 300
@	SOA	ns.corp.test. hostmaster.corp.test. 1 3600 600 86400 60
@	NS	ns.corp.test.
1	PTR	gw.corp.test.
EOF
cat >"$T_DIR/knot.conf" <<EOF
server:
    listen: 127.0.0.1@$KPORT
    rundir: $K
    user: root:root
database:
    storage: $K
log:
  - target: $K/knot.log
    any: info
key:
  - id: upd-key
    algorithm: hmac-sha256
    secret: $SECRET
acl:
  - id: upd
    address: 127.0.0.1
    key: upd-key
    action: update
zone:
  - domain: corp.test
    storage: $K
    file: corp.test.zone
    acl: upd
  - domain: 0.77.10.in-addr.arpa
    storage: $K
    file: 0.77.10.in-addr.arpa.zone
    acl: upd
EOF
# knot_start: the zone as the company wrote it, no journal of ours
knot_start() {
	rm -rf "$K"/*
	cp "$T_DIR/corp.test.zone" "$T_DIR/0.77.10.in-addr.arpa.zone" "$K/"
	bg_start KNOT_PID knotd -c "$T_DIR/knot.conf"
}
kq() {
	in_netns kdig -p "$KPORT" @127.0.0.1 +timeout=1 +retry=0 +short "$@" \
	    2>/dev/null
}
knot_answers() { [ "$(kq "$1" "${3:-A}")" = "$2" ]; }
knot_empty() { [ -z "$(kq "$1")" ] && knot_answers www.corp.test 192.0.2.80; }
knot_start
wait_for "Knot serves the company's zone" 5 knot_answers www.corp.test \
    192.0.2.80

write_conf "$T_DIR/u.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "corp.test" { threshold $THRESHOLD }
wireguard "wg0" {
	socket "$(wg_sock gw)"
	peer "p1" key "$(wg_pub p1)"
}
tsig-key "upd-key" algorithm hmac-sha256 secret "$SECRET"
update to 127.0.0.1 port $KPORT zone "corp.test" tsig-key "upd-key"
domain "0.77.10.in-addr.arpa"
update to 127.0.0.1 port $KPORT zone "0.77.10.in-addr.arpa" tsig-key "upd-key"
EOF
start_daemon "$T_DIR/u.conf" || { not_ok "daemon starts"; done_testing; }
wait_for "the gateway's interface is found" 3 \
    grep -q "wg0: found (userspace" "$D_LOG"
is "p1, never connected, is not in Knot's zone" "$(kq p1.corp.test)" ""

# a hello, not a datagram: p1 must fall silent to go stale below
wg_hello p1
wait_for "p1 connects: Knot answers p1.corp.test" 3 \
    knot_answers p1.corp.test 10.77.0.2
is "and p1.wg0.corp.test" "$(kq p1.wg0.corp.test)" 10.77.0.2
like "Knot took it as an update" "$(cat "$K/knot.log")" \
    "\\[corp\\.test\\.\\] DDNS, finished, serial 1 -> 2"
is "the company's records are left alone" "$(kq www.corp.test)" 192.0.2.80
wait_for "the reverse zone gets p1's PTR" 2 knot_answers 2.0.77.10.in-addr.arpa \
    p1.corp.test. PTR
is "and keeps its own" "$(kq -x 10.77.0.1)" gw.corp.test.

# Knot restarts from its zone file alone, nothing changes here: its SOA
# serial went back (or it did not answer for a while), so a resync
kill -TERM "$KNOT_PID"
wait "$KNOT_PID" 2>/dev/null
knot_start
wait_for "Knot restarted without our records" 5 knot_empty p1.corp.test
wait_for "the SOA check finds out, the resync puts p1 back" 8 \
    knot_answers p1.corp.test 10.77.0.2
like "and says why" "$(cat "$D_LOG")" \
    "zone corp\\.test\\.: the primary('s serial went back| answers again): a full resync"

wait_for "p1 goes stale: gone from Knot" $((THRESHOLD + 3)) \
    knot_empty p1.corp.test
is "p1.wg0.corp.test too" "$(kq p1.wg0.corp.test)" ""
is "and its PTR" "$(kq -x 10.77.0.2)" ""

# the primary goes away; p1 comes back meanwhile; the primary comes back
# from its zone file alone: the resync puts p1 back
kill -TERM "$KNOT_PID"
wait "$KNOT_PID" 2>/dev/null
# a new wireguard-go process: a new handshake (a live session has none)
wg_stop p1
wg_start p1
wg_traffic p1
failed() {
	grep -Eq "update to 127.0.0.1 port $KPORT zone corp.test.: (the connection (failed|closed)|cannot connect|no answer); a full resync in [0-9]+ s" \
	    "$D_LOG"
}
wait_for "the failed update is logged" 5 failed
knot_start
wait_for "Knot is back" 5 knot_answers www.corp.test 192.0.2.80
wait_for "the resync puts p1 back" 10 knot_answers p1.corp.test 10.77.0.2

ctl show metrics >"$T_DIR/metrics"
like "show metrics: the updates Knot took" "$(cat "$T_DIR/metrics")" \
    "vpndnsd_update_messages_total\\{primary=\"127\\.0\\.0\\.1 port $KPORT\",zone=\"corp\\.test\\.\"\\} [1-9]"
like "the failures" "$(cat "$T_DIR/metrics")" \
    'vpndnsd_update_failures_total\{[^}]*\} [1-9]'
like "and the resyncs (start, restart, failure)" "$(cat "$T_DIR/metrics")" \
    'vpndnsd_update_resyncs_total\{[^}]*\} [3-9]'

# a wrong key: Knot refuses, we say so
stop_daemon
sed "s|secret \"$SECRET\"|secret \"$(head -c 32 /dev/urandom | base64)\"|" \
    "$T_DIR/u.conf" >"$T_DIR/bad.conf"
: >"$D_LOG"
start_daemon "$T_DIR/bad.conf" || { not_ok "daemon starts"; done_testing; }
wait_for "an update Knot refuses is logged" 5 \
    grep -Eq "zone corp.test.: (NOTAUTH|an answer without our TSIG)" "$D_LOG"

done_testing
