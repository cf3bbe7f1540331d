#!/bin/sh
# The manuals cover what the code accepts: every keyword of the grammar
# in vpndnsd.conf(5), every vpndnsctl command in vpndnsctl(8), every
# flag the programs' usage lines give (checked against vpndnsd's getopt
# string and vpndnsctl's command table) in their SYNOPSIS and text, and
# every handled signal in vpndnsd(8), each as a macro argument (Ic, Cm,
# Fl, Dv), not merely a word in the text; each has FILES and EXAMPLES;
# and mandoc -Tlint has nothing above STYLE to say.
. "$(dirname "$0")/../lib.sh"

# has_macro PAGE MACROS WORD: WORD is an argument of one of MACROS there
has_macro() {
	grep -Eq "^\\.([A-Z][a-z] )*($2)( [^ ]+)* $3( |\$)" "$TOP/man/$1" ||
	    grep -Eq "^\\.([A-Z][a-z]+ )*($2) ([^ ]+ )*$3( |\$)" "$TOP/man/$1"
}

for k in $(sed -n 's/^[[:space:]]*{ "\([a-z0-9-]*\)",[[:space:]]*[A-Z]*[[:space:]]*},*$/\1/p' \
    "$TOP/parent/parse.y"); do
	n=$((n + 1))
	check "vpndnsd.conf.5 documents the keyword $k" \
	    has_macro vpndnsd.conf.5 'Ic|Cm' "$k"
done
check "the grammar has keywords to check (${n:-0})" test "${n:-0}" -gt 50

sed -n 's/^[[:space:]]*{ { \([^}]*\) },.*/\1/p' "$TOP/ctl/vpndnsctl.c" |
    tr -d '",' >"$T_DIR/cmds"
check "vpndnsctl has commands to check" test -s "$T_DIR/cmds"
while read -r w1 w2; do
	check "vpndnsctl.8 documents $w1${w2:+ $w2}" \
	    has_macro vpndnsctl.8 'Cm' "$w1${w2:+ (Cm )?$w2}"
done <"$T_DIR/cmds"

# The programs themselves say what they take: their usage lines (and
# for vpndnsd its getopt string, less the children's -C -F -R -u -W,
# set by the parent only).  Each flag in the manual's SYNOPSIS and
# described, each vpndnsctl command described.
usage_flags() { "$@" -@ 2>&1 | sed -n 's/^usage: //p' |
    grep -o '\-[a-zA-Z]*' | tr -d '-' | fold -w 1 | sort -u; }
usage_flags "$VPNDNSD" >"$T_DIR/dflags"
usage_flags "$VPNDNSCTL" >"$T_DIR/cflags"
sed -n 's/.*getopt(argc, argv, "\([^"]*\)").*/\1/p' "$TOP/parent/parent.c" |
    tr -d ':' | fold -w 1 | grep -v '[CFRuW]' | sort -u >"$T_DIR/getopt"
is "vpndnsd's usage names every flag it takes (but the children's)" \
    "$(cat "$T_DIR/dflags")" "$(cat "$T_DIR/getopt")"
check "vpndnsd has flags to check" test -s "$T_DIR/dflags"
check "vpndnsctl has flags to check" test -s "$T_DIR/cflags"
for f in $(cat "$T_DIR/dflags"); do
	check "vpndnsd.8 documents -$f" has_macro vpndnsd.8 'Fl' "$f"
	check "vpndnsd.8's SYNOPSIS has -$f" sh -c \
	    "sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESC/p' '$TOP/man/vpndnsd.8' |
	    grep -Eq '^\.Op Fl ([a-z]*$f[a-z]*|$f )'"
done
for f in $(cat "$T_DIR/cflags"); do
	check "vpndnsctl.8 documents -$f" has_macro vpndnsctl.8 'Fl' "$f"
	check "vpndnsctl.8's SYNOPSIS has -$f" sh -c \
	    "sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESC/p' '$TOP/man/vpndnsctl.8' |
	    grep -Eq '^\.Op Fl ([a-z]*$f[a-z]*|$f )'"
done
# vpndnsctl's commands as its usage lists them: each of the code's
# starts a line, and there are as many lines
"$VPNDNSCTL" 2>&1 | grep "$(printf '^\t')" >"$T_DIR/ucmds"
is "vpndnsctl's usage lists as many commands as the code has" \
    "$(wc -l <"$T_DIR/ucmds")" "$(wc -l <"$T_DIR/cmds")"
while read -r w1 w2; do
	check "vpndnsctl's usage lists $w1${w2:+ $w2}" \
	    grep -q "^$(printf '\t')$w1${w2:+ $w2}\( \|\$\)" "$T_DIR/ucmds"
done <"$T_DIR/cmds"
nsig=0
for sig in $(sed -n 's/.*signal_set(&parent\.ev_sig[a-z]*, \(SIG[A-Z]*\),.*/\1/p' \
    "$TOP/parent/parent.c" | grep -v SIGCHLD); do
	nsig=$((nsig + 1))
	check "vpndnsd.8 documents $sig" has_macro vpndnsd.8 'Dv' "$sig"
done
check "the parent handles signals to check ($nsig)" test "$nsig" -ge 3

for m in vpndnsd.8 vpndnsd.conf.5 vpndnsctl.8; do
	for sec in FILES EXAMPLES; do
		check "$m has a $sec section" grep -q "^\.Sh $sec\$" \
		    "$TOP/man/$m"
	done
	out=$(mandoc -Tlint -Wwarning "$TOP/man/$m" 2>&1)
	is "$m: mandoc -Tlint -Wwarning is silent" "$out" ""
done
done_testing
