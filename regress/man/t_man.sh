#!/bin/sh
# The manuals: clean under mandoc -Tlint, and every keyword of the grammar
# documented in vpndnsd.conf(5).
. "$(dirname "$0")/../lib.sh"

for m in vpndnsd.8 vpndnsd.conf.5 vpndnsctl.8; do
	is "$m is clean under mandoc -Tlint" \
	    "$(mandoc -Tlint -Wwarning "$TOP/man/$m" 2>&1)" ""
done
keywords=$(sed -n '/keywords\[\] = {/,/};/s/.*{ "\([a-z-]*\)",.*/\1/p' \
    "$TOP/parent/parse.y")
check "the grammar's keywords are found" test -n "$keywords"
for k in $keywords; do
	check "keyword \"$k\" is in vpndnsd.conf.5" \
	    grep -Eq "^\\.(It )?Ic (.* )?$k( |\$)" \
	    "$TOP/man/vpndnsd.conf.5"
done
done_testing
