#!/bin/sh
# dnstap's cost on cache hits: the same daemon and names, dnstap off,
# then on with fstrm_capture taking every frame (thrown away); the
# daemon on CPU 0, the load and the collector on CPU 1; per core over
# all four processes.  Target: at most 15 % slower (the median of
# ROUNDS turns).
. "$(dirname "$0")/../lib.sh"
. "$TOP/regress/bench/lib.sh"
require_root
require_tools dnsperf taskset bc unbound fstrm_capture
NAMES=${NAMES:-1000}
ROUNDS=${ROUNDS:-3}
PORT=$(pick_port)
UP=$(pick_port)
bench_authority 1
awk -v n="$NAMES" 'BEGIN { for (i = 0; i < n; i++)
	printf "n%d.bench.test A\n", i }' >"$T_DIR/names"

tap_up() {
	ctl show metrics | grep -q '^vpndnsd_dnstap_client_connected 1' &&
	    ctl show metrics | grep -q '^vpndnsd_dnstap_forwarder_connected 1'
}

# run LABEL [CONFIGURATION LINE]: per core, in LAST_PC
run() {
	write_conf "$T_DIR/v.conf" <<EOF
listen on 127.0.0.1 port $PORT
forwarder "up" { server 127.0.0.2 port $UP cache-size 64M }
match forward "up"
$2
EOF
	start_daemon "$T_DIR/v.conf" || { not_ok "daemon starts"; return; }
	V=$(pids_of "$D_PID")
	pin_all 0 $V
	[ -z "$2" ] || poll 10 tap_up || not_ok "the dnstap streams are up"
	measure "$1" 127.0.0.1 "$PORT" names "" $V
	[ -z "$2" ] || figure "client frames written / dropped" "$(ctl show \
	    metrics | awk '/^vpndnsd_dnstap_client_frames_total/ { w = $2 }
	    /^vpndnsd_dnstap_client_dropped_total/ { d = $2 }
	    END { print w "/" d }')" "" "-"
	stop_daemon
}
bg_start CAP taskset -c 1 fstrm_capture -t protobuf:dnstap.Dnstap \
    -u "$T_DIR/tap.sock" -w /dev/null
poll 10 test -S "$T_DIR/tap.sock" || { not_ok "fstrm_capture"; done_testing; }
# ROUNDS turns of off then on; the target is the median of the ratios,
# as one turn on a shared machine moves by 10 % either way
r=1
while [ $r -le "$ROUNDS" ]; do
	run "cache hits, dnstap off, round $r"
	off=$LAST_PC
	run "cache hits, dnstap on, round $r" "dnstap \"$T_DIR/tap.sock\""
	echo "scale=3; $LAST_PC / $off" | bc >>"$T_DIR/ratios"
	r=$((r + 1))
done
med=$(sort -n "$T_DIR/ratios" | sed -n "$(((ROUNDS + 1) / 2))p")
figure "dnstap on / off, per core, median of $ROUNDS" "$med" "" ">= 0.85"
check "dnstap costs at most 15 % on cache hits (median $med)" \
    test "$(echo "$med >= 0.85" | bc)" -eq 1
done_testing
