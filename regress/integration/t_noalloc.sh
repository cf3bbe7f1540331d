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

# frontend_count: what the shim in the frontend says now
frontend_count() {
	before=$(grep -c '^malloc_count:' "$D_LOG")
	kill -USR2 "$fpid"
	for i in $(seq 50); do
		[ "$(grep -c '^malloc_count:' "$D_LOG")" -gt "$before" ] && break
		sleep 0.02
	done
	grep '^malloc_count:' "$D_LOG" | tail -n 1 | cut -d' ' -f2
}

# warm up: buffers reach their working size
is "1000 warm-up queries answered" \
    "$($DNSRAW flood 127.0.0.1 "$PORT" 1000 nas.vpn.test)" 1000
a=$(frontend_count)
check "the shim reports from the frontend" test -n "$a"
is "20000 queries answered" \
    "$($DNSRAW flood 127.0.0.1 "$PORT" 20000 nas.vpn.test)" 20000
# past a second: the resolver's copy of the answer expires and the next
# one is stored (frontend/copies.c)
sleep 1.1
is "and 1000 more, a second later" \
    "$($DNSRAW flood 127.0.0.1 "$PORT" 1000 nas.vpn.test)" 1000
b=$(frontend_count)
diag "frontend allocations: $a before, $b after 21000 queries"
is "the frontend allocated nothing for 21000 UDP queries" "$((b - a))" 0

# the shim can see allocations at all: a TCP connection costs some
is "a TCP query is answered" "$(dq +tcp +short nas.vpn.test)" "10.0.0.10"
c=$(frontend_count)
check "the shim does count (a TCP connection allocates: $((c - b)))" \
    test "$c" -gt "$b"
stop_daemon
done_testing
