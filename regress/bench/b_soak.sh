#!/bin/sh
# Soak: dnsperf at full rate for SOAK_SECONDS (default 300) against a
# mixed configuration inside a WireGuard lab: local records, a presence
# name of a real wireguard-go peer, blocklist hits and forwarded names
# (cached after their first pass, through a small cache that evicts).
# No query lost beyond dnsperf's own count; resident memory flat from
# the first minute to the end.  (The parent under valgrind is in make
# check: regress/integration/t_valgrind.sh.)
. "$(dirname "$0")/../lib.sh"
require_root
. "$TOP/regress/bench/lib.sh"
. "$TOP/regress/wglab.sh"
require_tools dnsperf taskset unbound
SOAK_SECONDS=${SOAK_SECONDS:-300}

wg_up p1 || { not_ok "the WireGuard lab comes up"; done_testing; }
PORT=$(pick_port)
UP=$(pick_port)
D_NETNS=$(wg_ns gw)
B_RUN="nsenter --net=$D_NETNS"
bench_authority 1

python3 - "$T_DIR" <<'EOF'
import sys
d = sys.argv[1]
with open(d + "/list", "w") as l:
    for i in range(10000):
        l.write("ad%d.tracker.example\n" % i)
with open(d + "/mixed", "w") as m:
    for i in range(20000):
        k = i % 10
        if k < 3:
            m.write("h%d.vpn.test A\n" % (i % 8 + 1))
        elif k == 3:
            m.write("p1.vpn.test A\n")
        elif k == 4:
            m.write("ad%d.tracker.example A\n" % (i % 10000))
        else:
            m.write("n%d.bench.test A\n" % i)
EOF
write_conf "$T_DIR/soak.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "vpn.test" { threshold 300 }
$(for i in 1 2 3 4 5 6 7 8; do echo "record \"h$i.vpn.test\" A 10.0.0.$i"; done)
wireguard "wg0" {
	socket "$(wg_sock gw)"
	peer "p1" key "$(wg_pub p1)"
}
forwarder "up" { server 127.0.0.2 port $UP cache-size 1M }
blocklist "ads" { file "$T_DIR/list" }
match block "ads" forward "up"
EOF
start_daemon "$T_DIR/soak.conf" || { not_ok "daemon starts"; done_testing; }
wg_traffic p1
for i in $(seq 50); do
	[ "$(rcode_of p1.vpn.test)" = NOERROR ] && break
	sleep 0.1
done
is "the presence name answers" "$(rcode_of p1.vpn.test)" NOERROR
is "a listed name is blocked" "$(rcode_of ad1.tracker.example)" NXDOMAIN
is "a forwarded name answers" "$(dq +short n5.bench.test)" 192.0.2.1
V=$(pids_of "$D_PID")
pin_all 0 $V

rss() {
	_r=0
	for _p in $V; do
		_r=$((_r + $(awk '$1 == "VmRSS:" { print $2 }' "/proc/$_p/status")))
	done
	echo "$_r"
}
# the first minute fills the caches; memory is read after it and at the end
warm=$((SOAK_SECONDS < 120 ? SOAK_SECONDS / 4 : 60))
$B_RUN taskset -c 1 dnsperf -s 127.0.0.1 -p "$PORT" -d "$T_DIR/mixed" \
    -l "$SOAK_SECONDS" -c 4 -q 200 >"$T_DIR/perf" 2>&1 &
PERF=$!
T_PIDS="$T_PIDS $PERF"
sleep "$warm"
rss0=$(rss)
wait "$PERF"
rss1=$(rss)
q=$(sed -n 's/.*Queries sent: *\([0-9]*\).*/\1/p' "$T_DIR/perf")
lost=$(sed -n 's/.*Queries lost: *\([0-9]*\).*/\1/p' "$T_DIR/perf")
qps=$(sed -n 's/.*Queries per second: *\([0-9]*\).*/\1/p' "$T_DIR/perf")
figure "soak: queries in $SOAK_SECONDS s" "${q:-0}" "" "-"
figure "soak: q/s" "${qps:-0}" "q/s" "-"
figure "soak: lost" "${lost:-?}" "" "0"
figure "soak: RSS after ${warm} s / at the end" \
    "$((rss0 / 1024))/$((rss1 / 1024))" "MB" "flat"
check "soak: no query lost (${lost:-?} of ${q:-0})" test "${lost:-1}" -eq 0
check "soak: resident memory flat ($rss0 -> $rss1 kB)" \
    test "$rss1" -le $((rss0 + rss0 / 20 + 1024))
check "soak: the daemon is still running" kill -0 $V
stop_daemon

done_testing
