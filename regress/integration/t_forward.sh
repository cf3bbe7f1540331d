#!/bin/sh
# Policy forwarding against real upstreams on loopback: unbound instances
# with answers of their own, and regress/upstream.py to count queries and
# to misbehave (truncate, stay silent, send garbage, attack).
. "$(dirname "$0")/../lib.sh"
require_root
require_tools unbound
UPSTREAM="python3 $TOP/regress/upstream.py"
PORT=$(pick_port)
UP=$(pick_port)

# unbound on 127.0.0.N: its own answers, 192.0.2.N, for a few zones
unbound_up() {
	unbound_conf "$T_DIR/unbound$1.conf" "127.0.0.$1" "$UP" <<EOF
	local-zone: "example.test." redirect
	local-data: "example.test. 300 A 192.0.2.$1"
	local-zone: "corp.test." redirect
	local-data: "corp.test. 300 A 192.0.2.$1"
	local-zone: "failover.test." redirect
	local-data: "failover.test. 300 A 192.0.2.$1"
	local-zone: "rr.test." redirect
	local-data: "rr.test. 0 A 192.0.2.$1"
EOF
	bg_start "UNBOUND$1" unbound -d -c "$T_DIR/unbound$1.conf"
	answers_on "127.0.0.$1" "$UP" www.example.test
}
unbound_up 2 || { not_ok "unbound starts"; done_testing; }
unbound_up 3 || { not_ok "unbound starts"; done_testing; }

# the scripted upstreams: NAME ADDRESS [options]
script_up() {
	_n=$1 _a=$2; shift 2
	bg_start "PY_$_n" $UPSTREAM "$_a" "$UP" "$T_DIR/$_n.log" "$@"
}
script_up count 127.0.0.10 --answer 203.0.113.10 --ttl 60
script_up slow 127.0.0.11 --delay 300
script_up tc 127.0.0.12 --mode tc
script_up hostile 127.0.0.13 --mode hostile
script_up garbage 127.0.0.14 --mode garbage
script_up silent 127.0.0.15 --mode silent
script_up stale 127.0.0.16 --ttl 1
for a in 10 11 12 13 14 16; do
	answers_on "127.0.0.$a" "$UP" probe.test ||
	    { not_ok "upstream 127.0.0.$a starts"; done_testing; }
done
poll 5 udp_bound 127.0.0.15 "$UP" ||
    { not_ok "the silent upstream starts"; done_testing; }
# the probes above are in the logs: start them afresh
: >"$T_DIR/count.log"

write_conf "$T_DIR/f.conf" <<EOF
listen on 127.0.0.1 port $PORT
allow from 127.0.0.0/8
forwarder "two" { server 127.0.0.2 port $UP }
forwarder "three" { server 127.0.0.3 port $UP }
forwarder "count" { server 127.0.0.10 port $UP }
forwarder "count2" { server 127.0.0.10 port $UP }
forwarder "slow" { server 127.0.0.11 port $UP }
forwarder "tc" { server 127.0.0.12 port $UP }
forwarder "hostile" { server 127.0.0.13 port $UP }
forwarder "garbage" { server 127.0.0.14 port $UP timeout 300 }
forwarder "failover" {
	server 127.0.0.20 port $UP	# nobody: refused at once
	server 127.0.0.15 port $UP	# silent: times out
	server 127.0.0.2 port $UP
	timeout 900
}
forwarder "rr" {
	server 127.0.0.2 port $UP
	server 127.0.0.3 port $UP
	policy round-robin
}
forwarder "stale" { server 127.0.0.16 port $UP timeout 300 serve-stale yes }
forwarder "nostale" { server 127.0.0.16 port $UP timeout 300 }
match from 127.0.0.2 forward "two"
match from 127.0.0.3 forward "three"
match query "corp.test" forward "three"
match query "blocked.test" refuse
match query "walled.test" local-only
match from 127.0.0.5 query "count.test" forward "count2"
match query { "count.test" "big.test" } forward "count"
match query "slow.test" forward "slow"
match query "tc.test" forward "tc"
match query "hostile.test" forward "hostile"
match query "garbage.test" forward "garbage"
match query "failover.test" forward "failover"
match query "rr.test" forward "rr"
match from 127.0.0.6 query "stale.test" forward "nostale"
match query "stale.test" forward "stale"
EOF
start_daemon "$T_DIR/f.conf" || { not_ok "daemon starts"; done_testing; }

# upstream_saw LOG NAME: how many queries for NAME reached that upstream
upstream_saw() { awk -v n="$2" '$3 == n' "$T_DIR/$1.log" | wc -l | tr -d ' '; }
ttl_of() { dq +noall +answer "$@" | awk 'NR == 1 { print $2 }'; }

is "a client at 127.0.0.2 gets its upstream's answer" \
    "$(dq -b 127.0.0.2 +short www.example.test)" "192.0.2.2"
is "a client at 127.0.0.3 gets its own" \
    "$(dq -b 127.0.0.3 +short www.example.test)" "192.0.2.3"
