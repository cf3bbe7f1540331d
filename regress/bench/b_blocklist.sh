#!/bin/sh
# Blocklists: a generated list of NAMES unique names (default a million).
# vpndnsd: the time a reload takes to load and swap the list in, the
# resolver's memory growth, and queries per second for blocked and for
# unblocked (cached) names with the list against the same daemon without
# it.  unbound (local-zone always_nxdomain) and dnsmasq (address=/name/)
# load the same list on the same machine for comparison.  Servers on
# CPU 0, dnsperf on CPU 1, loopback only.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools unbound dnsmasq dnsperf taskset bc
NAMES=${NAMES:-1000000}
SECONDS_RUN=${SECONDS_RUN:-8}
ROUNDS=${ROUNDS:-2}
OTHERS=${OTHERS:-1}	# 0: vpndnsd alone, without unbound and dnsmasq
. "$TOP/regress/bench/lib.sh"
now_ms() { date +%s%3N; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
hwm_kb() { awk '$1 == "VmHWM:" { print $2 }' "/proc/$1/status"; }
# wait_answer ADDR PORT NAME SECONDS: until a server there answers NAME
wait_answer() {
	_end=$(($(date +%s) + $4))
	while [ "$(date +%s)" -le "$_end" ]; do
		dig @"$1" -p "$2" +time=1 +tries=1 "$3" >/dev/null 2>&1 &&
		    return 0
		sleep 0.02
	done
	return 1
}
# best OLD NEW: the larger
best() { [ "${1:-0}" -ge "$2" ] && echo "${1:-0}" || echo "$2"; }
pct() { echo "scale=1; ($2 - $1) * 100 / $1" | bc; }

# the list: NAMES names of 3 labels, ~24 characters, under four TLDs
python3 - "$NAMES" "$T_DIR" <<'EOF'
import hashlib, sys
n, d = int(sys.argv[1]), sys.argv[2]
tlds = ("com", "net", "org", "io")
with open(d + "/list", "w") as pl, open(d + "/ub.zones", "w") as ub, \
    open(d + "/dm.conf", "w") as dm, open(d + "/blocked", "w") as q:
	for i in range(n):
		h = hashlib.blake2b(str(i).encode(), digest_size=4).hexdigest()
		name = "%s%x.t%d.%s" % (h, i, i % 9973, tlds[i % 4])
		pl.write(name + "\n")
		ub.write('local-zone: "%s." always_nxdomain\n' % name)
		dm.write("address=/%s/\n" % name)
		if i % (n // 10000 or 1) == 0:
			q.write("%s A\n" % name)
EOF
i=0
while [ $i -lt 1000 ]; do
	echo "n$i.bench.test A"
	i=$((i + 1))
done >"$T_DIR/unblocked"
diag "$(wc -l <"$T_DIR/list") names, $(wc -c <"$T_DIR/list") bytes"

PORT=$(pick_port)
UP=$(pick_port)
# the authority: every name under bench.test and the four TLDs
bench_authority 1 com net org io

# qps ADDR NAMES: dnsperf on CPU 1 against ADDR, warmed once first
qps() {
	taskset -c 1 dnsperf -s "$1" -p "$PORT" -d "$T_DIR/$2" -n 1 \
	    >/dev/null 2>&1
	taskset -c 1 dnsperf -s "$1" -p "$PORT" -d "$T_DIR/$2" \
	    -l "$SECONDS_RUN" -c 4 -q 200 >"$T_DIR/perf" 2>&1
	sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p' "$T_DIR/perf" |
	    cut -d. -f1
}

# vpndnsd: the same daemon reloaded between a configuration without the
# list and one with it, ROUNDS times; the best run of each kind counts
write_conf "$T_DIR/nolist.conf" <<EOF
listen on 127.0.0.1 port $PORT
forwarder "up" { server 127.0.0.2 port $UP cache-size 64M }
match forward "up"
EOF
write_conf "$T_DIR/list.conf" <<EOF
listen on 127.0.0.1 port $PORT
forwarder "up" { server 127.0.0.2 port $UP cache-size 64M }
blocklist "big" { file "$T_DIR/list" }
match block "big" forward "up"
EOF
cp "$T_DIR/nolist.conf" "$T_DIR/v.conf"
taskset -p -c 0 $$ >/dev/null
start_daemon "$T_DIR/v.conf" || { not_ok "daemon starts"; done_testing; }
taskset -p -c 0,1 $$ >/dev/null
RES=$(child_pid resolver)
loads() { bl_field big loads; }
# to_list: reload onto the list, the wall time until it is swapped in
to_list() {
	_n=$(($(loads || echo 0) + 0 + 1))
	cp "$T_DIR/list.conf" "$T_DIR/v.conf"
	_t0=$(now_ms)
	ctl reload >/dev/null
	while [ "$(loads)" != "$_n" ]; do sleep 0.01; done
	echo $(($(now_ms) - _t0))
}
u0=0 b0=0 u1=0 b1=0
qps 127.0.0.1 unblocked >/dev/null	# the cache warm, the pages touched
qps 127.0.0.1 blocked >/dev/null
rss0=$(rss_kb "$RES")
r=0
while [ $r -lt "$ROUNDS" ]; do
	cp "$T_DIR/nolist.conf" "$T_DIR/v.conf"
	ctl reload >/dev/null
	u0=$(best "$u0" "$(qps 127.0.0.1 unblocked)")
	b0=$(best "$b0" "$(qps 127.0.0.1 blocked)")
	wall=$(to_list)
	[ $r -eq 0 ] && { rss1=$(rss_kb "$RES"); hwm1=$(hwm_kb "$RES"); }
	u1=$(best "$u1" "$(qps 127.0.0.1 unblocked)")
	b1=$(best "$b1" "$(qps 127.0.0.1 blocked)")
	r=$((r + 1))
done
is "a listed name is blocked" "$(rcode_of "$(head -n 1 "$T_DIR/list")")" \
    NXDOMAIN
loaded=$(ctl show blocklists)
diag "$loaded"
read -r names load_ms tbytes <<EOF3
$(bl_field big names load_ms bytes)
EOF3
# a reload with the list in use: two tables for a moment
cp "$T_DIR/list.conf" "$T_DIR/v.conf"
wall2=$(to_list)
hwm2=$(hwm_kb "$RES")
rss2=$(rss_kb "$RES")
grow=$(((rss1 - rss0) / 1024))
is "every name is in the table" "$names" "$NAMES"
figure "vpndnsd: load and swap (resolver's own clock)" "$load_ms" "ms" "< 1000"
figure "vpndnsd: reload to swap, wall clock" "$wall" "ms" "< 1000"
figure "vpndnsd: reload over a loaded list, wall clock" "$wall2" "ms" "-"
figure "vpndnsd: table memory" "$((tbytes / 1048576))" "MB" "-"
figure "vpndnsd: table bytes per name" "$((tbytes / NAMES))" "B" "-"
figure "vpndnsd: resolver RSS growth" "$grow" "MB" "< 64"
figure "vpndnsd: resolver peak RSS growth, 2 tables" \
    "$(((hwm2 - rss0) / 1024))" "MB" "-"
figure "vpndnsd: resolver RSS after a second reload" \
    "$(((rss2 - rss0) / 1024))" "MB" "-"
figure "vpndnsd: unblocked q/s, no list" "$u0" "q/s" "-"
figure "vpndnsd: unblocked q/s, list" "$u1" "q/s" "-"
figure "vpndnsd: unblocked, list vs none" "$(pct "$u0" "$u1")" "%" "> -5"
figure "vpndnsd: listed names q/s, no list (cache)" "$b0" "q/s" "-"
figure "vpndnsd: listed names q/s, list (blocked)" "$b1" "q/s" "-"
figure "vpndnsd: blocked vs the same names cached" "$(pct "$b0" "$b1")" "%" \
    "> -5"
check "load and swap under 1 s ($load_ms ms, $wall ms wall)" \
    test "$load_ms" -lt 1000 -a "$wall" -lt 1000
check "resolver memory growth under 64 MB ($grow MB)" test "$grow" -lt 64
check "unblocked q/s within 5 % ($u0 -> $u1)" \
    test "$((u1 * 100))" -ge "$((u0 * 95))"
check "blocked q/s within 5 % of the no-list path ($b0 -> $b1)" \
    test "$((b1 * 100))" -ge "$((b0 * 95))"
stop_daemon

# unbound: the list as local-zones, forwarding the rest
ubconf() {
	printf 'server:\n\tinterface: 127.0.0.3@%s\n\tport: %s\n' "$PORT" "$PORT"
	printf '\tdo-daemonize: no\n\tchroot: ""\n\tusername: ""\n'
	printf '\tpidfile: ""\n\tdirectory: "%s"\n\tuse-syslog: no\n' "$T_DIR"
	printf '\tlogfile: ""\n\tdo-ip6: no\n\tnum-threads: 1\n'
	printf '\taccess-control: 127.0.0.0/8 allow\n'
	printf '\tdo-not-query-localhost: no\n'
	printf '\tmsg-cache-size: 64m\n\trrset-cache-size: 64m\n'
	[ -n "$1" ] && printf '\tinclude: "%s"\n' "$1"
	printf 'forward-zone:\n\tname: "."\n\tforward-addr: 127.0.0.2@%s\n' "$UP"
	printf 'remote-control:\n\tcontrol-enable: no\n'
}
# other PROG ADDR ARGS...: start it, the time until it answers, its RSS
other_start() {
	_t0=$(now_ms)
	bg_start OPID taskset -c 0 "$@"
	wait_answer "$OADDR" "$PORT" x.bench.test 600 || return 1
	OMS=$(($(now_ms) - _t0))
	qps "$OADDR" unblocked >/dev/null
	qps "$OADDR" blocked >/dev/null
	ORSS=$(rss_kb "$OPID")
}
# other_run LABEL ARGS-WITHOUT ARGS-WITH
other_run() {
	_label=$1
	other_start $2 || { not_ok "$_label starts"; return; }
	_ms0=$OMS _rss0=$ORSS
	_u0=$(qps "$OADDR" unblocked) _b0=$(qps "$OADDR" blocked)
	bg_stop "$OPID"
	other_start $3 || { not_ok "$_label starts with the list"; return; }
	_u1=$(qps "$OADDR" unblocked) _b1=$(qps "$OADDR" blocked)
	_rc=$(dig @"$OADDR" -p "$PORT" +time=2 +tries=1 \
	    "$(head -n 1 "$T_DIR/list")" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
	bg_stop "$OPID"
	is "$_label blocks a listed name" "$_rc" NXDOMAIN
	figure "$_label: start with the list, wall clock" "$OMS" "ms" \
	    "(without: $_ms0)"
	figure "$_label: RSS growth" "$(((ORSS - _rss0) / 1024))" "MB" "-"
	figure "$_label: unblocked q/s, no list / list" "$_u0/$_u1" "q/s" "-"
	figure "$_label: listed names q/s, no list / list" "$_b0/$_b1" "q/s" "-"
}
[ "$OTHERS" = 1 ] || done_testing
OADDR=127.0.0.3
ubconf >"$T_DIR/ub0.conf"
ubconf "$T_DIR/ub.zones" >"$T_DIR/ub1.conf"
other_run "unbound $(unbound -V | sed -n 's/^Version //p')" \
    "unbound -d -c $T_DIR/ub0.conf" "unbound -d -c $T_DIR/ub1.conf"

OADDR=127.0.0.4
dm="dnsmasq -d -k -C /dev/null --no-resolv --no-hosts --user=root \
--listen-address=127.0.0.4 --bind-interfaces --port=$PORT --cache-size=20000 \
--server=127.0.0.2#$UP --pid-file="
other_run "dnsmasq $(dnsmasq --version | sed -n '1s/Dnsmasq version \([^ ]*\).*/\1/p')" \
    "$dm" "$dm --conf-file=$T_DIR/dm.conf"
done_testing
