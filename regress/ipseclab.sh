# regress/ipseclab.sh: sourced after lib.sh by the IPsec tests.  A
# strongSwan IKEv2 road-warrior lab: a gateway "gw" and clients in
# network namespaces of their own (files under $T_DIR, so they are
# named by path and removed with it), on a bridge in gw, each running its
# own charon (charon-systemd, its own strongswan.conf, its own VICI
# socket) with the kernel-libipsec plugin: ESP in userspace over a TUN
# device, no kernel XFRM needed.  Certificates (Ed25519) are made by pki
# at start.  Processes are stopped by PID, namespaces unmounted by path.
#
# Addresses exist only inside the lab: underlay 198.51.100.0/24 (gw .1,
# clients .2, .3, ...), the gateway's inner 10.66.0.1 and fd66::1, and
# the virtual IP pools 10.66.0.10-254 and fd66::10-fe.  DPD every 2 s
# with retransmissions cut to ~2.2 s: a killed client is dropped ~4 s
# after it dies.  The gateway's connection is "rw", a client's "home".

require_tools charon-systemd swanctl pki nsenter unshare setsid
[ -c /dev/net/tun ] || skip_all "no /dev/net/tun"
[ -e /usr/lib/ipsec/plugins/libstrongswan-kernel-libipsec.so ] ||
    skip_all "no kernel-libipsec plugin (libcharon-extra-plugins)"
IL_DIR=$T_DIR/ipsec
IL_NODES=""		# the clients, in order
IL_PLUGINS="random nonce drbg x509 pubkey pem pkcs1 pkcs8 curve25519 aes
	sha1 sha2 hmac kdf constraints revocation vici kernel-libipsec
	kernel-netlink socket-default"
IL_TOOLS="random drbg x509 pubkey pem pkcs1 pkcs8 curve25519 sha1 sha2"

il_ns() { echo "$IL_DIR/ns/$1"; }
il_net() { _iln=$1; shift; nsenter --net="$(il_ns "$_iln")" "$@"; }
il_vici() { echo "$IL_DIR/$1/charon.vici"; }
il_pid() { cat "$IL_DIR/$1/charon.pid" 2>/dev/null; }
il_idx() {
	_ix=2
	for _ixn in $IL_NODES; do
		[ "$_ixn" = "$1" ] && { echo "$_ix"; return; }
		_ix=$((_ix + 1))
	done
}

# il_swanctl NODE ARGS...: swanctl against NODE's charon
il_swanctl() {
	_sn=$1; shift
	STRONGSWAN_CONF="$IL_DIR/tools.conf" SWANCTL_DIR="$IL_DIR/$_sn/swanctl" \
	    timeout 20 swanctl "$@" --uri "unix://$(il_vici "$_sn")"
}

