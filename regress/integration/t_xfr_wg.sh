#!/bin/sh
# Presence into standard DNS: a real wireguard-go peer comes online and
# goes stale, and a real NSD secondary follows within seconds, through
# NOTIFY and an IXFR that carries only the change.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools nsd kdig
. "$TOP/regress/wglab.sh"

THRESHOLD=4
wg_up p1 || { not_ok "the WireGuard lab comes up"; done_testing; }
PORT=$(pick_port)
NPORT=$(pick_port)
SECRET=$(head -c 32 /dev/urandom | base64)
D_NETNS=$(wg_ns gw)
write_conf "$T_DIR/w.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "vpn.test" { ttl 5 threshold $THRESHOLD offline-names yes }
record "gw.vpn.test" A 10.77.0.1
domain "0.77.10.in-addr.arpa"
wireguard "wg0" {
	domain "vpn.test"
	socket "$(wg_sock gw)"
	peer "p1" key "$(wg_pub p1)"
}
tsig-key "xfr-key" algorithm hmac-sha256 secret "$SECRET"
transfer to 127.0.0.1 tsig-key "xfr-key"
notify 127.0.0.1 port $NPORT
log queries
EOF
start_daemon "$T_DIR/w.conf" || { not_ok "daemon starts"; done_testing; }
wait_for "the gateway's interface is found" 3 \
    grep -q "wg0: found (userspace" "$D_LOG"

serial() { dq +short SOA vpn.test | awk '{ print $3 }'; }
ixfr() {
	in_netns kdig -p "$PORT" @127.0.0.1 +timeout=2 +retry=0 \
	    -y "hmac-sha256:xfr-key:$SECRET" "IXFR=$1" vpn.test 2>&1 |
	    grep -v '^;;' | grep -v '^$' |
	    awk '{ print $1, $4, $4 == "SOA" ? $7 : $5 }'
}
nsd_secondary "$NPORT" "$PORT" "$SECRET" vpn.test
wait_for "NSD has the zone: p1, never connected, under offline." 5 \
    nsd_answers p1.offline.vpn.test 10.77.0.2
s0=$(serial)
# the start-up NOTIFY went before NSD listened: it is sent again until
# answered, a second later
notified() { grep -c 'notify for vpn.test' "$NSD_LOG"; }
was_notified() { [ "$(notified)" -ge 1 ]; }
wait_for "NOTIFY from the start reaches NSD once it listens" 3 was_notified
n0=$(notified)

# a hello, not a datagram: p1 must fall silent to go stale below
wg_hello p1
wait_for "p1 connects: NSD answers p1.vpn.test (NOTIFY, IXFR)" 3 \
    nsd_answers p1.vpn.test 10.77.0.2
s1=$(serial)
check "the serial moved on ($s0 -> $s1)" test "$s1" -gt "$s0"
is "and NSD has it" "$(nsd_q SOA vpn.test | awk '{ print $3 }')" "$s1"
is "NSD dropped p1's offline name" "$(nsd_q p1.offline.vpn.test)" ""
is "the reverse domain's transfer has p1's PTR (and the gateway's)" \
    "$(in_netns kdig -p "$PORT" @127.0.0.1 -y "hmac-sha256:xfr-key:$SECRET" \
    AXFR 0.77.10.in-addr.arpa 2>&1 | awk '$4 == "PTR" { print $1, $5 }')" \
    "1.0.77.10.in-addr.arpa. gw.vpn.test.
2.0.77.10.in-addr.arpa. p1.vpn.test."
# an IXFR answer: the new SOA, each change as the SOA it starts from,
# what went, the SOA it makes, what came; the new SOA again, the TSIG
soa() { echo "vpn.test. SOA $1"; }
OFFLINE="p1.offline.vpn.test. A 10.77.0.2"
ONLINE="p1.vpn.test. A 10.77.0.2
p1.wg0.vpn.test. A 10.77.0.2"
TSIG="xfr-key. TSIG hmac-sha256."
went_online="$(soa "$s0")
$OFFLINE
$(soa "$s1")
$ONLINE"
is "IXFR from the old serial carries only the change" "$(ixfr "$s0")" \
    "$(soa "$s1")
$went_online
$(soa "$s1")
$TSIG"
like "NSD asked for it incrementally" "$(cat "$D_LOG")" \
    "vpn\\.test\\. IXFR: transfer: incremental, NOERROR"
is "and was notified once" "$(notified)" $((n0 + 1))

# no more handshakes: p1 goes stale with no event at all, and the
# serial still moves (within a second), so NSD follows
wait_for "p1 stale: NSD answers its offline name again" $((THRESHOLD + 4)) \
    nsd_answers p1.offline.vpn.test 10.77.0.2
is "and p1.vpn.test is gone from NSD" "$(nsd_q p1.vpn.test)" ""
s2=$(serial)
check "a third serial ($s2)" test "$s2" -gt "$s1"
is "IXFR from the first serial: both changes, in order" "$(ixfr "$s0")" \
    "$(soa "$s2")
$went_online
$(soa "$s1")
$ONLINE
$(soa "$s2")
$OFFLINE
$(soa "$s2")
$TSIG"
is "static records stay in the zone" "$(nsd_q gw.vpn.test)" "10.77.0.1"
ctl show metrics >"$T_DIR/metrics"
like "show metrics: the domain's serial" "$(cat "$T_DIR/metrics")" \
    "vpndnsd_zone_serial\\{domain=\"vpn\\.test\\.\"\\} $(serial)"
like "and the NOTIFYs NSD answered" "$(cat "$T_DIR/metrics")" \
    'vpndnsd_notify_answered_total\{domain="vpn\.test\."\} [3-9]'

done_testing
