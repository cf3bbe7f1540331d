#!/bin/sh
# Extended DNS Errors (RFC 8914) on the daemon's own decisions, as kdig
# shows them: refused by allow from, 18 Prohibited (the frontend's own
# reply); refused by a match rule, 18 with the rule; no rule, 20 Not
# Authoritative; blocked, 15 Blocked with the list's name; a stale
# answer, 3 Stale Answer; no server answered, 22 No Reachable Authority
# with the forwarder's name.  Only to EDNS clients, over UDP and TCP.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools kdig

UPSTREAM="python3 $TOP/regress/upstream.py"
PORT=$(pick_port)
UP=$(pick_port)
DEAD=$(pick_port)
bg_start PY_STALE $UPSTREAM 127.0.0.16 "$UP" "$T_DIR/stale.log" --ttl 1
answers_on 127.0.0.16 "$UP" probe.test || { not_ok "the upstream starts"; done_testing; }
printf 'ads.test\n' >"$T_DIR/ads.txt"
write_conf "$T_DIR/e.conf" <<EOF
listen on 127.0.0.1 port $PORT
allow from 127.0.0.0/24
blocklist "ads" { file "$T_DIR/ads.txt" }
forwarder "stale" { server 127.0.0.16 port $UP timeout 300 serve-stale yes }
forwarder "dead" { server 127.0.0.17 port $DEAD timeout 200 }
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.10
match query "refused.test" refuse
match query "stale.test" forward "stale"
match query "dead.test" forward "dead"
match query "ads.test" block "ads" forward "dead"
EOF
start_daemon "$T_DIR/e.conf" || { not_ok "daemon starts"; done_testing; }

# ede ARGS...: kdig's EDE line for the query, or "none"
ede() {
	kdig @127.0.0.1 -p "$PORT" +time=2 +retry=0 +edns "$@" >"$T_DIR/kdig" 2>&1
	sed -n 's/^;; EDE: //p' "$T_DIR/kdig" | grep . || echo none
}
status() { sed -n 's/.*status: \([A-Z]*\);.*/\1/p' "$T_DIR/kdig"; }

is "outside allow from: 18 Prohibited" "$(ede -b 127.0.1.1 nas.vpn.test)" \
    "18 (Prohibited)"
is "(REFUSED)" "$(status)" REFUSED
is "over TCP too" "$(ede +tcp -b 127.0.1.1 nas.vpn.test)" "18 (Prohibited)"
is "a match rule that refuses: 18 with the rule" "$(ede x.refused.test)" \
    "18 (Prohibited): 'match rule 1 refuses it'"
is "no rule fits: 20 Not Authoritative" "$(ede www.nowhere.invalid)" \
    "20 (Not Authoritative): 'no match rule'"
is "a blocked name: 15 Blocked, and the list" "$(ede ads.test)" \
    "15 (Blocked): 'blocklist \"ads\"'"
is "(NXDOMAIN, the list's answer)" "$(status)" NXDOMAIN
is "over TCP too" "$(ede +tcp ads.test)" "15 (Blocked): 'blocklist \"ads\"'"
is "without EDNS: no EDE (there is no OPT to carry one)" \
    "$(ede +noedns ads.test)" none
is "(still NXDOMAIN)" "$(status)" NXDOMAIN
is "no server answered: 22 No Reachable Authority, and the forwarder" \
    "$(ede x.dead.test)" \
    "22 (No Reachable Authority): 'forwarder \"dead\": no server answered'"
is "(SERVFAIL)" "$(status)" SERVFAIL
is "a local answer has none" "$(ede nas.vpn.test)" none
is "(NOERROR)" "$(status)" NOERROR

# stale: an answer cached (TTL 1), its server gone, then asked again
is "a fresh answer has none" "$(ede s.stale.test)" none
bg_stop "$PY_STALE"
expired() { ! ctl lookup s.stale.test | grep -q "answered from the cache"; }
poll 5 expired
is "its server gone, the stale answer: 3 Stale Answer" \
    "$(ede s.stale.test)" \
    "3 (Stale Answer): 'forwarder \"stale\": no server answered'"
like "(the answer, TTL 30)" "$(cat "$T_DIR/kdig")" \
    "s\\.stale\\.test\\.[[:space:]]+30[[:space:]]+IN[[:space:]]+A[[:space:]]+192\\.0\\.2\\.1"
done_testing