il_cleanup() {
	for _cf in "$IL_DIR"/*/charon.pid; do
		[ -f "$_cf" ] || continue
		kill -KILL "$(cat "$_cf")" 2>/dev/null
	done
	for _cf in "$IL_DIR"/ns/*; do
		[ -e "$_cf" ] && umount "$_cf" 2>/dev/null
	done
}
T_CLEANUP="$T_CLEANUP il_cleanup"

il_conf() {	# NODE: its strongswan.conf
	cat >"$IL_DIR/$1/strongswan.conf" <<EOF
charon-systemd {
	load_modular = no
	load = $(echo $IL_PLUGINS)
	retransmit_tries = 2
	retransmit_timeout = 0.5
	retransmit_base = 1.4
	retransmit_jitter = 0
	journal {
		default = -1
	}
	filelog {
		lab {
			path = $IL_DIR/$1/charon.log
			default = 1
			flush_line = yes
			append = yes
		}
	}
	plugins {
		vici {
			socket = unix://$(il_vici "$1")
		}
	}
}
EOF
}

# il_swanctl_conf NODE [ID]: the gateway's road-warrior connection, or a
# client's, which sends ID (none: its certificate's subject DN)
il_swanctl_conf() {
	if [ "$1" = gw ]; then
		cat <<EOF
connections {
	rw {
		version = 2
		local_addrs = 198.51.100.1
		proposals = aes128-sha256-x25519
		pools = v4, v6
		dpd_delay = 2s
		unique = replace
		local {
			auth = pubkey
			certs = gw.pem
			id = gw.vpn.test
		}
		remote {
			auth = pubkey
			cacerts = ca.pem
		}
		children {
			rw {
				local_ts = 10.66.0.1/32, fd66::1/128
				esp_proposals = aes128-sha256
			}
		}
	}
}
pools {
	v4 {
		addrs = 10.66.0.10-10.66.0.254
	}
	v6 {
		addrs = fd66::10-fd66::fe
	}
}
EOF
	else
		cat <<EOF
connections {
	home {
		version = 2
		remote_addrs = 198.51.100.1
		vips = 0.0.0.0, ::
		proposals = aes128-sha256-x25519
		dpd_delay = 2s
		local {
			auth = pubkey
			certs = $1.pem
			${2:+id = $2}
		}
		remote {
			auth = pubkey
			id = gw.vpn.test
		}
		children {
			home {
				remote_ts = 10.66.0.1/32, fd66::1/128
				esp_proposals = aes128-sha256
			}
		}
	}
}
EOF
	fi >"$IL_DIR/$1/swanctl/swanctl.conf"
}

# il_cert NODE SUBJECT-CN: a key and a certificate from the lab's CA
il_cert() {
	_cd=$IL_DIR/$1/swanctl
	mkdir -p "$_cd/x509ca" "$_cd/x509" "$_cd/private"
	STRONGSWAN_CONF="$IL_DIR/tools.conf" pki --gen --type ed25519 \
	    --outform pem >"$_cd/private/$1.key" || return 1
	STRONGSWAN_CONF="$IL_DIR/tools.conf" pki --pub --in "$_cd/private/$1.key" |
	    STRONGSWAN_CONF="$IL_DIR/tools.conf" pki --issue \
	    --cacert "$IL_DIR/ca.pem" --cakey "$IL_DIR/ca.key" --type pub \
	    --lifetime 2 --dn "C=XX, O=vpn.test lab, CN=$2" --san "$2" \
	    --outform pem >"$_cd/x509/$1.pem" || return 1
	cp "$IL_DIR/ca.pem" "$_cd/x509ca/ca.pem"
}

# il_start NODE: its charon, then its configuration loaded
il_vici_up() { il_swanctl "$1" --version >/dev/null 2>&1; }
il_start() {
	rm -f "$(il_vici "$1")"
	STRONGSWAN_CONF="$IL_DIR/$1/strongswan.conf" setsid /bin/sh -c \
	    'echo $$ >"$1"; exec nsenter --net="$2" charon-systemd' sh \
	    "$IL_DIR/$1/charon.pid" "$(il_ns "$1")" \
	    >>"$IL_DIR/$1/charon.out" 2>&1 </dev/null &
	poll 10 il_vici_up "$1" &&
	    il_swanctl "$1" --load-all --noprompt >"$IL_DIR/$1/load.log" 2>&1
}

# il_stop NODE [SIGNAL]: its charon exits (TERM: DELETEs sent first)
il_gone() { ! kill -0 "$1" 2>/dev/null; }
il_stop() {
	_sp=$(il_pid "$1")
	[ -n "$_sp" ] || return 0
	kill -"${2:-TERM}" "$_sp" 2>/dev/null
	poll 10 il_gone "$_sp"
	rm -f "$IL_DIR/$1/charon.pid"
}

# il_connect CLIENT: its tunnel up (a stale SA of a restarted gateway
# dropped first); il_disconnect CLIENT: a clean IKE DELETE
il_connect() {
	il_swanctl "$1" --terminate --ike home --force >/dev/null 2>&1
	il_swanctl "$1" --initiate --child home --timeout 10 >/dev/null 2>&1
}
il_disconnect() {
	il_swanctl "$1" --terminate --ike home --timeout 5 >/dev/null 2>&1
}

# il_vip CLIENT 4|6: the virtual IP it holds
il_vip() {
	il_net "$1" ip -o -"$2" addr show dev ipsec0 2>/dev/null |
	    awk '$4 !~ /^fe80/ { sub(/\/.*/, "", $4); print $4; exit }'
}

