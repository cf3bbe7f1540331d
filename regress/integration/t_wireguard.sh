#!/bin/sh
# Presence names with real WireGuard: wireguard-go in network namespaces,
# a gateway and three peers, vpndnsd on the gateway.  Names answer while
# the handshake is fresh, stop when it goes stale, come back with a new
# one; removed peers and a restarted wireguard-go are followed.
. "$(dirname "$0")/../lib.sh"
require_root
. "$TOP/regress/wglab.sh"

THRESHOLD=4
wg_up p1 p2 ghost || { not_ok "the WireGuard lab comes up"; done_testing; }
# the ghost peer's wireguard-go goes: it never talks to the gateway
wg_stop ghost
# and 300 more peers that never connect: a table large enough for every
# code path a big one takes (regression: glibc's qsort asks sysinfo(2)
# for large arrays, which the seccomp filter did not allow)
python3 "$TOP/regress/bench/wgtool.py" peers 300 "$T_DIR/more.conf"
wg_exec gw wg addconf wg0 "$T_DIR/more.conf"

# p2 is named by the wg-quick file, as wg-easy writes it
{
	echo "[Interface]"
	echo "PrivateKey = $(cat "$WG_DIR/gw/private.key")"
	echo
	echo "# Client: p2 (a1b2)"
	echo "[Peer]"
	echo "PublicKey = $(wg_pub p2)"
	echo "AllowedIPs = 10.77.0.3/32"
} >"$T_DIR/wg0.conf"

PORT=$(pick_port)
D_NETNS=$(wg_ns gw)
write_conf "$T_DIR/w.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "vpn.test" { ttl 5 negative-ttl 2 threshold $THRESHOLD offline-names yes }
wireguard "wg0" {
	socket "$(wg_sock gw)"
	peer "p1" key "$(wg_pub p1)"
	peer "ghost" key "$(wg_pub ghost)"
	names from "$T_DIR/wg0.conf"
}
wireguard "wg1" {
	socket "$(wg_sock gw wg1)"
}
EOF
start_daemon "$T_DIR/w.conf" || { not_ok "daemon starts"; done_testing; }

answers() { [ "$(dq +short "$1" "${3:-A}")" = "$2" ]; }
nxdomain() { [ "$(rcode_of "$1")" = NXDOMAIN ]; }

wait_for "the gateway's interface is found" 3 \
    grep -q "wg0: found (userspace" "$D_LOG"
like "all 303 peers are known" "$(ctl show status)" \
    "wireguard wg0: userspace, 303 peers"
is "p1, never connected: NXDOMAIN" "$(rcode_of p1.vpn.test)" NXDOMAIN
is "ghost, never connected: its offline name answers" \
    "$(dq +short ghost.offline.vpn.test)" "10.77.0.4"
like "NXDOMAIN for an absent peer carries the SOA" \
    "$(dq +noall +authority p1.vpn.test)" "vpn\\.test\\.[[:space:]]+2[[:space:]]+IN[[:space:]]+SOA"

# a handshake: p1 answers within the poll interval (1 s) plus 1 s
wg_traffic p1
wait_for "p1 answers after its handshake" 2 answers p1.vpn.test 10.77.0.2
is "the interface's own name for p1" "$(dq +short p1.wg0.vpn.test)" \
    "10.77.0.2"
is "PTR for p1's address" "$(dq +short -x 10.77.0.2)" "p1.vpn.test."
is "p1's offline name is gone" "$(rcode_of p1.offline.vpn.test)" NXDOMAIN
is "NODATA for another type at an online name" \
    "$(rcode_of p1.vpn.test AAAA)" NOERROR
is "the interface label is an empty name: NODATA, not NXDOMAIN" \
    "$(rcode_of wg0.vpn.test)" NOERROR
like "show metrics: wg0 found over UAPI" "$(ctl show metrics)" \
    'vpndnsd_wireguard_up\{interface="wg0",kind="userspace"\} 1'
like "show metrics: one online peer on wg0" "$(ctl show metrics)" \
    'vpndnsd_peers\{source="wg0",vpn="wireguard",state="online"\} 1'
is "show peers -j: p1 online, its address and names" \
    "$(ctl -j show peers | python3 -c 'import json, sys
