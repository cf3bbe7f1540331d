# regress/ovpnlab.sh: sourced after lib.sh by the OpenVPN tests.  An
# OpenVPN 2.6 lab: a server "srv" (UDP, topology subnet, IPv4 and IPv6
# pools) and certificate clients in network namespaces of their own
# (files under $T_DIR, named by path and removed with it), on a bridge
# in srv.  The server writes its status file every second (version
# OL_STATUS_VERSION, 3 by default).  Certificates (Ed25519) are made by
# openssl at start.  Processes are stopped by PID, namespaces unmounted
# by path.
#
# Addresses exist only inside the lab: underlay 203.0.113.0/24 (srv .1,
# clients .2, .3, ...), tunnel 10.67.0.0/24 and fd67::/64.  keepalive
# 2 6 (the server drops a silent client after 12 s), and
# explicit-exit-notify: a client stopped by SIGTERM tells the server,
# which drops it 5 s later.

require_tools openvpn openssl nsenter unshare setsid
[ -c /dev/net/tun ] || skip_all "no /dev/net/tun"
OL_DIR=$T_DIR/ovpn
OL_NODES=""
OL_STATUS=$OL_DIR/srv/status
OL_STATUS_VERSION=${OL_STATUS_VERSION:-3}

ol_ns() { echo "$OL_DIR/ns/$1"; }
ol_net() { _oln=$1; shift; nsenter --net="$(ol_ns "$_oln")" "$@"; }
ol_pid() { cat "$OL_DIR/$1/openvpn.pid" 2>/dev/null; }
ol_idx() {
	_ix=2
	for _ixn in $OL_NODES; do
		[ "$_ixn" = "$1" ] && { echo "$_ix"; return; }
		_ix=$((_ix + 1))
	done
}

ol_cleanup() {
	for _cf in "$OL_DIR"/*/openvpn.pid; do
		[ -f "$_cf" ] || continue
		kill -KILL "$(cat "$_cf")" 2>/dev/null
	done
	for _cf in "$OL_DIR"/ns/*; do
		[ -e "$_cf" ] && umount "$_cf" 2>/dev/null
	done
}
T_CLEANUP="$T_CLEANUP ol_cleanup"

# ol_cert NODE CN EXTENDED-KEY-USAGE
ol_cert() {
	printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n'\
'extendedKeyUsage=%s\n' "$3" >"$OL_DIR/$1.ext"
	openssl genpkey -algorithm ed25519 -out "$OL_DIR/$1.key" 2>/dev/null &&
	    openssl req -new -key "$OL_DIR/$1.key" -subj "/O=lab/CN=$2" \
	    -out "$OL_DIR/$1.csr" 2>/dev/null &&
	    openssl x509 -req -in "$OL_DIR/$1.csr" -CA "$OL_DIR/ca.crt" \
	    -CAkey "$OL_DIR/ca.key" -CAcreateserial -CAserial "$OL_DIR/ca.srl" \
	    -days 2 -extfile "$OL_DIR/$1.ext" -out "$OL_DIR/$1.crt" 2>/dev/null
}

ol_server_conf() {
	cat >"$OL_DIR/srv/server.conf" <<EOF
dev tun
proto udp
local 203.0.113.1
port 1194
topology subnet
server 10.67.0.0 255.255.255.0
server-ipv6 fd67::/64
ca $OL_DIR/ca.crt
cert $OL_DIR/srv.crt
key $OL_DIR/srv.key
dh none
keepalive 2 6
status $OL_STATUS 1
status-version $OL_STATUS_VERSION
explicit-exit-notify 1
disable-dco
verb 3
EOF
}

# ol_start NODE: its openvpn; a client's returns once its tunnel is up
ol_ready() { grep -q 'Initialization Sequence Completed' "$1"; }
ol_start() {
	_c=client.conf
	[ "$1" = srv ] && _c=server.conf
	: >"$OL_DIR/$1/openvpn.log"
	setsid /bin/sh -c 'echo $$ >"$1"; exec nsenter --net="$2" openvpn \
	    --config "$3" --log "$4"' sh "$OL_DIR/$1/openvpn.pid" \
	    "$(ol_ns "$1")" "$OL_DIR/$1/$_c" "$OL_DIR/$1/openvpn.log" \
	    >/dev/null 2>&1 </dev/null &
	poll 15 ol_ready "$OL_DIR/$1/openvpn.log"
}

# ol_stop NODE [SIGNAL]: TERM: a client sends its exit notification
ol_gone() { ! kill -0 "$1" 2>/dev/null; }
ol_stop() {
	_sp=$(ol_pid "$1")
	[ -n "$_sp" ] || return 0
	kill -"${2:-TERM}" "$_sp" 2>/dev/null
	poll 10 ol_gone "$_sp"
	rm -f "$OL_DIR/$1/openvpn.pid"
}

# ol_addr CLIENT 4|6: its tunnel address
ol_addr() {
	ol_net "$1" ip -o -"$2" addr show dev tun0 2>/dev/null |
	    awk '$4 !~ /^fe80/ { sub(/\/.*/, "", $4); print $4; exit }'
}

# ol_up CLIENT=CN...: the server running, its clients configured (not
# connected), each with a certificate of that common name
ol_up() {
	mkdir -p "$OL_DIR/ns"
	openssl genpkey -algorithm ed25519 -out "$OL_DIR/ca.key" 2>/dev/null &&
	    openssl req -x509 -new -key "$OL_DIR/ca.key" -days 2 \
	    -subj "/O=lab/CN=lab CA" -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" \
	    -out "$OL_DIR/ca.crt" 2>/dev/null || return 1
	ol_cert srv ovpn.vpn.test serverAuth || return 1
	for _c in srv "$@"; do
		_n=${_c%%=*}
		[ "$_n" = srv ] || OL_NODES="$OL_NODES $_n"
		mkdir -p "$OL_DIR/$_n"
		: >"$(ol_ns "$_n")"
		unshare --net="$(ol_ns "$_n")" true || return 1
		ol_net "$_n" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		    net.ipv6.conf.default.accept_dad=0
		ol_net "$_n" ip link set lo up
	done
	ol_net srv ip link add br0 type bridge
	ol_net srv ip addr add 203.0.113.1/24 dev br0
	ol_net srv ip link set br0 up
	for _c in "$@"; do
		_n=${_c%%=*} _cn=${_c#*=}
		ol_net srv ip link add "ul-$_n" type veth peer name ul0 \
		    netns "$(ol_ns "$_n")"
		ol_net srv ip link set "ul-$_n" master br0 up
		ol_net "$_n" ip addr add "203.0.113.$(ol_idx "$_n")/24" dev ul0
		ol_net "$_n" ip link set ul0 up
		ol_cert "$_n" "$_cn" clientAuth || return 1
		cat >"$OL_DIR/$_n/client.conf" <<EOF
client
dev tun
proto udp
remote 203.0.113.1 1194
nobind
ca $OL_DIR/ca.crt
cert $OL_DIR/$_n.crt
key $OL_DIR/$_n.key
remote-cert-tls server
explicit-exit-notify 1
connect-retry 1 1
disable-dco
verb 3
EOF
	done
	ol_server_conf
	ol_start srv
}
