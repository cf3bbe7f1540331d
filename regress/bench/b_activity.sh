#!/bin/sh
# Presence from traffic at scale (issue 18): 10,000 peers, every one of
# them active (its rx_bytes grows at every poll), on a UAPI socket played
# by wgtool.py (the lab cannot run 10,000 peers that talk).
#   - CPU of one poll, parent and wgwatch together (target < 20 ms)
#   - peer messages the resolver gets, per peer per threshold/4
#     (target at most 1; forwarding every activity would be threshold/4)
. "$(dirname "$0")/../lib.sh"
require_root
. "$TOP/regress/bench/lib.sh"
NPEERS=${NPEERS:-10000}
THRESHOLD=${THRESHOLD:-20}
WINDOW=${WINDOW:-60}
STEP=$(( (THRESHOLD + 3) / 4 ))

bg_start FAKE $WGTOOL uapi "$T_DIR/wg0.sock" "$NPEERS" "$T_DIR/names.conf"
poll 10 test -S "$T_DIR/wg0.sock"
PORT=$(pick_port)
write_conf "$T_DIR/b.conf" <<EOF2
listen on 127.0.0.1 port $PORT
domain "vpn.test" { threshold $THRESHOLD }
wireguard "wg0" {
	socket "$T_DIR/wg0.sock"
	names from "$T_DIR/names.conf"
}
EOF2
start_daemon "$T_DIR/b.conf" || { not_ok "daemon starts"; done_testing; }
peers_known() { ctl show status | grep -q "wg0: userspace, $NPEERS peers"; }
poll 10 peers_known
check "wgwatch knows all $NPEERS peers" peers_known
# past the first polls (every peer new, then every one's first growth)
first() { [ "$(polls)" -ge 3 ]; }
poll 10 first
last_answers() {
	dig @127.0.0.1 -p "$PORT" +short "p$((NPEERS - 1)).vpn.test" | grep -q .
}
check "the last of them answers" last_answers
wpid=$(child_pid wgwatch) rpid=$(child_pid resolver)
pa0=$(cpu_of "$D_PID") wa0=$(cpu_of "$wpid") ra0=$(cpu_of "$rpid")
p0=$(polls) ch0=$(changes)
sleep "$WINDOW"
pa1=$(cpu_of "$D_PID") wa1=$(cpu_of "$wpid") ra1=$(cpu_of "$rpid")
p1=$(polls) ch1=$(changes)
np=$((p1 - p0))
check "polls went on ($np in $WINDOW s)" test "$np" -ge $((WINDOW - 2))
ms() { echo "scale=2; $1 / $np / 1000000" | bc; }
per_poll=$(ms "($pa1 - $pa0 + $wa1 - $wa0)")
figure "  of which the parent (relaying)" "$(ms "($pa1 - $pa0)")" ms "-"
figure "  of which wgwatch (parsing, deciding)" "$(ms "($wa1 - $wa0)")" ms "-"
figure "CPU per poll, parent + wgwatch, $NPEERS active" "$per_poll" ms "< 20"
check "one poll costs under 20 ms of CPU" \
    test "$(echo "$per_poll < 20" | bc)" -eq 1
figure "resolver CPU per poll, 1 s digests included" "$(ms "($ra1 - $ra0)")" ms "-"
# messages per peer per threshold/4: in each STEP polls of those counted
# (the last ones begun), there is room for one
rate=$(echo "scale=3; ($ch1 - $ch0) / $NPEERS / \
    $(( (np + STEP - 1) / STEP ))" | bc)
figure "peer messages in $np polls" "$((ch1 - ch0))" "" \
    "every activity: $((NPEERS * np))"
figure "messages per peer per threshold/4 ($STEP s)" "$rate" "" "<= 1"
check "at most one message per peer per threshold/4 ($rate)" \
    test "$(echo "$rate <= 1" | bc)" -eq 1
check "and the activity did reach the resolver" \
    test "$(echo "$rate >= 0.5" | bc)" -eq 1
wall=$(ctl show status | sed -n 's/.*wg0: .* max \([0-9.]*\) ms.*/\1/p')
figure "longest poll, wall time (request to parsed)" "$wall" ms "-"
check "the last peer still answers" last_answers
stop_daemon
done_testing