p = [x for x in json.load(sys.stdin) if x["name"] == "p1"][0]
print(p["state"], p["addresses"][0], " ".join(p["names"]))')" \
    "online 10.77.0.2 p1.vpn.test. p1.wg0.vpn.test."
like "show peers: p1 online with its names" "$(ctl show peers)" \
    "wg0 +wireguard +p1 +[A-Za-z0-9+/]{16}\\.\\.\\. +10\\.77\\.0\\.2 +[0-9]+s +[0-9]+s +- +online +p1\\.vpn\\.test\\. p1\\.wg0\\.vpn\\.test\\."

wg_traffic p2
wait_for "p2, named by the wg-quick file, answers" 2 \
    answers p2.vpn.test 10.77.0.3
is "the never-connected ghost does not" "$(rcode_of ghost.vpn.test)" \
    NXDOMAIN

# p1 stops: once the threshold passes its name goes, its offline name comes
wg_stop p1
wait_for "stopped p1 stops answering once the threshold passes" \
    $((THRESHOLD + 2)) nxdomain p1.vpn.test
is "and answers under .offline." "$(dq +short p1.offline.vpn.test)" \
    "10.77.0.2"
is "no PTR for an offline peer" "$(dq +short -x 10.77.0.2)" ""

# p1 comes back: a new handshake, answered within interval + 1 s
wg_start p1
wg_traffic p1
wait_for "restarted p1 answers again" 2 answers p1.vpn.test 10.77.0.2

# p2 goes stale, comes back with a new handshake (a new process makes
# one), and is then removed from the gateway: its names go entirely, well
# before its fresh handshake could go stale
wait_for "p2 goes stale too" $((THRESHOLD + 2)) nxdomain p2.vpn.test
wg_stop p2
wg_start p2
wg_traffic p2
wait_for "p2 answers again after its new handshake" 2 \
    answers p2.vpn.test 10.77.0.3
check "p2 is removed from the gateway" \
    wg_exec gw wg set wg0 peer "$(wg_pub p2)" remove
wait_for "a removed peer's name disappears" 2 nxdomain p2.vpn.test
is "its offline name does not appear either" \
    "$(rcode_of p2.offline.vpn.test)" NXDOMAIN
peers=$(ctl show peers)
like "show peers lists p1" "$peers" "^wg0 +wireguard +p1 "
is "and no longer p2" "$(printf '%s\n' "$peers" | grep -c ' p2 ')" 0

# the gateway's wireguard-go dies and comes back
wg_stop gw
wait_for "losing the interface is logged" 3 \
    grep -q "wg0: no such WireGuard interface" "$D_LOG"
is "its peers' names are gone" "$(rcode_of p1.vpn.test)" NXDOMAIN
# fails_of IF: wgwatch's failed polls of IF
fails_of() {
	ctl show metrics | sed -n \
	    "s/^vpndnsd_wireguard_poll_failures_total{interface=\"$1\"} //p"
}
f0=$(fails_of wg0)
more_fails() { [ "$(fails_of wg0)" -ge $((f0 + 2)) ]; }
wait_for "two more polls fail (after $f0)" 5 more_fails
is "logged once, not once per poll" \
    "$(grep -c 'wg0: no such WireGuard interface' "$D_LOG")" 1
wg_start gw
found_twice() { [ "$(grep -c 'wg0: found' "$D_LOG")" -eq 2 ]; }
wait_for "the interface is found again" 3 found_twice
# p1 must handshake with the new process: restarting it is quickest
wg_stop p1
wg_start p1
wg_traffic p1
wait_for "p1 answers again through the new wireguard-go" 3 \
    answers p1.vpn.test 10.77.0.2

# an interface that did not exist at start-up is picked up
is "wg1, missing from the start, was logged once" \
    "$(grep -c 'wg1: no such WireGuard interface' "$D_LOG")" 1
wg_start gw wg1 51821
wait_for "wg1 is found when it appears" 3 grep -q "wg1: found" "$D_LOG"
like "show status reports both interfaces" "$(ctl show status)" \
    "wireguard wg1: userspace"
check "the daemon is still running" kill -0 "$D_PID"
stop_daemon
done_testing
