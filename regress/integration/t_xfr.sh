#!/bin/sh
# vpndnsd as a hidden primary: AXFR and IXFR with TSIG to the addresses
# of "transfer to" only, and a real NSD as the secondary, which transfers
# the zone, is sent NOTIFY when the serial moves and serves the new state.
. "$(dirname "$0")/../lib.sh"
require_tools nsd kdig

PORT=$(pick_port)
NPORT=$(pick_port)
SECRET=$(head -c 32 /dev/urandom | base64)
OTHER=$(head -c 32 /dev/urandom | base64)
KEY="hmac-sha256:xfr-key:$SECRET"
# bulk.test: enough records for a transfer of several messages
python3 -c 'for i in range(3000):
    print("record \"h%d.bulk.test\" A 10.9.%d.%d" % (i, i // 250, i % 250))' \
    >"$T_DIR/bulk.inc"
conf() {
	write_conf "$T_DIR/x.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "xfr.test"
domain "bulk.test"
record "www.xfr.test" A 192.0.2.1
record "mail.xfr.test" AAAA 2001:db8::1
$1
include "$T_DIR/bulk.inc"
tsig-key "xfr-key" algorithm hmac-sha256 secret "$SECRET"
transfer to { 127.0.0.1 } tsig-key "xfr-key"
notify 127.0.0.1 port $NPORT
EOF
}
conf ""
start_daemon "$T_DIR/x.conf" || { not_ok "daemon starts"; done_testing; }

xfr() { kdig -p "$PORT" @127.0.0.1 +timeout=2 +retry=0 "$@" 2>&1; }
records() { xfr "$@" | grep -v '^;;' | grep -v '^$'; }

out=$(records -y "$KEY" AXFR xfr.test)
is "AXFR with TSIG: SOA, NS, the records, SOA again, and our TSIG" \
    "$(echo "$out" | awk '{ print $1, $4 }')" "xfr.test. SOA
xfr.test. NS
www.xfr.test. A
mail.xfr.test. AAAA
xfr.test. SOA
xfr-key. TSIG"
serial=$(echo "$out" | awk '$4 == "SOA" { print $7; exit }')
is "the serial is the one SOA queries get" \
    "$(dq +short SOA xfr.test | awk '{ print $3 }')" "$serial"
like "without TSIG: REFUSED" "$(xfr AXFR xfr.test)" "error 'REFUSED'"
like "with another key's signature: NOTAUTH" \
    "$(xfr -y "hmac-sha256:xfr-key:$OTHER" AXFR xfr.test)" "error 'NOTAUTH'"
like "with our secret but another algorithm: NOTAUTH (ldns alone takes it)" \
    "$(xfr -y "hmac-sha1:xfr-key:$SECRET" AXFR xfr.test)" "error 'NOTAUTH'"
like "from outside transfer to, even signed: REFUSED" \
    "$(xfr -b 127.0.0.2 -y "$KEY" AXFR xfr.test)" "error 'REFUSED'"
like "a name that is not one of our domains: REFUSED" \
    "$(xfr -y "$KEY" AXFR www.xfr.test)" "error 'REFUSED'"
# AXFR over UDP, which kdig will not send
reply=$($DNSRAW udp 127.0.0.1 "$PORT" \
    1234000000010000000000000378667204746573740000fc0001)
is "AXFR over UDP: REFUSED" "$(echo "$reply" | cut -c 8)" 5
like "the refusals are logged" "$(cat "$D_LOG")" \
    "transfer refused: no TSIG"

out=$(xfr -y "$KEY" AXFR bulk.test | grep '^;; Received')
like "3,000 records: several messages, each signed and verified" "$out" \
    "\\(([2-9]|[1-9][0-9]+) messages, 3003 records\\)"
is "IXFR at the current serial: the SOA alone" \
    "$(records -y "$KEY" "IXFR=$serial" xfr.test | awk '{ print $4 }')" \
    "SOA
TSIG"

# mutated transfer queries, signed ones among them, from a client that
# may transfer: every one is answered or dropped, nothing else happens
CPORT=$(pick_port)
for q in "IXFR=$serial" AXFR; do
	$DNSRAW capture "$CPORT" >>"$T_DIR/bases" &
	cap=$!
	poll 5 udp_bound 127.0.0.1 "$CPORT"
	kdig -p "$CPORT" @127.0.0.1 +notcp +timeout=1 +retry=0 -y "$KEY" "$q" \
	    xfr.test >/dev/null 2>&1
	wait "$cap"
done
$DNSRAW query xfr.test 252 >>"$T_DIR/bases"
is "two signed transfer queries captured from kdig, one unsigned" \
    "$(grep -vc TIMEOUT "$T_DIR/bases")" 3
for transport in udp tcp; do
	is "2,000 mutated transfer queries over $transport" \
	    "$($DNSRAW garbage 127.0.0.1 "$PORT" 2000 "$transport" 3 \
	    "$T_DIR/bases")" 2000
done
check "the daemon still runs" kill -0 "$D_PID"
like "and still transfers" "$(xfr -y "$KEY" AXFR xfr.test | grep Received)" \
    "\\(1 messages, 5 records\\)"

# NSD as our secondary, with the same key
nsd_secondary "$NPORT" "$PORT" "$SECRET" xfr.test bulk.test
wait_for "NSD transfers the zone and answers from it" 5 \
    nsd_answers www.xfr.test 192.0.2.1
wait_for "and the 3,000-record zone" 5 nsd_answers h2999.bulk.test 10.9.11.249
like "NSD verified our TSIG" "$(cat "$NSD_LOG")" \
    "TSIG verified with key xfr-key"

# a reload changes the zone: a new serial, NOTIFY, and NSD follows
# a serial moves at most once a second: wait until the clock is past it
clock_past() { [ "$(date +%s)" -gt "$1" ]; }
poll 3 clock_past "$serial"
conf 'record "new.xfr.test" A 192.0.2.99'
ctl reload >/dev/null
wait_for "after a reload, NSD serves the new record (NOTIFY)" 2 \
    nsd_answers new.xfr.test 192.0.2.99
new=$(dq +short SOA xfr.test | awk '{ print $3 }')
check "the serial moved on ($serial -> $new)" test "$new" -gt "$serial"
like "NSD was notified" "$(cat "$NSD_LOG")" \
    "notify for xfr\\.test\\. from 127\\.0\\.0\\.1"
is "and serves the serial we do" "$(nsd_q SOA xfr.test | awk '{ print $3 }')" \
    "$new"
is "an IXFR from before the reload gets the whole zone (no journal)" \
    "$(records -y "$KEY" "IXFR=$serial" xfr.test | awk '{ print $1, $4 }')" \
    "xfr.test. SOA
xfr.test. NS
new.xfr.test. A
www.xfr.test. A
mail.xfr.test. AAAA
xfr.test. SOA
xfr-key. TSIG"

done_testing
