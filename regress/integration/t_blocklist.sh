#!/bin/sh
# Blocklists: every answer kind, names below, allow exceptions, clients
# outside the rule, vpndnsctl, and a reload of a large list while queries
# keep coming: none fails.
. "$(dirname "$0")/../lib.sh"
require_root
PORT=$(pick_port)
UP=$(pick_port)
bg_start PY python3 "$TOP/regress/upstream.py" 127.0.0.10 "$UP" \
    "$T_DIR/up.log" --answer 203.0.113.10
answers_on 127.0.0.10 "$UP" probe.test || { not_ok "upstream"; done_testing; }

cat >"$T_DIR/ads.txt" <<EOF
# plain names, a hosts file, adblock rules, a wildcard, an exception
ads.example
0.0.0.0 tracker.test metrics.test
127.0.0.1 localhost
||adblock.test^
@@||ok.ads.example^
*.wild.test
bad line here
||modifier.test^\$third-party
EOF
printf 'swap-a.test\n' >"$T_DIR/swap.txt"
write_conf "$T_DIR/b.conf" <<EOF
listen on 127.0.0.1 port $PORT
log queries
allow from 127.0.0.0/8
forwarder "up" { server 127.0.0.10 port $UP }
blocklist "ads" { file "$T_DIR/ads.txt" allow "fine.tracker.test" }
blocklist "refused" { file "$T_DIR/ads.txt" answer refused }
blocklist "null" { file "$T_DIR/ads.txt" answer null }
blocklist "addr" { file "$T_DIR/ads.txt" answer 10.9.9.9 }
blocklist "swap" { file "$T_DIR/swap.txt" }
match from 127.0.0.2 block "refused" forward "up"
match from 127.0.0.3 block "null" forward "up"
match from 127.0.0.4 block "addr" forward "up"
match from 127.0.0.5 forward "up"
match block "ads" "swap" forward "up"
EOF
start_daemon "$T_DIR/b.conf" || { not_ok "daemon starts"; done_testing; }
loaded() { [ "$(bl_field "$1" loads)" = "$2" ]; }
wait_for "the lists are loaded" 10 loaded swap 1

is "a listed name: NXDOMAIN" "$(rcode_of ads.example)" NXDOMAIN
like "with an SOA of our own, for a minute" \
    "$(dq +noall +authority ads.example)" \
    "^ads\\.example\\.[[:space:]]+60[[:space:]]+IN[[:space:]]+SOA"
is "a name below it" "$(rcode_of a.b.ads.example)" NXDOMAIN
is "an adblock rule" "$(rcode_of adblock.test)" NXDOMAIN
is "a hosts file line, each of its names" \
    "$(rcode_of tracker.test) $(rcode_of metrics.test)" "NXDOMAIN NXDOMAIN"
is "a wildcard blocks below" "$(rcode_of x.wild.test)" NXDOMAIN
is "but not its own name" "$(dq +short wild.test)" "203.0.113.10"
is "an adblock exception passes" "$(dq +short ok.ads.example)" \
    "203.0.113.10"
is "a name the configuration allows passes" \
    "$(dq +short fine.tracker.test)" "203.0.113.10"
is "a name in no list passes" "$(dq +short www.example.test)" \
    "203.0.113.10"
is "answer refused" "$(rcode_of -b 127.0.0.2 ads.example)" REFUSED
is "answer null: 0.0.0.0 for A" "$(dq -b 127.0.0.3 +short ads.example)" \
    "0.0.0.0"
is "and :: for AAAA" "$(dq -b 127.0.0.3 +short ads.example AAAA)" "::"
like "and NODATA with our SOA for the rest" \
    "$(dq -b 127.0.0.3 ads.example MX)" "status: NOERROR.*|AUTHORITY: 1"
is "answer an address" "$(dq -b 127.0.0.4 +short x.ads.example)" \
    "10.9.9.9"
is "a client no rule blocks for is not blocked" \
    "$(dq -b 127.0.0.5 +short ads.example)" "203.0.113.10"
is "blocked names never reach the upstream" \
    "$(awk '$3 == "a.b.ads.example" || $3 == "adblock.test" ||
    $3 == "x.wild.test"' "$T_DIR/up.log")" ""
is "show blocklists: names, lines and bad lines" \
    "$(bl_field ads names lines bad)" "7 9 2"
like "and a table for people" "$(ctl show blocklists)" \
    "^ads +7 +9 +2 "
like "the bad lines are logged with file and line" "$(cat "$D_LOG")" \
    "blocklist \"ads\": .*ads\\.txt:8: not a name"
like "the query log names the list" "$(cat "$D_LOG")" \
    "query 127\\.0\\.0\\.1#[0-9]+ x\\.wild\\.test\\. A: blocked by ads, NXDOMAIN, 0 answers, [0-9.]+ ms"
like "and a forwarded query its group and server" "$(cat "$D_LOG")" \
    "query 127\\.0\\.0\\.1#[0-9]+ wild\\.test\\. A: forwarded to up 127\\.0\\.0\\.[0-9]+#[0-9]+, NOERROR, 1 answers"
like "vpndnsctl lookup says which list blocks" \
    "$(ctl lookup x.ads.example A from 127.0.0.1)" \
    "blocked by blocklist \"ads\""
like "show status counts the blocked answers" "$(ctl show status)" \
    "^blocked   [1-9][0-9]*"

# a reload with a large changed list, queries coming all along
awk 'BEGIN { for (i = 0; i < 300000; i++) printf "n%d.big.test\n", i;
    print "swap-b.test" }' >"$T_DIR/swap.txt"
is "before the reload swap-a is blocked" "$(rcode_of swap-a.test)" NXDOMAIN
udp_queries() {
	ctl -j show status |
	    python3 -c 'import json, sys; print(json.load(sys.stdin)["frontend"]["udp_queries"])'
}
q0=$(udp_queries)
FLOOD_STOP=$T_DIR/stop python3 "$TOP/regress/dnsraw.py" flood 127.0.0.1 \
    "$PORT" 10000000 'q{}.ads.example' rcodes >"$T_DIR/flood" &
flood=$!
flooding() { [ "$(udp_queries)" -ge $((q0 + 1000)) ]; }
wait_for "the flood is on (1000 queries)" 10 flooding
is "reload" "$(ctl reload)" "configuration reloaded"
wait_for "the new list is in use" 10 loaded swap 2
check "and the flood was still on" kill -0 "$flood"
diag "$(( $(udp_queries) - q0 )) queries by then"
touch "$T_DIR/stop"
wait "$flood"
set -- $(cat "$T_DIR/flood")
check "the flood ran all through the reload ($1 queries)" test "${1:-0}" -ge 1000
is "every one answered, no SERVFAIL" "$2 $3" "$1 0"
is "after it, swap-a passes" "$(dq +short swap-a.test)" "203.0.113.10"
is "and swap-b is blocked" "$(rcode_of swap-b.test)" NXDOMAIN
is "with 300001 names" "$(bl_field swap names)" 300001

# a list file gone at reload: the reload fails, the list in use stays
rm "$T_DIR/swap.txt"
like "a missing list file fails the reload, with file and line" \
    "$(ctl reload 2>&1)" "b\\.conf:[0-9]+: blocklist \"swap\": file .*: No such file"
is "and the list in use stays" "$(rcode_of swap-b.test)" NXDOMAIN
stop_daemon
done_testing
