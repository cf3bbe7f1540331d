#!/bin/sh
# Presence from IPsec and OpenVPN at scale and end to end:
#   - wgwatch's CPU for one reading (regress/bench/srcparse): strongSwan's
#     answer to list-sas with 1,000 IKE SAs, an OpenVPN status file of
#     1,000 clients (targets < 10 ms each)
#   - the daemon's CPU per reading of that file, parent and wgwatch
#   - up to answer and down to NXDOMAIN with real servers: a strongSwan
#     client's initiate and terminate (and from the SA's being up or
#     closed, what is ours), an OpenVPN client's start and SIGTERM (the
#     server drops it 5 s after its exit notification, and rewrites the
#     file seconds later; from the file's change, what is ours)
. "$(dirname "$0")/../lib.sh"
require_root
. "$TOP/regress/bench/lib.sh"
N=${N:-1000}
ROUNDS=${ROUNDS:-50}
TRIALS=${TRIALS:-10}
WINDOW=${WINDOW:-20}
WGTOOL="python3 $TOP/regress/bench/wgtool.py"
SRCPARSE=$TOP/regress/bench/srcparse
[ -x "$SRCPARSE" ] || skip_all "make regress/bench/srcparse first"

# asking NAME in the background (waitname or waitgone ARGS...), the
# answer's time in $T_DIR/at; returns once the first probe is answered,
# so the interpreter's start is not counted
asker() {
	rm -f "$T_DIR/ready"
	nsenter --net="$D_NETNS" $WGTOOL "$1" "$PORT" laptop.vpn.test \
	    ${2:+"$2"} "$T_DIR/ready" >"$T_DIR/at" &
	ASKER=$!
	poll 10 test -e "$T_DIR/ready"
}

# took NAME FROM: the asker's answer came that many ms after FROM (none
# before it: 0); adds them to NAME_sum and NAME_worst
took() {
	_ms=$(echo "x = ($(cat "$T_DIR/at") - $2) * 1000 / 1; if (x < 0) x = 0; x" |
	    bc)
	eval "$1_sum=\$((\${$1_sum:-0} + _ms))"
	eval "[ \$_ms -gt \${$1_worst:-0} ] || _ms=\${$1_worst:-0}; $1_worst=\$_ms"
}

# figures NAME WHAT TRIALS TARGET: the mean and the worst of NAME
figures() {
	eval "figure \"$2, mean of $3\" \$((\$$1_sum / $3)) ms \"$4\""
	eval "figure \"$2, worst of $3\" \$$1_worst ms \"$4\""
}

python3 "$TOP/regress/bench/srcgen.py" vici "$N" "$T_DIR/list-sas"
python3 "$TOP/regress/bench/srcgen.py" status "$N" "$T_DIR/status"
set -- $("$SRCPARSE" vici "$T_DIR/list-sas" "$ROUNDS")
is "list-sas: $N clients taken" "$3" "$N"
figure "list-sas of $N IKE SAs ($(($4 / 1024)) KB), first" "$1" ms "< 10"
figure "list-sas of $N IKE SAs, again (mean of $((ROUNDS - 1)))" "$2" ms \
    "< 10"
check "a list of $N SAs parsed in under 10 ms of CPU" \
    test "$(echo "$1 < 10 && $2 < 10" | bc)" -eq 1
set -- $("$SRCPARSE" status "$T_DIR/status" "$ROUNDS")
is "status file: $N clients taken" "$3" "$N"
figure "status file of $N clients ($(($4 / 1024)) KB), first" "$1" ms \
    "< 10"
figure "status file of $N clients, again (mean of $((ROUNDS - 1)))" "$2" \
    ms "< 10"
check "a status file of $N clients parsed in under 10 ms of CPU" \
    test "$(echo "$1 < 10 && $2 < 10" | bc)" -eq 1

