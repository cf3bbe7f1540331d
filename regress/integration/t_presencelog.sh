#!/bin/sh
# Presence transitions are logged: one line when a named peer comes
# online and one when it goes offline (its display name, label,
# interface and addresses), never one per poll; a silent peer's offline
# line comes when its name stops answering, within about a second of
# its threshold, with no query to notice it.  WireGuard is
# regress/fakewg.py's UAPI socket: a peer is active or silent at will.
. "$(dirname "$0")/../lib.sh"
require_root

THRESHOLD=3
fakewg_start

PORT=$(pick_port)
write_conf "$T_DIR/p.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "vpn.test" { threshold $THRESHOLD }
wireguard "wg0" {
	socket "$T_DIR/wg0.sock"
	peer "Bob's Phone" key "$K1"
	peer "desk" key "$K2"
}
EOF
start_daemon "$T_DIR/p.conf" || { not_ok "daemon starts"; done_testing; }

# lines LABEL STATE: how many such lines the log has
lines() { grep -c "resolver: peer \".*\" ($1) on wg0, .*: $2" "$D_LOG"; }
has() { [ "$(lines "$1" "$2")" -ge "${3:-1}" ]; }
wait_for "Bob's Phone comes online: one line" 5 has bobs-phone online
like "with its display name, label, interface and address" \
    "$(cat "$D_LOG")" \
    "resolver: peer \"Bob's Phone\" \\(bobs-phone\\) on wg0, 10\\.77\\.0\\.2: online$"
wait_for "desk too" 5 has desk online
is "the unnamed peer has no line" \
    "$(grep -c '10\.77\.0\.4' "$D_LOG")" 0

# Bob falls silent: his name goes once the threshold passes, and the
# offline line with it, though nobody asks
sed -i "s|^$K1 10.77.0.2 active|$K1 10.77.0.2 silent|" "$T_DIR/peers"
t0=$(date +%s%N)
wait_for "silent, Bob's Phone goes offline: one line" $((THRESHOLD + 3)) \
    has bobs-phone offline
t_line=$(ms_since "$t0")
like "it says how long it was silent" \
    "$(grep 'bobs-phone.*offline' "$D_LOG")" \
    "10\\.77\\.0\\.2: offline: no activity for $THRESHOLD s$"
is "his name no longer answers" "$(rcode_of bobs-phone.vpn.test)" NXDOMAIN
# the line came at the threshold: the last activity is the last poll
# that saw bytes (up to a poll, 1 s, before the silence, and Unix time
# counts whole seconds), the name goes when it is the threshold old,
# and the line with it; a line per poll or a query would be needed to
# notice otherwise
check "at the threshold ($t_line ms after the silence, at most $((THRESHOLD + 2)) s)" \
    test "$t_line" -le $(( (THRESHOLD + 2) * 1000 ))
check "and not before it could be" test "$t_line" -ge $(( (THRESHOLD - 2) * 1000 ))

# desk keeps talking: still its one online line, polls and all
holds $((THRESHOLD + 2)) has desk online
is "an active peer: one line, however many polls" \
    "$(lines desk online):$(lines desk offline)" "1:0"

# Bob talks again: one online line more
sed -i "s|^$K1 10.77.0.2 silent|$K1 10.77.0.2 active|" "$T_DIR/peers"
wait_for "Bob's Phone is back: a second online line" 5 has bobs-phone online 2
# desk is removed from the interface
sed -i "/^$K2 /d" "$T_DIR/peers"
wait_for "desk removed from the interface: offline, and why" 5 \
    grep -q "(desk) on wg0, 10\\.77\\.0\\.3: offline: gone from wg0$" \
    "$D_LOG"
is "one line each way for desk" "$(lines desk online):$(lines desk offline)" \
    "1:1"
done_testing
