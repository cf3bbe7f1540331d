#!/bin/sh
# The example deployments in etc/examples/ are valid configurations
# (their /etc/vpndnsd/ and /etc/wireguard/ files are the samples beside
# them), and the dnsdist snippet passes dnsdist's own check.
. "$(dirname "$0")/../lib.sh"
EX=$TOP/etc/examples
for f in wireguard-gateway vpn-proxy edge-authoritative edge-vpndnsd; do
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
done_testing
