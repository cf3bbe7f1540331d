#!/bin/sh
# listen on an address no interface has yet (a tunnel's, added by
# wg-quick or OpenVPN after vpndnsd starts): the daemon starts, says so
# once, and answers on UDP and TCP, IPv4 and IPv6, once it is added.  In
# a network namespace of the test's own.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools unshare nsenter ip

NS=$T_DIR/netns
: >"$NS"
unshare --net="$NS" true || skip_all "cannot make a network namespace"
ns_cleanup() { umount "$NS" 2>/dev/null; }
T_CLEANUP="$T_CLEANUP ns_cleanup"
D_NETNS=$NS
in_netns ip link set lo up
# the tunnel: a veth pair, up, without the addresses yet
in_netns ip link add tun0 type veth peer name tun1
in_netns ip link set tun1 up
in_netns ip link set tun0 up

PORT=$(pick_port)
write_conf "$T_DIR/f.conf" <<EOF
listen on 10.99.0.1 port $PORT
listen on fd00:99::1 port $PORT
allow from { 10.99.0.0/24 fd00:99::/64 }
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.10
EOF
start_daemon "$T_DIR/f.conf" || { not_ok "daemon starts"; done_testing; }
check "it starts without the addresses" kill -0 "$D_PID"
is "and says so once for each" \
    "$(grep -c 'no interface has this address yet' "$D_LOG")" 2
like "naming the address" "$(cat "$D_LOG")" \
    "listen on 10\\.99\\.0\\.1 port $PORT: no interface has this address yet"

in_netns ip addr add 10.99.0.1/24 dev tun0
in_netns ip addr add fd00:99::1/64 dev tun0 nodad
ask() { in_netns dig @"$1" -p "$PORT" +time=1 +tries=1 +short $2 nas.vpn.test; }
answers() { [ "$(ask "$@")" = 10.0.0.10 ]; }
wait_for "once the IPv4 address is added, it answers on UDP" 5 \
    answers 10.99.0.1
is "and on TCP" "$(ask 10.99.0.1 +tcp)" 10.0.0.10
wait_for "the IPv6 one, on UDP" 5 answers fd00:99::1
is "and on TCP" "$(ask fd00:99::1 +tcp)" 10.0.0.10
done_testing
