#!/bin/sh
# Authoritative local data through the real daemon, asked with dig and
# kdig over UDP and TCP, IPv4 and IPv6.
. "$(dirname "$0")/../lib.sh"
require_root

PORT=$(pick_port)
S200=$(printf '%0200d' 0 | tr 0 x)
write_conf "$T_DIR/local.conf" <<EOF
listen on 127.0.0.1 port $PORT
listen on ::1 port $PORT
allow from { 127.0.0.1 ::1 }
domain "vpn.test" { ttl 60 negative-ttl 7 nameserver "ns.vpn.test" }
domain "0.0.10.in-addr.arpa"
record "ns.vpn.test" A 10.0.0.53
record "nas.vpn.test" A 10.0.0.10
record "nas.vpn.test" AAAA fd00::10
record "www.vpn.test" CNAME "web.vpn.test"
record "web.vpn.test" CNAME "nas.vpn.test"
record "ext.vpn.test" CNAME "www.example.org"
record "gone.vpn.test" CNAME "missing.vpn.test"
record "vpn.test" TXT "hello world" "second string"
record "vpn.test" MX 10 "mail.vpn.test"
record "mail.vpn.test" A 10.0.0.25
record "_imap._tcp.vpn.test" SRV 0 5 143 "mail.vpn.test"
record "a.b.c.vpn.test" A 10.0.0.99
record "ptr.vpn.test" ttl 120 A 10.0.0.77
record "other.vpn.test" A 10.0.0.78
record "78.0.0.10.in-addr.arpa" PTR "custom.vpn.test"
record "big.vpn.test" TXT "$S200" "$S200" "$S200"
record "huge.vpn.test" TXT "$S200" "$S200" "$S200" "$S200" "$S200" "$S200" "$S200"
EOF
start_daemon "$T_DIR/local.conf" || { not_ok "daemon starts"; done_testing; }

is "A" "$(dq +short nas.vpn.test)" "10.0.0.10"
is "AAAA" "$(dq +short nas.vpn.test AAAA)" "fd00::10"
is "A over TCP" "$(dq +tcp +short nas.vpn.test)" "10.0.0.10"
is "A over IPv6 UDP" "$(dig @::1 -p "$PORT" +short nas.vpn.test)" "10.0.0.10"
is "A over IPv6 TCP" "$(dig @::1 -p "$PORT" +tcp +short nas.vpn.test)" \
    "10.0.0.10"
is "CNAME chain followed" "$(dq +short www.vpn.test | tr '\n' ' ')" \
    "web.vpn.test. nas.vpn.test. 10.0.0.10 "
is "CNAME chain for AAAA" "$(dq +short www.vpn.test AAAA | tail -n 1)" \
    "fd00::10"
is "CNAME asked for itself" "$(dq +short www.vpn.test CNAME)" \
    "web.vpn.test."
is "CNAME leaving our data: NOERROR" "$(rcode_of ext.vpn.test)" "NOERROR"
is "CNAME leaving our data: just the CNAME" "$(dq +short ext.vpn.test)" \
    "www.example.org."
is "CNAME to a missing name: NXDOMAIN" "$(rcode_of gone.vpn.test)" \
    "NXDOMAIN"
like "CNAME to a missing name keeps the CNAME" \
    "$(dq +noall +answer gone.vpn.test)" "CNAME.*missing\.vpn\.test"
is "TXT" "$(dq +short vpn.test TXT)" '"hello world" "second string"'
is "MX" "$(dq +short vpn.test MX)" "10 mail.vpn.test."
is "SRV" "$(dq +short _imap._tcp.vpn.test SRV)" "0 5 143 mail.vpn.test."
is "SOA at the apex" "$(dq +short vpn.test SOA | cut -d' ' -f1,2,7)" \
    "ns.vpn.test. hostmaster.vpn.test. 7"
is "NS at the apex" "$(dq +short vpn.test NS)" "ns.vpn.test."
is "PTR for an A record" "$(dq +short -x 10.0.0.10)" "nas.vpn.test."
is "PTR for an AAAA record" "$(dq +short -x fd00::10)" "nas.vpn.test."
like "PTR keeps the record's TTL" "$(dq +noall +answer -x 10.0.0.77)" \
    "^77\.0\.0\.10\.in-addr\.arpa\.[[:space:]]+120[[:space:]]+IN[[:space:]]+PTR[[:space:]]+ptr\.vpn\.test\.$"
is "a configured PTR wins over the generated one" \
    "$(dq +short -x 10.0.0.78)" "custom.vpn.test."
like "answers are authoritative" "$(dq nas.vpn.test)" "flags: qr aa"

is "NXDOMAIN" "$(rcode_of nope.vpn.test)" "NXDOMAIN"
like "NXDOMAIN carries the SOA with the negative TTL" \
    "$(dq +noall +authority nope.vpn.test)" \
    "^vpn\.test\.[[:space:]]+7[[:space:]]+IN[[:space:]]+SOA"
is "NODATA is NOERROR" "$(rcode_of nas.vpn.test TXT)" "NOERROR"
like "NODATA has no answer and the SOA" "$(dq nas.vpn.test TXT)" \
    "ANSWER: 0, AUTHORITY: 1"
