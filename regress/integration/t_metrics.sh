#!/bin/sh
# Metrics: vpndnsctl show metrics and GET /metrics from the frontend's
# listener carry the same Prometheus text, which a real parser (the
# prometheus_client package's) reads; the figures match what was asked;
# each family's samples stand together under one HELP and TYPE; the HTTP
# reader serves nothing else, keeps the ACL and cuts off a slow client.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools curl
PYPROM=/usr/bin/python3
$PYPROM -c 'import prometheus_client' 2>/dev/null || PYPROM=""

PORT=$(pick_port)
MPORT=$(pick_port)
UP=$(pick_port)
printf 'ad.example\n' >"$T_DIR/ads"
write_conf "$T_DIR/m.conf" <<EOF
listen on 127.0.0.1 port $PORT
metrics listen on 127.0.0.1 port $MPORT
allow from 127.0.0.1
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.10
wireguard "wg0" { socket "$T_DIR/none.sock" }
blocklist "ads" { file "$T_DIR/ads" }
forwarder "up" { server 127.0.0.2 port $UP timeout 100 }
match block "ads" forward "up"
EOF
start_daemon "$T_DIR/m.conf" || { not_ok "daemon starts"; done_testing; }
for i in 1 2 3; do dq +short nas.vpn.test >/dev/null; done
dq +short nope.vpn.test >/dev/null
dq +short ad.example >/dev/null
dq +tcp +short nas.vpn.test >/dev/null

ctl show metrics >"$T_DIR/ctl.txt"
check "vpndnsctl show metrics succeeds" test $? -eq 0
curl -s -D "$T_DIR/head" -o "$T_DIR/http.txt" \
    "http://127.0.0.1:$MPORT/metrics"
like "GET /metrics: 200" "$(head -n 1 "$T_DIR/head")" "^HTTP/1.0 200 OK"
like "with the exposition format's content type" "$(cat "$T_DIR/head")" \
    "Content-Type: text/plain; version=0.0.4"

# sample FILE NAME{LABELS}: its value
sample() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
for f in ctl http; do
	t=$T_DIR/$f.txt
	is "$f: UDP queries" "$(sample "$t" 'vpndnsd_queries_total{transport="udp"}')" 5
	is "$f: TCP queries" "$(sample "$t" 'vpndnsd_queries_total{transport="tcp"}')" 1
	is "$f: local NOERROR answers" \
	    "$(sample "$t" 'vpndnsd_answers_total{decision="local",rcode="NOERROR"}')" 4
	is "$f: local NXDOMAIN answers" \
	    "$(sample "$t" 'vpndnsd_answers_total{decision="local",rcode="NXDOMAIN"}')" 1
	is "$f: the blocklist's hits" \
	    "$(sample "$t" 'vpndnsd_blocklist_hits_total{list="ads"}')" 1
	is "$f: the latency histogram counts every answer" \
	    "$(sample "$t" 'vpndnsd_answer_seconds_count')" 6
	is "$f: and its +Inf bucket too" \
	    "$(sample "$t" 'vpndnsd_answer_seconds_bucket{le="+Inf"}')" 6
	is "$f: the group's queries, none forwarded" \
	    "$(sample "$t" 'vpndnsd_forwarder_queries_total{group="up"}')" 0
	like "$f: the WireGuard interface's polls" "$(cat "$t")" \
	    'vpndnsd_wireguard_polls_total\{interface="wg0"\} [1-9]'
	# every family: HELP, TYPE, then all its samples, once
	bad=$(awk '
	    /^# HELP / { f = $3; if (seen[f]++) print "twice: " f; next }
	    /^# TYPE / { next }
	    { n = $1; sub(/\{.*/, "", n); sub(/_(bucket|sum|count)$/, "", n)
	      if (n != f && n != f "_total") print "outside: " n }' "$t")
	is "$f: each family's samples together" "$bad" ""
	if [ -n "$PYPROM" ]; then
		out=$($PYPROM - "$t" <<'EOF'
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = list(text_string_to_metric_families(open(sys.argv[1]).read()))
print(len(fams), sum(len(f.samples) for f in fams) > 50)
EOF
)
		like "$f: prometheus_client parses it" "$out" "^[4-9][0-9] True$"
	else
		skip "no prometheus_client for /usr/bin/python3"
	fi
done

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
is "GET / is 404" "$(code "http://127.0.0.1:$MPORT/")" 404
is "POST /metrics is 405" "$(code -X POST "http://127.0.0.1:$MPORT/metrics")" 405
is "HEAD /metrics is 200" "$(code -I "http://127.0.0.1:$MPORT/metrics")" 200
is "a head past 4 KB is 400" "$(code -H "X-Pad: $(printf '%05000d' 0)" \
    "http://127.0.0.1:$MPORT/metrics")" 400
curl -s --interface 127.0.0.2 -o /dev/null "http://127.0.0.1:$MPORT/metrics"
like "outside the ACL: closed without a reply (curl exit 52 or 56)" "$?" \
    "^(52|56)$"
like "and logged" "$(cat "$D_LOG")" \
    "metrics connection from 127.0.0.2 port [0-9]* refused: not in the ACL"
t0=$(date +%s)
printf 'GET /metrics HTTP/1.0\r\n' |
    timeout 15 curl -s -o /dev/null telnet://127.0.0.1:"$MPORT" 2>/dev/null
t=$(( $(date +%s) - t0 ))
check "a head never finished is cut off after about 10 s ($t s)" \
    test "$t" -ge 9 -a "$t" -le 13
# regression: a reply whose write failed (the client reset) kept its
# connection, one of eight, for good
/usr/bin/python3 - "$MPORT" <<'EOF'
import socket, struct, sys
for _ in range(20):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()
EOF
# (within 3 s: the 10 s head timeout would free what the bug kept)
metrics_200() {
	[ "$(code --max-time 1 "http://127.0.0.1:$MPORT/metrics")" = 200 ]
}
wait_for "after 20 clients that reset, GET /metrics still answers" 3 \
    metrics_200
check "the daemon is still running" kill -0 "$D_PID"

# vpndnsctl -j: show status as JSON, for scripts
ctl -j show status >"$T_DIR/status.json"
is "vpndnsctl -j show status parses as JSON, with the same figures" \
    "$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(d["frontend"]["udp_queries"], d["resolver"]["records"],
    d["wireguard"][0]["interface"], d["pid"]["parent"])' \
    "$T_DIR/status.json")" "5 4 wg0 $D_PID"
is "vpndnsctl -j show forwarders: the group and its server" \
    "$(ctl -j show forwarders | python3 -c 'import json, sys
g = json.load(sys.stdin)[0]
print(g["forwarder"], g["queries"], g["servers"][0]["server"])')" \
    "up 0 127.0.0.2 port $UP"
is "vpndnsctl -j show blocklists: the list, its names and hits" \
    "$(ctl -j show blocklists | python3 -c 'import json, sys
b = json.load(sys.stdin)[0]
print(b["blocklist"], b["names"], b["hits"], b["loading"])')" "ads 1 1 False"
is "vpndnsctl -j show peers: an empty array" \
    "$(ctl -j show peers | python3 -c 'import json, sys
print(json.load(sys.stdin))')" "[]"
ctl -j show metrics >/dev/null 2>"$T_DIR/err"
like "-j with a command that has no JSON form: refused, and why" \
    "$?:$(cat "$T_DIR/err")" "^1:.*have a JSON form"
stop_daemon
done_testing
