# regress/lib.sh: sourced by the shell tests (regress/*/t_*.sh).
# TAP output, a scratch directory, and the real daemon on a free port,
# cleaned up by PID whatever happens.

TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/regress/sanitizer.sh"
VPNDNSD=$TOP/vpndnsd
VPNDNSCTL=$TOP/vpndnsctl
DNSRAW="python3 $TOP/regress/dnsraw.py"
T_N=0
T_FAILED=0
T_PIDS=""
T_CLEANUP=""

T_DIR=$(mktemp -d /tmp/vpndnsd-regress.XXXXXX) || exit 1
chmod 755 "$T_DIR"
mkdir -m 755 "$T_DIR/empty"

# Sanitizer reports: a daemon's go to its log, with the rest of its
# stderr (its children cannot open a file outside their chroot); those of
# what a test runs itself (vpndnsctl, vpndnsd -n) to files of their own.
# The harness reads both (san_check) when a daemon stops, at the end, and
# at cleanup.
D_ASAN_OPTIONS=$ASAN_OPTIONS
D_UBSAN_OPTIONS=$UBSAN_OPTIONS
ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$T_DIR/sanitizer"
UBSAN_OPTIONS="$UBSAN_OPTIONS:log_path=$T_DIR/sanitizer"
T_LOGS=""		# the log of every daemon started
T_SAN_SEEN=$T_DIR/sanitizer-seen	# "FILE LINES" already reported
: >"$T_SAN_SEEN"

t_cleanup() {
	_rc=$?
	for hook in $T_CLEANUP; do "$hook"; done
	for pid in $T_PIDS; do
		kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	# after the plan: the runner fails the test on the count, and on
	# the status
	san_check || _rc=1
	rm -rf "$T_DIR"
	exit "$_rc"
}
trap t_cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

# printf, not echo: dash's echo would expand backslashes in descriptions
ok()	{ T_N=$((T_N + 1)); printf 'ok %d - %s\n' "$T_N" "$*"; }
not_ok() {
	T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1))
	printf 'not ok %d - %s\n' "$T_N" "$*"
}
skip()	{ T_N=$((T_N + 1)); printf 'ok %d - # SKIP %s\n' "$T_N" "$*"; }
diag()	{ printf '# %s\n' "$*"; }

# check DESCRIPTION COMMAND...: passes when COMMAND succeeds
check() {
	_desc=$1; shift
	if "$@"; then ok "$_desc"; else not_ok "$_desc"; fi
}

# is DESCRIPTION GOT WANT
is() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "got:  '$2'"
		diag "want: '$3'"
	fi
}

# like DESCRIPTION GOT REGEX (extended)
like() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		ok "$1"
	else
		not_ok "$1"
		diag "got:  '$2'"
		diag "want: /$3/"
	fi
}

# done_testing: the daemon still running is stopped (its status and log
# checked), then the plan
done_testing() {
	stop_daemon
	san_check
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
	exit $?
}

# sanitized: the daemon is an ASan build (make check SANITIZE=...)
sanitized() { nm -D "$VPNDNSD" 2>/dev/null | grep -q __asan_init; }

# Skips.  On a machine with every TEST_DEPS package, as root, run.sh
# fails a skip unless it is "by design": one whose reason no machine can
# remove.

# skip_all WHY: the whole file is skipped
skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# skip_by_design WHY: one check that cannot run in this build, whatever
# the machine
skip_by_design() { skip "by design: $*"; }

# require_tools TOOL...: the test is skipped unless each is installed
require_tools() {
	for _t in "$@"; do
		command -v "$_t" >/dev/null || skip_all "$_t is not installed"
	done
}

# require_unsanitized WHY: the test is skipped in an ASan/UBSan build, by
# design (valgrind and allocation counts cannot run under ASan)
require_unsanitized() {
	! sanitized || skip_all "by design: a sanitizer build: $1"
}

require_root() {
	[ "$(id -u)" = 0 ] || skip_all "needs root"
}

# A port free for UDP and TCP on the loopback addresses: below the
# kernel's ephemeral range, so that no client socket of another test can
# hold it when the daemon binds, and used by no socket in any state.
pick_port() {
	_lo=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range)
	[ "${_lo:-0}" -gt 12000 ] || _lo=32768
	while :; do
		_p=$(( (($$ * 7919) + $(od -An -N2 -tu2 /dev/urandom)) %
		    (_lo - 10000) + 10000 ))
		if [ -z "$(ss -Hanu "sport = :$_p")" ] &&
		   [ -z "$(ss -Hant "sport = :$_p")" ]; then
			echo "$_p"
			return
		fi
	done
}