# il_up CLIENT=ID...: the gateway and its clients (ID "-": the subject
# DN "C=XX, O=vpn.test lab, CN=CLIENT@vpn.test" is its identity),
# configured and loaded, nobody connected
il_up() {
	mkdir -p "$IL_DIR/ns"
	{
		echo "pki {"
		echo "	load = $(echo $IL_TOOLS)"
		echo "}"
		echo "swanctl {"
		echo "	load = $(echo $IL_TOOLS)"
		echo "}"
	} >"$IL_DIR/tools.conf"
	STRONGSWAN_CONF="$IL_DIR/tools.conf" pki --gen --type ed25519 \
	    --outform pem >"$IL_DIR/ca.key" || return 1
	STRONGSWAN_CONF="$IL_DIR/tools.conf" pki --self --ca --lifetime 2 \
	    --in "$IL_DIR/ca.key" --type ed25519 \
	    --dn "C=XX, O=vpn.test lab, CN=lab CA" --outform pem \
	    >"$IL_DIR/ca.pem" || return 1
	for _c in gw "$@"; do
		_n=${_c%%=*}
		[ "$_n" = gw ] || IL_NODES="$IL_NODES $_n"
		mkdir -p "$IL_DIR/$_n/swanctl"
		: >"$(il_ns "$_n")"
		unshare --net="$(il_ns "$_n")" true || return 1
		il_net "$_n" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		    net.ipv6.conf.default.accept_dad=0
		il_net "$_n" ip link set lo up
		il_conf "$_n"
	done
	il_net gw ip link add br0 type bridge
	il_net gw ip addr add 198.51.100.1/24 dev br0
	il_net gw ip link set br0 up
	il_net gw ip addr add 10.66.0.1/32 dev lo
	il_net gw ip addr add fd66::1/128 dev lo nodad
	il_cert gw gw.vpn.test && il_swanctl_conf gw || return 1
	for _c in "$@"; do
		_n=${_c%%=*} _id=${_c#*=}
		il_net gw ip link add "ul-$_n" type veth peer name ul0 \
		    netns "$(il_ns "$_n")"
		il_net gw ip link set "ul-$_n" master br0 up
		il_net "$_n" ip addr add "198.51.100.$(il_idx "$_n")/24" dev ul0
		il_net "$_n" ip link set ul0 up
		if [ "$_id" = - ]; then
			il_cert "$_n" "$_n@vpn.test" && il_swanctl_conf "$_n"
		else
			il_cert "$_n" "$_id" && il_swanctl_conf "$_n" "$_id"
		fi || return 1
	done
	for _n in gw $IL_NODES; do
		il_start "$_n" || return 1
	done
}

# il_vici_holders: the pids at the client end of every connection to the
# gateway's VICI socket (ss -xp in the gateway's namespace, where its
# unix sockets are listed: charon's end names the path, the other end is
# the socket of that inode)
il_vici_holders() {
	il_net gw ss -xpn >"$IL_DIR/ss"
	awk -v p="$(il_vici gw)" '$5 == p && $2 == "ESTAB" { print $8 }' \
	    "$IL_DIR/ss" | while read -r _ino; do
		awk -v i="$_ino" '$6 == i' "$IL_DIR/ss" |
		    grep -o 'pid=[0-9]*' | sed 's/pid=//'
	done | sort -u
}
