#!/bin/sh
# What a careless upstream or a crafty client sends: extended rcodes in
# the upstream's OPT reach the client whole, TTLs with the top bit set
# are 0 and nothing cached outlives cache-max-ttl, and a client named as
# an IPv4-mapped IPv6 address (::ffff:a.b.c.d) by a trusted PROXY header
# or ECS option is the IPv4 client it is to the rules and the rate limit.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools kdig

PORT=$(pick_port)
UP=$(pick_port)
bg_start PY python3 "$TOP/regress/upstream.py" 127.0.0.40 "$UP" \
    "$T_DIR/up.log"
write_conf "$T_DIR/h.conf" <<EOF
listen on 127.0.0.1 port $PORT
allow from { 127.0.0.0/8 ::/0 }
proxy-protocol from { 127.0.0.1 }
client-subnet from { 127.0.0.2 }
log queries
forwarder "up" { server 127.0.0.40 port $UP cache-max-ttl 300 }
match from { 127.0.1.0/24 } query "mapped.test" refuse
match query "rl.test" forward "up"
match query "mapped.test" local-only
match forward "up"
EOF
start_daemon "$T_DIR/h.conf" || { not_ok "daemon starts"; done_testing; }
answers_on 127.0.0.40 "$UP" x.test || not_ok "the upstream answers"

# kd ARGS...: kdig against the daemon, its header line's status; from
# 127.0.0.2, as 127.0.0.1 is the trusted proxy
kd() {
	kdig -b 127.0.0.2 @127.0.0.1 -p "$PORT" +timeout=2 +retry=0 "$@" 2>&1 |
	    sed -n 's/.*status: \([A-Z0-9]*\).*/\1/p' | head -n 1
}

# 3. extended rcodes: the upper bits live in the OPT
is "BADVERS from upstream reaches an EDNS client" \
    "$(kd +edns badvers.ext.test)" BADVERS
is "BADCOOKIE from upstream reaches an EDNS client" \
    "$(kd +edns badcookie.ext.test)" BADCOOKIE
is "an upstream's plain rcode still passes (NXDOMAIN)" \
    "$(kd +edns nx.ext.test)" NXDOMAIN
is "a client without EDNS cannot be told BADCOOKIE: SERVFAIL" \
    "$(kd +noedns badcookie.ext.test)" SERVFAIL
is "BADVERS is not cached as the NOERROR of its low bits" \
    "$(kd +edns badvers.ext.test)" BADVERS
is "a query with EDNS version 1 gets BADVERS from us" \
    "$(kd +edns=1 x.ext.test)" BADVERS
check "and never reaches the upstream" \
    test "$(grep -c ' x\.ext\.test ' "$T_DIR/up.log")" = 0

# 4. TTLs: 0xffffffff is 0 (RFC 2181 8), so nothing of it is kept
ttl_of() {
	kdig -b 127.0.0.2 @127.0.0.1 -p "$PORT" +timeout=2 +retry=0 +noall \
	    +answer "$@" |
	    awk '{ print $2; exit }'
}
is "a TTL of 0xffffffff reaches the client as 0" \
    "$(ttl_of hugettl.ttl.test)" 0
is "and is not cached: asked again, the upstream is asked again" \
    "$(ttl_of hugettl.ttl.test) $(grep -c ' hugettl\.ttl\.test 1 ' \
    "$T_DIR/up.log")" "0 2"
# a TTL of 2^31 - 1 is a real TTL: clamped to cache-max-ttl
kill "$PY"; wait "$PY" 2>/dev/null
bg_start PY python3 "$TOP/regress/upstream.py" 127.0.0.40 "$UP" \
    "$T_DIR/up.log" --ttl 2147483647
answers_on 127.0.0.40 "$UP" x.test || not_ok "the upstream answers again"
t=$(ttl_of big1.ttl.test)
check "a TTL of 2^31-1 leaves clamped to cache-max-ttl 300 ($t)" \
    test "$t" -le 300 -a "$t" -ge 299
t=$(ttl_of big1.ttl.test)
check "and its cached copy too ($t)" test "$t" -le 300 -a "$t" -ge 298

# 5. IPv4-mapped clients are their IPv4 selves
pp() { $DNSRAW pp "$1" 5300 "$2" udp; }
rc_of() { set -- $($DNSRAW udp 127.0.0.1 "$PORT" "$1"); echo "$1" |
	    cut -c7-8; }
is "PROXY client 127.0.1.5: refused by the rule for 127.0.1.0/24" \
    "$(rc_of "$(pp 127.0.1.5 a.mapped.test)")" 85
is "PROXY client ::ffff:127.0.1.5: refused alike" \
    "$(rc_of "$(pp ::ffff:127.0.1.5 a.mapped.test)")" 85
is "a real IPv6 client is not (local-only: NXDOMAIN)" \
    "$(rc_of "$(pp 2001:db8::5 a.mapped.test)")" 83
is "ECS client ::ffff:127.0.1.5/128: refused alike" \
    "$(kd +subnet=::ffff:127.0.1.5/128 a.mapped.test)" REFUSED
is "ECS client 127.0.1.5/32: refused" \
    "$(kd +subnet=127.0.1.5/32 a.mapped.test)" REFUSED
like "the ECS option comes back as it was sent" \
    "$(kdig -b 127.0.0.2 @127.0.0.1 -p "$PORT" +timeout=2 +retry=0 \
    +subnet=::ffff:127.0.1.5/128 a.mapped.test 2>&1)" \
    "CLIENT-SUBNET: ::ffff:127\\.0\\.1\\.5/128/128"
like "the query log names the IPv4 client" "$(cat "$D_LOG")" \
    "query 127\\.0\\.1\\.5#5300 via .*a\\.mapped\\.test"
check "and never the mapped form" \
    test "$(grep -c 'ffff:127\.0\.1\.5' "$D_LOG")" = 0

# the rate limit counts both forms as one prefix
stop_daemon
cat >>"$T_DIR/h.conf" <<EOF
rate-limit 5 slip 0 prefix 32 128
EOF
start_daemon "$T_DIR/h.conf" || { not_ok "daemon restarts"; done_testing; }
set -- $($DNSRAW burst 127.0.0.1 "$PORT" 10 "$(pp 127.0.2.5 x.rl.test)")
is "10 at once from PROXY client 127.0.2.5: 5 answered" "$1" 5
set -- $($DNSRAW burst 127.0.0.1 "$PORT" 10 "$(pp 127.0.3.5 x.rl.test)" \
    "$(pp ::ffff:127.0.3.5 x.rl.test)")
is "10 each from 127.0.3.5 and ::ffff:127.0.3.5 at once: 5 in all" "$1" 5
check "the daemon stops cleanly" stop_daemon
done_testing
