#!/bin/sh
# Every libFuzzer target, briefly, from its seeds: a crash, a leak or a
# sanitizer report fails it.  make fuzz runs them for minutes.
. "$(dirname "$0")/../lib.sh"
SECS=${FUZZ_CHECK_SECONDS:-4}
# the Makefile's list: a target added there is run here
targets=$(make -s --no-print-directory -C "$TOP" print-FUZZ |
    tr ' ' '\n' | sed -n 's|.*/fuzz_||p')
check "the Makefile lists fuzz targets" test -n "$targets"
for f in $targets; do
	bin="$TOP/regress/fuzz/fuzz_$f"
	mkdir -p "$T_DIR/$f"
	"$bin" -max_total_time="$SECS" -artifact_prefix="$T_DIR/" \
	    "$T_DIR/$f" "$TOP/regress/fuzz/seeds/$f" >"$T_DIR/$f.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$T_DIR/$f.log")
	check "fuzz_$f: ${runs:-no} runs in $SECS s, nothing found" \
	    test "$rc" -eq 0 -a -n "$runs"
	[ "$rc" -eq 0 ] || sed 's/^/#   /' "$T_DIR/$f.log" | tail -30
done
done_testing
