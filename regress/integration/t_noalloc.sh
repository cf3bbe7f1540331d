#!/bin/sh
# No heap allocation per query on the frontend's UDP path: the frontend
# runs with an LD_PRELOAD shim counting malloc, calloc, realloc and
# posix_memalign, and thousands of UDP queries must not move its count,
# answered by the resolver or from copies of its answers.
. "$(dirname "$0")/../lib.sh"
require_root
require_unsanitized "the sanitizers own the allocator"

PORT=$(pick_port)
write_conf "$T_DIR/n.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.10
EOF
LD_PRELOAD=$TOP/regress/malloc_count.so start_daemon "$T_DIR/n.conf" ||
    { not_ok "daemon starts"; done_testing; }
fpid=$(child_pid frontend)

# frontend_count: what the shim in the frontend says now, in a line it
# writes on SIGUSR2; nothing if no new line comes
counts() { grep -c '^malloc_count:' "$D_LOG"; }
frontend_count() {
	before=$(counts)
	kill -USR2 "$fpid"
	new_line() { [ "$(counts)" -gt "$before" ]; }
	poll 5 new_line || return 1
	grep '^malloc_count:' "$D_LOG" | tail -n 1 | cut -d' ' -f2
}
# to_resolver: UDP queries the frontend did not answer from a copy.  A
# control connection allocates in the frontend: never between the counts.
to_resolver() {
	ctl -j show status | python3 -c 'import json, sys
f = json.load(sys.stdin)["frontend"]
print(f["udp_queries"] - f["copied"])'
}

# warm up: buffers reach their working size
is "1000 warm-up queries answered" \
    "$($DNSRAW flood 127.0.0.1 "$PORT" 1000 nas.vpn.test)" 1000
r0=$(to_resolver)
a=$(frontend_count)
check "the shim reports from the frontend" test -n "$a"
is "20000 queries answered" \
    "$($DNSRAW flood 127.0.0.1 "$PORT" 20000 nas.vpn.test)" 20000
# past a second, the resolver's copy of the answer has expired and the
# next one is stored (frontend/copies.c): a wait on the clock, not on the
# daemon, whose only witness (the control socket) allocates; checked after
is "and 1000 more, a second later" \
    "$(sleep 1.1; $DNSRAW flood 127.0.0.1 "$PORT" 1000 nas.vpn.test)" 1000
b=$(frontend_count)
check "the shim reports again" test -n "$b"
r1=$(to_resolver)
check "meanwhile a copy expired: queries went to the resolver ($r0, then $r1)" \
    test "$r1" -gt "$r0"
diag "frontend allocations: $a before, $b after 21000 queries"
is "the frontend allocated nothing for 21000 UDP queries" "$b" "$a"

# the shim can see allocations at all: a TCP connection costs some
is "a TCP query is answered" "$(dq +tcp +short nas.vpn.test)" "10.0.0.10"
c=$(frontend_count)
check "the shim does count (a TCP connection allocates: $b, then $c)" \
    test "${c:-0}" -gt "${b:-0}"
stop_daemon
done_testing
