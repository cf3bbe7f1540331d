#!/bin/sh
# make bench: every regress/bench/b_*.sh; the figures they print, then
# "N passed, N failed" for the targets they check.
cd "$(dirname "$0")/../.." || exit 1
out=$(mktemp /tmp/vpndnsd-bench.XXXXXX)
figures=$(mktemp /tmp/vpndnsd-bench.XXXXXX)
trap 'rm -f "$out" "$figures"' EXIT
passed=0 failed=0
for b in regress/bench/b_*.sh; do
	[ -n "$BENCH" ] && [ "${b##*/}" != "$BENCH" ] && continue
	echo "== $b"
	sh "$b" 2>&1 | tee "$out"
	grep '^figure' "$out" >>"$figures"
	passed=$((passed + $(grep -c '^ok ' "$out")))
	failed=$((failed + $(grep -c '^not ok ' "$out")))
done
echo "== figures"
cat "$figures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
