#!/bin/sh
# The configuration parser through "vpndnsd -n": valid files print back
# canonically and that print parses to itself; every broken file fails
# with exit status 1 and its own "file:line: message" first.
. "$(dirname "$0")/../lib.sh"

cd "$TOP/regress/parse/valid" || exit 1
for f in *.conf; do
	out=$("$VPNDNSD" -n -f "$f" 2>"$T_DIR/err")
	rc=$?
	check "$f parses" test "$rc" -eq 0
	# paths print absolute: the golden files say @DIR@ for this one
	is "$f prints as ${f%.conf}.out" "$(printf '%s\n' "$out" |
	    sed "s|$PWD/|@DIR@/|g")" "$(cat "${f%.conf}.out")"
	printf '%s\n' "$out" >"$T_DIR/again.conf"
	is "$f: the print parses to itself" \
	    "$("$VPNDNSD" -n -f "$T_DIR/again.conf" 2>/dev/null)" "$out"
done
out=$("$VPNDNSD" -n -f "$TOP/etc/vpndnsd.conf.example" 2>/dev/null)
check "the example configuration parses" test -n "$out"
printf '%s\n' "$out" >"$T_DIR/again.conf"
is "the example configuration prints to itself" \
    "$("$VPNDNSD" -n -f "$T_DIR/again.conf" 2>/dev/null)" "$out"

cd "$TOP/regress/parse/broken" || exit 1
while IFS="	" read -r f want; do
	err=$("$VPNDNSD" -n -f "$f" 2>&1 >/dev/null)
	rc=$?
	is "$f: exit status 1" "$rc" 1
	is "$f: $want" "$(printf '%s\n' "$err" | head -n 1 |
	    sed "s|$PWD/|@DIR@/|g")" "$want"
done <expected
done_testing
