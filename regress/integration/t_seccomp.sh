#!/bin/sh
# The seccomp filters of the real binary: gdb makes each child call a
# system call outside its allow-list (ptrace(2)); the kernel kills the
# child with SIGSYS, the parent logs which child and why, and exits 1.
# With -vv the filter traps instead and the child names the call.
. "$(dirname "$0")/../lib.sh"
require_root
require_tools gdb
# sanitizer builds fail forbidden calls with EPERM (sandbox.c)
require_unsanitized "forbidden calls fail, they do not kill"
NR=$(printf '#include <sys/syscall.h>\nSYS_ptrace\n' | cpp -P | tail -n 1)

PORT=$(pick_port)
write_conf "$T_DIR/s.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.10
EOF

# forbidden CHILD: gdb makes CHILD call ptrace(2); prints gdb's verdict
forbidden() {
	timeout 30 gdb -p "$(child_pid "$1")" -batch -nx \
	    -ex "call (long)syscall($NR, 0, 0, 0, 0)" 2>&1 |
	    grep -o 'terminated with signal SIGSYS' | head -n 1
}

# gone PID...: none of them is running
gone() {
	for _p in "$@"; do kill -0 "$_p" 2>/dev/null && return 1; done
	return 0
}

for child in frontend resolver wgwatch; do
	: >"$D_LOG"
	start_daemon "$T_DIR/s.conf" || { not_ok "daemon starts"; continue; }
	is "$child: answered before" "$(dq +short nas.vpn.test)" 10.0.0.10
	kids=$(pgrep -P "$D_PID")
	is "$child: the daemon's three children are there" \
	    "$(echo $kids | wc -w)" 3
	is "$child: ptrace(2) kills it with SIGSYS" "$(forbidden "$child")" \
	    "terminated with signal SIGSYS"
	pid=$D_PID
	wait "$pid"
	rc=$?
	T_PIDS=$(echo "$T_PIDS" | sed "s/ $pid\$//; s/ $pid / /")
	D_PID=""
	is "$child: the daemon exits with status 1" "$rc" 1
	like "$child: the log names the child and the filter" \
	    "$(cat "$D_LOG")" \
	    "$child \\(pid [0-9]*\\) was killed by signal 31 .*seccomp filter"
	like "$child: and says it shuts down" "$(cat "$D_LOG")" \
	    "a child process died: shutting down"
	# shellcheck disable=SC2086
	check "$child: no process of the daemon is left" gone $kids
done

: >"$D_LOG"
start_daemon "$T_DIR/s.conf" -vv || { not_ok "daemon starts"; done_testing; }
forbidden resolver >/dev/null
pid=$D_PID
wait "$pid"
T_PIDS=$(echo "$T_PIDS" | sed "s/ $pid\$//; s/ $pid / /")
D_PID=""
like "with -vv the child names the call it was denied" "$(cat "$D_LOG")" \
    "resolver: seccomp: forbidden syscall $NR$"
done_testing
