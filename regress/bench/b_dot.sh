#!/bin/sh
# DNS over TLS forwarding, uncached: every name new, to a local unbound
# serving DoT (certificates made here), on CPU 1 with the load; vpndnsd
# (all four processes) and unbound 1.17 forwarding over TLS
# (forward-tls-upstream) take turns on CPU 0.  Per core divides the
# queries by the CPU time the forwarder's processes used.
. "$(dirname "$0")/../lib.sh"
. "$TOP/regress/bench/lib.sh"
require_root
require_tools dnsperf taskset bc unbound openssl kdig
PORT=$(pick_port)
DOT=$(pick_port)
C=$T_DIR/certs
mkdir -p "$C"
dot_certs "$C" ||
    { not_ok "certificates"; done_testing; }

# the authority over TLS: any name under bench.test
printf '\ttls-port: %s\n\ttls-service-key: "%s/srv.key"\n' "$DOT" "$C" \
    >"$T_DIR/auth.in"
printf '\ttls-service-pem: "%s/srv.pem"\n\tincoming-num-tcp: 100\n' "$C" \
    >>"$T_DIR/auth.in"
printf '\tlocal-zone: "bench.test." redirect\n' >>"$T_DIR/auth.in"
printf '\tlocal-data: "bench.test. 3600 A 192.0.2.1"\n' >>"$T_DIR/auth.in"
unbound_conf "$T_DIR/auth.conf" 127.0.0.2 "$DOT" <"$T_DIR/auth.in"
bg_start AUTH taskset -c 1 unbound -d -c "$T_DIR/auth.conf"
dotq() {
	kdig +tls +tls-ca="$C/ca.pem" +tls-hostname=dot.test +short \
	    +timeout=1 +retry=0 @127.0.0.2 -p "$DOT" x.bench.test 2>/dev/null |
	    grep -q 192.0.2.1
}
poll 10 dotq || { not_ok "the DoT authority"; done_testing; }

# names PREFIX: names never asked before
names() {
	awk -v p="$1" 'BEGIN { for (i = 0; i < 1000000; i++)
		printf "%s%d.bench.test A\n", p, i }' >"$T_DIR/$1"
}
names v
names u

write_conf "$T_DIR/v.conf" <<EOF
listen on 127.0.0.1 port $PORT
forwarder "up" {
	server 127.0.0.2 port $DOT tls "dot.test"
	tls-ca "$C/ca.pem"
}
match forward "up"
EOF
start_daemon "$T_DIR/v.conf" || { not_ok "daemon starts"; done_testing; }
V=$(pids_of "$D_PID")
pin_all 0 $V
timed "DoT forwarding, uncached, vpndnsd" 127.0.0.1 "$PORT" v "" $V
v=$LAST_PC
figure "vpndnsd's TLS connections opened" \
    "$(ctl -j show forwarders | python3 -c 'import json, sys
print(json.load(sys.stdin)[0]["servers"][0]["connections"])')" "" "<= 2"
stop_daemon

{
	printf '\tdo-not-query-localhost: no\n'
	# test. is one of unbound's default local zones (RFC 6761)
	printf '\tlocal-zone: "test." nodefault\n'
	printf '\ttls-cert-bundle: "%s/ca.pem"\n' "$C"
	printf '\tmsg-cache-size: 64m\n\trrset-cache-size: 64m\n'
	printf 'forward-zone:\n\tname: "bench.test."\n'
	printf '\tforward-tls-upstream: yes\n'
	printf '\tforward-addr: 127.0.0.2@%s#dot.test\n' "$DOT"
} | unbound_conf "$T_DIR/ub.conf" 127.0.0.3 "$PORT"
bg_start UB taskset -c 0 unbound -d -c "$T_DIR/ub.conf"
ub_ok() {
	[ "$(dig @127.0.0.3 -p "$PORT" +short +time=1 +tries=1 \
	    warm.bench.test)" = 192.0.2.1 ]
}
poll 10 ub_ok || { not_ok "unbound forwards over TLS"; done_testing; }
timed "DoT forwarding, uncached, unbound 1.17" 127.0.0.3 "$PORT" u "" "$UB"
u=$LAST_PC
figure "vpndnsd / unbound, per core" "$(echo "scale=2; $v / $u" | bc)" "" \
    ">= 1"
check "DoT forwarding per core at least unbound's ($v vs $u)" \
    test "$v" -ge "$u"
done_testing
