#!/bin/sh
# Operations: make install and uninstall into a DESTDIR, the systemd
# unit through systemd-analyze verify, and the readiness message
# (sd_notify protocol) the daemon sends when NOTIFY_SOCKET is set.
. "$(dirname "$0")/../lib.sh"
require_root

R=$T_DIR/root
make -s -C "$TOP" install DESTDIR="$R" PREFIX=/usr >"$T_DIR/install.log" 2>&1
check "make install into a DESTDIR" test $? -eq 0
for f in sbin/vpndnsd sbin/vpndnsctl share/man/man8/vpndnsd.8 \
    share/man/man8/vpndnsctl.8 share/man/man5/vpndnsd.conf.5 \
    share/examples/vpndnsd/vpndnsd.conf.example \
    lib/systemd/system/vpndnsd.service; do
	check "installs /usr/$f" test -s "$R/usr/$f"
done
# the examples, as vpndnsd.8's FILES has them, and every file they name
EXD=$R/usr/share/examples/vpndnsd
for f in "$TOP"/etc/examples/*; do
	check "installs the example ${f##*/}" cmp -s "$f" "$EXD/${f##*/}"
	check "vpndnsd.8's FILES names ${f##*/}" \
	    grep -q "Pa.* ${f##*/}\\( \\|$\\)" "$TOP/man/vpndnsd.8"
done
for p in $(sed -n 's/.*\(file\|names from\) "\([^"]*\)".*/\2/p' \
    "$EXD"/*.conf | sort -u); do
	check "the file an example names is installed: ${p##*/}" \
	    test -s "$EXD/${p##*/}"
done
for f in wireguard-gateway ipsec-openvpn-gateway vpn-proxy edge-authoritative \
    edge-vpndnsd gateway-a gateway-b; do
	sed -e "s|/etc/vpndnsd/|$EXD/|g" -e "s|/etc/wireguard/|$EXD/|g" \
	    "$EXD/$f.conf" >"$T_DIR/ex.conf"
	is "the installed $f.conf is a valid configuration with them" \
	    "$("$VPNDNSD" -n -f "$T_DIR/ex.conf" 2>&1)" "configuration OK"
done
like "the unit names the installed binaries" \
    "$(grep '^ExecStart=' "$R/usr/lib/systemd/system/vpndnsd.service")" \
    "^ExecStart=/usr/sbin/vpndnsd -d -f /etc/vpndnsd.conf$"
check "nothing outside DESTDIR: no chroot made there" test ! -e "$R/var"
make -s -C "$TOP" uninstall DESTDIR="$R" PREFIX=/usr >/dev/null 2>&1
is "make uninstall leaves no file" "$(find "$R" -type f | wc -l)" 0

# systemd-analyze verify as it comes, manual pages checked: the unit as
# installed, with the installed binaries and manuals (verify runs "man"
# for Documentation=); and its hardening as systemd-analyze scores it
if command -v systemd-analyze >/dev/null; then
	make -s -C "$TOP" install DESTDIR="$R" PREFIX=/usr \
	    >"$T_DIR/install.log" 2>&1
	sed -e "s|/usr/sbin/|$R/usr/sbin/|g" \
	    "$R/usr/lib/systemd/system/vpndnsd.service" \
	    >"$T_DIR/vpndnsd.service"
	out=$(MANPATH=$R/usr/share/man systemd-analyze verify \
	    "$T_DIR/vpndnsd.service" 2>&1)
	rc=$?
	is "systemd-analyze verify passes, and says nothing" "$rc:$out" "0:"
	out=$(MANPATH=$R/usr/share/empty systemd-analyze verify \
	    "$T_DIR/vpndnsd.service" 2>&1)
	like "(verify would have seen a missing manual)" "$out" \
	    "man vpndnsd\\(8\\)' failed"
	like "the unit is Type=notify" "$(cat "$T_DIR/vpndnsd.service")" \
	    "^Type=notify$"
	level=$(systemd-analyze security --offline=true \
	    "$T_DIR/vpndnsd.service" 2>/dev/null |
	    sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
	check "its hardening holds: exposure $level, at most 4.3" \
	    awk -v l="${level:-99}" 'BEGIN { exit !(l <= 4.3) }'
	for h in NoNewPrivileges=yes ProtectSystem=strict PrivateDevices=yes \
	    MemoryDenyWriteExecute=yes RestrictNamespaces=yes; do
		like "it keeps $h" "$(cat "$T_DIR/vpndnsd.service")" "^$h$"
	done
	make -s -C "$TOP" uninstall DESTDIR="$R" PREFIX=/usr >/dev/null 2>&1
else
	for i in 1 2 3 4 5 6 7 8 9; do skip "no systemd-analyze"; done
fi

# the readiness message: a datagram socket as systemd's, the daemon
# started with NOTIFY_SOCKET pointing at it
PORT=$(pick_port)
write_conf "$T_DIR/n.conf" <<EOF
listen on 127.0.0.1 port $PORT
domain "vpn.test"
record "nas.vpn.test" A 10.0.0.10
EOF
python3 - "$T_DIR/notify.sock" "$T_DIR/notify.out" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(10)
try:
    msg = s.recv(4096).decode()
except socket.timeout:
    msg = "TIMEOUT"
open(sys.argv[2], "w").write(msg.replace("\n", " "))
EOF
LISTENER=$!
T_PIDS="$T_PIDS $LISTENER"
poll 10 test -S "$T_DIR/notify.sock"
NOTIFY_SOCKET=$T_DIR/notify.sock
export NOTIFY_SOCKET
start_daemon "$T_DIR/n.conf" || { not_ok "daemon starts"; done_testing; }
unset NOTIFY_SOCKET
wait "$LISTENER"
is "READY=1 with the daemon's pid" "$(cat "$T_DIR/notify.out")" \
    "READY=1 MAINPID=$D_PID"
# (the daemon had NOTIFY_SOCKET: READY=1 came)
# getenv_in PID NAME: NAME in the process's environment, as the process
# itself has it: gdb asks it ("0x0" for none).  Not /proc/PID/environ:
# a child's title (setproctitle) overwrites it with zeros.
getenv_in() {
	timeout 30 gdb -p "$1" -batch -nx \
	    -ex "print (char *)getenv(\"$2\")" 2>/dev/null |
	    sed -n 's/^\$1 = //p'
}
for child in frontend resolver wgwatch; do
	if ! command -v gdb >/dev/null; then
		skip "no gdb to read $child's environment"
		continue
	fi
	pid=$(child_pid "$child")
	like "$child's environment can be read (PATH, pid $pid)" \
	    "$(getenv_in "$pid" PATH)" '^0x[0-9a-f]+ "/'
	is "$child does not inherit NOTIFY_SOCKET" \
	    "$(getenv_in "$pid" NOTIFY_SOCKET)" 0x0
done
is "and answers" "$(dq +short nas.vpn.test)" 10.0.0.10
stop_daemon
done_testing
