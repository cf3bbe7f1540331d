#!/bin/sh
# The example deployments in etc/examples/ are valid configurations
# (their /etc/vpndnsd/ and /etc/wireguard/ files are the samples beside
# them), and the dnsdist and NSD snippets pass their own checks.
. "$(dirname "$0")/../lib.sh"
EX=$TOP/etc/examples
for f in wireguard-gateway ipsec-openvpn-gateway vpn-proxy edge-authoritative \
    edge-vpndnsd gateway-a gateway-b; do
	sed -e "s|/etc/vpndnsd/|$EX/|g" -e "s|/etc/wireguard/|$EX/|g" \
	    "$EX/$f.conf" >"$T_DIR/$f.conf"
	out=$("$VPNDNSD" -n -f "$T_DIR/$f.conf" 2>&1 >/dev/null)
	is "etc/examples/$f.conf: vpndnsd -n" "$out" "configuration OK"
	check "README.md has a section on it" \
	    grep -q "etc/examples/$f.conf" "$TOP/README.md"
done
if command -v dnsdist >/dev/null; then
	like "etc/examples/dnsdist-edge.conf: dnsdist --check-config" \
	    "$(dnsdist --check-config -C "$EX/dnsdist-edge.conf" 2>&1)" \
	    "Configuration .* OK"
else
	skip "no dnsdist"
fi
if command -v nsd-checkconf >/dev/null; then
	is "etc/examples/nsd-secondary.conf: nsd-checkconf" \
	    "$(nsd-checkconf "$EX/nsd-secondary.conf" 2>&1; echo $?)" 0
	for g in a b; do
		is "gateway-$g's key is the secondary's" \
		    "$(sed -n 's/.*secret "\(.*\)"/\1/p' "$EX/gateway-$g.conf")" \
		    "$(sed -n 's/.*secret: "\(.*\)"/\1/p' \
		    "$EX/nsd-secondary.conf")"
	done
else
	skip "no nsd-checkconf"
fi
done_testing
