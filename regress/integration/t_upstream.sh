#!/bin/sh
# Upstream health against hostile and unlucky conditions: slow names,
# servers that refuse, a group's servers changed or removed by a reload
# while probes are in flight, a flood to a silent group, TTL bounds.
# Upstreams are regress/upstream.py on loopback.
. "$(dirname "$0")/../lib.sh"
require_root
UPSTREAM="python3 $TOP/regress/upstream.py"
PORT=$(pick_port)
UP=$(pick_port)

# script_up NAME ADDRESS [options]: an upstream, its log T_DIR/NAME.log
script_up() {
	_n=$1 _a=$2; shift 2
	bg_start "PY_$_n" $UPSTREAM "$_a" "$UP" "$T_DIR/$_n.log" "$@"
	poll 10 udp_bound "$_a" "$UP"
}
script_up ok 127.0.0.20 --answer 192.0.2.20 --ttl 3600
script_up sf 127.0.0.21 --mode servfail
script_up back 127.0.0.22 --mode silent
script_up ghost 127.0.0.23 --mode silent
script_up short 127.0.0.24 --answer 192.0.2.24 --ttl 1
script_up black 127.0.0.25 --mode silent
script_up ctrl 127.0.0.27 --mode silent
script_up ok2 127.0.0.26 --answer 192.0.2.26 ||
    { not_ok "the upstreams start"; done_testing; }

conf() {
	write_conf "$T_DIR/u.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.10
forwarder "slow" { server 127.0.0.20 port $UP timeout 300 }
forwarder "sf" { server 127.0.0.21 port $UP server 127.0.0.26 port $UP }
forwarder "back" { server 127.0.0.22 port $UP timeout 200 }
$1
forwarder "max" { server 127.0.0.20 port $UP cache-max-ttl 60 }
forwarder "min" { server 127.0.0.24 port $UP cache-min-ttl 30 }
forwarder "black" { server 127.0.0.25 port $UP timeout 20000 }
forwarder "other" { server 127.0.0.26 port $UP }
forwarder "ctrl" { server 127.0.0.27 port $UP timeout 300 }
match query "slow.test" forward "slow"
match query "sf.test" forward "sf"
match query "back.test" forward "back"
match query "ghost.test" forward "ghost"
match query "max.test" forward "max"
match query "min.test" forward "min"
match query "black.test" forward "black"
match query "ctrl.test" forward "ctrl"
match forward "other"
EOF
}
# probes last the group's timeout: 2 s, so a reload can catch one out
conf 'forwarder "ghost" { server 127.0.0.23 port '$UP' server 127.0.0.26 port '$UP' timeout 2000 }'
# the soft limit of many a service manager: the resolver must raise it
ulimit -S -n 1024
start_daemon "$T_DIR/u.conf" || { not_ok "daemon starts"; done_testing; }
ttl_of() { dq +noall +answer "$@" | awk 'NR == 1 { print $2 }'; }

# names an attacker makes slow do not take a live server down
slowpids=
for i in 1 2 3 4 5 6; do
	dq +short "slow$i.slow.test" >/dev/null &
	slowpids="$slowpids $!"
done
fails=0
for i in $(seq 20); do
	[ "$(dq +short "a$i.slow.test")" = 192.0.2.20 ] || fails=$((fails + 1))
	sleep 0.05
done
wait $slowpids
is "six slow names: every other query still answered" "$fails" 0
like "and the server is still up" "$(fwd_line slow)" "20 port $UP: up"
like "the slow names count as timeouts" "$(fwd_line slow)" "timeouts 6"

# SERVFAIL and REFUSED from a server: the next one is asked
is "a server answering SERVFAIL: the next one answers" \
    "$(dq +short www.sf.test)" 192.0.2.26
like "counted as rejected, and the server stays up" "$(fwd_line sf)" \
    "21 port $UP: up, .* rejected 1,"

# every server down: the first is still tried, not SERVFAIL for all
for i in 1 2 3; do dq +short "d$i.back.test" >/dev/null; done
like "a silent server is down after three timeouts" "$(fwd_line back)" \
    "22 port $UP: down"
is "with its only server down, local names still answer" \
    "$($DNSRAW udp 127.0.0.1 "$PORT" "$($DNSRAW query nas.vpn.test 1)" 0.2 |
    grep -o '0a00000a$')" 0a00000a
