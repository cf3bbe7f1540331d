#!/bin/sh
# The malformed-query corpus (regress/corpus/queries.txt) against the
# running daemon over UDP and TCP: each packet gets its documented answer
# or silence, and the daemon keeps answering.
. "$(dirname "$0")/../lib.sh"
require_root

PORT=$(pick_port)
write_conf "$T_DIR/m.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.10
EOF
start_daemon "$T_DIR/m.conf" || { not_ok "daemon starts"; done_testing; }

for transport in udp tcp; do
	$DNSRAW corpus 127.0.0.1 "$PORT" "$TOP/regress/corpus/queries.txt" \
	    "$transport" >"$T_DIR/out" || not_ok "$transport: corpus sent"
	while read -r want got what; do
		is "$transport: $what: $want" "$got" "$want"
	done <"$T_DIR/out"
	is "$transport: still answering" "$(dq +short nas.vpn.test)" \
	    "10.0.0.10"
done
formerr=$(grep -c '^formerr' "$TOP/regress/corpus/queries.txt")
like "status counts every FORMERR" "$(ctl show status)" \
    "formerr $((2 * formerr)),"
check "the daemon is still running" kill -0 "$D_PID"
stop_daemon
done_testing
