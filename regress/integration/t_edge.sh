#!/bin/sh
# vpndnsd as the edge: daemon A forwards to daemon B with a PROXY v2
# header (over UDP and TCP) or with ECS, and B's rules and query log see
# A's client.  A's clients arrive through a proxy header of our own, so
# that they can have addresses no loopback socket has.
. "$(dirname "$0")/../lib.sh"
require_root
RAW="python3 $TOP/regress/dnsraw.py"
PA=$(pick_port)
PB=$(pick_port)

# B: trusts A's upstream sockets, 127.0.0.1 for PROXY and ::1 for ECS
printf 'pp.test\necs.test\n' >"$T_DIR/all.list"
write_conf "$T_DIR/b.conf" <<EOF
listen on 127.0.0.2 port $PB
listen on ::1 port $PB
allow from { 10.0.0.0/8 127.0.0.0/8 ::1 }
proxy-protocol from 127.0.0.1
client-subnet from ::1
log queries
blocklist "all" { file "$T_DIR/all.list" answer null }
match from 10.1.0.0/16 block "all" local-only
EOF
sed -i "s|vpndnsd.pid|b.pid|" "$T_DIR/b.conf"
D_SOCK=$T_DIR/b.sock D_LOG=$T_DIR/b.log
start_daemon "$T_DIR/b.conf" || { not_ok "B starts"; done_testing; }
B_PID=$D_PID B_LOG=$D_LOG
D_PID="" D_SOCK=$T_DIR/a.sock D_LOG=$T_DIR/a.log

write_conf "$T_DIR/a.conf" <<EOF
listen on 127.0.0.1 port $PA
allow from { 10.0.0.0/8 127.0.0.0/8 }
proxy-protocol from 127.0.0.5
forwarder "pp" { server 127.0.0.2 port $PB proxy-protocol }
forwarder "ecs" { server ::1 port $PB client-subnet 24 56 }
match query "pp.test" forward "pp"
match query "ecs.test" forward "ecs"
EOF
start_daemon "$T_DIR/a.conf" || { not_ok "A starts"; done_testing; }

# ask CLIENT NAME [tcp]: "ID RCODE ANCOUNT" from A, for that client
ask() {
	$RAW from "${3:-udp}" 127.0.0.5 127.0.0.1 "$PA" \
	    "$($RAW pp "$1" 4000 "$2" "${3:-udp}")"
}
is "through A, B's rule for 10.1.0.1: blocked (null)" \
    "$(ask 10.1.0.1 x.pp.test)" "16962 0 1"
like "B's query log shows the client and A as its proxy" "$(cat "$B_LOG")" \
    "query 10\\.1\\.0\\.1#4000 via proxy 127\\.0\\.0\\.1 x\\.pp\\.test\\. A: blocked by all"
is "10.2.0.1 has no rule at B: REFUSED" "$(ask 10.2.0.1 x.pp.test)" \
    "16962 5 0"
is "and A did not give it 10.1.0.1's cached answer" \
    "$(ask 10.2.0.1 x.pp.test)" "16962 5 0"
is "while 10.1.0.1 gets its own from A's cache" \
    "$(ask 10.1.0.1 x.pp.test)" "16962 0 1"
is "over TCP: a header on A's connection to B" \
    "$(ask 10.1.0.1 y.pp.test tcp)" "16962 0 1"
like "B saw it over TCP with the client" "$(cat "$B_LOG")" \
    "query 10\\.1\\.0\\.1#4000 via proxy 127\\.0\\.0\\.1 y\\.pp\\.test\\. A: blocked by all"

is "ECS: through A, 10.1.0.77 is 10.1.0.0/24 at B: blocked" \
    "$(ask 10.1.0.77 x.ecs.test)" "16962 0 1"
like "B's query log shows the subnet A sent" "$(cat "$B_LOG")" \
    "query 10\\.1\\.0\\.0/24 via ECS from ::1 x\\.ecs\\.test\\. A: blocked by all"
is "another subnet: REFUSED, not the first one's answer from A's cache" \
    "$(ask 10.2.0.1 x.ecs.test)" "16962 5 0"
check "both daemons still run" kill -0 "$B_PID" "$D_PID"
stop_daemon
# B too: its status and its log
D_PID=$B_PID D_LOG=$B_LOG D_SOCK=$T_DIR/b.sock
stop_daemon
done_testing
