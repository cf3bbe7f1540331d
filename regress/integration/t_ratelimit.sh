#!/bin/sh
# rate-limit: a client prefix asking at ten times the rate is mostly
# dropped or truncated, one in slip truncated so it can use TCP; another
# prefix at the same time is not touched.
. "$(dirname "$0")/../lib.sh"
require_root

PORT=$(pick_port)
write_conf "$T_DIR/r.conf" <<EOF
listen on 127.0.0.1 port $PORT
rate-limit 50 slip 2
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.10
EOF
start_daemon "$T_DIR/r.conf" || { not_ok "daemon starts"; done_testing; }
like "show config has it" "$("$VPNDNSD" -n -v -f "$T_DIR/r.conf" 2>&1)" \
    "rate-limit 50 slip 2 prefix 24 56"

$DNSRAW rate 127.0.0.1 "$PORT" 500 3 nas.vpn.test 127.0.1.1 \
    >"$T_DIR/flood" &
FLOOD=$!
T_PIDS="$T_PIDS $FLOOD"
other=$($DNSRAW rate 127.0.0.1 "$PORT" 20 2 nas.vpn.test 127.0.2.1)
wait "$FLOOD"
set -- $(cat "$T_DIR/flood")
diag "flood at 500 q/s for 3 s: $*"
# 1500 queries over 3 s touch 3 or 4 of the limiter's seconds: 150 to 200
# answers; of the rest, slip 2 truncates one in two.  The bounds allow for
# a loaded machine: bursts from a late sender, replies lost.
rest=$((1500 - $2))
check "the flooding prefix got at most about 50 answers a second ($2)" \
    test "$2" -le 250 -a "$2" -ge 50
check "of the rest ($rest) about one in two truncated ($4)" \
    test "$4" -ge $((rest * 35 / 100)) -a "$4" -le $((rest * 60 / 100))
check "and the others nothing ($6)" test "$6" -ge $((rest * 40 / 100))
is "another prefix meanwhile: every query answered" "$other" \
    "answered 40 truncated 0 silent 0"
is "the flooding address still gets an answer over TCP" \
    "$(dq -b 127.0.1.1 +tcp +short nas.vpn.test)" 10.0.0.10
like "status counts them" "$(ctl show status)" \
    "rate      limited [1-9][0-9]*, truncated [1-9][0-9]*"
like "the log says so, once a second at most" "$(cat "$D_LOG")" \
    "answers to 127\\.0\\.1\\.0/24 over 50 a second \\(rate-limit\\)"
check "at most once a second" test \
    "$(grep -c 'over 50 a second' "$D_LOG")" -le 5
stop_daemon

# off by default: the same flood is answered in full
write_conf "$T_DIR/off.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.10
EOF
start_daemon "$T_DIR/off.conf" || { not_ok "daemon starts"; done_testing; }
is "without rate-limit the same flood is answered" \
    "$($DNSRAW rate 127.0.0.1 "$PORT" 500 1 nas.vpn.test 127.0.1.1)" \
    "answered 500 truncated 0 silent 0"
stop_daemon
done_testing
