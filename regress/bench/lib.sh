# regress/bench/lib.sh: sourced by regress/bench/b_*.sh after
# regress/lib.sh.  Figures, and dnsperf runs measured per server core.

# figure NAME VALUE UNIT TARGET: one line that run.sh collects
figure() { printf 'figure %-44s %10s %-5s (target %s)\n' "$1" "$2" "$3" "$4"; }

B_HZ=$(getconf CLK_TCK)
SECONDS_RUN=${SECONDS_RUN:-8}
B_RUN=""	# a prefix for dnsperf, e.g. "nsenter --net=FILE"

# pids_of PID: it and every process below it
pids_of() {
	echo "$1"
	for _c in $(pgrep -P "$1"); do pids_of "$_c"; done
}

# cpu_ticks PID...: user and system ticks of the processes and threads
cpu_ticks() {
	_t=0
	for _p in "$@"; do
		# after the ")" closing the name, which may hold spaces
		_v=$(sed 's/.*) //' "/proc/$_p/stat" 2>/dev/null |
		    awk '{ print $12 + $13 }')
		_t=$((_t + ${_v:-0}))
	done
	echo "$_t"
}

# measure LABEL ADDR PORT NAMES "DNSPERF-OPTS" PID...: q/s, and q/s per
# core from the CPU time the PIDs used (all of a server's processes), so
# a server the load generator cannot saturate is neither flattered nor
# harmed, after one pass over the names that fills the caches.  dnsperf
# runs on CPU 1; LAST_PC is the per-core figure.
measure() {
	$B_RUN taskset -c 1 dnsperf -s "$2" -p "$3" -d "$T_DIR/$4" -n 1 $5 \
	    >/dev/null 2>&1
	timed "$@"
}

# timed LABEL ADDR PORT NAMES "DNSPERF-OPTS" PID...: measure() without
# its warm-up pass, for names never asked before (a later -q in the
# options wins over the 200 queries in flight)
timed() {
	_l=$1 _a=$2 _p=$3 _n=$4 _o=$5; shift 5
	_c0=$(cpu_ticks "$@")
	$B_RUN taskset -c 1 dnsperf -s "$_a" -p "$_p" -d "$T_DIR/$_n" \
	    -l "$SECONDS_RUN" -c 4 -q 200 $_o >"$T_DIR/perf" 2>&1
	_c1=$(cpu_ticks "$@")
	_q=$(sed -n 's/.*Queries per second: *\([0-9.]*\).*/\1/p' \
	    "$T_DIR/perf" | cut -d. -f1)
	_s=$(sed -n 's/.*Queries sent: *\([0-9]*\).*/\1/p' "$T_DIR/perf")
	_lost=$(sed -n 's/.*Queries lost: *\([0-9]*\).*/\1/p' "$T_DIR/perf")
	_cpu=$(echo "scale=3; ($_c1 - $_c0) / $B_HZ / $SECONDS_RUN" | bc)
	LAST_PC=$(echo "$_q / $_cpu" | bc 2>/dev/null)
	LAST_PC=${LAST_PC:-0}
	figure "$_l" "${_q:-0}" "q/s" \
	    "lost ${_lost:-?} of ${_s:-?}, cpu $_cpu"
	figure "$_l, per core" "$LAST_PC" "q/s" "-"
	figure "$_l, rcodes" "$(sed -n 's/.*Response codes: *//p' \
	    "$T_DIR/perf" | tr -d ' ')" "" "-"
}

# pin_all CPU PID...: every thread of the processes onto CPU
pin_all() {
	_cpu=$1; shift
	for _p in "$@"; do taskset -a -p -c "$_cpu" "$_p" >/dev/null; done
}

# unbound_forwarder FILE ADDR PORT: unbound as a caching forwarder of
# bench.test to the authority; stdin adds to its server: clause
unbound_forwarder() {
	{
		printf '\tdo-not-query-localhost: no\n'
		printf '\tmsg-cache-size: 64m\n\trrset-cache-size: 64m\n'
		cat
		printf 'forward-zone:\n\tname: "bench.test."\n'
		printf '\tforward-addr: 127.0.0.2@%s\n' "$UP"
	} | unbound_conf "$@"
}