is "no rule fits 127.0.0.1 for it: REFUSED" \
    "$(rcode_of www.example.test)" REFUSED
is "a query rule routes by suffix" "$(dq +short www.corp.test)" \
    "192.0.2.3"
is "refuse" "$(rcode_of www.blocked.test)" REFUSED
is "local-only: NXDOMAIN" "$(rcode_of www.walled.test)" NXDOMAIN
like "a forwarded answer: RA set, AA cleared" \
    "$(dq a1.count.test)" "flags: qr rd ra;"

# the cache
dq +short a2.count.test >/dev/null
is "a second query is answered from the cache" \
    "$(dq +short a2.count.test; upstream_saw count a2.count.test)" \
    "203.0.113.10
1"
t1=$(ttl_of a2.count.test)
ttl_down() { [ "$(ttl_of a2.count.test)" -le $((t1 - 2)) ]; }
wait_for "TTLs count down (from $t1, by 2)" 5 ttl_down
is "NXDOMAIN is forwarded" "$(rcode_of nx.count.test)" NXDOMAIN
like "with the SOA, its TTL the SOA minimum (RFC 2308)" \
    "$(dq +noall +authority nx.count.test)" \
    "count\\.test\\.[[:space:]]+(30|29)[[:space:]]+IN[[:space:]]+SOA"
is "and is cached" "$(upstream_saw count nx.count.test)" 1
dq -b 127.0.0.5 +short a2.count.test >/dev/null
is "two groups do not share answers" "$(upstream_saw count a2.count.test)" 2
is "vpndnsctl flush NAME" "$(ctl flush a2.count.test)" \
    "flushed 2 entries for a2.count.test"
dq +short a2.count.test >/dev/null
is "a flushed name is asked again" "$(upstream_saw count a2.count.test)" 3
lookup=$(ctl lookup a2.count.test)
like "vpndnsctl lookup says which rule decides" "$lookup" \
    "^rule 7 \\(line [0-9]+\\): forward to \"count\"$"
like "and that the answer is cached" "$lookup" \
    "^cached: answered from the cache, [0-9]+ s left$"
like "and which rule decides for another client" \
    "$(ctl lookup a2.count.test A from 127.0.0.5)" "forward to \"count2\""

# a reload keeps the groups (regression: it once dropped every forwarder
# and rule, so everything forwarded was REFUSED afterwards)
is "vpndnsctl reload" "$(ctl reload)" "configuration reloaded"
is "after a reload, forwarding still works" "$(dq +short a2.count.test)" \
    "203.0.113.10"
is "and the group's cache survived it" "$(upstream_saw count a2.count.test)" 3
like "show forwarders still lists the groups" "$(fwd_line count)" \
    "^forwarder count:"
ctl show forwarders >"$T_DIR/table"
like "show forwarders for people: a group's row under its header" \
    "$(sed -n '/^forwarder  *policy  *timeout-ms /,/^$/p' "$T_DIR/table")" \
    "^count +failover +1000 +[0-9]+ "
like "and its server's under the servers' header" \
    "$(sed -n '/^forwarder  *server  *transport  *state /,$p' \
    "$T_DIR/table")" \
    "^count +127\\.0\\.0\\.10 port $UP +udp/tcp +up +- +0 +0 +[0-9.]+ +[0-9]+ "

# transport, EDNS
dq +dnssec +short a3.count.test >/dev/null
is "DO is passed upstream" \
    "$(awk '$3 == "a3.count.test" { print $5 }' "$T_DIR/count.log")" 1
dq +tcp +short a4.count.test >/dev/null
is "a TCP client is forwarded over TCP" \
    "$(awk '$3 == "a4.count.test" { print $1 }' "$T_DIR/count.log")" tcp
like "a 2 KB answer to a UDP client without EDNS: TC" \
    "$(dq +noedns +ignore big.count.test TXT)" "flags: qr tc rd ra"
like "over TCP it comes whole" "$(dq +tcp big.count.test TXT)" \
    "ANSWER: 8,"
is "TC from upstream: the query goes again over TCP" \
    "$(dq +short www.tc.test)" "192.0.2.1"
is "to the same server, UDP then TCP" \
    "$(awk '$3 == "www.tc.test" { print $1 }' "$T_DIR/tc.log" | tr '\n' ' ')" \
    "udp tcp "

# 1000 forwarded queries: source ports and ids spread
is "1000 forwarded queries answered" \
    "$($DNSRAW flood 127.0.0.1 "$PORT" 1000 'p{}.count.test')" 1000
ports=$(awk '$3 ~ /^p[0-9]+\.count\.test$/ { print $2 }' "$T_DIR/count.log" |
    sort -u | wc -l)
ids=$(awk '$3 ~ /^p[0-9]+\.count\.test$/ { print $6 }' "$T_DIR/count.log" |
    sort -u | wc -l)
most=$(awk '$3 ~ /^p[0-9]+\.count\.test$/ { print $2 }' "$T_DIR/count.log" |
    sort | uniq -c | sort -n | tail -n 1 | awk '{ print $1 }')
