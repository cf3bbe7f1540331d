# regress/wglab.sh: sourced after lib.sh by the WireGuard tests.  A
# userspace-WireGuard lab: a gateway "gw" and peers in network namespaces
# of their own (files under $T_DIR, so they are named by path and removed
# with it), joined by veths on a bridge in gw, each running wireguard-go
# in a private mount namespace whose /run is the node's own directory (so
# every node has its /var/run/wireguard/wg0.sock).  Processes are stopped
# by PID, namespaces unmounted by path.
#
# Addresses exist only inside the lab: underlay 192.0.2.0/24, tunnel
# 10.77.0.0/24 (gw .1, the peers .2, .3, ...).

require_tools wireguard-go wg nsenter unshare
[ -c /dev/net/tun ] || skip_all "no /dev/net/tun"
WG_DIR=$T_DIR/wg
WG_NODES=""

# Shell functions share their variables: each uses names of its own.
wg_node_idx() {
	_ix=1
	for _ixn in gw $WG_NODES; do
		[ "$_ixn" = "$1" ] && { echo "$_ix"; return; }
		_ix=$((_ix + 1))
	done
}

wg_ns() { echo "$WG_DIR/ns/$1"; }
wg_sock() { echo "$WG_DIR/$1/run/wireguard/${2:-wg0}.sock"; }
wg_net() { _netn=$1; shift; nsenter --net="$(wg_ns "$_netn")" "$@"; }

# wg_exec NODE CMD...: in NODE's network namespace, with its own /run
wg_exec() {
	_exn=$1; shift
	nsenter --net="$(wg_ns "$_exn")" unshare --mount --propagation private \
	    /bin/sh -c 'mount --bind "$0" /run && exec "$@"' \
	    "$WG_DIR/$_exn/run" "$@"
}

wg_pub() { cat "$WG_DIR/$1/public.key"; }

wg_cleanup() {
	for _cf in "$WG_DIR"/*/wireguard-go*.pid; do
		[ -f "$_cf" ] || continue
		kill -TERM "$(cat "$_cf")" 2>/dev/null
	done
	sleep 0.2
	for _cf in "$WG_DIR"/*/wireguard-go*.pid; do
		[ -f "$_cf" ] || continue
		kill -KILL "$(cat "$_cf")" 2>/dev/null
	done
	for _cf in "$WG_DIR"/ns/*; do
		[ -e "$_cf" ] && umount "$_cf" 2>/dev/null
	done
}
T_CLEANUP="$T_CLEANUP wg_cleanup"

# wg_start NODE [IF [PORT]]: wireguard-go for IF in NODE, then its config
wg_start() {
	_stn=$1 _stif=${2:-wg0} _stport=${3:-51820}
	_std=$WG_DIR/$_stn
	rm -f "$(wg_sock "$_stn" "$_stif")"
	nsenter --net="$(wg_ns "$_stn")" unshare --mount --propagation private \
	    /bin/sh -c 'echo $$ >"$1/wireguard-go-$2.pid"
		mount --bind "$1/run" /run || exit 1
		LOG_LEVEL=error exec wireguard-go -f "$2"' \
	    sh "$_std" "$_stif" >>"$_std/wireguard-go.log" 2>&1 </dev/null &
	poll 10 test -S "$(wg_sock "$_stn" "$_stif")"
	if [ -f "$_std/$_stif.conf" ]; then
		wg_exec "$_stn" wg setconf "$_stif" "$_std/$_stif.conf"
	else
		wg_exec "$_stn" wg set "$_stif" listen-port "$_stport"
	fi
	wg_net "$_stn" ip link set "$_stif" up
	[ "$_stif" = wg0 ] && wg_net "$_stn" ip addr replace \
	    "10.77.0.$(wg_node_idx "$_stn")/24" dev wg0
	return 0
}

# wg_stop NODE [IF]: its wireguard-go exits, its socket and TUN go
wg_gone() { ! kill -0 "$1" 2>/dev/null; }
wg_stop() {
	_spf=$WG_DIR/$1/wireguard-go-${2:-wg0}.pid
	[ -f "$_spf" ] || return 0
	_spid=$(cat "$_spf")
	kill -TERM "$_spid" 2>/dev/null
	poll 10 wg_gone "$_spid"
	rm -f "$_spf"
}

# wg_traffic NODE: a datagram to the gateway through the tunnel, which
# makes a handshake when there is no fresh one
wg_traffic() {
	wg_net "$1" bash -c 'echo hi >/dev/udp/10.77.0.1/9' 2>/dev/null
}

# wg_hello NODE: one keepalive to the gateway, after a handshake when
# there is no fresh session, and no data.  wg_traffic's datagram is
# answered (ICMP port unreachable), which NODE acknowledges 10 s later
# with a keepalive of its own (WireGuard's passive keepalive): a peer
# that must fall silent says hello instead.
wg_hello() {
	wg_exec "$1" wg set wg0 peer "$(wg_pub gw)" persistent-keepalive 25
	wg_exec "$1" wg set wg0 peer "$(wg_pub gw)" persistent-keepalive 0
}

# wg_handshake NODE: the gateway's latest handshake with NODE (0: never)
wg_handshake() {
	wg_exec gw wg show wg0 latest-handshakes |
	    awk -v k="$(wg_pub "$1")" '$1 == k { print $2 }'
}

# wg_up PEER...: the gateway and its peers, configured, nobody talking
wg_up() {
	WG_NODES="$*"
	mkdir -p "$WG_DIR/ns"
	for _n in gw $WG_NODES; do
		mkdir -p "$WG_DIR/$_n/run"
		: >"$(wg_ns "$_n")"
		unshare --net="$(wg_ns "$_n")" true || return 1
		wg_net "$_n" ip link set lo up
		(umask 077 && wg genkey >"$WG_DIR/$_n/private.key")
		wg pubkey <"$WG_DIR/$_n/private.key" >"$WG_DIR/$_n/public.key"
	done
	wg_net gw ip link add br0 type bridge
	wg_net gw ip addr add 192.0.2.1/24 dev br0
	wg_net gw ip link set br0 up
	for _n in $WG_NODES; do
		_i=$(wg_node_idx "$_n")
		wg_net gw ip link add "ul-$_n" type veth peer name ul0 \
		    netns "$(wg_ns "$_n")"
		wg_net gw ip link set "ul-$_n" master br0 up
		wg_net "$_n" ip addr add "192.0.2.$_i/24" dev ul0
		wg_net "$_n" ip link set ul0 up
		{
			echo "[Interface]"
			echo "PrivateKey = $(cat "$WG_DIR/$_n/private.key")"
			echo "[Peer]"
			echo "PublicKey = $(wg_pub gw)"
			echo "AllowedIPs = 10.77.0.1/32"
			echo "Endpoint = 192.0.2.1:51820"
		} >"$WG_DIR/$_n/wg0.conf"
	done
	{
		echo "[Interface]"
		echo "PrivateKey = $(cat "$WG_DIR/gw/private.key")"
		echo "ListenPort = 51820"
		for _n in $WG_NODES; do
			echo "[Peer]"
			echo "PublicKey = $(wg_pub "$_n")"
			echo "AllowedIPs = 10.77.0.$(wg_node_idx "$_n")/32"
		done
	} >"$WG_DIR/gw/wg0.conf"
	for _n in gw $WG_NODES; do
		wg_start "$_n" || return 1
	done
}