# write_conf FILE: the settings every test daemon needs, then stdin
write_conf() {
	{
		echo "user \"nobody\""
		echo "chroot \"$T_DIR/empty\""
		echo "pidfile \"$T_DIR/vpndnsd.pid\""
		cat
	} >"$1"
}

D_SOCK=$T_DIR/ctl.sock
D_LOG=$T_DIR/vpndnsd.log
D_PID=""
D_NETNS=""	# a network namespace file: the daemon and dig run there

in_netns() {
	if [ -n "$D_NETNS" ]; then
		nsenter --net="$D_NETNS" "$@"
	else
		"$@"
	fi
}

ctl() { "$VPNDNSCTL" -s "$D_SOCK" "$@"; }


# ms_since T0: milliseconds since T0, a $(date +%s%N)
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# poll SECONDS CMD...: CMD succeeds within SECONDS (may be a fraction),
# tried every 50 ms; quiet, for conditions that are not checks themselves
poll() {
	_pms=$(awk -v s="$1" 'BEGIN { printf "%d", s * 1000 }'); shift
	_pt0=$(date +%s%N)
	until "$@"; do
		[ "$(ms_since "$_pt0")" -le "$_pms" ] || return 1
		sleep 0.05
	done
}

# wait_for DESC SECONDS CMD...: CMD succeeds within SECONDS; says how long
wait_for() {
	_desc=$1 _max=$2; shift 2
	_t0=$(date +%s%N)
	if poll "$_max" "$@"; then
		ok "$_desc ($(ms_since "$_t0") ms)"
	else
		not_ok "$_desc (not within $_max s)"
		return 1
	fi
}

# holds SECONDS CMD...: CMD still succeeds SECONDS later, tried every 50
# ms.  For "nothing happens": only after the test has shown that what
# must not happen could be seen, and would have happened by then.
holds() {
	_hms=$(awk -v s="$1" 'BEGIN { printf "%d", s * 1000 }'); shift
	_ht0=$(date +%s%N)
	while "$@"; do
		[ "$(ms_since "$_ht0")" -lt "$_hms" ] || return 0
		sleep 0.05
	done
	return 1
}

# nsd_secondary PORT PRIMARY_PORT SECRET ZONE...: a real NSD on 127.0.0.1
# PORT (in D_NETNS, as the daemon), secondary of the daemon at
# PRIMARY_PORT for each ZONE with the TSIG key "xfr-key"; its log is
# NSD_LOG.  nsd_q asks it (+short), nsd_answers NAME WANT [TYPE].
NSD_LOG=$T_DIR/nsd/nsd.log
nsd_secondary() {
	_np=$1 _pp=$2 _secret=$3; shift 3
	mkdir -p "$T_DIR/nsd"
	{
		printf 'server:\n\tip-address: 127.0.0.1@%s\n' "$_np"
		printf '\tport: %s\n\tusername: ""\n\tchroot: ""\n' "$_np"
		printf '\tzonesdir: "%s"\n\tdatabase: ""\n' "$T_DIR/nsd"
		for _f in zonelistfile:zone.list xfrdfile:xfrd.state \
		    pidfile:nsd.pid logfile:nsd.log; do
			printf '\t%s "%s/%s"\n' "${_f%%:*}:" "$T_DIR/nsd" \
			    "${_f#*:}"
		done
		printf '\txfrdir: "%s"\n\tserver-count: 1\n' "$T_DIR/nsd"
		printf '\tdo-ip6: no\n\tverbosity: 2\n'
		printf 'remote-control:\n\tcontrol-enable: no\n'
		printf 'key:\n\tname: xfr-key\n\talgorithm: hmac-sha256\n'
		printf '\tsecret: "%s"\n' "$_secret"
		for _z in "$@"; do
			printf 'zone:\n\tname: %s\n' "$_z"
			printf '\trequest-xfr: 127.0.0.1@%s xfr-key\n' "$_pp"
			printf '\tallow-notify: 127.0.0.1 xfr-key\n'
		done
	} >"$T_DIR/nsd.conf"
	NSD_PORT=$_np
	bg_start NSD_PID nsd -d -c "$T_DIR/nsd.conf"
}
nsd_q() {
	in_netns kdig -p "$NSD_PORT" @127.0.0.1 +timeout=1 +retry=0 +short \
	    "$@" 2>/dev/null
}
nsd_answers() { [ "$(nsd_q "$1" "${3:-A}")" = "$2" ]; }

