#!/bin/sh
# The configuration parser through "vpndnsd -n" and "-nv": -n says only
# "configuration OK"; with -v, valid files print back canonically (TSIG
# secrets masked) and that print parses to itself once a secret is put
# back; every broken file fails with exit status 1 and its own
# "file:line: message" first.
. "$(dirname "$0")/../lib.sh"

# unmask: the masked secrets of a print replaced by a valid one
SECRET=qJ8WEBZ8v3CP+4V+eGcMEcmr7Db0fArwOjQ0jqtMMho=
unmask() { sed "s|secret \"\*\*\*\*\*\*\*\*\"|secret \"$SECRET\"|"; }

cd "$TOP/regress/parse/valid" || exit 1
for f in *.conf; do
	out=$("$VPNDNSD" -nv -f "$f" 2>"$T_DIR/err")
	rc=$?
	check "$f parses" test "$rc" -eq 0
	# paths print absolute: the golden files say @DIR@ for this one
	is "$f prints as ${f%.conf}.out" "$(printf '%s\n' "$out" |
	    sed "s|$PWD/|@DIR@/|g")" "$(cat "${f%.conf}.out")"
	printf '%s\n' "$out" | unmask >"$T_DIR/again.conf"
	is "$f: the print parses to itself" \
	    "$("$VPNDNSD" -nv -f "$T_DIR/again.conf" 2>/dev/null)" "$out"
done
out=$("$VPNDNSD" -nv -f "$TOP/etc/vpndnsd.conf.example" 2>/dev/null)
check "the example configuration parses" test -n "$out"
printf '%s\n' "$out" >"$T_DIR/again.conf"
is "the example configuration prints to itself" \
    "$("$VPNDNSD" -nv -f "$T_DIR/again.conf" 2>/dev/null)" "$out"

# -n alone: one line, on standard error, and no secret anywhere
is "-n prints nothing on standard output" \
    "$("$VPNDNSD" -n -f xfr.conf 2>/dev/null)" ""
is "-n says configuration OK" \
    "$("$VPNDNSD" -n -f xfr.conf 2>&1 >/dev/null)" "configuration OK"
check "-nv masks every TSIG secret" sh -c \
    "! '$VPNDNSD' -nv -f xfr.conf 2>&1 | grep -q '$SECRET'"
is "-nv masks both keys it prints" \
    "$("$VPNDNSD" -nv -f xfr.conf 2>/dev/null | grep -c 'secret "\*\*\*\*\*\*\*\*"')" 2

cd "$TOP/regress/parse/broken" || exit 1
while IFS="	" read -r f want; do
	err=$("$VPNDNSD" -n -f "$f" 2>&1 >/dev/null)
	rc=$?
	is "$f: exit status 1" "$rc" 1
	is "$f: $want" "$(printf '%s\n' "$err" | head -n 1 |
	    sed "s|$PWD/|@DIR@/|g")" "$want"
done <expected
done_testing
