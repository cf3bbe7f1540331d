#!/bin/sh
# Local answers from the frontend's copies (DESIGN.md, Queries): within
# the second a local answer was built, the frontend answers the same
# question itself.  Each pair below asks twice at the start of a second:
# the first answer is the resolver's, the second the copy's, and they
# must be the same bytes, whatever the query's EDNS, DO, case, flags or
# size.  Queries from a trusted ECS sender, TCP queries and answers too
# big for UDP are not copied; the ACL comes first.  Copies count as the
# local answers they are (status, metrics, query log), and a reload
# takes them away at once, not at the end of their second.
. "$(dirname "$0")/../lib.sh"
require_root

PORT=$(pick_port)
S200=$(printf '%0200d' 0)
conf() {
	write_conf "$T_DIR/c.conf" <<EOF
listen on 127.0.0.1 port $PORT
log queries
allow from { 127.0.0.1 10.0.1.0/24 }
client-subnet from 127.0.0.1
domain "vpn.test"
record "a.vpn.test" A $1
$(for i in 1 2 3 4 5 6; do echo "record \"p$i.vpn.test\" A 10.0.1.$i"; done)
record "big.vpn.test" TXT "$S200" "$S200" "$S200"
record "huge.vpn.test" TXT $(for i in 1 2 3 4 5 6 7; do
	printf '"%s" ' "$S200"; done)
EOF
}
conf 10.0.0.1
start_daemon "$T_DIR/c.conf" || { not_ok "daemon starts"; done_testing; }

# sample NAME{LABELS}: its value in show metrics
sample() { ctl show metrics | awk -v k="$1" '$1 == k { print $2 }'; }
copied() { sample vpndnsd_frontend_copied_total; }

# pair DESCRIPTION COPIED NAME TYPE [EDNSSIZE [FLAGS [DO]]]: the two
# answers are the same, and the second was a copy when COPIED is 1
pair() {
	_d=$1 _c=$2; shift 2
	_q=$($DNSRAW query "$@")
	_pair "$_d" "$_c" "$_q"
}
_pair() {
	_before=$(copied)
	$DNSRAW pair 127.0.0.1 "$PORT" "$3" >"$T_DIR/pair"
	_a=$(sed -n 1p "$T_DIR/pair") _b=$(sed -n 2p "$T_DIR/pair")
	check "$1: an answer" test -n "$_a" -a "$_a" != SLOW -a -n "$_b"
	is "$1: the copy is the resolver's answer" "$_b" "$_a"
	is "$1: copied: $2" "$(($(copied) - _before))" "$2"
	PAIR_ANSWER=$_a
}

pair "A, no EDNS" 1 p1.vpn.test 1
pair "A, EDNS 1232" 1 p2.vpn.test 1 1232
pair "A, EDNS with DO" 1 p3.vpn.test 1 1232 0100 1
pair "A, the name in mixed case" 1 P4.VpN.TeSt 1
like "the copy keeps the question's case" "$PAIR_ANSWER" \
    "^1234[0-9a-f]{20}0250340356704e0454655374"
pair "A, RD clear and CD set" 1 p5.vpn.test 1 "" 0010
is "the copy's flags: QR AA CD, no RD or RA" "$(echo "$PAIR_ANSWER" |
    cut -c5-8)" 8410
pair "TXT over 512 bytes, no EDNS: truncated" 1 big.vpn.test 16
is "the copy's flags: QR AA TC RD" "$(echo "$PAIR_ANSWER" | cut -c5-6)" 87
pair "TXT over 512 bytes, EDNS 1232: whole" 1 big.vpn.test 16 1232
pair "AAAA where only A is: NODATA" 1 p1.vpn.test 28
pair "a name that is not: NXDOMAIN" 1 nope.vpn.test 1
pair "TXT over 1232 bytes: not copied" 0 huge.vpn.test 16 4096
# an ECS option (10.0.1.0/24) from a trusted sender: the resolver
# echoes it (and an untrusted sender's is no matter to the answer)
q=$($DNSRAW query p6.vpn.test 1 1232)
_pair "A with ECS: not copied" 0 "${q%0000}000b00080007000118000a0001"
like "the resolver echoed the ECS option" "$PAIR_ANSWER" \
    "00080007000118180a0001$"

c0=$(copied)
is "over TCP, no copy" "$(dq +tcp +short p1.vpn.test)" 10.0.1.1
is "outside the ACL, REFUSED: the ACL comes before the copies" \
    "$(rcode_of -b 127.0.0.2 p1.vpn.test)" REFUSED
is "so neither was copied" "$(($(copied) - c0))" 0

# 11 pairs and the TCP query: 23 answers, all local; NXDOMAIN twice; TC
# for big and huge twice each
ctl show metrics >"$T_DIR/m"
m() { awk -v k="$1" '$1 == k { print $2 }' "$T_DIR/m"; }
is "metrics: local NOERROR answers, copies included" \
    "$(m 'vpndnsd_answers_total{decision="local",rcode="NOERROR"}')" 21
is "metrics: local NXDOMAIN answers, copies included" \
    "$(m 'vpndnsd_answers_total{decision="local",rcode="NXDOMAIN"}')" 2
is "metrics: the latency histogram counts the copies" \
    "$(m vpndnsd_answer_seconds_count)" 23
is "metrics: truncated answers, copies included" \
    "$(m vpndnsd_truncated_total)" 4
like "status: the resolver's queries include the copies" \
    "$(ctl show status)" "resolver  queries 23, noerror 21, nxdomain 2,"
like "status: the frontend's copies" "$(ctl show status)" "copied 9$"
is "the query log: the pair's answers and the TCP query's" \
    "$(grep -c 'query 127.0.0.1#[0-9]* p1.vpn.test. A: local, NOERROR' \
    "$D_LOG")" 3
is "the copy's line is the frontend's" \
    "$(grep -c 'frontend: query 127.0.0.1#[0-9]* p1.vpn.test. A: local' \
    "$D_LOG")" 1

# A reload replaces the copies at once: the new address within the
# second the old one was copied in (without the flush, the copy would
# answer until that second ends).  Each try flips the address.
cat >"$T_DIR/flip" <<'FLIP'
# flip CONF CTL SOCKET
if grep -q 'A 10.0.0.1$' "$1"; then a=10.0.0.2; else a=10.0.0.1; fi
sed -i "/^record \"a.vpn.test\"/s/A .*/A $a/" "$1"
"$2" -s "$3" reload
FLIP
set -- $($DNSRAW change 127.0.0.1 "$PORT" a.vpn.test \
    "sh $T_DIR/flip $T_DIR/c.conf $VPNDNSCTL $D_SOCK")
check "a.vpn.test answered twice the same" test -n "$1" -a "$1" = "${2:-}"
check "a reload takes the copies away at once ($*)" \
    test "${3:-}" != "$1" -a "${4:-} ${5:-}" = "in time"

stop_daemon
done_testing