check "a source port carries at most 256 queries ($most)" test "$most" -le 256
check "so at least 4 ports for 1000 queries ($ports)" test "$ports" -ge 4
check "at least 900 distinct ids ($ids)" test "$ids" -ge 900

# identical queries in flight are one upstream query
is "64 identical queries at once are answered" \
    "$($DNSRAW flood 127.0.0.1 "$PORT" 64 same.slow.test)" 64
check "and reach the upstream as one or two ($(upstream_saw slow same.slow.test))" \
    test "$(upstream_saw slow same.slow.test)" -le 2
like "show forwarders counts them as coalesced" "$(fwd_line slow)" \
    "coalesced [1-9][0-9]*"

# a hostile upstream: the right answer still wins, nothing breaks
is "wrong id, wrong question, another port, a loop, a cut reply: the" \
    "$(dq +short www.hostile.test)" "192.0.2.1"
like "dropped replies are counted (the other port's the kernel drops)" \
    "$(fwd_line hostile)" "malformed 2, mismatched 1, stray 1,"
is "an upstream that only sends garbage: SERVFAIL" \
    "$(rcode_of www.garbage.test)" SERVFAIL
rcode_of www.garbage.test >/dev/null
is "and nothing of it was cached" "$(upstream_saw garbage www.garbage.test)" 2
# a flood of queries that only ever get garbage back: once its pools
# have their size, the resolver does not grow
res=$(child_pid resolver)
rss() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$res/status"; }
$DNSRAW flood 127.0.0.1 "$PORT" 500 "w{}.garbage.test" >/dev/null
rss0=$(rss)
is "1,000 more queries answered only with garbage: all SERVFAIL" \
    "$($DNSRAW flood 127.0.0.1 "$PORT" 1000 "g{}.garbage.test" rcodes)" \
    "1000 1000"
rss1=$(rss)
if sanitized; then
	# ASan's quarantine holds freed memory: growth means nothing there
	skip_by_design "resident memory under ASan"
else
	check "and the resolver grew by at most 256 kB ($rss0 -> $rss1 kB)" \
	    test $((rss1 - rss0)) -le 256
fi

# failover within the budget: past its 900 ms the daemon answers
# SERVFAIL, so an answer from the third server is one within it (the time
# on a loaded machine says little)
t0=$(date +%s%N)
a=$(dq +short www.failover.test)
diag "failover answered in $(ms_since "$t0") ms"
is "failover: refused, then silent, then the third answers" "$a" \
    "192.0.2.2"
is "the silent one was asked" "$(upstream_saw silent www.failover.test)" 1
dq +short f2.failover.test >/dev/null
dq +short f3.failover.test >/dev/null
like "three failures in a row: the silent server is down" \
    "$(fwd_line failover)" "127\\.0\\.0\\.15 port $UP: down"
is "it saw them all" "$(upstream_saw silent f3.failover.test)" 1
t0=$(date +%s%N)
is "a down server is skipped: the third answers" \
    "$(dq +short f4.failover.test)" 192.0.2.2
diag "in $(ms_since "$t0") ms"
is "and the down one never sees the query" \
    "$(upstream_saw silent f4.failover.test)" 0

# round-robin: both servers serve
for i in $(seq 10); do dq +short "r$i.rr.test"; done | sort -u >"$T_DIR/rr"
is "round-robin spreads queries over both servers" "$(tr '\n' ' ' <"$T_DIR/rr")" \
    "192.0.2.2 192.0.2.3 "

# every server down: SERVFAIL, or the stale answer where allowed
dq +short s.stale.test >/dev/null
dq -b 127.0.0.6 +short s.stale.test >/dev/null
bg_stop "$PY_stale"
# each forwarder caches apart; the two answers may have been stored in
# different seconds, so wait for both
expired() {
	! ctl lookup s.stale.test | grep -q "answered from the cache" &&
	    ! ctl lookup s.stale.test from 127.0.0.6 |
	    grep -q "answered from the cache"
}
wait_for "its answer expires in the cache (TTL 1)" 5 expired
is "serve-stale: an expired answer while the group is down" \
    "$(dq +short s.stale.test)" "192.0.2.1"
is "with TTL 30 (RFC 8767)" "$(ttl_of s.stale.test)" 30
is "without serve-stale: SERVFAIL" "$(rcode_of -b 127.0.0.6 s.stale.test)" \
    SERVFAIL
rcode_of s2.stale.test >/dev/null
rcode_of s3.stale.test >/dev/null
like "the dead server is marked down" "$(fwd_line stale)" "16 port $UP: down"
script_up stale 127.0.0.16 --ttl 1
back() { grep -q "server 127.0.0.16 port $UP is up again" "$D_LOG"; }
wait_for "its return is detected by the probe" 10 back
is "and it answers again" "$(dq +short s4.stale.test)" "192.0.2.1"

like "show status sums the caches" "$(ctl show status)" \
    "^cache     hits [1-9][0-9]*, misses [1-9][0-9]*, [1-9][0-9]* entries"
check "the daemon is still running" kill -0 "$D_PID"
stop_daemon
done_testing
