#!/bin/sh
# Presence names of IPsec clients with a real strongSwan: a gateway
# charon and four clients in network namespaces (regress/ipseclab.sh),
# vpndnsd on the gateway reading its VICI socket.  A connected client
# answers under the name its identity gives (an e-mail's user, a DN's
# CN) or the one a peer line gives it, A and AAAA from its virtual IPs,
# PTR for them; a never-connected one does not; a clean close takes the
# name within a second, a killed client when DPD drops it; a crashed
# and a stopped charon are survived; only the parent holds the VICI
# connection.
. "$(dirname "$0")/../lib.sh"
require_root
. "$TOP/regress/ipseclab.sh"

# laptop and phone by e-mail identities, desk by its certificate's DN,
# ghost configured but never connected
il_up laptop=laptop@vpn.test phone=phone@vpn.test desk=- \
    ghost=ghost@vpn.test || { not_ok "the IPsec lab comes up"; done_testing; }
ok "the IPsec lab comes up: a gateway and four clients"

# laptop is up before vpndnsd starts: the list at connection finds it
il_connect laptop
LAPTOP4=$(il_vip laptop 4) LAPTOP6=$(il_vip laptop 6)
check "laptop has virtual IPs ($LAPTOP4, $LAPTOP6)" \
    test -n "$LAPTOP4" -a -n "$LAPTOP6"

PORT=$(pick_port)
D_NETNS=$(il_ns gw)
write_conf "$T_DIR/i.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "vpn.test" { ttl 5 negative-ttl 1 offline-names yes }
ipsec "ike" {
	domain "vpn.test"
	vici "$(il_vici gw)"
	peer "mobile" id "phone@vpn.test"
	peer "ghost" id "ghost@vpn.test"
}
EOF
start_daemon "$T_DIR/i.conf" || { not_ok "daemon starts"; done_testing; }

answers() { [ "$(dq +short "$1" "${3:-A}")" = "$2" ]; }
nxdomain() { [ "$(rcode_of "$1")" = NXDOMAIN ]; }

wait_for "connected to charon, logged" 5 \
    grep -q "ipsec ike: connected to charon" "$D_LOG"
wait_for "laptop, up before the start, answers from the list" 3 \
    answers laptop.vpn.test "$LAPTOP4"
is "its AAAA" "$(dq +short laptop.vpn.test AAAA)" "$LAPTOP6"
is "the source's own name for it" "$(dq +short laptop.ike.vpn.test)" \
    "$LAPTOP4"
is "PTR of its IPv4 address" "$(dq +short -x "$LAPTOP4")" "laptop.vpn.test."
is "PTR of its IPv6 address" "$(dq +short -x "$LAPTOP6")" "laptop.vpn.test."
is "no offline name while connected" "$(rcode_of laptop.offline.vpn.test)" \
    NXDOMAIN

# phone: a peer line names it; up within a second of its SA
t0=$(date +%s%N)
il_connect phone
PHONE4=$(il_vip phone 4)
wait_for "phone answers under its configured name" 1 \
    answers mobile.vpn.test "$PHONE4"
diag "phone: $(ms_since "$t0") ms from initiate to answer"
is "not under the one its identity would give" "$(rcode_of phone.vpn.test)" \
    NXDOMAIN

# desk: no id, so its identity is the DN; the name is the CN's user
il_connect desk
DESK4=$(il_vip desk 4)
wait_for "desk, known by a DN, answers as its CN's user" 1 \
    answers desk.vpn.test "$DESK4"
is "ghost, never connected: NXDOMAIN" "$(rcode_of ghost.vpn.test)" NXDOMAIN
is "and no offline name, with no address ever known" \
    "$(rcode_of ghost.offline.vpn.test)" NXDOMAIN

peers=$(ctl show peers)
like "show peers: laptop with its source, kind and identity" "$peers" \
    "ike +ipsec +laptop +laptop@vpn\\.test +$LAPTOP4,"
like "show peers: desk's DN, cut" "$peers" \
    "ike +ipsec +desk +C=XX, O=vpn\\.test\\.\\.\\. "
is "show peers -j: the sources and names of the connected" \
    "$(ctl -j show peers | python3 -c 'import json, sys
for p in json.load(sys.stdin):
    print(p["source"], p["vpn"], p["name"], p["state"], p["session"])')" \
    "$(printf 'ike ipsec desk online 1\nike ipsec laptop online 1\nike ipsec mobile online 1')"
like "show status: the source" "$(ctl show status)" \
    "ipsec ike: connected, 3 peers"

# only the parent holds the VICI connection
is "the only process connected to the VICI socket is the parent" \
    "$(il_vici_holders)" "$D_PID"

# a clean close: gone within a second, its offline name instead
t0=$(date +%s%N)
il_disconnect laptop
wait_for "laptop's clean close: its name goes within a second" 1 \
    nxdomain laptop.vpn.test
diag "laptop: $(ms_since "$t0") ms from terminate to NXDOMAIN"
is "its offline name answers its last address" \
    "$(dq +short laptop.offline.vpn.test)" "$LAPTOP4"
is "no PTR for it any more" "$(dq +short -x "$LAPTOP4")" ""
wait_for "the transition is logged" 2 grep -q \
    "peer \"laptop\" (laptop) on ike, .*: offline: disconnected" "$D_LOG"

# a killed client: gone when DPD drops it (every 2 s, ~2.2 s of tries)
t0=$(date +%s%N)
il_stop phone KILL
wait_for "phone killed: gone when DPD drops it" 8 nxdomain mobile.vpn.test
diag "phone: $(ms_since "$t0") ms from kill -9 to NXDOMAIN"
check "desk still answers" answers desk.vpn.test "$DESK4"

# charon crashes: nothing is sent, the connection just ends.  Names go
# (fail closed), the parent connects again, says so once, lists again.
il_stop gw KILL
wait_for "charon's crash: desk's name goes" 3 nxdomain desk.vpn.test
wait_for "the lost connection is logged" 3 grep -q \
    "ipsec ike: the connection to charon .* ended" "$D_LOG"
il_start gw
wait_for "connected again when charon is back" 5 sh -c \
    "[ \$(grep -c 'ipsec ike: connected to charon' '$D_LOG') -eq 2 ]"
il_connect desk
DESK4=$(il_vip desk 4)
wait_for "desk connects again and answers" 2 answers desk.vpn.test "$DESK4"
is "the lost connection was logged once, not once per attempt" \
    "$(grep -c 'ipsec ike: the connection to charon' "$D_LOG")" 1

# charon stops cleanly: its down events first, then the connection ends
il_stop gw TERM
wait_for "a stopped charon: desk's name goes" 3 nxdomain desk.vpn.test
il_start gw
il_connect laptop
LAPTOP4=$(il_vip laptop 4)
wait_for "after charon's restart, laptop answers again" 5 \
    answers laptop.vpn.test "$LAPTOP4"
is "connected three times in all" \
    "$(grep -c 'ipsec ike: connected to charon' "$D_LOG")" 3
check "the daemon is still running" kill -0 "$D_PID"
is "still the parent alone on the VICI socket" "$(il_vici_holders)" \
    "$D_PID"
stop_daemon
done_testing
