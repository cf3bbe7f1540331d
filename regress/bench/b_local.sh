#!/bin/sh
# Local answers per core, vpndnsd against NSD, in turns: ROUNDS (3) runs
# of each, one after the other, both servers up and on CPU 0 throughout,
# so that the machine's swings (10-15 % within an hour here) move both.
# The target is the median of the rounds' ratios.
. "$(dirname "$0")/../lib.sh"
. "$TOP/regress/bench/lib.sh"
require_root
require_tools dnsperf taskset bc nsd
ROUNDS=${ROUNDS:-3}
SECONDS_RUN=${SECONDS_RUN:-5}
PORT=$(pick_port)
local_names
write_conf "$T_DIR/v.conf" <<EOF2
listen on 127.0.0.1 port $PORT
domain "vpn.test"
$(local_records)
EOF2
taskset -p -c 0 $$ >/dev/null
start_daemon "$T_DIR/v.conf" || { not_ok "daemon starts"; done_testing; }
taskset -p -c 0,1 $$ >/dev/null
nsd_local 127.0.0.3 "$PORT"
V=$(pids_of "$D_PID") N=$(pids_of "$NSD")
r=1
while [ $r -le "$ROUNDS" ]; do
	measure "round $r: vpndnsd local answers" 127.0.0.1 "$PORT" local "" $V
	v=$LAST_PC
	measure "round $r: nsd local answers" 127.0.0.3 "$PORT" local "" $N
	echo "scale=3; $v / $LAST_PC" | bc >>"$T_DIR/ratios"
	r=$((r + 1))
done
bg_stop "$NSD"
stop_daemon
med=$(sort -n "$T_DIR/ratios" | sed -n "$(((ROUNDS + 1) / 2))p")
figure "local per core, vpndnsd / nsd, median of $ROUNDS" "$med" "" ">= 1"
check "local answers per core at least NSD's ($med)" \
    test "$(echo "$med >= 1" | bc)" -eq 1
done_testing
