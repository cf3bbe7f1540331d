#!/bin/sh
# Display names on a running daemon: peers named by a wg-easy file as
# "Bob's Phone" and "Zoë iPad" answer as bobs-phone and zoe-ipad, and
# show peers gives both the display name and the label, as text and as
# JSON that parses (a control character in a name included).  WireGuard
# is regress/fakewg.py's UAPI socket.
. "$(dirname "$0")/../lib.sh"
require_root

{
	printf '[Interface]\nPrivateKey = x\n\n'
	printf "# Client: Bob's Phone (a1)\n[Peer]\nPublicKey = %s\n\n" "$K1"
	printf '# Client: Zo\303\253 iPad (b2)\n[Peer]\nPublicKey = %s\n\n' "$K2"
	printf '# Client: tab\001bell\tand "quotes" (c3)\n[Peer]\nPublicKey = %s\n' \
	    "$K3"
} >"$T_DIR/wg0.conf"
fakewg_start

PORT=$(pick_port)
write_conf "$T_DIR/p.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "vpn.test" { threshold 60 }
wireguard "wg0" {
	socket "$T_DIR/wg0.sock"
	names from "$T_DIR/wg0.conf"
}
EOF
start_daemon "$T_DIR/p.conf" || { not_ok "daemon starts"; done_testing; }

answers() { [ "$(dq +short "$1")" = "$2" ]; }
wait_for "Bob's Phone answers as bobs-phone" 5 \
    answers bobs-phone.vpn.test 10.77.0.2
is "Zoë iPad as zoe-ipad" "$(dq +short zoe-ipad.vpn.test)" 10.77.0.3
is "and the third as tab-bell-and-quotes" \
    "$(dq +short tab-bell-and-quotes.vpn.test)" 10.77.0.4
like "show peers: the label and the display name" "$(ctl show peers)" \
    "wg0 +wireguard +bobs-phone .* online +bobs-phone\\.vpn\\.test\\. bobs-phone\\.wg0\\.vpn\\.test\\. Bob's Phone"
like "show peers: the header names the column" "$(ctl show peers | head -n 1)" \
    " display-name$"
is "show peers -j parses: label and display name of each" \
    "$(ctl -j show peers | python3 -c 'import json, sys
for p in json.load(sys.stdin):
    print(p["name"], repr(p["display_name"]))')" \
    "$(printf "bobs-phone \"Bob's Phone\"\nzoe-ipad 'Zo\303\253 iPad'\ntab-bell-and-quotes 'tab\\\\x01bell\\\\tand \"quotes\"'")"
done_testing
