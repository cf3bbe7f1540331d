#!/bin/sh
# vpndnsctl lookup tells what the frontend decides too: a client outside
# allow from is "refused (allow from)", as dig from there is; a prefix
# over rate-limit is "rate-limited" while it is; under it, the lookup
# goes on to what the resolver would do.
. "$(dirname "$0")/../lib.sh"
require_root

PORT=$(pick_port)
write_conf "$T_DIR/l.conf" <<EOF
listen on 127.0.0.1 port $PORT
allow from { 127.0.0.0/24 ::1 }
rate-limit 20 slip 2 prefix 32 128
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.10
EOF
start_daemon "$T_DIR/l.conf" || { not_ok "daemon starts"; done_testing; }

out=$(ctl lookup nas.vpn.test from 127.0.1.1)
like "outside allow from: refused (allow from)" "$out" \
    "refused \\(allow from\\): REFUSED"
check "and nothing after it" test "$(printf '%s\n' "$out" | wc -l)" -eq 2
is "as dig from there is refused" \
    "$(rcode_of -b 127.0.1.1 nas.vpn.test)" REFUSED
like "inside: answered from local data" \
    "$(ctl lookup nas.vpn.test from 127.0.0.5)" \
    "answered from local data: NOERROR, 1 records"
like "inside, under rate-limit: the lookup says the rate and the count" \
    "$(ctl lookup nas.vpn.test from 127.0.0.5)" \
    "rate-limit 20 a second for 127\\.0\\.0\\.5(/32)?: 0 this second"
like "the default client is 127.0.0.1, inside" \
    "$(ctl lookup nas.vpn.test | tr '\n' ' ')" \
    "from 127\\.0\\.0\\.1 .*answered from local data"
like "an IPv4-mapped client is the IPv4 one" \
    "$(ctl lookup nas.vpn.test from ::ffff:127.0.1.1 | tr '\n' ' ')" \
    "from 127\\.0\\.1\\.1 .*refused \\(allow from\\)"

# 127.0.0.7 floods: over the rate, its lookup says so while it lasts
$DNSRAW rate 127.0.0.1 "$PORT" 300 4 nas.vpn.test 127.0.0.7 \
    >"$T_DIR/flood" &
FLOOD=$!
T_PIDS="$T_PIDS $FLOOD"
limited() {
	ctl lookup nas.vpn.test from 127.0.0.7 >"$T_DIR/lk"
	grep -q "rate-limited (rate-limit 20 a second for 127\\.0\\.0\\.7, [0-9]* this second): no UDP answer, or one in 2 truncated" \
	    "$T_DIR/lk"
}
wait_for "over rate-limit: the lookup says rate-limited" 3 limited ||
    sed 's/^/#   /' "$T_DIR/lk"
check "and ends there" sh -c "! grep -q 'answered' '$T_DIR/lk'"
like "another client at the same time is not" \
    "$(ctl lookup nas.vpn.test from 127.0.0.5)" "answered from local data"
wait "$FLOOD"
done_testing
