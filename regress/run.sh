#!/bin/sh
# Runs every test (TAP producers) and ends with one line:
# "N passed, N failed, N skipped".  Besides its "not ok" lines, a test
# fails here on: a non-zero status; not exactly one plan, or a plan that
# is not the number of its checks; a sanitizer report in its output; and,
# for the unit tests the Makefile lists, a missing binary.  On a full test
# machine (root, every TEST_DEPS package installed) a skip fails too,
# unless it is "by design" (regress/lib.sh): there, nothing else may be
# missing.  Arguments: the tests to run, instead of all of them.
cd "$(dirname "$0")/.." || exit 1
. regress/sanitizer.sh

passed=0 failed=0 skipped=0
out=$(mktemp /tmp/vpndnsd-run.XXXXXX)
trap 'rm -f "$out"' EXIT

mkvar() { make -s --no-print-directory "print-$1"; }
units=$(mkvar UNIT)
if [ -z "$units" ]; then
	echo "cannot read the unit tests from the Makefile (make print-UNIT)"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
full=0
# shellcheck disable=SC2046
if [ "$(id -u)" = 0 ] && [ -z "$(dpkg-query -W -f='${Status}\n' \
    $(mkvar TEST_DEPS) 2>&1 | grep -v '^install ok installed$')" ]; then
	full=1
	echo "# root, every TEST_DEPS package: a skip not by design fails"
else
	echo "# not root, or a TEST_DEPS package missing: skips are counted"
fi

# bad WHY: the test fails for a reason the runner found
bad() { echo "not ok - $t: $*"; f=$((f + 1)); }

# sh regress/run.sh [TEST...]: those only
tests=${*:-$units regress/*/t_*.sh}
for t in $tests; do
	echo "== $t"
	start=$(date +%s)
	f=0
	if [ "${t%.sh}" = "$t" ] && [ ! -x "$t" ]; then
		bad "missing: make regress builds it"
		echo "-- $t: 0 passed, $f failed, 0 skipped (0s)"
		failed=$((failed + f))
		continue
	fi
	case "$t" in
	*.sh) timeout 600 sh "$t" >"$out" 2>&1 ;;
	*) timeout 600 "$t" >"$out" 2>&1 ;;
	esac
	rc=$?
	cat "$out"
	n=$(grep -cE '^(not )?ok ' "$out")
	s=$(grep -c '^ok [0-9]* - # SKIP' "$out")
	f=$(grep -c '^not ok ' "$out")
	p=$(( $(grep -c '^ok ' "$out") - s ))
	if grep -q '^1\.\.0 # SKIP' "$out"; then
		s=$((s + 1))
	fi

	plans=$(grep -cE '^1\.\.[0-9]+' "$out")
	plan=$(sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$out" | head -n 1)
	if [ "$plans" -ne 1 ]; then
		bad "$plans plans, not one: did it stop early?"
	elif [ "$plan" -ne "$n" ]; then
		bad "a plan of $plan checks, and $n ran"
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		bad "exited with status $rc"
	fi
	if grep -Eq -- "$SAN_RE" "$out"; then
		bad "a sanitizer report in its output"
	fi
	if [ "$full" -eq 1 ]; then
		grep -E '^(1\.\.0|ok [0-9]* -) # SKIP' "$out" |
		    grep -v '# SKIP by design: ' | sed 's/.*# SKIP //' >"$out.skips"
		while read -r why; do
			bad "skipped on a full test machine: $why"
		done <"$out.skips"
		rm -f "$out.skips"
	fi
	echo "-- $t: $p passed, $f failed, $s skipped ($(( $(date +%s) - start ))s)"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
