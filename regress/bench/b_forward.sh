#!/bin/sh
# Forwarding: cache hits against unbound serving the same names from its
# cache, and the latency an uncached forward adds over the upstream's
# own.  Servers on CPU 0, the load on CPU 1, loopback only.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools unbound dnsperf taskset
NAMES=${NAMES:-1000}
SECONDS_RUN=${SECONDS_RUN:-10}
LAT=${LAT:-2000}
. "$TOP/regress/bench/lib.sh"

PORT=$(pick_port)
UP=$(pick_port)
# the authority: any name under bench.test
bench_authority 0

# unbound as the caching forwarder to compare with
unbound_forwarder "$T_DIR/ub.conf" 127.0.0.3 "$PORT" </dev/null
bg_start UB taskset -c 0 unbound -d -c "$T_DIR/ub.conf"
answers_on 127.0.0.3 "$PORT" x.bench.test || { not_ok "unbound"; done_testing; }

write_conf "$T_DIR/v.conf" <<EOF
listen on 127.0.0.1 port $PORT
forwarder "up" { server 127.0.0.2 port $UP cache-size 64M }
match forward "up"
EOF
taskset -p -c 0 $$ >/dev/null
start_daemon "$T_DIR/v.conf" || { not_ok "daemon starts"; done_testing; }
taskset -p -c 0,1 $$ >/dev/null

i=0
while [ $i -lt "$NAMES" ]; do
	echo "n$i.bench.test A"
	i=$((i + 1))
done >"$T_DIR/names"

# qps SERVER: dnsperf on CPU 1, the names already cached
qps() {
	taskset -c 1 dnsperf -s "$1" -p "$PORT" -d "$T_DIR/names" -n 1 \
	    >/dev/null 2>&1
	taskset -c 1 dnsperf -s "$1" -p "$PORT" -d "$T_DIR/names" \
	    -l "$SECONDS_RUN" -c 4 -q 200 >"$T_DIR/perf.$1" 2>&1
	sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p' \
	    "$T_DIR/perf.$1" | cut -d. -f1
}
v=$(qps 127.0.0.1)
vlost=$(sed -n 's/.*Queries lost: *\([0-9]*\).*/\1/p' "$T_DIR/perf.127.0.0.1")
u=$(qps 127.0.0.3)
figure "cache hits, vpndnsd, one server core" "$v" "q/s" ">= unbound"
figure "cache hits, unbound 1.17, one server core" "$u" "q/s" "-"
figure "vpndnsd / unbound" "$(echo "scale=2; $v / $u" | bc)" "" ">= 1"
check "vpndnsd answered every cached query ($vlost lost)" test "$vlost" -eq 0
check "cache hits at least as fast as unbound ($v vs $u q/s)" \
    test "$v" -ge "$u"

# uncached: every name new, one query at a time
set -- $(python3 "$TOP/regress/bench/latency.py" 127.0.0.2 "$UP" "$LAT" d)
d50=$1 d99=$2
set -- $(python3 "$TOP/regress/bench/latency.py" 127.0.0.1 "$PORT" "$LAT" v)
v50=$1 v99=$2
add=$(echo "$v50 - $d50" | bc)
figure "upstream's own median round trip" "$d50" "us" "-"
figure "through vpndnsd, uncached, median" "$v50" "us" "-"
figure "median added by an uncached forward" "$add" "us" "< 100"
figure "p99 direct / through vpndnsd" "$d99/$v99" "us" "-"
check "an uncached forward adds under 100 us ($add us)" \
    test "$(echo "$add < 100" | bc)" -eq 1
stop_daemon
done_testing
