#!/bin/sh
# Uncached forwarding: every name new, answered by an NSD wildcard zone
# on loopback.  vpndnsd (all four processes) and dnsdist without a
# packet cache take turns on CPU 0, NSD and the load on CPU 1; per core
# divides the queries by the CPU time the server's processes used.
# Then the latency at a steady LOAD q/s of new names (regress/bench/qlat),
# and the resolver's system calls per forwarded query (strace -c -f).
. "$(dirname "$0")/../lib.sh"
. "$TOP/regress/bench/lib.sh"
require_root
require_tools dnsperf taskset bc nsd dnsdist strace
LOAD=${LOAD:-20000}
ROUNDS=${ROUNDS:-3}
QLAT=$TOP/regress/bench/qlat
PORT=$(pick_port)
UP=$(pick_port)

# the authority: NSD, any name under bench.test
mkdir -p "$T_DIR/nsd"
cat >"$T_DIR/nsd/bench.test.zone" <<EOF
\$ORIGIN bench.test.
@ 3600 SOA ns h 1 3600 600 86400 3600
@ 3600 NS ns
ns 3600 A 192.0.2.53
* 3600 A 192.0.2.1
EOF
{
	printf 'server:\n\tip-address: 127.0.0.2@%s\n\tport: %s\n' "$UP" "$UP"
	printf '\tusername: ""\n\tchroot: ""\n\tzonesdir: "%s/nsd"\n' "$T_DIR"
	printf '\tdatabase: ""\n\tserver-count: 1\n\tdo-ip6: no\n'
	# NSD's response rate limiting is on by default: off for a load test
	printf '\trrl-ratelimit: 0\n'
	printf '\tzonelistfile: "%s/nsd/zone.list"\n' "$T_DIR"
	printf '\txfrdfile: "%s/nsd/xfrd.state"\n' "$T_DIR"
	printf '\tpidfile: "%s/nsd/nsd.pid"\n\tlogfile: "%s/nsd/log"\n' \
	    "$T_DIR" "$T_DIR"
	printf 'remote-control:\n\tcontrol-enable: no\n'
	printf 'zone:\n\tname: bench.test\n\tzonefile: bench.test.zone\n'
} >"$T_DIR/nsd.conf"
bg_start NSD taskset -c 1 nsd -d -c "$T_DIR/nsd.conf"
answers_on 127.0.0.2 "$UP" x.bench.test || { not_ok "nsd"; done_testing; }

# names PREFIX: 2,000,000 names never asked before
names() {
	awk -v p="$1" 'BEGIN { for (i = 0; i < 2000000; i++)
		printf "%s%d.bench.test A\n", p, i }' >"$T_DIR/$1"
}


write_conf "$T_DIR/v.conf" <<EOF
listen on 127.0.0.1 port $PORT
forwarder "up" { server 127.0.0.2 port $UP }
match forward "up"
EOF
taskset -p -c 0 $$ >/dev/null
start_daemon "$T_DIR/v.conf" || { not_ok "daemon starts"; done_testing; }
taskset -p -c 0,1 $$ >/dev/null
V=$(pids_of "$D_PID")
pin_all 0 $V

cat >"$T_DIR/dnsdist.conf" <<EOF
setLocal("127.0.0.3:$PORT")
setACL({"127.0.0.0/8"})
newServer{address="127.0.0.2:$UP", checkName="bench.test."}
EOF
bg_start DD taskset -c 0 dnsdist --supervised --disable-syslog \
    -C "$T_DIR/dnsdist.conf"
answers_on 127.0.0.3 "$PORT" x.bench.test || { not_ok "dnsdist"; done_testing; }
D=$(pids_of "$DD")
pin_all 0 $D

# alternating rounds: this machine's speed moves within minutes
r=0 vs="" ds=""
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	names "v${r}x"
	timed "vpndnsd uncached, round $r" 127.0.0.1 "$PORT" "v${r}x" \
	    "-q 500" $V
	vs="$vs $LAST_PC"
	names "d${r}x"
	timed "dnsdist uncached, round $r" 127.0.0.3 "$PORT" "d${r}x" \
	    "-q 500" $D
	ds="$ds $LAST_PC"
done
med() { echo "$@" | tr ' ' '\n' | sed '/^$/d' | sort -n |
    sed -n "$(( ($# + 1) / 2 ))p"; }
vm=$(med $vs) dm=$(med $ds)
figure "vpndnsd uncached per core, median" "$vm" "q/s" ">= dnsdist"
figure "dnsdist uncached per core, median" "$dm" "q/s" "-"
figure "vpndnsd / dnsdist, uncached per core" \
    "$(echo "scale=2; $vm / $dm" | bc)" "" ">= 1.0"

# latency LABEL ADDR: p50/p99 of new names at LOAD q/s, median of 3
latency() {
	for _r in 1 2 3; do
		taskset -c 1 "$QLAT" "$2" "$PORT" "$LOAD" 3 "q$_r%u.bench.test"
	done >"$T_DIR/qlat"
	_med() { awk -v f="$1" '{ print $f }' "$T_DIR/qlat" | sort -n |
	    sed -n 2p; }
	LAST_P99=$(_med 8)
	figure "$1: p50/p99/p99.9 at $LOAD q/s, new names" \
	    "$(_med 6)/$LAST_P99/$(_med 10)" "us" \
	    "answered $(_med 4) of $(_med 2)"
}
latency "vpndnsd uncached" 127.0.0.1
vp99=$LAST_P99
latency "dnsdist uncached" 127.0.0.3
figure "p99 vpndnsd / dnsdist at $LOAD q/s" \
    "$(echo "scale=2; $vp99 / $LAST_P99" | bc)" "" "<= 2"

# system calls of the resolver per forwarded query, over 100,000
names "s1x"
head -n 100000 "$T_DIR/s1x" >"$T_DIR/s100k"
RES=$(child_pid resolver)
strace -c -f -p "$RES" -o "$T_DIR/strace" &
ST=$!
sleep 1
taskset -c 1 dnsperf -s 127.0.0.1 -p "$PORT" -d "$T_DIR/s100k" -n 1 -c 4 \
    -q 200 >"$T_DIR/perf.s" 2>&1
kill -INT "$ST"
wait "$ST"
calls=$(awk '$NF == "total" { print $4 }' "$T_DIR/strace")
q=$(sed -n 's/.*Queries completed: *\([0-9]*\).*/\1/p' "$T_DIR/perf.s")
figure "resolver system calls per forwarded query" \
    "$(echo "scale=2; $calls / $q" | bc)" "" "-"
sed 's/^/# /' "$T_DIR/strace" | head -20
stop_daemon
done_testing
