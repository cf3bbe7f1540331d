#!/bin/sh
# Runs every test (TAP producers) and ends with one line:
# "N passed, N failed, N skipped".
cd "$(dirname "$0")/.." || exit 1

passed=0 failed=0 skipped=0
out=$(mktemp /tmp/vpndnsd-run.XXXXXX)
trap 'rm -f "$out"' EXIT

for t in regress/unit/test_* regress/*/t_*.sh; do
	case "$t" in *.c|*.o|*.d) continue ;; esac
	[ -x "$t" ] || [ "${t%.sh}" != "$t" ] || continue
	echo "== $t"
	start=$(date +%s)
	case "$t" in
	*.sh) timeout 600 sh "$t" >"$out" 2>&1 ;;
	*) timeout 600 "$t" >"$out" 2>&1 ;;
	esac
	rc=$?
	cat "$out"
	p=$(grep -c '^ok ' "$out" | tr -d ' ')
	s=$(grep -c '^ok .*# SKIP' "$out" | tr -d ' ')
	f=$(grep -c '^not ok ' "$out" | tr -d ' ')
	p=$((p - s))
	if grep -q '^1\.\.0 # SKIP' "$out"; then
		s=$((s + 1))
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $t exited with status $rc"
		f=1
	fi
	echo "-- $t: $p passed, $f failed, $s skipped ($(( $(date +%s) - start ))s)"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
