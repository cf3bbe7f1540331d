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

# 10,000 random and mutated packets each way (a fixed seed, so a failure
# can be replayed): every process survives and still answers
pids="$D_PID $(pgrep -P "$D_PID" | tr '\n' ' ')"
for transport in udp tcp; do
	is "$transport: 10,000 mutated packets sent" \
	    "$($DNSRAW garbage 127.0.0.1 "$PORT" 10000 "$transport" 7)" 10000
	is "$transport: then still answering" "$(dq +short nas.vpn.test)" \
	    "10.0.0.10"
done
# shellcheck disable=SC2086
check "no process of the daemon died or was replaced" kill -0 $pids
like "the parser's verdicts were counted" "$(ctl show status)" \
    "formerr [1-9][0-9]*, notimp [0-9]*, badvers [0-9]*"
check "nothing was logged as a failure" \
    sh -c "! grep -Ei 'fatal|died|killed' '$D_LOG'"
stop_daemon
done_testing