# Tests read figures from vpndnsctl -j, not from the tables for people.
# fwd_line GROUP: the group's coalesced count, then a line per server.
fwd_line() {
	ctl -j show forwarders | python3 -c 'import json, sys
for g in json.load(sys.stdin):
    if g["forwarder"] != sys.argv[1]:
        continue
    print("forwarder %s: coalesced %d" % (g["forwarder"], g["coalesced"]))
    for s in g["servers"]:
        print("%s: %s, timeouts %d, rejected %d, malformed %d, "
            "mismatched %d, stray %d, last error %s" % (s["server"],
            "up" if s["up"] else "down", s["timeouts"], s["rejected"],
            s["malformed"], s["mismatched"], s["stray"], s["last_error"]))' "$1"
}

# bl_field LIST FIELD...: those figures of a blocklist, on one line
bl_field() {
	ctl -j show blocklists | python3 -c 'import json, sys
for b in json.load(sys.stdin):
    if b["blocklist"] == sys.argv[1]:
        print(" ".join(str(b[f]) for f in sys.argv[2:]))' "$@"
}

# start_daemon CONF [FLAGS...]: returns once it answers on its socket;
# D_WRAP, when set, is a command line to run it under (valgrind)
start_daemon() {
	_conf=$1; shift
	case " $T_LOGS " in *" $D_LOG "*) ;; *) T_LOGS="$T_LOGS $D_LOG" ;; esac
	_loads=$(d_loads)
	# nsenter execs: $! is the daemon's own pid either way
	if [ -n "$D_NETNS" ]; then
		ASAN_OPTIONS=$D_ASAN_OPTIONS UBSAN_OPTIONS=$D_UBSAN_OPTIONS \
		    nsenter --net="$D_NETNS" $D_WRAP "$VPNDNSD" -d "$@" \
		    -f "$_conf" -s "$D_SOCK" >>"$D_LOG" 2>&1 &
	else
		ASAN_OPTIONS=$D_ASAN_OPTIONS UBSAN_OPTIONS=$D_UBSAN_OPTIONS \
		    $D_WRAP "$VPNDNSD" -d "$@" -f "$_conf" -s "$D_SOCK" \
		    >>"$D_LOG" 2>&1 &
	fi
	D_PID=$!
	T_PIDS="$T_PIDS $D_PID"
	# up, or dead: a bound for a loaded machine (and valgrind), not a wait.
	# Up is configured: the resolver has its configuration, so tests see
	# the daemon as its clients will (t_valgrind asks earlier on purpose).
	_up=15
	[ -z "$D_WRAP" ] || _up=60
	poll "$_up" d_loaded_or_dead
	poll "$_up" d_up_or_dead
	ctl show status >/dev/null 2>&1 && return 0
	diag "vpndnsd did not start; its log:"
	sed 's/^/#   /' "$D_LOG"
	return 1
}
d_loads() { cat "$D_LOG" 2>/dev/null | grep -c "resolver: configuration loaded"; }
d_loaded_or_dead() {
	[ "$(d_loads)" -gt "$_loads" ] || ! kill -0 "$D_PID" 2>/dev/null
}
d_up_or_dead() {
	ctl show status >/dev/null 2>&1 || ! kill -0 "$D_PID" 2>/dev/null
}

# dot_certs DIR: in DIR, a CA (ca.pem), a certificate for dot.test from
# it (srv.pem, srv.key) and another CA (other.pem), for DNS over TLS;
# openssl's words in DIR/openssl.log
dot_certs() {
	(
	cd "$1" || exit 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout ca.key -out ca.pem -days 2 \
	    -subj /CN=vpndnsd-test-ca &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout srv.key -out srv.csr -subj /CN=dot.test &&
	printf 'subjectAltName=DNS:dot.test\nbasicConstraints=CA:FALSE\n' \
	    >ext.cnf &&
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key \
	    -CAcreateserial -out srv.pem -days 2 -extfile ext.cnf &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout other.key -out other.pem -days 2 \
	    -subj /CN=other-ca
	) >"$1/openssl.log" 2>&1
}

# fakewg_start: regress/fakewg.py's UAPI socket at $T_DIR/wg0.sock with
# three active peers, $K1, $K2 and $K3 at 10.77.0.2 to .4; a test edits
# $T_DIR/peers to make one silent or take it away
K1=ERERERERERERERERERERERERERERERERERERERERERE=
K2=IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=
K3=MzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzMzM=
fakewg_start() {
	printf '%s 10.77.0.2 active\n%s 10.77.0.3 active\n%s 10.77.0.4 active\n' \
	    "$K1" "$K2" "$K3" >"$T_DIR/peers"
	bg_start FAKEWG python3 "$TOP/regress/fakewg.py" "$T_DIR/wg0.sock" \
	    "$T_DIR/peers"
	poll 10 test -S "$T_DIR/wg0.sock"
}