is "an empty non-terminal is NODATA, not NXDOMAIN" \
    "$(rcode_of b.c.vpn.test)" "NOERROR"
is "below an empty non-terminal" "$(dq +short a.b.c.vpn.test)" \
    "10.0.0.99"
like "ANY gets one RRset (RFC 8482)" "$(dq vpn.test ANY)" "ANSWER: 1,"
is "names outside our domains: REFUSED" "$(rcode_of www.example.org)" \
    "REFUSED"
is "other classes: REFUSED" "$(rcode_of -c CH nas.vpn.test TXT)" "REFUSED"

is "case-insensitive names" "$(dq +short NaS.VpN.TeSt)" "10.0.0.10"
# 0x20: the question is echoed as sent, the answer points at it (c00c)
is "the question and answer keep the client's case" \
    "$($DNSRAW udp 127.0.0.1 "$PORT" \
    "$($DNSRAW query NaS.VpN.TeSt 1)")" \
    "123485000001000100000000034e61530356704e04546553740000010001c00c000100010000003c00040a00000a"

like "EDNS: our buffer is 1232 whatever the client offers" \
    "$(dq +bufsize=4096 nas.vpn.test)" "udp: 1232"
like "without EDNS a 700-byte answer is truncated" \
    "$(dq +noedns +ignore big.vpn.test TXT)" "flags: qr aa tc"
like "with EDNS 1232 the same answer fits" \
    "$(dq +bufsize=1232 +ignore big.vpn.test TXT)" "flags: qr aa"
like "a client buffer of 600 is honoured: TC" \
    "$(dq +bufsize=600 +ignore big.vpn.test TXT)" "flags: qr aa tc"
like "never above 1232 on UDP, even for a 4096 buffer" \
    "$(dq +bufsize=4096 +ignore huge.vpn.test TXT)" "flags: qr aa tc"
like "TCP carries the whole answer" "$(dq +tcp huge.vpn.test TXT)" \
    "ANSWER: 1,"
like "BADVERS for EDNS version 1" "$(dq +edns=1 +noednsneg nas.vpn.test)" \
    "status: BADVERS"
like "NOTIMP for NOTIFY" "$(dq +opcode=notify nas.vpn.test)" \
    "status: NOTIMP"
like "NOTIMP for UPDATE" "$(dq +opcode=update nas.vpn.test)" \
    "status: NOTIMP"

# QDCOUNT 2: FORMERR, header only
r=$($DNSRAW udp 127.0.0.1 "$PORT" \
    "beef01000002000000000000036e61730376706e04746573740000010001036e61730376706e04746573740000010001")
is "FORMERR for two questions" "$r" "beef81010000000000000000"

# a local answer is built once and copied for a second: each copy must
# still be the asker's own (id, letter case, RD and CD, OPT only if asked)
Q=0001000000000000036e61730376706e047465737400000100
QC=0001000000000001034e61530356704e04546553740000010001
OPT=0000290200000000000000
r1=$($DNSRAW udp 127.0.0.1 "$PORT" "11110100${Q}01")
r2=$($DNSRAW udp 127.0.0.1 "$PORT" "22220000${QC}$OPT")
r3=$($DNSRAW udp 127.0.0.1 "$PORT" "33330110${Q}01")
like "first answer: its id, QR AA RD, no OPT" "$r1" \
    "^11118500000100010000000003"
like "second, from the copy: its id, QR AA, its case, an OPT" "$r2" \
    "^222284000001000100000001034e61530356704e0454655374.*0000290"
like "third, from the copy: its id, QR AA RD CD, no OPT" "$r3" \
    "^33338510000100010000000003"
is "all three carry the same address" \
    "$(for r in "$r1" "$r2" "$r3"; do printf '%s\n' "$r" |
    grep -o '0a00000a' | head -n 1; done | uniq -c | awk '{ print $1 }')" 3

is "five pipelined TCP queries, five answers" \
    "$($DNSRAW pipeline 127.0.0.1 "$PORT" nas.vpn.test www.vpn.test \
    nope.vpn.test vpn.test mail.vpn.test | sort | tr '\n' ' ')" \
    "1000 0 1 1001 0 3 1002 3 0 1003 0 0 1004 0 1 "

stop_daemon
check "daemon stops cleanly" test $? -eq 0

# the ACL: only 127.0.0.2 may ask
write_conf "$T_DIR/acl.conf" <<EOF
listen on 127.0.0.1 port $PORT
allow from 127.0.0.2
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.10
EOF
start_daemon "$T_DIR/acl.conf" || { not_ok "daemon starts"; done_testing; }
is "outside the ACL: REFUSED (UDP)" "$(rcode_of nas.vpn.test)" "REFUSED"
is "outside the ACL: REFUSED (TCP)" "$(rcode_of +tcp nas.vpn.test)" \
    "REFUSED"
is "inside the ACL: answered" "$(dq -b 127.0.0.2 +short nas.vpn.test)" \
    "10.0.0.10"
is "inside the ACL over TCP: answered" \
    "$(dq -b 127.0.0.2 +tcp +short nas.vpn.test)" "10.0.0.10"
like "status counts the refusals" "$(ctl show status)" "refused-acl 2"
stop_daemon
done_testing
