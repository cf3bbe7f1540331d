#!/bin/sh
# The query log at full load: cache hits per second with "log queries"
# against the same daemon without it (reloaded between, the best of
# ROUNDS runs of each).  The log goes where -d sends it, a file; the
# daemon on CPU 0, dnsperf on CPU 1.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools unbound dnsperf taskset bc
SECONDS_RUN=${SECONDS_RUN:-8}
ROUNDS=${ROUNDS:-2}
. "$TOP/regress/bench/lib.sh"
best() { [ "${1:-0}" -ge "$2" ] && echo "${1:-0}" || echo "$2"; }

PORT=$(pick_port)
UP=$(pick_port)
bench_authority 1
conf() {
	write_conf "$T_DIR/v.conf" <<EOF2
listen on 127.0.0.1 port $PORT
forwarder "up" { server 127.0.0.2 port $UP cache-size 64M }
match forward "up"
$1
EOF2
}
conf ""
taskset -p -c 0 $$ >/dev/null
start_daemon "$T_DIR/v.conf" || { not_ok "daemon starts"; done_testing; }
taskset -p -c 0,1 $$ >/dev/null
i=0
while [ $i -lt 1000 ]; do echo "n$i.bench.test A"; i=$((i + 1)); done \
    >"$T_DIR/names"
qps() {
	taskset -c 1 dnsperf -s 127.0.0.1 -p "$PORT" -d "$T_DIR/names" \
	    -l "$SECONDS_RUN" -c 4 -q 200 >"$T_DIR/perf" 2>&1
	sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p' "$T_DIR/perf" |
	    cut -d. -f1
}
taskset -c 1 dnsperf -s 127.0.0.1 -p "$PORT" -d "$T_DIR/names" -n 1 \
    >/dev/null 2>&1
off=0 on=0 r=0
while [ $r -lt "$ROUNDS" ]; do
	conf ""
	ctl reload >/dev/null
	off=$(best "$off" "$(qps)")
	conf "log queries"
	ctl reload >/dev/null
	l0=$(grep -c ' query ' "$D_LOG")
	on=$(best "$on" "$(qps)")
	lines=$(($(grep -c ' query ' "$D_LOG") - l0))
	r=$((r + 1))
done
drop=$(echo "scale=1; ($off - $on) * 100 / $off" | bc)
figure "cache hits, no query log" "$off" "q/s" "-"
figure "cache hits, log queries" "$on" "q/s" "-"
figure "slowdown with the query log" "$drop" "%" "<= 20"
diag "$(grep ' query ' "$D_LOG" | tail -n 1)"
check "a line per query answered ($lines lines)" test "$lines" -gt 0
check "the query log costs at most 20 % ($off -> $on q/s)" \
    test "$((on * 100))" -ge "$((off * 80))"
stop_daemon
done_testing