# bg_start VAR CMD...: CMD in the background (in D_NETNS when set), its
# pid in $VAR, stopped at the end like the daemon.  CMD is the process
# itself, never a subshell (a shell function in the background is one):
# the pid is what must be stopped.
bg_start() {
	_var=$1; shift
	if [ -n "$D_NETNS" ]; then
		nsenter --net="$D_NETNS" "$@" >>"$T_DIR/bg.log" 2>&1 &
	else
		"$@" >>"$T_DIR/bg.log" 2>&1 &
	fi
	eval "$_var=$!"
	T_PIDS="$T_PIDS $!"
}

# bg_stop PID: stop one of them now
bg_stop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	T_PIDS=$(echo "$T_PIDS" | sed "s/ $1\$//; s/ $1 / /")
}

# unbound_conf FILE ADDR PORT: an unbound configuration for one thread on
# ADDR@PORT, in the foreground, answering 127.0.0.0/8; stdin adds to its
# server: clause, and may open further clauses
unbound_conf() {
	{
		cat <<EOF2
server:
	interface: $2@$3
	port: $3
	do-daemonize: no
	chroot: ""
	username: ""
	pidfile: ""
	directory: "$T_DIR"
	use-syslog: no
	logfile: ""
	do-ip6: no
	num-threads: 1
	access-control: 127.0.0.0/8 allow
EOF2
		cat
		printf 'remote-control:\n\tcontrol-enable: no\n'
	} >"$1"
}

# udp_bound ADDR PORT: a socket is bound there (a server, a capture)
udp_bound() { [ -n "$(in_netns ss -Hlun src "$1:$2")" ]; }

# answers_on ADDR PORT NAME: a server there answers
answers_on() {
	for _i in $(seq 100); do
		in_netns dig @"$1" -p "$2" +time=1 +tries=1 "$3" \
		    >/dev/null 2>&1 &&
		    return 0
		sleep 0.05
	done
	return 1
}

# stop_daemon: SIGTERM to the daemon; a check that it exited with status
# 0, and one for each sanitizer report in its log.  Returns its status, 1
# for a report.
stop_daemon() {
	[ -n "$D_PID" ] || return 0
	kill -TERM "$D_PID" 2>/dev/null
	wait "$D_PID" 2>/dev/null
	_rc=$?
	T_PIDS=$(echo "$T_PIDS" | sed "s/ $D_PID\$//; s/ $D_PID / /")
	D_PID=""
	if [ "$_rc" -eq 0 ]; then
		ok "vpndnsd stops with status 0"
	else
		not_ok "vpndnsd stops with status 0 (got $_rc)"
		tail -n 20 "$D_LOG" | sed 's/^/#   /'
	fi
	san_check || [ "$_rc" -ne 0 ] || _rc=1
	return "$_rc"
}

# san_check: a failed check, with the lines, for each file (daemon log,
# log_path file) with sanitizer reports not told yet.  Returns 1 if any.
san_check() {
	_sbad=0
	for _sf in $T_LOGS "$T_DIR"/sanitizer.*; do
		[ -f "$_sf" ] || continue
		_sn=$(grep -Ec -- "$SAN_RE" "$_sf")
		_sseen=$(awk -v f="$_sf" '$1 == f { n = $2 } END { print n + 0 }' \
		    "$T_SAN_SEEN")
		echo "$_sf $_sn" >>"$T_SAN_SEEN"
		[ "$_sn" -gt "$_sseen" ] || continue
		_sbad=1
		not_ok "a sanitizer report in ${_sf#"$T_DIR"/}"
		grep -E -A 8 -- "$SAN_RE" "$_sf" | head -n 40 | sed 's/^/#   /'
	done
	return "$_sbad"
}

# child_pid NAME: the pid of a child process, from vpndnsctl show status
child_pid() {
	ctl show status | sed -n "s/.* $1 \([0-9]*\).*/\1/p" | head -n 1
}

# dq ARGS...: dig against the test daemon on 127.0.0.1
dq() { in_netns dig @127.0.0.1 -p "$PORT" +time=2 +tries=1 "$@"; }

# rcode_of DIG-ARGS...: just the status
rcode_of() { dq "$@" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p' | head -n 1; }
