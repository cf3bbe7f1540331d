#!/bin/sh
# Display names as DNS labels (slug_label, vpndnsd.conf(5) "Peer
# names"): names as wg-easy and wireguard-ui write them, in "peer" lines
# and "names from" files, load; two that make one label give a warning
# naming both, and the first keeps it; the print keeps display names.
. "$(dirname "$0")/../lib.sh"

K1=ERERERERERERERERERERERERERERERERERERERERERE=
K2=IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=
K3=MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=
K4=REREREREREREREREREREREREREREREREREREREREREQ=
K5=VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU=
{
	printf '[Interface]\nPrivateKey = x\n\n'
	printf '# Client: Zo\303\253 iPad (c8e0)\n[Peer]\nPublicKey = %s\n\n' "$K2"
	printf '[Peer]\n# Name = work laptop\nPublicKey = %s\n\n' "$K3"
	# wireguard-ui's block, a name that folds to the first one's label
	printf '# Name: ZOE  IPAD!\n[Peer]\nPublicKey = %s\n\n' "$K4"
	printf '### begin Bob\342\200\231s Phone ###\n[Peer]\nPublicKey = %s\n' "$K5"
} >"$T_DIR/wg0.conf"
cat >"$T_DIR/n.conf" <<EOF
listen on 127.0.0.1 port 5353
domain "vpn.test"
wireguard "wg0" {
	peer "Bob's Phone" key "$K1"
	names from "$T_DIR/wg0.conf"
}
EOF
"$VPNDNSD" -nv -f "$T_DIR/n.conf" >"$T_DIR/out" 2>"$T_DIR/err"
is "display names load: exit status 0" "$?" 0
is "the configuration is OK, after two warnings" "$(tail -n 1 "$T_DIR/err")" \
    "configuration OK"
like "a collision names both peers, the first keeps the label" \
    "$(cat "$T_DIR/err")" \
    "wg0.conf:12: peer \"ZOE  IPAD!\" on wg0: its label \"zoe-ipad\" is already peer \"Zo.* iPad\" on wg0's; the first keeps it, this one stays unnamed"
like "Bob’s Phone of PiVPN collides with the peer line's Bob's Phone" \
    "$(cat "$T_DIR/err")" \
    "wg0.conf:16: peer \"Bob.*s Phone\" on wg0: its label \"bobs-phone\" is already peer \"Bob's Phone\" on wg0's"
is "two warnings, nothing else" "$(wc -l <"$T_DIR/err")" 3
like "the print keeps the peer line's display name" "$(cat "$T_DIR/out")" \
    "peer \"Bob's Phone\" key \"$K1\""
"$VPNDNSD" -n -f "$T_DIR/out" >/dev/null 2>&1
is "and parses again" "$?" 0

# the label a name makes: a record already at LABEL.vpn.test says it
for pair in "Bob's Phone:bobs-phone" "work laptop:work-laptop" \
    "Zoë iPad:zoe-ipad" "Łódź – PC #2:lodz-pc-2" \
    "----x----:x" "$(printf 'a%.0s' $(seq 70)):$(printf 'a%.0s' $(seq 63))"; do
	name=${pair%%:*} label=${pair#*:}
	cat >"$T_DIR/l.conf" <<EOF
listen on 127.0.0.1 port 5353
domain "vpn.test"
record "$label.vpn.test" A 10.0.0.1
wireguard "wg0" {
	peer "$name" key "$K1"
}
EOF
	like "\"$name\" is the label $label" \
	    "$("$VPNDNSD" -n -f "$T_DIR/l.conf" 2>&1)" \
	    "peer \"$name\" on wg0: \"$label\\.vpn\\.test\\.\" is also a record"
done
printf 'listen on 127.0.0.1 port 5353\ndomain "vpn.test"\nwireguard "wg0" {\n\tpeer "\342\230\272" key "%s"\n}\n' "$K1" \
    >"$T_DIR/e.conf"
like "a name with no letter or digit is an error at its line" \
    "$("$VPNDNSD" -n -f "$T_DIR/e.conf" 2>&1)" \
    "e.conf:4: peer \".*\": no letter or digit to make a DNS label of"
done_testing