bg_stop "$PY_back"
script_up back 127.0.0.22 --answer 192.0.2.22
is "back, it answers before any probe finds it" \
    "$(dq +short u.back.test)" 192.0.2.22
like "and is up again" "$(fwd_line back)" "22 port $UP: up"

# TTLs within the group's cache bounds
t=$(ttl_of x.max.test)
check "cache-max-ttl 60 bounds a TTL of 3600 ($t)" test "$t" -le 60 -a "$t" -ge 59
is "cache-min-ttl 30 raises a TTL of 1" "$(ttl_of x.min.test)" 30

# a reload takes a down server out of a group: no ghost probes after it.
# Watched until the ghost's next probe would have come either way: a
# second after the reload (PROBE_MIN_MS, as the control group's server
# shows), or on its own schedule (2 s timeout, 2 s back-off).
# probes NAME: the probes (". NS") that reached that upstream
probes() { grep -c '^udp [0-9]*  2 ' "$T_DIR/$1.log"; }
probes_past() { [ "$(probes "$1")" -gt "$2" ]; }
for i in 1 2 3; do dq +short "c$i.ctrl.test" >/dev/null; done
like "the control group's server is down" "$(fwd_line ctrl)" \
    "27 port $UP: down"
for i in 1 2 3; do dq +short "g$i.ghost.test" >/dev/null; done
like "the ghost's server is down" "$(fwd_line ghost)" "23 port $UP: down"
wait_for "its first probe is out" 5 probes_past ghost 0
t_probe=$(date +%s%N)
conf 'forwarder "ghost" { server 127.0.0.26 port '$UP' timeout 2000 }'
n1=$(wc -l <"$T_DIR/ghost.log") c1=$(probes ctrl)
is "reload without it" "$(ctl reload)" "configuration reloaded"
wait_for "after the reload, a server still down is probed" 5 \
    probes_past ctrl "$c1"
ghost_quiet() { [ "$(wc -l <"$T_DIR/ghost.log")" -eq "$n1" ]; }
check "no probe reaches a server removed from its group" holds \
    "$(awk -v ms="$(ms_since "$t_probe")" 'BEGIN { print (4500 - ms) / 1000 }')" \
    ghost_quiet
is "the group answers from the server left" "$(dq +short z.ghost.test)" \
    192.0.2.26
# and the group removed while its probe is out: the probe's 2 s end
# must find nothing freed
conf 'forwarder "ghost" { server 127.0.0.23 port '$UP' timeout 2000 }'
ctl reload >/dev/null
for i in 4 5 6; do dq +short "g$i.ghost.test" >/dev/null; done
like "down again" "$(fwd_line ghost)" "23 port $UP: down"
wait_for "a probe is out" 5 probes_past ghost "$(probes ghost)"
conf ''
sed -i '/ghost.test/d' "$T_DIR/u.conf"
is "reload without the group" "$(ctl reload)" "configuration reloaded"
check "the daemon survives the end of the probe (2 s)" \
    holds 2.5 kill -0 "$D_PID"
is "and answers" "$(dq +short w.other.test)" 192.0.2.26

# a flood of queries to a silent group: its own cap, no descriptors lost
set -- $(python3 "$TOP/regress/dnsraw.py" spray 127.0.0.1 "$PORT" 6000 \
    'f{}.black.test' 2)
check "beyond its 4096 in flight, a group answers SERVFAIL at once ($2)" \
    test "$2" -ge 1000 -a "$2" -le 1904
is "another group still answers meanwhile" "$(dq +short y.other.test)" \
    192.0.2.26
is "no descriptor ran out" "$(grep -c 'Too many open files' "$D_LOG")" 0
check "the daemon is still running" kill -0 "$D_PID"

stop_daemon

# upstream max-inflight: a smaller cap, a group half of it
conf 'forwarder "ghost" { server 127.0.0.26 port '$UP' timeout 2000 }
upstream max-inflight 200'
start_daemon "$T_DIR/u.conf" || { not_ok "daemon starts"; done_testing; }
set -- $(python3 "$TOP/regress/dnsraw.py" spray 127.0.0.1 "$PORT" 600 \
    'g{}.black.test' 2)
check "with upstream max-inflight 200, all but 100 get SERVFAIL at once ($2)" \
    test "$2" -ge 450 -a "$2" -le 500
like "show status counts them" "$(ctl show status)" "servfail [4-9][0-9][0-9]"
stop_daemon
done_testing