# bench_authority CPU [ZONE...]: unbound on 127.0.0.2@$UP answering every
# name under bench.test and the ZONEs (AUTH is its pid; in the namespace
# of D_NETNS and B_RUN when set); fails the benchmark if it does not
# answer
bench_authority() {
	_cpu=$1; shift
	for _z in bench.test "$@"; do
		printf '\tlocal-zone: "%s." redirect\n' "$_z"
		printf '\tlocal-data: "%s. 3600 A 192.0.2.1"\n' "$_z"
	done | unbound_conf "$T_DIR/auth.conf" 127.0.0.2 "$UP"
	bg_start AUTH $B_RUN taskset -c "$_cpu" unbound -d \
	    -c "$T_DIR/auth.conf"
	answers_on 127.0.0.2 "$UP" x.bench.test ||
	    { not_ok "authority"; done_testing; }
}

# cpu_of PID: its CPU time in ns, from /proc/PID/schedstat
cpu_of() { awk '{ print $1 }' "/proc/$1/schedstat"; }
# polls, changes: wg0's polls, and the peer changes wgwatch sent
polls() { ctl show status | sed -n 's/.*wg0: .* \([0-9]*\) polls.*/\1/p'; }
changes() { ctl show status | sed -n 's/.*wg0: .*, \([0-9]*\) changes sent/\1/p'; }

# many_peers N: the WireGuard lab's gateway and p1, and N more peers on
# wg0 that never connect, named p0 ... by $T_DIR/names.conf (after
# regress/wglab.sh)
WGTOOL="python3 $TOP/regress/bench/wgtool.py"
many_peers() {
	wg_up p1 || { not_ok "the WireGuard lab comes up"; done_testing; }
	$WGTOOL peers "$1" "$T_DIR/many.conf" "$T_DIR/names.conf"
	wg_exec gw wg addconf wg0 "$T_DIR/many.conf"
}

# local_names: $T_DIR/local, dnsperf's names for the 8 records h1..h8 of
# vpn.test (10.0.0.N) that the local-answer benchmarks serve
local_names() {
	for _i in 1 2 3 4 5 6 7 8; do echo "h$_i.vpn.test A"; done \
	    >"$T_DIR/local"
}

# local_records: those records in vpndnsd.conf(5) form
local_records() {
	for _i in 1 2 3 4 5 6 7 8; do
		echo "record \"h$_i.vpn.test\" A 10.0.0.$_i"
	done
}

# nsd_local ADDR PORT: NSD on CPU 0 serving those records as a zone (NSD
# is its pid); fails the benchmark if it does not answer
nsd_local() {
	mkdir -p "$T_DIR/nsd"
	{
		printf '$ORIGIN vpn.test.\n$TTL 300\n'
		printf '@ SOA ns h 1 3600 600 86400 300\n@ NS ns\n'
		printf 'ns A 10.0.0.9\n'
		for _i in 1 2 3 4 5 6 7 8; do echo "h$_i A 10.0.0.$_i"; done
	} >"$T_DIR/nsd/vpn.test.zone"
	cat >"$T_DIR/nsd/nsd.conf" <<EOF2
server:
	ip-address: $1@$2
	port: $2
	server-count: 1
	username: ""
	chroot: ""
	zonesdir: "$T_DIR/nsd"
	pidfile: "$T_DIR/nsd/nsd.pid"
	xfrdfile: "$T_DIR/nsd/xfrd.state"
	zonelistfile: "$T_DIR/nsd/zone.list"
	database: ""
	verbosity: 0
	do-ip6: no
	rrl-ratelimit: 0
remote-control:
	control-enable: no
zone:
	name: vpn.test
	zonefile: vpn.test.zone
EOF2
	bg_start NSD taskset -c 0 nsd -d -c "$T_DIR/nsd/nsd.conf"
	answers_on "$1" "$2" h1.vpn.test || { not_ok "nsd"; done_testing; }
}