# the daemon reading that file every second: parent and wgwatch
PORT=$(pick_port)
write_conf "$T_DIR/b.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "vpn.test"
openvpn "office" { status "$T_DIR/status" }
EOF
start_daemon "$T_DIR/b.conf" || { not_ok "daemon starts"; done_testing; }
peers_known() { ctl show status | grep -q "office: read, $N peers"; }
wait_for "the daemon knows the $N clients" 10 peers_known
readings() {
	ctl -j show status | python3 -c 'import json, sys
print(json.load(sys.stdin)["openvpn"][0]["polls"])'
}
wpid=$(child_pid wgwatch)
pa0=$(cpu_of "$D_PID") wa0=$(cpu_of "$wpid") p0=$(readings)
sleep "$WINDOW"
pa1=$(cpu_of "$D_PID") wa1=$(cpu_of "$wpid") p1=$(readings)
np=$((p1 - p0))
check "readings went on ($np in $WINDOW s)" test "$np" -ge $((WINDOW - 2))
figure "daemon CPU per reading, $N clients, parent" \
    "$(echo "scale=2; ($pa1 - $pa0) / $np / 1000000" | bc)" ms "-"
figure "daemon CPU per reading, $N clients, wgwatch" \
    "$(echo "scale=2; ($wa1 - $wa0) / $np / 1000000" | bc)" ms "< 10"
stop_daemon

# strongSwan: initiate to answer, terminate to NXDOMAIN, from inside the
# gateway, asking every 2 ms (up) and 20 ms (down)
. "$TOP/regress/ipseclab.sh"
il_up laptop=laptop@vpn.test || { not_ok "the IPsec lab"; done_testing; }
PORT=$(pick_port)
write_conf "$T_DIR/i.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "vpn.test"
ipsec "ike" { vici "$(il_vici gw)" }
EOF
D_NETNS=$(il_ns gw)
start_daemon "$T_DIR/i.conf" || { not_ok "daemon starts"; done_testing; }
# two figures each way: from the client's swanctl call (charon's IKE
# exchange included) and from its return (the gateway has taken the SA
# or the DELETE by then: what is left is ours)
for t in $(seq "$TRIALS"); do
	asker waitname
	t0=$(date +%s.%N)
	il_connect laptop
	t1=$(date +%s.%N)
	wait "$ASKER"
	took ip_up "$t0"
	took ip_upo "$t1"
	asker waitgone 10
	t0=$(date +%s.%N)
	il_disconnect laptop
	t1=$(date +%s.%N)
	wait "$ASKER"
	took ip_down "$t0"
	took ip_downo "$t1"
done
figures ip_up "IPsec initiate to answer" "$TRIALS" "-"
figures ip_upo "IPsec SA up to answer" "$TRIALS" "< 1000"
figures ip_down "IPsec terminate to NXDOMAIN" "$TRIALS" "-"
figures ip_downo "IPsec SA closed to NXDOMAIN" "$TRIALS" "< 1000"
check "every IPsec name up and gone within a second of its SA" \
    test "$ip_upo_worst" -lt 1000 -a "$ip_downo_worst" -lt 1000
stop_daemon

# OpenVPN (status FILE 1, interval 1): start to answer, SIGTERM to
# NXDOMAIN, and the status file's dropping the client to NXDOMAIN (ours:
# two whole readings without it, a second apart)
. "$TOP/regress/ovpnlab.sh"
ol_up laptop=laptop || { not_ok "the OpenVPN lab"; done_testing; }
PORT=$(pick_port)
write_conf "$T_DIR/o.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "vpn.test"
openvpn "office" { status "$OL_STATUS" }
EOF
D_NETNS=$(ol_ns srv)
start_daemon "$T_DIR/o.conf" || { not_ok "daemon starts"; done_testing; }
OT=$(( (TRIALS + 1) / 2 ))
# out of the file: a whole file (END) without it; OpenVPN rewrites it
# seconds after the client went
unlisted() {
	[ "$(tail -n 1 "$OL_STATUS")" = END ] &&
	    ! grep -q '^CLIENT_LIST.laptop.' "$OL_STATUS"
}
for t in $(seq "$OT"); do
	asker waitname
	t0=$(date +%s.%N)
	ol_start laptop
	wait "$ASKER"
	took ov_up "$t0"
	asker waitgone 30
	t0=$(date +%s.%N)
	ol_stop laptop TERM
	poll 30 unlisted
	t1=$(date +%s.%N)
	wait "$ASKER"
	took ov_down "$t0"
	took ov_downo "$t1"
done
figures ov_up "OpenVPN start to answer" "$OT" "-"
figures ov_down "OpenVPN SIGTERM to NXDOMAIN" "$OT" "-"
figures ov_downo "OpenVPN out of the file to NXDOMAIN" "$OT" "< 3000"
check "every OpenVPN name gone within 3 s of the file's dropping it" \
    test "$ov_downo_worst" -lt 3000
stop_daemon
done_testing
