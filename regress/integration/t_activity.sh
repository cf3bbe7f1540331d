#!/bin/sh
# Presence from traffic, with real WireGuard (issue 18).  p1 sends a
# persistent keepalive: its name answers on every one-second probe long
# after its handshake is older than the threshold, and the activity the
# resolver hears of moves no zone serial; stopped, it is NXDOMAIN within
# threshold + 2 s.  p2 has no keepalive: it handshakes once and falls
# silent, and is NXDOMAIN within threshold + 2 s of its last packet.
# make bench runs it longer (regress/bench/b_noflap.sh: 150 s, across the
# 120 s rekey, keepalive 5 s, threshold 20).
. "$(dirname "$0")/../lib.sh"
require_root
. "$TOP/regress/wglab.sh"

THRESHOLD=${ACT_THRESHOLD:-10}
KEEPALIVE=${ACT_KEEPALIVE:-2}
PROBE=${ACT_PROBE:-40}
STEP=$(( (THRESHOLD + 3) / 4 ))	# activity wgwatch forwards without need
WGTOOL="python3 $TOP/regress/bench/wgtool.py"

wg_up p1 p2 || { not_ok "the WireGuard lab comes up"; done_testing; }
PORT=$(pick_port)
D_NETNS=$(wg_ns gw)
write_conf "$T_DIR/a.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "vpn.test" { ttl 1 negative-ttl 1 threshold $THRESHOLD }
domain "slow.test" { threshold 300 }
wireguard "wg0" {
	domain "vpn.test"
	socket "$(wg_sock gw)"
	peer "p1" key "$(wg_pub p1)"
	peer "p2" key "$(wg_pub p2)"
	# a threshold of its own: wgwatch learns it (not a WireGuard peer)
	peer "far" key "$(wg genkey | wg pubkey)" domain "slow.test"
}
EOF
start_daemon "$T_DIR/a.conf" || { not_ok "daemon starts"; done_testing; }
wait_for "the gateway's interface is found" 3 \
    grep -q "wg0: found (userspace" "$D_LOG"

answers() { [ "$(dq +short "$1")" = "$2" ]; }
serial() { dq +short SOA vpn.test | awk '{ print $3 }'; }
changes() {
	ctl -j show status | python3 -c 'import json, sys
print(json.load(sys.stdin)["wireguard"][0]["changes"])'
}
# peer NAME FIELD...: those fields of the peer in show peers -j
peer() {
	ctl -j show peers | python3 -c 'import json, sys
p = [x for x in json.load(sys.stdin) if x["name"] == sys.argv[1]][0]
print(" ".join(str(p[f]) for f in sys.argv[2:]))' "$@"
}
now() { date +%s.%N; }
# within DESC FROM TO LOW HIGH: TO - FROM (seconds) is in [LOW, HIGH]
within() {
	_d=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", b - a }')
	check "$1 ($_d s, want $4 to $5)" \
	    awk -v d="$_d" -v lo="$4" -v hi="$5" 'BEGIN { exit !(d >= lo && d <= hi) }'
}

# Setting p1's keepalive makes its handshake at once.  The gateway sends
# p1 keepalives too: what the gateway sends must never count for p1.
wg_exec p1 wg set wg0 peer "$(wg_pub gw)" persistent-keepalive "$KEEPALIVE"
wg_exec gw wg set wg0 peer "$(wg_pub p1)" persistent-keepalive "$KEEPALIVE"
wait_for "p1 answers once its keepalive has made a handshake" 3 \
    answers p1.vpn.test 10.77.0.2
hs0=$(wg_handshake p1)
s0=$(serial)
c0=$(changes)

set -- $(in_netns $WGTOOL probe "$PORT" p1.vpn.test "$PROBE")
is "p1 (keepalive $KEEPALIVE s, threshold $THRESHOLD) answered every one-second probe" \
    "$2 of $1" "$PROBE of $PROBE"
[ "$3" = "-" ] || diag "probes not answered, at second: $3"
check "its first handshake alone would have gone stale long before" \
    test $(( $(date +%s) - hs0 )) -gt $((THRESHOLD + 2))
c1=$(changes)
check "activity reached the resolver ($((c1 - c0)) messages)" \
    test $((c1 - c0)) -ge 2
check "at most one message per threshold/4 ($((c1 - c0)) in $PROBE s)" \
    test $((c1 - c0)) -le $((PROBE / STEP + 1))
is "activity alone moved no serial" "$(serial)" "$s0"

# what the resolver knows lags by less than STEP, the last packet it saw
# by a keepalive, a poll and the rounding to seconds
set -- $(peer p1 handshake_age activity_age keepalive state)
most=$((STEP + KEEPALIVE + 1))
check "show peers -j: p1's activity is recent ($2 s, at most $most)" \
    test "$2" -ge 0 -a "$2" -le "$most"
check "and older than its handshake ($1 s)" test "$1" -gt "$2"
is "the gateway's keepalive to p1, and its state" "$3 $4" "$KEEPALIVE online"
like "show peers: handshake and activity ages in columns of their own" \
    "$(ctl show peers)" \
    "wg0 +wireguard +p1 +[A-Za-z0-9+/]{16}\\.\\.\\. +10\\.77\\.0\\.2 +[0-9]+s +[0-9]+s +${KEEPALIVE}s +online "
like "show peers: a peer never seen has neither" "$(ctl show peers)" \
    "wg0 +wireguard +p2 +[A-Za-z0-9+/]{16}\\.\\.\\. +10\\.77\\.0\\.3 +never +never +- +offline "

# p2 handshakes once and is silent (wg_hello: no data, which the gateway
# would answer and p2 acknowledge 10 s later).  Then p1 stops.  Both
# must go.
wg_hello p2
wait_for "p2 answers after its handshake" 2 answers p2.vpn.test 10.77.0.3
# the gateway's handshake time is when that keepalive came, to the ns
t2=$(wg_exec gw $WGTOOL handshake /run/wireguard/wg0.sock "$(wg_pub p2)")
s1=$(serial)
wg_stop p1
t1=$(now)
in_netns $WGTOOL waitgone "$PORT" p1.vpn.test $((THRESHOLD + 5)) \
    >"$T_DIR/gone1" &
w1=$!
in_netns $WGTOOL waitgone "$PORT" p2.vpn.test $((THRESHOLD + 5)) \
    >"$T_DIR/gone2" &
w2=$!
wait "$w1" "$w2"
g1=$(cat "$T_DIR/gone1") g2=$(cat "$T_DIR/gone2")
if [ "$g1" = TIMEOUT ]; then
	not_ok "stopped p1 is NXDOMAIN (not within $((THRESHOLD + 5)) s)"
else
	within "stopped p1 is NXDOMAIN within threshold + 2 s" "$t1" "$g1" \
	    $((THRESHOLD - KEEPALIVE - 2)) $((THRESHOLD + 2))
fi
if [ "$g2" = TIMEOUT ]; then
	not_ok "silent p2 is NXDOMAIN (not within $((THRESHOLD + 5)) s)"
else
	within "silent p2 is NXDOMAIN within threshold + 2 s of its last packet" \
	    "$t2" "$g2" \
	    $((THRESHOLD - 2)) $((THRESHOLD + 2))
fi
moved() { [ "$(serial)" != "$s1" ]; }
wait_for "their departures move the serial" 2 moved
reload() { ctl reload >/dev/null; }
check "a reload (the thresholds again) is taken" reload
check "the daemon is still running" kill -0 "$D_PID"
stop_daemon
done_testing
